// Typed reads from a parsed YAML document that record a positioned problem instead of
// throwing, so one pass reports every mistake in the file. Each reader returns undefined
// when it recorded a problem; callers then leave the value out and carry on.
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import { canonicalIp6, type Ip6 } from '../inet/ip6.js';
import { parsePrefix, type Prefix } from '../inet/prefix.js';
import type { ConfigProblem } from './problems.js';
import { editDistance } from './suggest.js';

/** A value in the document and the key path that leads to it. */
export interface Field {
  /** The node as written (an alias stays an alias, so positions point at its use). */
  readonly node: Node;
  readonly path: string;
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

export class ConfigReader {
  readonly problems: ConfigProblem[] = [];
  /** Every mapping value read so far by key path, to place problems found later. */
  readonly visited = new Map<string, Field>();
  /**
   * When set, every section read records its allowed keys here, by key path with free-form
   * keys (home addresses) and list positions written `[*]`: the schema, as the readers
   * themselves define it (reload's per-key table is checked against it).
   */
  schema: Map<string, readonly string[]> | null = null;

  constructor(
    private readonly file: string,
    private readonly lines: LineCounter,
    private readonly doc: Document,
  ) {}

  /** Records a problem at a node (its start) or at a character offset. */
  report(at: Node | number, path: string, message: string): void {
    const offset = typeof at === 'number' ? at : (at.range?.[0] ?? 0);
    const { line, col } = this.lines.linePos(offset);
    this.problems.push({ file: this.file, line, col, path, message });
  }

  /** A mapping whose keys must all be in `keys`; null values count as absent. */
  section(f: Field, keys: readonly string[], required: readonly string[] = []): Map<string, Field> | undefined {
    this.schema?.set(schemaPath(f.path), keys);
    const entries = this.entries(f);
    if (!entries) return undefined;
    const out = new Map<string, Field>();
    for (const [key, field, keyNode] of entries) {
      if (!keys.includes(key)) {
        const near = keys.find((k) => editDistance(k, key) <= 2);
        this.report(keyNode, field.path, `unknown key${near ? ` (did you mean ${near}?)` : ''}`);
      } else if (!isNull(this.resolve(field.node))) {
        out.set(key, field);
      }
    }
    for (const key of required) {
      if (!out.has(key)) this.report(f.node, f.path, `missing required key ${key}`);
    }
    return out;
  }

  /** A mapping with free-form string keys (e.g. home addresses), in file order. */
  entries(f: Field): [string, Field, Node][] | undefined {
    const node = this.resolve(f.node);
    if (!isMap(node)) return this.wrongType(f, 'a mapping');
    const out: [string, Field, Node][] = [];
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const key = keyNode && isScalar(keyNode) ? keyNode.value : undefined;
      if (!keyNode || (typeof key !== 'string' && typeof key !== 'number')) {
        this.report(keyNode ?? f.node, f.path, 'keys must be plain strings');
        continue;
      }
      const path = joinPath(f.path, String(key));
      const value = (pair.value as Node | null) ?? keyNode;
      const field = { node: value, path };
      this.visited.set(path, field);
      out.push([String(key), field, keyNode]);
    }
    return out;
  }

  list(f: Field): Field[] | undefined {
    const node = this.resolve(f.node);
    if (!isSeq(node)) return this.wrongType(f, 'a list');
    return node.items.map((item, i) => ({ node: (item as Node | null) ?? f.node, path: `${f.path}[${i}]` }));
  }

  string(f: Field): string | undefined {
    const v = this.scalar(f);
    if (typeof v === 'string' && v !== '') return v;
    return this.wrongType(f, 'a non-empty string');
  }

  boolean(f: Field): boolean | undefined {
    const v = this.scalar(f);
    return typeof v === 'boolean' ? v : this.wrongType(f, 'true or false');
  }

  integer(f: Field, min: number, max: number): number | undefined {
    const v = this.scalar(f);
    if (typeof v !== 'number' || !Number.isInteger(v)) return this.wrongType(f, 'an integer');
    return this.inRange(f, v, min, max);
  }

  number(f: Field, min: number, max: number): number | undefined {
    const v = this.scalar(f);
    if (typeof v !== 'number' || !Number.isFinite(v)) return this.wrongType(f, 'a number');
    return this.inRange(f, v, min, max);
  }

  oneOf<T extends string>(f: Field, values: readonly T[]): T | undefined {
    const v = this.scalar(f);
    if (typeof v === 'string' && (values as readonly string[]).includes(v)) return v as T;
    this.report(f.node, f.path, `must be one of ${values.join(', ')}; got ${this.describe(f)}`);
    return undefined;
  }

  /** An IPv6 address, returned in RFC 5952 form. */
  ip6(f: Field): Ip6 | undefined {
    const v = this.string(f);
    if (v === undefined) return undefined;
    const canonical = canonicalIp6(v);
    if (!canonical) this.report(f.node, f.path, `not an IPv6 address: ${JSON.stringify(v)}`);
    return canonical ?? undefined;
  }

  prefix(f: Field): Prefix | undefined {
    const v = this.string(f);
    if (v === undefined) return undefined;
    const p = parsePrefix(v);
    if (!p) this.report(f.node, f.path, `not an IPv6 prefix: ${JSON.stringify(v)}`);
    return p ?? undefined;
  }

  /** Seconds: an integer, or a string like "90s", "10m", "1h", "1d". */
  seconds(f: Field, min: number, max: number): number | undefined {
    const v = this.scalar(f);
    if (typeof v === 'number' && Number.isInteger(v)) return this.inRange(f, v, min, max);
    const m = typeof v === 'string' ? /^(\d+)([smhd])$/.exec(v) : null;
    if (!m) return this.wrongType(f, 'seconds (an integer, or a duration like "90s", "10m", "1h")');
    return this.inRange(f, Number(m[1]) * DURATION_UNITS[m[2]!]!, min, max);
  }

  /**
   * A permission mode, read as octal as written: YAML 1.2 reads a plain `0660` as the
   * decimal 660, so the source text is used instead of the parsed number.
   */
  fileMode(f: Field): number | undefined {
    const node = this.resolve(f.node);
    const text = isScalar(node) ? String(node.source ?? node.value) : '';
    const m = /^(?:0o?)?([0-7]{3,4})$/.exec(text);
    if (!m) return this.wrongType(f, 'an octal mode like 0660');
    const mode = parseInt(m[1]!, 8);
    if (mode > 0o777) this.report(f.node, f.path, `setuid, setgid and sticky bits are not allowed: ${text}`);
    return mode > 0o777 ? undefined : mode;
  }

  describe(f: Field): string {
    const node = this.resolve(f.node);
    if (isMap(node)) return 'a mapping';
    if (isSeq(node)) return 'a list';
    if (!isScalar(node)) return 'something else';
    const v = node.value;
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'string') return `string ${JSON.stringify(v)}`;
    return `${typeof v} ${String(node.source ?? v)}`;
  }

  private scalar(f: Field): unknown {
    const node = this.resolve(f.node);
    return isScalar(node) ? node.value : undefined;
  }

  private inRange(f: Field, v: number, min: number, max: number): number | undefined {
    if (v >= min && v <= max) return v;
    this.report(f.node, f.path, `out of range ${min}..${max}: ${v}`);
    return undefined;
  }

  private wrongType(f: Field, expected: string): undefined {
    this.report(f.node, f.path, `expected ${expected}, got ${this.describe(f)}`);
    return undefined;
  }

  private resolve(node: Node): Node | undefined {
    return isAlias(node) ? (node.resolve(this.doc) as Node | undefined) : node;
  }
}

function isNull(node: Node | undefined): boolean {
  return node === undefined || (isScalar(node) && (node.value === null || node.value === undefined));
}

/** A key path with its free-form keys and list positions as `[*]`. */
export function schemaPath(path: string): string {
  return path.replace(/\[[^\]]*\]/g, '[*]');
}

/** `a.b`, or `a[2001:db8::1]` for keys that are not identifiers (home addresses). */
export function joinPath(parent: string, key: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) return `${parent}[${key}]`;
  return parent ? `${parent}.${key}` : key;
}

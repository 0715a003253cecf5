// The `metrics:` section (the Prometheus endpoint) and the home agent's `limits:` section
// and the correspondent's `limits:` section (caps that answer a Binding Update with 130,
// insufficient resources, and the bound on BUs waiting for the journal).
import { isIP } from 'node:net';
import { DEFAULT_LIMITS, type HomeAgentLimits } from '../proto/ha/limits.js';
import { DEFAULT_CN_LIMITS, type CorrespondentLimits } from '../proto/cn/limits.js';
import type { ConfigReader, Field } from './reader.js';

export interface MetricsConfig {
  /** Where GET /metrics is served; null: no endpoint (the default). */
  listen: { host: string; port: number } | null;
}

export const NO_METRICS: MetricsConfig = { listen: null };

/** 127.0.0.0/8 or ::1: only this machine can connect. */
export function isLoopback(host: string): boolean {
  return host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/** `ADDRESS:PORT`, an IPv6 address in brackets (`[::1]:9417`); the address a literal, no names. */
export function parseListen(text: string): { host: string; port: number } | string {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|(\d{1,3}(?:\.\d{1,3}){3})):(\d{1,5})$/.exec(text);
  if (!m) return `not ADDRESS:PORT (127.0.0.1:9417, [::1]:9417): ${JSON.stringify(text)}`;
  const host = m[1] ?? m[2]!;
  const port = Number(m[3]);
  if (isIP(host) === 0) return `not an IP address: ${host}`;
  if (m[1] !== undefined && isIP(host) !== 6) return `an IPv4 address goes without brackets: ${host}`;
  if (port > 65535) return `port ${port} is above 65535`;
  return { host, port };
}

export function readMetrics(r: ConfigReader, f: Field | undefined): MetricsConfig | undefined {
  if (!f) return NO_METRICS;
  const s = r.section(f, ['listen', 'allow_remote']);
  if (!s) return undefined;
  const before = r.problems.length;
  const listenField = s.get('listen');
  const remoteField = s.get('allow_remote');
  const allowRemote = (remoteField && r.boolean(remoteField)) ?? false;
  const text = listenField && r.string(listenField);
  if (!listenField || text === undefined) return r.problems.length === before ? NO_METRICS : undefined;
  const listen = parseListen(text);
  if (typeof listen === 'string') r.report(listenField.node, listenField.path, listen);
  else if (!isLoopback(listen.host) && !allowRemote) {
    // The counters say how many nodes are registered and how the kernel fares: not for everyone.
    r.report(listenField.node, listenField.path, `${listen.host} is not a loopback address; set metrics.allow_remote: true to serve metrics beyond this machine`);
  }
  return r.problems.length === before && typeof listen !== 'string' ? { listen } : undefined;
}

/** YAML key -> the core's limit, with the bounds a value must keep. */
const LIMIT_KEYS: readonly [string, keyof HomeAgentLimits, number][] = [
  ['max_bindings', 'maxBindings', 10_000_000],
  ['max_bindings_per_home_address', 'maxBindingsPerHomeAddress', 65535],
  ['max_pending_dad', 'maxPendingDad', 1_000_000],
  ['max_held_acknowledgements', 'maxHeldAcks', 1_000_000],
  ['max_journal_backlog', 'maxJournalBacklog', 1_000_000],
];

/** The correspondent's keys: it runs no DAD and keeps one binding per (home address, BID) it authenticated. */
const CN_LIMIT_KEYS = LIMIT_KEYS.filter((k): k is [string, keyof CorrespondentLimits, number] => k[1] in DEFAULT_CN_LIMITS);

export const LIMIT_YAML_KEYS = LIMIT_KEYS.map(([k]) => k);

export function readLimits(r: ConfigReader, f: Field | undefined): HomeAgentLimits | undefined {
  return readCaps(r, f, { ...DEFAULT_LIMITS }, LIMIT_KEYS);
}

export function readCorrespondentLimits(r: ConfigReader, f: Field | undefined): CorrespondentLimits | undefined {
  return readCaps(r, f, { ...DEFAULT_CN_LIMITS }, CN_LIMIT_KEYS);
}

function readCaps<T extends object>(r: ConfigReader, f: Field | undefined, out: T, keys: readonly [string, keyof T, number][]): T | undefined {
  if (!f) return out;
  const s = r.section(f, keys.map(([k]) => k));
  if (!s) return undefined;
  const before = r.problems.length;
  for (const [yaml, key, max] of keys) {
    const x = s.get(yaml);
    const v = x && r.integer(x, 1, max);
    if (v !== undefined) (out[key] as number) = v;
  }
  return r.problems.length === before ? out : undefined;
}

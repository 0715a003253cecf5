// Turns one user-mode Linux instance's console into per-file reports. init.sh runs each
// test file as its own `node --test` between two markers; this keeps the lines between
// them together (printed whole when the file ends, so two instances side by side never
// interleave their files' lines, or live when only one instance runs), times the file,
// and takes the reporter's closing counts out of the block so the run can print one sum.

import { MARK_FILE_END, MARK_FILE_START } from './console.js';

/** The closing counts node --test's spec (`ℹ pass 3`) and TAP (`# pass 3`) reporters print, in their order. */
export const SUMMARY_KEYS = ['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo', 'duration_ms'] as const;
export type SummaryKey = (typeof SUMMARY_KEYS)[number];
export type SummaryCounts = Partial<Record<SummaryKey, number>>;

const SUMMARY_LINE = new RegExp(`^(?:ℹ|#) (${SUMMARY_KEYS.join('|')}) (\\d+(?:\\.\\d+)?)$`);
const ANSI_SGR = /\u001b\[[0-9;]*m/g;

/** The count a summary line carries, or undefined for any other line (colours ignored). */
export function summaryCount(line: string): [SummaryKey, number] | undefined {
  const m = SUMMARY_LINE.exec(line.replace(ANSI_SGR, '').trim());
  if (m === null) return undefined;
  return [m[1] as SummaryKey, Number(m[2])];
}

export function addCounts(into: SummaryCounts, more: SummaryCounts): SummaryCounts {
  for (const key of SUMMARY_KEYS) {
    const n = more[key];
    if (n !== undefined) into[key] = (into[key] ?? 0) + n;
  }
  return into;
}

/** Summary lines in the reporter's own form, so readers of its output (test/all.ts) find them. */
export function formatSummary(counts: SummaryCounts, reporter: string): string {
  const mark = reporter === 'tap' ? '#' : 'ℹ';
  return SUMMARY_KEYS.filter((k) => counts[k] !== undefined)
    .map((k) => `${mark} ${k} ${k === 'duration_ms' ? (counts[k] ?? 0).toFixed(3) : counts[k]}\n`)
    .join('');
}

export interface FileResult {
  /** The path as init.sh named it (absolute). */
  file: string;
  /** The instance that ran it ("uml 2/2"), or undefined when only one ran. */
  instance: string | undefined;
  /** node --test's exit status; undefined when the file never finished (the instance failed). */
  exitStatus: number | undefined;
  /** From the start marker to the end marker (or to the instance's end). */
  seconds: number;
  counts: SummaryCounts;
  /** For a file that failed: its reporter's account of the failures (failureExcerpt). */
  failure?: string[];
}

/** Lines of a failed file's account kept for the closing report. */
export const FAILURE_EXCERPT_LINES = 80;

/**
 * What a failed file's reporter said about its failures, for the closing report (a CI log
 * that keeps only its tail then still shows why): the spec reporter's closing "failing
 * tests" section, else from the first failed test on (✖, or TAP's "not ok"); at most
 * FAILURE_EXCERPT_LINES lines.
 */
export function failureExcerpt(lines: readonly string[]): string[] {
  let from = -1;
  lines.forEach((l, i) => {
    if (l.trimStart().startsWith('✖ failing tests')) from = i;
  });
  if (from < 0) from = lines.findIndex((l) => /^\s*(✖|not ok )/.test(l));
  if (from < 0) return lines.slice(-FAILURE_EXCERPT_LINES);
  const excerpt = lines.slice(from, from + FAILURE_EXCERPT_LINES);
  if (lines.length - from > FAILURE_EXCERPT_LINES) excerpt.push(`... (${lines.length - from - FAILURE_EXCERPT_LINES} more line(s) above in the file's output)`);
  return excerpt;
}

export interface FileOutputOptions {
  /** Names the instance in headers and on lines outside any file; undefined: one instance. */
  instance: string | undefined;
  /** true: print a file's lines only when it ends, in one piece; false: as they arrive. */
  whole: boolean;
  /** Receives text to print, always whole lines; one call per block in whole mode. */
  print: (text: string) => void;
  /** Milliseconds, for timing files. */
  now: () => number;
  /** How a file is named in headers (relative to the repository, say). */
  displayName: (file: string) => string;
}

interface OpenFile {
  file: string;
  startedMs: number;
  /** Every line (printed at the end in whole mode; kept for the failure excerpt either way). */
  lines: string[];
  counts: SummaryCounts;
}

export class FileOutputAssembler {
  readonly results: FileResult[] = [];
  private open: OpenFile | undefined;

  constructor(private readonly opts: FileOutputOptions) {}

  /** Feeds one console line (without its line end) that the host shows. */
  line(line: string): void {
    if (line.startsWith(MARK_FILE_START)) {
      // A start with a file still open means init lost track; end the open one as unfinished.
      this.endOpen(undefined);
      const file = line.slice(MARK_FILE_START.length);
      this.open = { file, startedMs: this.opts.now(), lines: [], counts: {} };
      if (!this.opts.whole) this.opts.print(`${this.header(file)}\n`);
      return;
    }
    const end = parseFileEnd(line);
    if (end !== undefined && this.open?.file === end.file) {
      this.endOpen(end.exitStatus);
      return;
    }
    if (this.open === undefined) {
      this.opts.print(`${this.opts.instance === undefined ? '' : `[${this.opts.instance}] `}${line}\n`);
      return;
    }
    const count = summaryCount(line);
    if (count !== undefined) {
      this.open.counts[count[0]] = (this.open.counts[count[0]] ?? 0) + count[1];
    } else {
      this.open.lines.push(line);
      if (!this.opts.whole) this.opts.print(`${line}\n`);
    }
  }

  /** The instance ended: a file still open is printed and counted as not finished. */
  close(): void {
    this.endOpen(undefined);
  }

  private endOpen(exitStatus: number | undefined): void {
    const open = this.open;
    if (open === undefined) return;
    this.open = undefined;
    const result: FileResult = {
      file: open.file,
      instance: this.opts.instance,
      exitStatus,
      seconds: (this.opts.now() - open.startedMs) / 1000,
      counts: open.counts,
      ...(exitStatus === 0 ? {} : { failure: failureExcerpt(open.lines) }),
    };
    this.results.push(result);
    const body = this.opts.whole ? open.lines.map((l) => `${l}\n`).join('') : '';
    const head = this.opts.whole ? `${this.header(open.file)}\n` : '';
    this.opts.print(`${head}${body}${this.footer(result)}\n`);
  }

  private where(): string {
    return this.opts.instance === undefined ? '' : ` (${this.opts.instance})`;
  }

  private header(file: string): string {
    return `--- ${this.opts.displayName(file)}${this.where()}`;
  }

  private footer(r: FileResult): string {
    const outcome = r.exitStatus === undefined ? 'DID NOT FINISH' : r.exitStatus === 0 ? 'passed' : `FAILED (exit status ${r.exitStatus})`;
    // A test past its own timeout counts as cancelled, not failed: name it when it happened.
    const counts = (['pass', 'fail', 'cancelled', 'skipped'] as const)
      .filter((k) => r.counts[k] !== undefined && (k !== 'cancelled' || r.counts[k] !== 0))
      .map((k) => `, ${k} ${r.counts[k]}`)
      .join('');
    return `--- ${this.opts.displayName(r.file)}: ${outcome}${counts}, ${r.seconds.toFixed(1)} s${this.where()}`;
  }
}

/** `mcoa-uml: file end STATUS PATH`, or undefined. */
function parseFileEnd(line: string): { exitStatus: number; file: string } | undefined {
  if (!line.startsWith(MARK_FILE_END)) return undefined;
  const m = /^(\d+) (.+)$/.exec(line.slice(MARK_FILE_END.length));
  if (m === null) return undefined;
  return { exitStatus: Number(m[1]), file: m[2] as string };
}

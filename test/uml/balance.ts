// Splits the kernel test files between user-mode Linux instances by how long each took
// last time (test/uml/kernel-durations.json, rewritten by `run.js --record-durations`),
// so the instances finish at about the same time. Pure except readRecord/writeRecord.

import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isAbsolute, relative, sep } from 'node:path';

export const RECORD_PATH = 'test/uml/kernel-durations.json';

/** Seconds per test file, keyed by the compiled file's path relative to the repository. */
export interface DurationRecord {
  seconds: Record<string, number>;
}

/** Estimate for any file when the record is empty. */
export const FALLBACK_ESTIMATE_SECONDS = 60;

export class RecordError extends Error {
  override name = 'RecordError';
}

/** Decodes the record's JSON; anything but `{"seconds": {path: positive number}}` is refused. */
export function parseRecord(text: string, source: string): DurationRecord {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new RecordError(`${source}: not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new RecordError(`${source}: not an object`);
  const table = (data as Record<string, unknown>)['seconds'];
  if (typeof table !== 'object' || table === null || Array.isArray(table)) {
    throw new RecordError(`${source}: "seconds" must map test files to seconds`);
  }
  const seconds: Record<string, number> = {};
  for (const [file, value] of Object.entries(table)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new RecordError(`${source}: "seconds"."${file}" must be a positive number of seconds`);
    }
    seconds[file] = value;
  }
  return { seconds };
}

export function formatRecord(record: DurationRecord): string {
  const sorted = Object.fromEntries(
    Object.keys(record.seconds).sort().map((k) => [k, Math.round((record.seconds[k] ?? 0) * 10) / 10]),
  );
  return `${JSON.stringify({ seconds: sorted }, null, 2)}\n`;
}

/** The file's key: its path relative to the repository, with `/`; undefined outside it. */
export function recordKey(repoRoot: string, file: string): string | undefined {
  const rel = relative(repoRoot, file);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return undefined;
  return rel.split(sep).join('/');
}

/** What a file not in the record is assumed to take: the median of the recorded ones. */
export function defaultEstimate(record: DurationRecord): number {
  const values = Object.values(record.seconds).sort((a, b) => a - b);
  if (values.length === 0) return FALLBACK_ESTIMATE_SECONDS;
  const mid = Math.floor(values.length / 2);
  return values.length % 2 === 1 ? (values[mid] as number) : ((values[mid - 1] as number) + (values[mid] as number)) / 2;
}

export interface Share {
  /** In the order given (sorted paths, as the single-instance run has them). */
  files: string[];
  estimateSeconds: number;
}

/**
 * Longest first, each file to the share with the least estimated time so far (ties: the
 * lower share). Never more shares than files; every share gets at least one file.
 */
export function partition(files: readonly string[], estimate: (file: string) => number, instances: number): Share[] {
  if (!Number.isInteger(instances) || instances < 1) throw new RangeError(`instances must be a positive integer, not ${instances}`);
  const n = Math.min(instances, files.length);
  const order = new Map(files.map((f, i) => [f, i]));
  const byLength = [...files].sort((a, b) => estimate(b) - estimate(a) || (order.get(a) ?? 0) - (order.get(b) ?? 0));
  const shares: Share[] = Array.from({ length: n }, () => ({ files: [], estimateSeconds: 0 }));
  for (const file of byLength) {
    let least = shares[0] as Share;
    for (const s of shares) if (s.estimateSeconds < least.estimateSeconds) least = s;
    least.files.push(file);
    least.estimateSeconds += estimate(file);
  }
  for (const s of shares) s.files.sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
  return shares;
}

/** The record with these measurements put in (others kept). */
export function withMeasurements(record: DurationRecord, measured: ReadonlyArray<{ key: string; seconds: number }>): DurationRecord {
  const seconds = { ...record.seconds };
  for (const m of measured) if (m.seconds > 0) seconds[m.key] = m.seconds;
  return { seconds };
}

/** The record in the repository, or an empty one when there is none yet. */
export function readRecord(path: string): DurationRecord {
  if (!existsSync(path)) return { seconds: {} };
  return parseRecord(readFileSync(path, 'utf8'), path);
}

export function writeRecord(path: string, record: DurationRecord): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, formatRecord(record));
  renameSync(tmp, path);
}

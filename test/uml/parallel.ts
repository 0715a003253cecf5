// Runs shares of the test files in user-mode Linux instances side by side, each with its
// own work directory, and makes one outcome of them: each file's output whole, one sum
// of the reporter's counts, and an exit status that fails when any instance failed.

import { EXIT_HARNESS_FAILED, EXIT_TIMEOUT, runInUml, type UmlRun } from './boot.js';
import { FileOutputAssembler, addCounts, formatSummary, type FileResult, type SummaryCounts } from './file-output.js';

export interface InstanceOutcome {
  label: string | undefined;
  files: readonly string[];
  /** runInUml's: node --test's status (0, 1), or the harness's own (3, 124, ...). */
  exitStatus: number;
}

export interface ParallelOutcome {
  exitStatus: number;
  instances: InstanceOutcome[];
  results: FileResult[];
}

/** Whether the status is the harness failing (boot, init, deadline) rather than a test. */
export const isHarnessStatus = (status: number): boolean => status !== 0 && status !== 1;

/**
 * One exit status for the run: the first instance's harness failure (it says more than a
 * test failure, and 124 stays "timed out"), else 1 if any test failed, else 0.
 */
export function combinedStatus(statuses: readonly number[]): number {
  return statuses.find(isHarnessStatus) ?? (statuses.some((s) => s !== 0) ? 1 : 0);
}

const label = (i: number, n: number): string | undefined => (n === 1 ? undefined : `uml ${i + 1}/${n}`);

const describeStatus = (s: number): string =>
  s === EXIT_TIMEOUT ? 'timed out' : s === EXIT_HARNESS_FAILED ? 'harness failed' : s === 0 ? 'passed' : 'tests failed';

export interface ParallelOptions {
  /** How headers name a file (relative to the repository). */
  displayName: (file: string) => string;
  now?: () => number;
  print?: (text: string) => void;
}

/** Boots one instance per share, all at once, and waits for every one of them. */
export async function runShares(base: UmlRun, shares: readonly (readonly string[])[], opts: ParallelOptions): Promise<ParallelOutcome> {
  const n = shares.length;
  const now = opts.now ?? Date.now;
  const print = opts.print ?? ((text: string) => void process.stdout.write(text));
  const assemblers = shares.map((_, i) => new FileOutputAssembler({
    instance: label(i, n),
    whole: n > 1,
    print,
    now,
    displayName: opts.displayName,
  }));
  const settled = await Promise.allSettled(shares.map((files, i) => {
    const assembler = assemblers[i] as FileOutputAssembler;
    const run: UmlRun = {
      ...base,
      testFiles: files,
      label: label(i, n),
      show: (line) => assembler.line(line),
      siblingMemMiB: base.memMiB * (n - 1),
    };
    return runInUml(run).finally(() => assembler.close());
  }));
  // A setup error (the same for every instance) is thrown once all have stopped.
  const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (rejected !== undefined) throw rejected.reason;
  const instances = settled.map((s, i): InstanceOutcome => ({
    label: label(i, n),
    files: shares[i] ?? [],
    exitStatus: (s as PromiseFulfilledResult<number>).value,
  }));
  return {
    exitStatus: combinedStatus(instances.map((o) => o.exitStatus)),
    instances,
    results: assemblers.flatMap((a) => a.results),
  };
}

/**
 * The run's closing text: the summed counts in the reporter's form (only when the files
 * reported any), then which files failed or did not finish and which instance failed.
 */
export function closingReport(outcome: ParallelOutcome, reporter: string, wallMs: number, displayName: (file: string) => string): { stdout: string; stderr: string } {
  const counts: SummaryCounts = {};
  let any = false;
  for (const r of outcome.results) {
    if (Object.keys(r.counts).length > 0) any = true;
    addCounts(counts, r.counts);
  }
  if (any) counts.duration_ms = wallMs;
  let stdout = any ? formatSummary(counts, reporter) : '';
  let stderr = '';
  const ran = new Set(outcome.results.map((r) => r.file));
  for (const o of outcome.instances) {
    for (const f of o.files) if (!ran.has(f)) stdout += `uml-run: did not run: ${displayName(f)}${o.label === undefined ? '' : ` (${o.label})`}\n`;
  }
  for (const r of outcome.results) {
    if (r.exitStatus === 0) continue;
    const what = r.exitStatus === undefined ? 'did not finish' : `failed (exit status ${r.exitStatus})`;
    stdout += `uml-run: ${what}: ${displayName(r.file)}${r.instance === undefined ? '' : ` (${r.instance})`}\n`;
    // Repeated here so that a log cut to its tail still says why.
    if (r.failure !== undefined && r.failure.length > 0) stdout += r.failure.map((l) => `uml-run:   | ${l}\n`).join('');
  }
  if (outcome.instances.length > 1) {
    const parts = outcome.instances.map((o) => `${o.label}: ${o.files.length} file(s), exit status ${o.exitStatus} (${describeStatus(o.exitStatus)})`);
    stdout += `uml-run: ${parts.join('; ')}; total ${(wallMs / 1000).toFixed(1)} s\n`;
    for (const o of outcome.instances) {
      if (isHarnessStatus(o.exitStatus)) stderr += `uml-run: FAILED: ${o.label} ${describeStatus(o.exitStatus)} (exit status ${o.exitStatus}); see its messages above\n`;
    }
  }
  return { stdout, stderr };
}

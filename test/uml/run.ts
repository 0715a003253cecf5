// Runs the kernel tests inside user-mode Linux (UML).
//
// Why: the kernel that runs the sessions and CI has no ip6tnl, no Mobile IPv6
// (CONFIG_IPV6_MIP6) and no ESP, and cannot load modules. Debian's user-mode-linux (6.1)
// has them all as modules, boots in about two seconds, and can use the host's root file
// system, so the host's node and the compiled repository run inside unchanged.
//
// Interface for whoever writes kernel tests:
// - Kernel test files are test/kernel/**/*.test.ts (compiled to dist/test/kernel/**/*.test.js).
// - They run inside UML as root, with MCOA_IN_UML=1, the repository root as working
//   directory, `node --test` (one process per file), the host root read-only; write only
//   under /tmp (a tmpfs) or the test's own network namespaces.
// - Each test creates its own network namespaces with test/kernel/netns.ts and never
//   touches the initial namespace; netns.ts refuses to run outside UML.
// - Loaded before the tests: ipv6 ip6_tunnel mip6 xfrm_user esp6 veth (required), plus
//   tunnel6 xfrm6_tunnel ah6 ipcomp6 dummy and the AES-GCM crypto modules when present.
//   Anything else loads on demand (kernel.modprobe points at the UML module tree), or can
//   be made required with --module NAME.
// - The whole suite: `npx tsc -p . && node dist/test/uml/run.js` (default: every
//   *.test.js under dist/test/kernel/). Or name files or directories:
//   `node dist/test/uml/run.js dist/test/kernel/harness.test.js`.
// - Each file runs as its own `node --test`. Several files are split between two UML
//   instances running side by side (--instances), balanced by the seconds each file took
//   last time (test/uml/kernel-durations.json; --record-durations rewrites it); each
//   file's output is printed whole when it ends, and one sum of the counts closes the run.
// - Exit status: 0 all passed, 1 a test failed; 3 when the harness failed (no `linux`,
//   kernel did not boot, init failed, no test files); 124 on a timeout; with several
//   instances, the first instance's harness failure wins over a test failure.
// - A test that needs something built on the host first gets it before the boot: the .deb
//   of package-install.test.js, in dist/deb/ (package-artifact.ts).
// - Missing programs (the UML kernel, ip, tshark, ...) are installed first when run as
//   root, with .ci/uml-deps.sh as CI uses it (prerequisites.ts); otherwise the run stops
//   naming them and the command to run.

import { readdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { EXIT_HARNESS_FAILED, HarnessError, findLinux, runInUml, type UmlRun } from './boot.js';
import { RECORD_PATH, RecordError, defaultEstimate, partition, readRecord, recordKey, withMeasurements, writeRecord, type DurationRecord } from './balance.js';
import { closingReport, runShares } from './parallel.js';
import { PrerequisiteError, ensurePrerequisites } from './prerequisites.js';
import { preparePackage } from './package-artifact.js';
import { buildXstatePreload } from './xstate-preload.js';

const USAGE = `usage: node dist/test/uml/run.js [options] [test files or directories...]
  --timeout SECONDS       whole run, boot included (default 540, or $MCOA_UML_TIMEOUT)
  --instances N           UML instances side by side, sharing the files by their recorded
                          durations (default 2, or 1 for a single file; at most one per file)
  --record-durations      afterwards, write the seconds each file that ran to its end
                          took into test/uml/kernel-durations.json (the balance's input)
  --boot-timeout SECONDS  until init starts (default 120)
  --mem MIB               UML memory per instance (default 1024)
  --reporter NAME         node --test reporter: spec, tap, dot (default spec)
  --module NAME           a further kernel module that must load (repeatable)
  --verbose               also show kernel boot and shutdown messages
  --exec                  run the first argument as a plain node script (benchmarks, the
                          demo) with the remaining arguments, instead of node --test
Directories are searched for *.test.js; default: dist/test/kernel/ of this repository.`;

/** Repository root, from this file's place in dist/test/uml/. */
function repoRoot(): string {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  if (!existsSync(join(root, 'test', 'uml', 'init.sh'))) {
    throw new HarnessError(`cannot find test/uml/init.sh under ${root}; run the compiled dist/test/uml/run.js of the repository`);
  }
  return root;
}

function testFilesUnder(dir: string, into: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules') testFilesUnder(path, into);
    else if (entry.isFile() && entry.name.endsWith('.test.js')) into.push(path);
  }
}

/** Absolute, sorted, unique test files named by the arguments (files as given, directories searched). */
function collectTestFiles(args: readonly string[]): string[] {
  const files: string[] = [];
  for (const arg of args) {
    const path = resolve(arg);
    let isDir: boolean;
    try {
      isDir = statSync(path).isDirectory();
    } catch {
      throw new HarnessError(`no such test file or directory: ${arg} (did the build run? npx tsc -p .)`);
    }
    if (isDir) testFilesUnder(path, files);
    else files.push(path);
  }
  const unique = [...new Set(files)].sort();
  if (unique.length === 0) throw new HarnessError(`no *.test.js files in ${args.join(' ')} (did the build run? npx tsc -p .)`);
  const bad = unique.find((f) => f.includes('\n'));
  if (bad !== undefined) throw new HarnessError(`test file path contains a line break: ${JSON.stringify(bad)}`);
  return unique;
}

/** --exec: the script (made absolute) and its arguments, passed through unchanged. */
function execArguments(args: readonly string[]): string[] {
  const [script, ...rest] = args;
  if (script === undefined) throw new HarnessError('--exec needs a script to run');
  if (!existsSync(script)) throw new HarnessError(`no such script: ${script} (did the build run? npx tsc -p .)`);
  const all = [resolve(script), ...rest];
  if (all.some((a) => a.includes('\n'))) throw new HarnessError('--exec arguments must not contain line breaks');
  return all;
}

function positiveNumber(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new HarnessError(`${name} must be a positive number, not "${text}"`);
  return n;
}

interface Invocation {
  run: UmlRun;
  /** Instances asked for; undefined: the default. */
  instances: number | undefined;
  recordDurations: boolean;
}

function parseInvocation(argv: readonly string[]): Invocation | undefined {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      timeout: { type: 'string', default: process.env['MCOA_UML_TIMEOUT'] ?? '540' },
      instances: { type: 'string' },
      'record-durations': { type: 'boolean', default: false },
      'boot-timeout': { type: 'string', default: '120' },
      mem: { type: 'string', default: '1024' },
      reporter: { type: 'string', default: 'spec' },
      module: { type: 'string', multiple: true, default: [] },
      verbose: { type: 'boolean', default: false },
      exec: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return undefined;
  const root = repoRoot();
  try {
    ensurePrerequisites(root, (line) => process.stdout.write(`uml-run: ${line}\n`));
  } catch (err) {
    if (err instanceof PrerequisiteError) throw new HarnessError(err.message);
    throw err;
  }
  const memMiB = Math.round(positiveNumber('--mem', values.mem));
  if (memMiB < 256) throw new HarnessError('--mem below 256 MiB will not run node');
  const forceColor = process.env['FORCE_COLOR'];
  let instances: number | undefined;
  if (values.instances !== undefined) {
    instances = positiveNumber('--instances', values.instances);
    if (!Number.isInteger(instances)) throw new HarnessError(`--instances must be a whole number, not "${values.instances}"`);
    if (values.exec && instances > 1) throw new HarnessError('--exec runs one script in one instance; leave out --instances');
  }
  if (values.exec && values['record-durations']) throw new HarnessError('--record-durations records test files; it does not go with --exec');
  const run: UmlRun = {
    linux: findLinux(),
    preload: buildXstatePreload(root),
    repoRoot: root,
    initScript: join(root, 'test', 'uml', 'init.sh'),
    node: process.execPath,
    testFiles: values.exec
      ? execArguments(positionals)
      : collectTestFiles(positionals.length > 0 ? positionals : [join(root, 'dist', 'test', 'kernel')]),
    memMiB,
    bootTimeoutMs: positiveNumber('--boot-timeout', values['boot-timeout']) * 1000,
    timeoutMs: positiveNumber('--timeout', values.timeout) * 1000,
    // init.sh reads the reporter "exec" as: run tests.list as `node SCRIPT ARGS...`.
    reporter: values.exec ? 'exec' : values.reporter,
    color: forceColor !== undefined ? forceColor !== '0' : process.stdout.isTTY === true && process.env['NO_COLOR'] === undefined,
    modules: values.module,
    verbose: values.verbose,
  };
  return { run, instances, recordDurations: values['record-durations'] };
}

function loadRecord(path: string): DurationRecord {
  try {
    return readRecord(path);
  } catch (err) {
    if (!(err instanceof RecordError)) throw err;
    throw new HarnessError(`${err.message}; fix it or delete it (--record-durations writes a new one)`);
  }
}

/** Runs the test files in one or more instances; prints each file's output, the sums and the failures. */
async function runTests(inv: Invocation): Promise<number> {
  const { run } = inv;
  const root = run.repoRoot;
  const recordPath = join(root, RECORD_PATH);
  const displayName = (file: string): string => recordKey(root, file) ?? file;
  const record = loadRecord(recordPath);
  const fallback = defaultEstimate(record);
  const estimate = (file: string): number => record.seconds[recordKey(root, file) ?? ''] ?? fallback;
  const wanted = inv.instances ?? (run.testFiles.length === 1 ? 1 : 2);
  const shares = partition(run.testFiles, estimate, wanted);
  if (shares.length > 1) {
    const plan = shares.map((s, i) => `uml ${i + 1}/${shares.length} ${s.files.length} file(s) ~${Math.round(s.estimateSeconds)} s`);
    process.stdout.write(`uml-run: ${run.testFiles.length} test files in ${shares.length} instances side by side, ` +
      `balanced by ${RECORD_PATH}: ${plan.join(', ')}\n`);
  }
  const started = Date.now();
  const outcome = await runShares(run, shares.map((s) => s.files), { displayName });
  const closing = closingReport(outcome, run.reporter, Date.now() - started, displayName);
  process.stdout.write(closing.stdout);
  process.stderr.write(closing.stderr);
  if (inv.recordDurations) {
    const measured = outcome.results.flatMap((r) => {
      const key = recordKey(root, r.file);
      // A failed file still took its time (a timeout, longer); an unfinished one says nothing.
      return r.exitStatus !== undefined && key !== undefined ? [{ key, seconds: r.seconds }] : [];
    });
    // Files that no longer exist (renamed, removed) leave the record.
    const kept = { seconds: Object.fromEntries(Object.entries(record.seconds).filter(([key]) => existsSync(join(root, key)))) };
    writeRecord(recordPath, withMeasurements(kept, measured));
    process.stdout.write(`uml-run: recorded the durations of ${measured.length} file(s) in ${RECORD_PATH}\n`);
  }
  return outcome.exitStatus;
}

async function main(): Promise<number> {
  try {
    const inv = parseInvocation(process.argv.slice(2));
    if (inv === undefined) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (inv.run.reporter === 'exec') return await runInUml(inv.run);
    try {
      // Host-side artefacts a kernel test needs: the .deb that package-install.test.js installs.
      await preparePackage(inv.run.repoRoot, inv.run.testFiles, (line) => process.stdout.write(`uml-run: ${line}\n`));
    } catch (err) {
      throw new HarnessError(`building the package for the package test: ${err instanceof Error ? err.message : String(err)}`);
    }
    return await runTests(inv);
  } catch (err) {
    // Bad arguments print the usage; the harness's own failures say what to do instead.
    const harness = err instanceof HarnessError;
    process.stderr.write(`uml-run: FAILED: ${err instanceof Error ? err.message : String(err)}\n${harness ? '' : `${USAGE}\n`}`);
    return harness ? err.exitCode : EXIT_HARNESS_FAILED;
  }
}

process.exitCode = await main();

// Boots user-mode Linux once with test/uml/init.sh as PID 1 and supervises it: streams the
// console, enforces the boot and whole-run deadlines, reads the exit status that init
// leaves in the shared directory, and always kills the process group it started.

import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ConsoleFilter, MARK_DONE, MARK_INIT_STARTED, MARK_RUNNING } from './console.js';

/** Exit status of the harness itself failing (kernel, init or setup); distinct from node --test's 1. */
export const EXIT_HARNESS_FAILED = 3;
/** Exit status when a deadline passed, as timeout(1) uses. */
export const EXIT_TIMEOUT = 124;

export interface UmlRun {
  /** Path of the `linux` program. */
  linux: string;
  repoRoot: string;
  /** test/uml/init.sh */
  initScript: string;
  /** The node binary to run inside (the host's own, process.execPath). */
  node: string;
  /** Absolute paths of compiled test files, passed to `node --test`. */
  testFiles: readonly string[];
  memMiB: number;
  bootTimeoutMs: number;
  timeoutMs: number;
  reporter: string;
  color: boolean;
  /** Extra kernel modules that must load, besides the ones init.sh always loads. */
  modules: readonly string[];
  verbose: boolean;
  /** Names this instance in the harness's own messages when several run side by side ("uml 2/2"). */
  label?: string;
  /** Receives each console line the host shows (default: printed to stdout as it arrives). */
  show?: (line: string) => void;
  /** MiB the instances booting beside this one take from the same memory directory. */
  siblingMemMiB?: number;
  /** LD_PRELOAD for `linux` (xstate-preload.ts). */
  preload?: string;
}

export class HarnessError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT_HARNESS_FAILED) {
    super(message);
    this.name = 'HarnessError';
  }
}

/** Finds `linux` (Debian's user-mode-linux) on PATH. */
export function findLinux(pathVar: string = process.env['PATH'] ?? ''): string {
  for (const dir of pathVar.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'linux');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  throw new HarnessError('the user-mode Linux kernel `linux` is not on PATH; install the Debian package user-mode-linux (as root: sh .ci/uml-deps.sh)');
}

/** Host directories that init.sh mounts over, so their host contents are invisible inside. */
const SHADOWED_INSIDE = ['/tmp', '/run', '/var/run', '/dev', '/proc', '/sys'];

/** Of those, the ones init.sh can mount the repository back into (a CI clone under /tmp). */
const REMOUNTABLE_INSIDE = ['/tmp', '/run'];

export const isUnder = (p: string, dir: string): boolean => p === dir || p.startsWith(`${dir}/`);

/** Throws unless the host path is also readable at the same path inside UML. */
export function assertVisibleInside(what: string, path: string, opts: { remountable?: boolean } = {}): void {
  for (const p of new Set([path, realpathSync(path)])) {
    if (opts.remountable && REMOUNTABLE_INSIDE.some((d) => isUnder(p, d)) && p === realpathSync(path)) continue;
    const dir = SHADOWED_INSIDE.find((d) => isUnder(p, d));
    if (dir !== undefined) {
      throw new HarnessError(`${what} ${p} is under ${dir}, which UML replaces with its own mount; move it elsewhere`);
    }
  }
}

/** Characters the kernel command line cannot carry inside one parameter. */
const CMDLINE_UNSAFE = /[\s"'\\]/;

function cmdlineValue(what: string, value: string): string {
  if (value === '' || CMDLINE_UNSAFE.test(value)) {
    throw new HarnessError(`${what} "${value}" cannot go on the kernel command line (no spaces, quotes or backslashes)`);
  }
  return value;
}

/** The arguments for `linux`: kernel parameters, then init's environment, then init. */
export function kernelArgs(run: UmlRun, ctlDir: string): string[] {
  return [
    `mem=${run.memMiB}M`,
    // Host root over hostfs, read-only: tests write only under /tmp or the results window.
    'root=/dev/root', 'rootfstype=hostfs', 'rootflags=/', 'ro',
    // Only warnings and worse from the kernel; the console is write-only to our stdout.
    'quiet', 'con=null', 'con0=null,fd:1',
    // Unknown name=value parameters become init's environment.
    `MCOA_UML_CTL=${cmdlineValue('work directory', ctlDir)}`,
    `MCOA_UML_REPO=${cmdlineValue('repository path', run.repoRoot)}`,
    `MCOA_UML_REPORTER=${cmdlineValue('reporter', run.reporter)}`,
    `MCOA_UML_COLOR=${run.color ? 1 : 0}`,
    `MCOA_UML_NODE=${cmdlineValue('node path', run.node)}`,
    ...(run.modules.length > 0 ? [`MCOA_UML_MODULES=${run.modules.map((m) => cmdlineValue('module', m)).join(',')}`] : []),
    'init=/bin/sh', '--', cmdlineValue('init script path', run.initScript),
  ];
}

/**
 * UML backs its memory with a file in TMPDIR. A tmpfs is fastest, but containers often
 * have a 64 MiB /dev/shm, and touching memory past its end kills UML with SIGBUS.
 */
function memoryDirParent(memMiB: number): string {
  try {
    const fs = statfsSync('/dev/shm');
    const free = Number(fs.bavail) * Number(fs.bsize);
    accessSync('/dev/shm', constants.W_OK);
    if (free >= (memMiB + 256) * 1024 * 1024) return '/dev/shm';
  } catch {
    // no usable /dev/shm
  }
  return tmpdir();
}

/** The harness's own message prefix, naming the instance when there are several. */
const prefix = (run: UmlRun): string => (run.label === undefined ? 'uml-run:' : `uml-run: ${run.label}:`);
const seconds = (ms: number): string => (ms / 1000).toFixed(1);

/** Boots UML, runs the tests, and resolves with the exit status the host should exit with. */
export function runInUml(run: UmlRun): Promise<number> {
  const ctlDir = mkdtempSync(join(tmpdir(), 'mcoa-uml-'));
  const memDir = mkdtempSync(join(memoryDirParent(run.memMiB + (run.siblingMemMiB ?? 0)), 'mcoa-uml-mem-'));
  const say = (line: string): void => {
    process.stdout.write(`${prefix(run)} ${line}\n`);
  };
  let args: string[];
  try {
    // A repository under /tmp or /run (a CI clone) is mounted back in by init.sh.
    assertVisibleInside('repository', run.repoRoot, { remountable: true });
    assertVisibleInside('node binary', run.node);
    const repo = realpathSync(run.repoRoot);
    // In --exec mode only the first entry is a file; the rest are its arguments.
    for (const f of run.reporter === 'exec' ? run.testFiles.slice(0, 1) : run.testFiles) {
      if (!isUnder(realpathSync(f), repo)) assertVisibleInside('test file', f);
    }
    args = kernelArgs(run, ctlDir);
    writeFileSync(join(ctlDir, 'tests.list'), run.testFiles.map((f) => `${f}\n`).join(''));
  } catch (err) {
    rmSync(ctlDir, { recursive: true, force: true });
    rmSync(memDir, { recursive: true, force: true });
    return Promise.reject(err);
  }
  let child: ChildProcess | undefined;
  let reaped = false;

  const killGroup = (): void => {
    // Once the leader is reaped and its group killed, the id may be reused: leave it alone.
    if (child?.pid === undefined || reaped) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // ESRCH: the group is gone already
    }
  };
  const cleanup = (): void => {
    killGroup();
    rmSync(ctlDir, { recursive: true, force: true });
    rmSync(memDir, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`${prefix(run)} FAILED: interrupted by ${signal}; killed user-mode Linux\n`);
    cleanup();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);
  process.on('exit', cleanup);

  return new Promise<number>((resolve) => {
    const started = Date.now();
    const times: Partial<Record<'init' | 'running' | 'done', number>> = {};
    let failure: HarnessError | undefined;
    let settled = false;
    let bootTimer: NodeJS.Timeout | undefined;
    let runTimer: NodeJS.Timeout | undefined;
    let closeTimer: NodeJS.Timeout | undefined;
    const stderrTail: string[] = [];

    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(bootTimer);
      clearTimeout(runTimer);
      clearTimeout(closeTimer);
      for (const s of signals) process.off(s, onSignal);
      const status = failure ?? readStatus(ctlDir);
      cleanup();
      process.off('exit', cleanup);
      if (status instanceof HarnessError) {
        const held = [...filter.heldLines(), ...stderrTail];
        if (held.length > 0) {
          process.stderr.write(`${prefix(run)} kernel console and UML messages held back:\n${held.map((l) => `  | ${l}`).join('\n')}\n`);
        }
        process.stderr.write(`${prefix(run)} FAILED: ${status.message}\n`);
        resolve(status.exitCode);
        return;
      }
      const at = (t: number | undefined): string => (t === undefined ? '?' : seconds(t - started));
      say(`exit status ${status}; init started at ${at(times.init)} s, tests started at ${at(times.running)} s, ` +
        `tests ended at ${at(times.done)} s, total ${seconds(Date.now() - started)} s`);
      resolve(status);
    };
    const fail = (error: HarnessError): void => {
      failure ??= error;
      killGroup();
      // The close event follows the kill; finish() then reports.
      closeTimer ??= setTimeout(finish, 5000);
    };

    const filter = new ConsoleFilter(
      run.show ?? ((line) => process.stdout.write(`${line}\n`)),
      (line) => {
        if (line.startsWith(MARK_INIT_STARTED)) {
          times.init = Date.now();
          clearTimeout(bootTimer);
        } else if (line.startsWith(MARK_RUNNING)) times.running = Date.now();
        else if (line.startsWith(MARK_DONE)) times.done = Date.now();
      },
      run.verbose,
    );

    say(`${run.testFiles.length} test file(s); timeout ${seconds(run.timeoutMs)} s; booting: ${run.linux} ${args.join(' ')}`);

    bootTimer = setTimeout(() => {
      fail(new HarnessError(`the kernel did not reach init within ${seconds(run.bootTimeoutMs)} s`, EXIT_TIMEOUT));
    }, run.bootTimeoutMs);
    runTimer = setTimeout(() => {
      fail(new HarnessError(`timed out after ${seconds(run.timeoutMs)} s (${filter.phase === 'boot' ? 'still booting' : 'tests still running'}); killed user-mode Linux`, EXIT_TIMEOUT));
    }, run.timeoutMs);

    child = spawn(run.linux, args, {
      cwd: ctlDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // own process group, so one kill reaches every UML host process
      env: withPreload({ ...process.env, TMPDIR: memDir }, run.preload),
    });
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => filter.push(chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      for (const l of chunk.split('\n')) if (l !== '') stderrTail.push(l);
      if (stderrTail.length > 200) stderrTail.splice(0, stderrTail.length - 200);
      if (run.verbose) process.stderr.write(chunk);
    });
    child.on('error', (err) => {
      failure ??= new HarnessError(`cannot start ${run.linux}: ${err.message}`);
      finish();
    });
    child.on('exit', (code, signal) => {
      killGroup(); // stragglers of a kernel that died abruptly
      reaped = true;
      if (failure === undefined && !existsSync(join(ctlDir, 'exit-status')) && !existsSync(join(ctlDir, 'init-error'))) {
        failure = new HarnessError(`user-mode Linux ended (${signal ?? `exit code ${code}`}) before the tests finished; ` +
          (filter.phase === 'boot' ? 'the kernel never reached init' : 'see the console output above'));
      }
      closeTimer ??= setTimeout(finish, 5000); // stdio normally closes at once
    });
    child.on('close', () => {
      filter.end();
      finish();
    });
  });
}

/** LD_PRELOAD for the `linux` process: the preload first, then whatever the caller had. */
export function withPreload(env: NodeJS.ProcessEnv, preload: string | undefined): NodeJS.ProcessEnv {
  if (preload === undefined) return env;
  const before = env['LD_PRELOAD'];
  return { ...env, LD_PRELOAD: before === undefined || before === '' ? preload : `${preload} ${before}` };
}

/** Reads what init left behind: the test runner's exit status, or why init gave up. */
function readStatus(ctlDir: string): number | HarnessError {
  const initError = join(ctlDir, 'init-error');
  if (existsSync(initError)) return new HarnessError(`init script failed: ${readFileSync(initError, 'utf8').trim()}`);
  const statusFile = join(ctlDir, 'exit-status');
  if (!existsSync(statusFile)) return new HarnessError('init left no exit status');
  const text = readFileSync(statusFile, 'utf8').trim();
  if (!/^\d+$/.test(text)) return new HarnessError(`init left an unreadable exit status "${text}"`);
  return Number(text);
}

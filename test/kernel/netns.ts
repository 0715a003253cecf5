// Network namespaces and commands for kernel tests. Every kernel test works in namespaces
// of its own, named mcoa-<pid>-<n>, and deletes them by name afterwards, so tests cannot
// see each other's links, routes or XFRM state, and a failed test leaves nothing behind.
// Refuses to run outside user-mode Linux (see test/uml/run.ts), so a kernel test run on
// the wrong kernel fails instead of skipping or touching the host; only the demo's direct
// path lifts that (allowOutsideUml).

import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Where `ip netns add` keeps its namespace files. */
const NETNS_RUN_DIR = '/run/netns';
const DEFAULT_TIMEOUT_MS = 120_000;

/** A command that exited non-zero, was killed, or could not start. */
export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    const how = exitCode !== null ? `exit status ${exitCode}` : `signal ${signal ?? '?'}`;
    super(`${[command, ...args].join(' ')}: ${how}${stderr.trim() !== '' ? `: ${stderr.trim()}` : ''}`);
    this.name = 'CommandError';
  }
}

export interface ShOptions {
  /** Written to the command's stdin (e.g. an `ip -batch -` script). */
  input?: string;
  /** Kill the command after this long (default 120 s, room for a loaded machine); a hung `ip` must not hang the suite. */
  timeoutMs?: number;
}

/** Runs a program (no shell) and resolves with its stdout; rejects with a CommandError carrying stderr. */
export function sh(command: string, args: readonly string[] = [], options: ShOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new CommandError(command, args, null, null, stdout, err.message));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new CommandError(command, args, code, signal, stdout, timedOut ? `timed out; ${stderr}` : stderr));
    });
    child.stdin.on('error', () => {
      // the command exited without reading its input; its exit status tells why
    });
    child.stdin.end(options.input ?? '');
  });
}

export interface Netns {
  readonly name: string;
  /** `ip -n NAME ARGS...` */
  ip(...args: string[]): Promise<string>;
  /** `ip netns exec NAME COMMAND ARGS...` (e.g. sysctl inside the namespace) */
  exec(command: string, ...args: string[]): Promise<string>;
  /** `ip netns delete NAME`; does nothing when it is gone already. */
  delete(): Promise<void>;
}

/** `ip -n NS ARGS...` */
export function ip(ns: Netns | string, ...args: string[]): Promise<string> {
  return sh('ip', ['-n', typeof ns === 'string' ? ns : ns.name, ...args]);
}

/** Throws unless running inside the user-mode Linux harness. */
export function assertInUml(): void {
  if (process.env['MCOA_IN_UML'] !== '1') {
    throw new Error('kernel tests run only inside user-mode Linux (MCOA_IN_UML=1 is not set); ' +
      'run them with `node dist/test/uml/run.js` after `npx tsc -p .`');
  }
}

/** Namespaces may be made outside UML in this process (the demo's direct path). */
let outsideUml = false;

/**
 * Lets this process create namespaces on a kernel other than UML's. Only the demo's direct
 * path calls it, after its launcher probed the kernel (demo/launch.ts); kernel tests never.
 * The names stay PREFIX-<pid>-<n> and are deleted by name, as always.
 */
export function allowOutsideUml(): void {
  outsideUml = true;
}

let counter = 0;
const live = new Set<string>();
let exitHookInstalled = false;

/** Last resort for namespaces whose test never reached its own cleanup. */
function deleteLeftoversOnExit(): void {
  for (const name of live) {
    try {
      execFileSync('ip', ['netns', 'delete', name], { stdio: 'ignore' });
    } catch {
      // exiting anyway; the UML instance is discarded after the run
    }
  }
  live.clear();
}

async function deleteNetns(name: string): Promise<void> {
  if (existsSync(`${NETNS_RUN_DIR}/${name}`)) {
    await killLeftovers([name]);
    await sh('ip', ['netns', 'delete', name]);
  }
  live.delete(name);
}

/** The next name `PREFIX-<pid>-<n>`, after the checks every creation makes. */
function nextName(prefix: string): string {
  if (!outsideUml) assertInUml();
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(prefix)) throw new Error(`bad namespace prefix "${prefix}"`);
  counter += 1;
  if (!exitHookInstalled) {
    process.on('exit', deleteLeftoversOnExit);
    exitHookInstalled = true;
  }
  return `${prefix}-${process.pid}-${counter}`;
}

function handle(name: string): Netns {
  return {
    name,
    ip: (...args) => ip(name, ...args),
    exec: (command, ...args) => sh('ip', ['netns', 'exec', name, command, ...args]),
    delete: () => deleteNetns(name),
  };
}

/**
 * `ip -batch -` with one `netns add NAME` per name, then each loopback up. One `ip` process
 * for all the adds: a process start costs a good part of a second in a busy user-mode Linux.
 * On failure, whatever was created is deleted.
 */
async function createNamed(names: readonly string[]): Promise<Netns[]> {
  const nss = names.map(handle);
  try {
    await sh('ip', ['-batch', '-'], { input: names.map((n) => `netns add ${n}\n`).join('') });
    for (const n of names) live.add(n);
    for (const ns of nss) await ns.ip('link', 'set', 'lo', 'up');
  } catch (err) {
    await deleteAll(names);
    throw err;
  }
  return nss;
}

/**
 * SIGKILL to every process still inside these namespaces (`ip netns pids`), this one and its
 * parent excepted. A test that failed before stopping a background process (an endless echo
 * flow, a capture) would otherwise leave a child that keeps the test file's process alive:
 * the file never ends and the run waits for the harness's limit. Returns how many.
 */
async function killLeftovers(names: readonly string[]): Promise<number> {
  let killed = 0;
  for (const name of names) {
    const out = await sh('ip', ['netns', 'pids', name]).catch(() => '');
    for (const pid of out.split('\n').map(Number).filter((n) => Number.isInteger(n) && n > 1)) {
      if (pid === process.pid || pid === process.ppid) continue;
      try {
        process.kill(pid, 'SIGKILL');
        killed++;
      } catch {
        // gone meanwhile
      }
    }
  }
  return killed;
}

/** `ip -batch -` with one `netns delete NAME` per namespace that still exists, after killing what runs in them. */
async function deleteAll(names: readonly string[]): Promise<void> {
  const present = names.filter((n) => existsSync(`${NETNS_RUN_DIR}/${n}`));
  try {
    const killed = await killLeftovers(present);
    if (killed > 0) process.stderr.write(`netns: killed ${killed} process(es) still running in ${present.join(', ')} at their deletion\n`);
    if (present.length > 0) await sh('ip', ['-batch', '-'], { input: present.map((n) => `netns delete ${n}\n`).join('') });
  } finally {
    for (const n of names) if (!existsSync(`${NETNS_RUN_DIR}/${n}`)) live.delete(n);
  }
}

/** Creates `PREFIX-<pid>-<n>` with its loopback up. Delete it with `ns.delete()`, or use withNetns. */
export async function createNetns(prefix = 'mcoa'): Promise<Netns> {
  const [ns] = await createNamed([nextName(prefix)]);
  return ns!;
}

/** Runs fn with a fresh namespace and deletes it afterwards, whether fn succeeds or throws. */
export async function withNetns<T>(fn: (ns: Netns) => Promise<T>, prefix?: string): Promise<T> {
  return withNetnsGroup(1, ([ns]) => fn(ns as Netns), prefix);
}

/** Runs fn with `count` fresh namespaces (e.g. home agent and mobile node) and deletes them all afterwards. */
export async function withNetnsGroup<T>(count: number, fn: (nss: Netns[]) => Promise<T>, prefix = 'mcoa'): Promise<T> {
  const names = Array.from({ length: count }, () => nextName(prefix));
  const nss = await createNamed(names);
  let result: T;
  try {
    result = await fn(nss);
  } catch (err) {
    // fn's failure is the one to report; a cleanup failure here would only hide it.
    await deleteAll(names).catch(() => undefined);
    throw err;
  }
  await deleteAll(names);
  return result;
}

/** `ip -n A link add NAME_A type veth peer name NAME_B netns B` — a cable between two namespaces (or within one). */
export async function addVethPair(a: Netns, nameA: string, b: Netns, nameB: string): Promise<void> {
  await a.ip('link', 'add', nameA, 'type', 'veth', 'peer', 'name', nameB, 'netns', b.name);
}

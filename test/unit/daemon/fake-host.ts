// Host doubles for driving the real daemons on the host: the in-memory kernel behind every
// netlink socket (test/unit/platform/fake-kernel.ts), signalling sockets that record what
// is sent and let a test deliver what is received, a clock the test moves, sysctls in a
// map, a real binding store in a temporary directory whose commits a test can make fail,
// and signals the test sends. Every opening and closing is written to `steps`, in order.
import { FakeIcmp6Socket } from './fake-icmp6.js';
import { ip6 } from '../../ip6.js';
import { formatIp6 } from '../../../lib/inet/ip6.js';
import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { loadAnyConfigFile, type AnyDaemonConfig } from '../../../lib/config/index.js';
import { ControlClient } from '../../../lib/control/client.js';
import { DaemonShell, type ShellListeners, type StartGuard } from '../../../lib/daemon/service/shell.js';
import type { RoleDaemon, RoleDefinition } from '../../../lib/daemon/service/role.js';
import { realSystem, type Clock, type HostPorts, type Icmp6Port, type MhPort, type NdPort, type StorePort, type SystemPort, type TimerHandle } from '../../../lib/daemon/service/host.js';
import { GroupLookupError } from '../../../lib/control/group.js';
import type { SignalHandlers, SignalSource } from '../../../lib/daemon/service/signals.js';
import type { MhReceived, MhReceiveError, MhSendRequest, MhSocketStats } from '../../../lib/net/mh-socket.js';
import type { DadResult } from '../../../lib/net/nd-socket.js';
import type { Icmp6SocketStats } from '../../../lib/net/icmp6-socket.js';
import { NetlinkSocket } from '../../../lib/platform/netlink/socket.js';
import { Errno, SyscallError } from '../../../lib/platform/sys/errno.js';
import type { KernelError } from '../../../lib/platform/kernel-errors.js';
import { BindingStore, StoreError } from '../../../lib/store/index.js';
import { InMemoryKernel } from '../platform/fake-kernel.js';

/**
 * A clock that moves only when the test says so, firing the timers that fall due in order.
 * Its wall clock moves with it, and alone when the test steps it (NTP, a clock set by hand).
 */
export class FakeClock implements Clock {
  private timers: { at: number; fn: () => void; handle: TimerHandle }[] = [];
  /** Wall clock minus monotonic clock. */
  private wallOffset = 0;

  constructor(private t = Date.now()) {}

  now(): number {
    return this.t;
  }
  wallNow(): number {
    return this.t + this.wallOffset;
  }
  /** Steps the wall clock by `ms` (negative: back); the monotonic clock and timers do not move. */
  stepWall(ms: number): void {
    this.wallOffset += ms;
  }
  /** Sets the wall clock to `wallMs` without moving the monotonic clock. */
  setWall(wallMs: number): void {
    this.wallOffset = wallMs - this.t;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const handle = {};
    this.timers.push({ at: this.t + ms, fn, handle });
    return handle;
  }
  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t.handle !== handle);
  }
  /** Timers waiting. */
  get pending(): number {
    return this.timers.length;
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.t = next.at;
      next.fn();
    }
    this.t = end;
  }
}

export class FakeMhSocket extends EventEmitter implements MhPort {
  readonly sent: MhSendRequest[] = [];
  closed = false;
  readonly stats: MhSocketStats = { received: 0, sent: 0, sendErrors: 0, receiveErrors: 0, malformedCmsgs: 0, checksumErrors: 0 };

  constructor(private readonly onClose: () => void) {
    super();
  }
  send(req: MhSendRequest): number {
    if (this.closed) throw new Error('MH socket closed');
    this.sent.push({ ...req, data: req.data.slice() });
    return req.data.length;
  }
  /** Recorded at once, like send(); the result is reported at the end of the turn, as the socket's sendmmsg does. */
  queue(req: MhSendRequest, done: (err?: KernelError) => void): void {
    this.send(req);
    setImmediate(done);
  }
  close(): void {
    if (!this.closed) this.onClose();
    this.closed = true;
  }
  /** A message as the kernel would deliver it. */
  receive(m: MhReceived): void {
    this.emit('message', m);
  }
  receiveError(e: MhReceiveError): void {
    this.emit('receiveError', e);
  }
}

export class FakeNdSocket implements NdPort {
  readonly dads: string[] = [];
  readonly announced: string[] = [];
  /** DAD probes handed over from the proxy ND socket: "ifindex target". */
  readonly probesHeard: string[] = [];
  result: DadResult = 'unique';
  closed = false;

  constructor(private readonly onClose: () => void) {}
  dad(ifname: string, address: string): Promise<DadResult> {
    this.dads.push(`${ifname} ${address}`);
    return Promise.resolve(this.result);
  }
  probeHeard(ifindex: number, target: Uint8Array): void {
    this.probesHeard.push(`${ifindex} ${formatIp6(target)}`);
  }
  unsolicitedNa(ifname: string, address: string): number {
    this.announced.push(`${ifname} ${address}`);
    return 32;
  }
  close(): void {
    if (!this.closed) this.onClose();
    this.closed = true;
  }
}

/** The real store, with commits that fail (as after an I/O error) or wait (a slow disk) once the test says so. */
export class SwitchableStore implements StorePort {
  failing = false;
  /** While set, commits wait here until release(). */
  private held: (() => void)[] | null = null;

  hold(): void {
    this.held ??= [];
  }
  release(): void {
    const waiting = this.held ?? [];
    this.held = null;
    for (const go of waiting) go();
  }

  constructor(private readonly real: BindingStore) {}
  get stats(): BindingStore['stats'] {
    return this.real.stats;
  }
  append(...a: Parameters<BindingStore['append']>): void {
    this.real.append(...a);
  }
  commit(): Promise<void> {
    if (this.failing) return Promise.reject(new StoreError('STORE_FAILED', 'journal write: EIO (test)'));
    const held = this.held;
    if (held) return new Promise<void>((go) => held.push(go)).then(() => this.real.commit());
    return this.real.commit();
  }
  loadAll(): ReturnType<BindingStore['loadAll']> {
    return this.real.loadAll();
  }
  dropExpired(nowWallMs: number): ReturnType<BindingStore['dropExpired']> {
    return this.real.dropExpired(nowWallMs);
  }
  close(): Promise<void> {
    return this.real.close();
  }
}

export class TestSignals implements SignalSource {
  private handlers: SignalHandlers | null = null;

  attach(handlers: SignalHandlers): () => void {
    this.handlers = handlers;
    return () => {
      this.handlers = null;
    };
  }
  hup(): void {
    this.handlers?.reload();
  }
  term(): void {
    this.handlers?.stop('SIGTERM');
  }
}

/** An errno-carrying error as node:fs raises it. */
export function errnoError(code: string, what: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${what} (test)`), { code });
}

/**
 * The system as the preflight sees it: groups from a table, capabilities as the test sets
 * them (all by default), directories the real file system's unless the test makes one fail.
 */
export class TestSystem implements SystemPort {
  capabilities = (1n << 41n) - 1n;
  readonly groupTable = new Map<string, number>();
  memberOf: number[] = [];
  /** Directory -> errno for writableDirectory. */
  readonly unwritable = new Map<string, string>();
  /** Directory -> errno for writeScratch (ENOSPC). */
  readonly scratchFails = new Map<string, string>();

  async resolveGroup(group: string | number): Promise<number> {
    if (typeof group === 'number') return group;
    const gid = this.groupTable.get(group);
    if (gid === undefined) throw new GroupLookupError(`no such group: ${group}`);
    return gid;
  }
  groups(): readonly number[] {
    return this.memberOf;
  }
  async effectiveCapabilities(): Promise<bigint> {
    return this.capabilities;
  }
  async writableDirectory(dir: string): Promise<void> {
    const code = this.unwritable.get(dir);
    if (code !== undefined) throw errnoError(code, `access ${dir}`);
    return realSystem.writableDirectory(dir);
  }
  async writeScratch(dir: string, bytes: number): Promise<void> {
    const code = this.scratchFails.get(dir);
    if (code !== undefined) throw errnoError(code, `write ${dir}`);
    return realSystem.writeScratch(dir, bytes);
  }
}

export class TestHost {
  readonly system = new TestSystem();
  readonly kernel = new InMemoryKernel();
  readonly clock = new FakeClock();
  readonly steps: string[] = [];
  readonly mh: FakeMhSocket[] = [];
  readonly nd: FakeNdSocket[] = [];
  readonly icmp6: FakeIcmp6Socket[] = [];
  readonly sysctls = new Map<string, string>();
  /** What /proc/sys/net/ipv6/conf lists. */
  readonly ipv6Conf = ['all', 'default', 'lo', 'home0'];
  store: SwitchableStore | undefined;
  /** Netlink protocols whose socket cannot be opened (a kernel without XFRM). */
  readonly refuseNetlink = new Set<number>();
  /** The errno socket(2) fails with for the Mobility Header socket (EPERM without CAP_NET_RAW). */
  refuseMh: number | undefined;
  readonly ports: HostPorts;

  constructor() {
    this.kernel.addLink('lo', 1);
    this.kernel.addLink('home0', 2);
    const step = (s: string) => this.steps.push(s);
    this.ports = {
      netlink: (opts) => {
        if (this.refuseNetlink.has(opts.protocol)) throw new SyscallError('socket', Errno.EPROTONOSUPPORT, `(AF_NETLINK, ${opts.protocol}) (test)`);
        const name = `netlink ${opts.protocol}${opts.groups ? ' groups' : ''}`;
        step(`open ${name}`);
        const sock = new NetlinkSocket(this.kernel.transport(opts.protocol));
        const close = sock.close.bind(sock);
        let closed = false;
        sock.close = () => {
          if (!closed) step(`close ${name}`);
          closed = true;
          close();
        };
        return sock;
      },
      mhSocket: () => {
        if (this.refuseMh !== undefined) throw new SyscallError('socket', this.refuseMh, '(10, 3, 135)');
        step('open mh');
        const s = new FakeMhSocket(() => step('close mh'));
        this.mh.push(s);
        return s;
      },
      ndSocket: () => {
        step('open nd');
        const s = new FakeNdSocket(() => step('close nd'));
        this.nd.push(s);
        return s;
      },
      icmp6Socket: () => {
        step('open icmp6');
        const s = new FakeIcmp6Socket({ home0: 2 }, () => step('close icmp6'));
        this.icmp6.push(s);
        return s;
      },
      openStore: async (dir, options) => {
        step('open store');
        const store = new SwitchableStore(await BindingStore.open(dir, options));
        this.store = store;
        const close = store.close.bind(store);
        store.close = async () => {
          step('close store');
          await close();
        };
        return store;
      },
      sysctl: {
        read: async (path) => this.sysctls.get(path) ?? '0',
        write: async (path, value) => {
          step(`sysctl ${path.replace('/proc/sys/net/ipv6/conf/', '')}=${value}`);
          this.sysctls.set(path, value);
        },
        list: async (dir) => {
          if (dir !== '/proc/sys/net/ipv6/conf') throw new Error(`ENOENT: ${dir} (test)`);
          return [...this.ipv6Conf];
        },
      },
      clock: this.clock,
      system: this.system,
    };
  }
}

/** A temporary directory with a configuration file and room for the state and the control socket. */
export class TestDir {
  readonly dir = mkdtempSync(join(tmpdir(), 'mcoad-shell-'));
  readonly config = join(this.dir, 'mcoad.yaml');
  readonly socket = join(this.dir, 'mcoad.sock');
  readonly state = join(this.dir, 'state');

  /** Writes the file (state directory, control socket and log level added; `control` more keys of that section) and loads it. */
  async write(body: string, control = ''): Promise<AnyDaemonConfig> {
    writeFileSync(this.config, `${body}state_directory: ${this.state}\ncontrol:\n  socket: ${this.socket}\n${control}log_level: debug\n`);
    return loadAnyConfigFile(this.config);
  }
  socketExists(): boolean {
    return existsSync(this.socket);
  }
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export const HA_ADDRESS = ip6('2001:db8:1::1');
export const HOA = ip6('2001:db8:1::a2a2');
export const COA = ip6('2001:db8:a::1');

export function homeAgentYaml(maxLifetime = 600): string {
  return `role: home-agent
home_agent:
  interface: home0
  address: ${HA_ADDRESS}
  served_prefixes: [2001:db8:1::/64]
  max_lifetime: ${maxLifetime}
ipsec:
  required: false
`;
}

/** A logger whose lines the test reads back. */
export function captureLog(): { log: Logger; lines: Record<string, unknown>[]; messages(): string[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { log, lines, messages: () => lines.map((l) => String(l['msg'])) };
}

/** Lets kernel replies, store writes and promise reactions run until `cond` holds (a generous bound, for a busy machine). */
export async function until(what: string, cond: () => boolean, boundMs = 30_000): Promise<void> {
  const deadline = Date.now() + boundMs;
  for (let i = 0; !cond(); i++) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((r) => (i % 50 === 49 ? setTimeout(r, 2) : setImmediate(r)));
  }
}

export interface Running {
  host: TestHost;
  dir: TestDir;
  signals: TestSignals;
  shell: DaemonShell<AnyDaemonConfig, RoleDaemon<AnyDaemonConfig>>;
  run: Promise<number>;
  exit: number | undefined;
  messages(): string[];
  lines: Record<string, unknown>[];
}

export interface ServeOptions {
  yaml?: string;
  guards?: (r: { host: TestHost; dir: TestDir; signals: TestSignals }) => StartGuard[];
  prepare?: (host: TestHost, dir: TestDir) => void | Promise<void>;
  /** More lines of the control section ("  group: mcoa\n"). */
  control?: string;
  /** Listeners besides the ones recording into host.steps (sd_notify's). */
  listeners?: ShellListeners;
}

const running = new Set<Running>();

/** Runs a role through the shell on a TestHost until it serves (or its start failed). Listener calls go into host.steps. */
export async function serveRole<C extends AnyDaemonConfig, D extends RoleDaemon<C>>(role: RoleDefinition<C, D>, yaml: string, opts: ServeOptions = {}): Promise<Running> {
  const host = new TestHost();
  const dir = new TestDir();
  const signals = new TestSignals();
  await opts.prepare?.(host, dir);
  const cfg = (await dir.write(yaml, opts.control)) as C;
  const { log, lines, messages } = captureLog();
  const more = opts.listeners ?? {};
  const listeners: ShellListeners = {
    failed: (m) => (host.steps.push('failed'), more.failed?.(m)),
    serving: () => (host.steps.push('serving'), more.serving?.()),
    reloading: () => (host.steps.push('reloading'), more.reloading?.()),
    reloaded: () => (host.steps.push('reloaded'), more.reloaded?.()),
    stopping: () => (host.steps.push('stopping'), more.stopping?.()),
  };
  const guards = opts.guards?.({ host, dir, signals }) ?? [];
  const shell = new DaemonShell(cfg, log, role, { host: host.ports, signals, guards, listeners });
  const r: Running = { host, dir, signals, shell: shell as unknown as Running['shell'], run: shell.run(), exit: undefined, messages, lines };
  running.add(r);
  void r.run.then((code) => {
    r.exit = code;
    running.delete(r);
  });
  await until('serving or a failed start', () => host.steps.includes('serving') || r.exit !== undefined);
  return r;
}

/** SIGTERM; resolves with the exit status once the daemon stopped; the directory goes. */
export async function stop(r: Running): Promise<number> {
  r.signals.term();
  const code = await r.run;
  r.dir.remove();
  return code;
}

/** Stops what a failed test left running (afterEach), so the test file ends. */
export async function stopAll(): Promise<void> {
  for (const r of [...running]) await stop(r);
}

/** One control command over the daemon's socket. */
export async function command<T>(r: Running, cmd: string, args: Record<string, unknown> = {}): Promise<T> {
  const c = await ControlClient.connect(r.dir.socket);
  try {
    return (await c.request(cmd, args)) as T;
  } finally {
    c.close();
  }
}

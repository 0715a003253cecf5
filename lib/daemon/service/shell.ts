// The service shell every role runs in. Start order; each step runs once those before it
// succeeded, and nothing before step 3 changes the system:
//   1. guards, in order (StartGuard; main.ts lists them): the state directory lock
//      (state-lock.ts), then the preflight checks (group, socket path, state directory,
//      home interface, kernel support);
//   2. the control socket, bound with its group and mode but not yet at its path, so a
//      socket problem stops the daemon before it touched anything;
//   3. the binding store (roles that keep bindings);
//   4. the role's sysctls;
//   5. the role: sockets in the namespace, kernel objects adopted, bindings restored;
//   6. the control socket published: clients connect, the daemon serves (ShellListeners.serving).
// A failed step undoes those before it, in reverse, and the daemon exits 1. Stop undoes them
// all in reverse: control socket closed, role stopped, its sockets closed, store committed
// and closed, guards released. SIGHUP reloads (one received while starting is replayed once
// the daemon serves), SIGTERM and SIGINT stop, fatal() stops with exit status 1.
// A reload re-reads the file, sets the log level and the role's sysctls, hands the file to
// the role, and answers with what it applied and which keys wait for a restart, and why
// (reload-rules.ts).
// ShellListeners hear serving, reloading, reloaded and stopping (sd-notify.ts's READY=1,
// RELOADING=1, READY=1 and STOPPING=1).
import type { Logger } from 'pino';
import { ConfigFileError, loadAnyConfigFile, type AnyDaemonConfig } from '../../config/index.js';
import type { ReloadResult } from '../../control/protocol.js';
import { ControlError, ControlServer } from '../../control/server.js';
import { monitorEvent } from '../../control/views.js';
import type { CacheEvent } from '../../proto/common/outcome.js';
import { VERSION } from '../../version.js';
import { registerCommonCommands } from './control-commands.js';
import { Metrics } from '../metrics/metrics.js';
import { serveMetrics, type MetricsEndpoint } from '../metrics/http.js';
import type { HostPorts, StorePort } from './host.js';
import type { Icmp6SocketOptions } from '../../net/icmp6-socket.js';
import type { RoleContext, RoleDaemon, RoleDefinition, RoleSockets } from './role.js';
import type { SignalSource } from './signals.js';
import { planReload } from './reload-rules.js';
import { doing, explainStartFailure } from './start-errors.js';

/** A check or claim made before anything changes (the lock, preflight); returns what undoes it, if anything. */
export interface StartGuard {
  readonly name: string;
  acquire(cfg: AnyDaemonConfig, log: Logger): Promise<(() => Promise<void> | void) | void>;
}

/** Told at the points a service manager wants to hear about (sd_notify READY, RELOADING, STOPPING). */
export interface ShellListeners {
  /** The start failed: what it was doing and what to do, one line (main.ts puts it on stderr). */
  failed?(message: string): void;
  serving?(): void;
  reloading?(): void;
  reloaded?(): void;
  stopping?(): void;
}

export interface ShellOptions {
  host: HostPorts;
  signals: SignalSource;
  guards?: readonly StartGuard[];
  listeners?: ShellListeners;
}

interface UndoStep {
  step: string;
  run(): Promise<void> | void;
}

type ShellState = 'starting' | 'serving' | 'stopping';

export class DaemonShell<C extends AnyDaemonConfig, D extends RoleDaemon<C>> {
  readonly counters: Metrics;
  /** The Prometheus endpoint, when metrics.listen is set and the start got that far. */
  metricsEndpoint: MetricsEndpoint | undefined;
  readonly control: ControlServer;
  private readonly undo: UndoStep[] = [];
  private state: ShellState = 'starting';
  private daemon: D | undefined;
  private store: StorePort | null = null;
  private exitCode = 0;
  private reloadHeld = false;
  private reloads: Promise<unknown> = Promise.resolve();
  private requestStop!: () => void;
  private readonly stopRequested = new Promise<void>((resolve) => (this.requestStop = resolve));
  private startedAtMs = 0;
  /** The file of the last successful reload (or the start), to tell what a reload changes. */
  private previousRaw: unknown;

  constructor(
    private readonly cfg: C,
    private readonly log: Logger,
    private readonly role: RoleDefinition<C, D>,
    private readonly opts: ShellOptions,
  ) {
    this.previousRaw = cfg.raw;
    this.counters = new Metrics(cfg.role);
    this.control = new ControlServer({ onHandlerError: (cmd, err) => log.error({ cmd, err: String(err) }, 'control command failed') });
  }

  /** Starts, serves until a stop signal or a fatal error, stops; resolves with the exit status. */
  async run(): Promise<number> {
    const detach = this.opts.signals.attach({
      reload: () => this.onReloadSignal(),
      stop: (signal) => {
        this.log.info({ signal }, 'stopping (kernel objects stay in place for the next start)');
        this.requestStop();
      },
    });
    try {
      if (!(await this.start())) return 1;
      await this.stopRequested;
      await this.stop();
      return this.exitCode;
    } finally {
      detach();
    }
  }

  /** One line for a service manager's status (sd_notify STATUS=): the state and, once serving, the bindings. */
  async statusLine(): Promise<string> {
    const daemon = this.daemon;
    if (this.state !== 'serving' || !daemon) return this.state;
    const s = await daemon.stats();
    return `serving ${s.bindings} binding${s.bindings === 1 ? '' : 's'} of ${s.homeAddresses} home address${s.homeAddresses === 1 ? '' : 'es'}`;
  }

  /** Re-reads the configuration file and hands it to the role; ControlError when refused. */
  reload(): Promise<ReloadResult> {
    const run = this.reloads.then(() => this.reloadNow());
    this.reloads = run.catch(() => undefined);
    return run;
  }

  private async start(): Promise<boolean> {
    const { cfg, log, opts } = this;
    this.startedAtMs = opts.host.clock.now();
    for (const w of cfg.warnings) log.warn({ config: cfg.file }, w);
    let step = '';
    try {
      for (const guard of opts.guards ?? []) {
        step = guard.name;
        const release = await guard.acquire(cfg, log);
        if (release) this.undo.push({ step, run: release });
      }
      step = `control socket ${cfg.control.path}`;
      this.undo.push({ step, run: () => this.control.close() });
      await this.control.bind(cfg.control.path, { mode: cfg.control.mode, group: cfg.control.group });
      if (this.role.keepsBindings) {
        step = `binding store ${cfg.stateDirectory}`;
        const store = await opts.host.openStore(cfg.stateDirectory, { onCommit: (seconds) => this.counters.observe('journal_commit', seconds) });
        this.store = store;
        this.undo.push({ step, run: () => closeStore(store) });
      }
      step = 'kernel settings';
      await this.role.sysctls?.(cfg, opts.host.sysctl, log, 'start');
      step = `${cfg.role} start`;
      const sockets = new NamespaceSockets(opts.host, cfg.netns);
      this.undo.push({ step: 'sockets', run: () => sockets.closeAll() });
      const daemon = await this.role.start(this.context(sockets));
      this.daemon = daemon;
      this.undo.push({ step: `${cfg.role} stop`, run: () => daemon.stop() });
      const listen = cfg.metrics.listen;
      if (listen) {
        step = `metrics endpoint ${listen.host} port ${listen.port}`;
        const endpoint = await serveMetrics(this.counters, listen.host, listen.port, (err) => log.warn({ err: String(err) }, 'metrics endpoint'));
        this.metricsEndpoint = endpoint;
        this.undo.push({ step, run: () => endpoint.close() });
        log.info({ address: endpoint.address.host, port: endpoint.address.port }, 'serving metrics on /metrics');
      }
      step = `control socket ${cfg.control.path}`;
      this.registerCommands(daemon);
      await this.control.publish();
      this.undo.push({ step, run: () => this.control.close() });
    } catch (err) {
      const message = explainStartFailure(step, err);
      log.fatal({ step, err: String(err) }, `cannot start: ${message}`);
      await this.unwind();
      opts.listeners?.failed?.(message);
      return false;
    }
    this.state = 'serving';
    log.info({ version: VERSION, config: cfg.path ?? cfg.file, control: cfg.control.path }, 'mcoad running');
    opts.listeners?.serving?.();
    if (this.reloadHeld) this.onReloadSignal();
    return true;
  }

  private context(sockets: RoleSockets): RoleContext<C> {
    return {
      cfg: this.cfg,
      log: this.log,
      counters: this.counters,
      clock: this.opts.host.clock,
      sockets,
      store: this.store,
      monitor: (events, nowMs) => this.broadcast(events, nowMs),
      fatal: (what, err) => this.fatal(what, err),
    };
  }

  private registerCommands(daemon: D): void {
    const reload = daemon.reload ? () => this.reload() : null;
    registerCommonCommands(this.control, {
      bindings: (only, nowMs) => daemon.bindings(only, nowMs),
      stats: () => daemon.stats(),
      counters: this.counters,
      store: this.store,
      clock: this.opts.host.clock,
      startedAtMs: this.startedAtMs,
      reload,
    });
    daemon.registerCommands(this.control);
  }

  private broadcast(events: readonly CacheEvent[], nowMs: number): void {
    if (events.length === 0 || this.control.monitorCount === 0) return;
    const wall = new Date(this.opts.host.clock.wallNow());
    for (const e of events) this.control.broadcast(monitorEvent(e, nowMs, wall));
  }

  private fatal(what: string, err: unknown): void {
    this.log.fatal({ err: String(err) }, what);
    this.exitCode = 1;
    this.requestStop();
  }

  private onReloadSignal(): void {
    if (this.state === 'starting') {
      this.reloadHeld = true;
      return;
    }
    this.reloadHeld = false;
    if (this.state === 'stopping') return;
    if (!this.daemon?.reload) {
      this.log.warn(`reload is not supported in the ${this.cfg.role} role; restart to apply changes`);
      return;
    }
    this.reload().catch((err: unknown) => this.log.error({ err: String(err) }, 'reload refused; the running configuration stays'));
  }

  private async reloadNow(): Promise<ReloadResult> {
    const daemon = this.daemon;
    if (this.state !== 'serving' || !daemon?.reload) throw new ControlError('NOT_SERVING', 'mcoad is not serving; nothing reloaded');
    this.opts.listeners?.reloading?.();
    try {
      const { cfg, log } = this;
      const next = (await readConfig(cfg.path ?? cfg.file)) as C;
      if (next.role !== cfg.role) throw new ControlError('CONFIG_INVALID', `${cfg.file}: role changed to ${next.role}: restart to apply`);
      const plan = planReload(cfg.role, cfg.raw, this.previousRaw, next.raw);
      if (log.level !== next.logLevel) log.level = next.logLevel;
      // In the namespace the sockets were opened in (netns waits for a restart).
      await this.role.sysctls?.({ ...next, netns: cfg.netns }, this.opts.host.sysctl, log, 'reload');
      const warnings = await daemon.reload(next);
      this.previousRaw = next.raw;
      log.info({ applied: plan.applied.map((a) => a.key), restartNeeded: plan.notApplied.map((n) => n.key) }, 'reload: keys applied, keys waiting for a restart');
      return { warnings, applied: plan.applied, notApplied: plan.notApplied };
    } finally {
      this.opts.listeners?.reloaded?.();
    }
  }

  private async stop(): Promise<void> {
    this.state = 'stopping';
    this.opts.listeners?.stopping?.();
    await this.unwind();
  }

  /** Undoes the start steps in reverse; a failing one is logged and the rest still run. */
  private async unwind(): Promise<void> {
    for (const u of this.undo.splice(0).reverse()) {
      try {
        await u.run();
      } catch (err) {
        this.log.error({ step: u.step, err: String(err) }, 'stop step failed');
      }
    }
  }
}

async function readConfig(path: string): Promise<AnyDaemonConfig> {
  try {
    return await loadAnyConfigFile(path);
  } catch (err) {
    if (err instanceof ConfigFileError) throw new ControlError('CONFIG_INVALID', err.message);
    throw err;
  }
}

/** Commits what is queued (a failed store refuses; its tail is recovered at the next open) and closes. */
async function closeStore(store: StorePort): Promise<void> {
  await store.commit().catch(() => undefined);
  await store.close();
}

/** Opens sockets in the configured namespace and closes every one it opened, newest first. */
class NamespaceSockets implements RoleSockets {
  private readonly opened: { close(): void }[] = [];
  private readonly ns: { netns?: string };

  constructor(
    private readonly host: HostPorts,
    netns: string | null,
  ) {
    this.ns = netns === null ? {} : { netns };
  }

  netlink(protocol: number, groups?: readonly number[]): ReturnType<RoleSockets['netlink']> {
    const what = `opening a netlink socket (protocol ${protocol}${groups ? ', monitoring' : ''})${this.where()}`;
    return this.track(doing(what, () => this.host.netlink({ protocol, ...this.ns, ...(groups ? { groups } : {}) })));
  }

  mh(opts = {}): ReturnType<RoleSockets['mh']> {
    return this.track(doing(`opening the Mobility Header socket${this.where()}`, () => this.host.mhSocket({ ...opts, ...this.ns })));
  }

  nd(opts = {}): ReturnType<RoleSockets['nd']> {
    return this.track(doing(`opening the Neighbor Discovery socket${this.where()}`, () => this.host.ndSocket({ ...opts, ...this.ns })));
  }

  icmp6(opts: Omit<Icmp6SocketOptions, 'netns'>): ReturnType<RoleSockets['icmp6']> {
    return this.track(doing(`opening an ICMPv6 socket (types ${opts.types.join(', ')})${this.where()}`, () => this.host.icmp6Socket({ ...opts, ...this.ns })));
  }

  proxyNd(ifname: string): ReturnType<RoleSockets['proxyNd']> {
    const open = this.host.proxyNdSocket?.bind(this.host);
    if (!open) return undefined;
    return this.track(doing(`opening the proxy Neighbor Discovery socket on ${ifname}${this.where()}`, () => open({ ifname, ...this.ns })));
  }

  private where(): string {
    return this.ns.netns === undefined ? '' : ` in network namespace ${this.ns.netns}`;
  }

  closeAll(): void {
    for (const s of this.opened.splice(0).reverse()) s.close();
  }

  /** Keeps `s` for closeAll until its owner closes it (a role that restarts a part must not leak). */
  private track<T extends { close(): void }>(s: T): T {
    this.opened.push(s);
    const close = s.close.bind(s);
    s.close = () => {
      const i = this.opened.indexOf(s);
      if (i >= 0) this.opened.splice(i, 1);
      close();
    };
    return s;
  }
}

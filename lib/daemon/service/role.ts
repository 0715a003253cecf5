// The contract between the service shell (shell.ts) and a role (ha/, mn/, cn/): what the
// shell hands a role when it starts it, and what it needs back from the running role.
import type { Ip6 } from '../../inet/ip6.js';
import type { Logger } from 'pino';
import type { AnyDaemonConfig } from '../../config/index.js';
import type { BindingView } from '../../control/protocol.js';
import type { ControlServer } from '../../control/server.js';
import type { MhSocketOptions } from '../../net/mh-socket.js';
import type { NdSocketOptions } from '../../net/nd-socket.js';
import type { Icmp6SocketOptions } from '../../net/icmp6-socket.js';
import type { NetlinkSocket } from '../../platform/netlink/socket.js';
import type { CacheEvent } from '../../proto/common/outcome.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Clock, Icmp6Port, MhPort, NdPort, ProxyNdPort, StorePort, SysctlPort } from './host.js';

/** Sockets in the configured network namespace; the shell closes each after the role stopped, or when its start failed. */
export interface RoleSockets {
  netlink(protocol: number, groups?: readonly number[]): NetlinkSocket;
  mh(opts?: Omit<MhSocketOptions, 'netns'>): MhPort;
  nd(opts?: Omit<NdSocketOptions, 'netns'>): NdPort;
  icmp6(opts: Omit<Icmp6SocketOptions, 'netns'>): Icmp6Port;
  /** The proxy ND socket on `ifname`; undefined when the host has none (host tests). */
  proxyNd(ifname: string): ProxyNdPort | undefined;
}

export interface RoleContext<C extends AnyDaemonConfig> {
  readonly cfg: C;
  readonly log: Logger;
  /** Shown by `mcoactl show stats` before the role's own groups. */
  readonly counters: Metrics;
  readonly clock: Clock;
  readonly sockets: RoleSockets;
  /** The binding journal, opened by the shell for a role that keeps bindings; null otherwise. */
  readonly store: StorePort | null;
  /** Cache events to `mcoactl monitor` clients. */
  monitor(events: readonly CacheEvent[], nowMs: number): void;
  /** A failure the daemon must not serve past (the journal cannot be written): logged, the daemon stops, exit status 1. */
  fatal(what: string, err: unknown): void;
}

export interface RoleStats {
  bindings: number;
  homeAddresses: number;
  /** The role's counter groups (kernel, socket, ...), shown after the shared ones. */
  counters: Record<string, Record<string, number>>;
  /** Mobile node: the home agent in use, and whether DHAAD found it (with the Reply's list). */
  homeAgent?: HomeAgentInUse;
}

export interface HomeAgentInUse {
  /** null while discovery runs. */
  address: Ip6 | null;
  discovered: boolean;
  candidates: Ip6[];
  /** The home agent whose Home Agent Switch (RFC 5142) moved the node here. */
  switchedBy?: Ip6;
}

/** A running role as the shell drives it. */
export interface RoleDaemon<C extends AnyDaemonConfig> {
  /** `show bindings [HOA]`: every binding, or those of one home address (canonical text). */
  bindings(only: Ip6 | undefined, nowMs: number): BindingView[];
  stats(): RoleStats | Promise<RoleStats>;
  /** Control commands only this role has. */
  registerCommands(server: ControlServer): void;
  /** Applies a re-read configuration of the same role; returns its warnings. Absent: the role cannot reload. */
  reload?(next: C): string[] | Promise<string[]>;
  /** Stops its intake, timers and kernel sync; kernel objects stay for the next start. */
  stop(): Promise<void>;
}

export interface RoleDefinition<C extends AnyDaemonConfig, D extends RoleDaemon<C>> {
  readonly role: C['role'];
  /** Keeps its bindings in the state directory (home agent, correspondent). */
  readonly keepsBindings: boolean;
  /**
   * System settings it needs, written after the store opened and before any kernel object
   * (home agent); again on a reload, with the new configuration (idempotent).
   */
  sysctls?(cfg: C, sysctl: SysctlPort, log: Logger, phase: 'start' | 'reload'): Promise<void>;
  /** Restores its bindings, adopts its kernel objects, opens its signalling sockets. */
  start(ctx: RoleContext<C>): Promise<D>;
}

/** The store of a role that keeps bindings (the shell opens it when keepsBindings is set). */
export function requireStore(ctx: RoleContext<AnyDaemonConfig>): StorePort {
  if (!ctx.store) throw new Error(`the ${ctx.cfg.role} role keeps bindings but was started without a store`);
  return ctx.store;
}

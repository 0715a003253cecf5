// What a daemon touches outside its own memory: netlink and signalling sockets, the binding
// store's directory, sysctl files and the clock. The running daemon gets the real ones
// (realHost); host tests hand the same daemon code an in-memory kernel and socket doubles.
import type { Ip6 } from '../../inet/ip6.js';
import { constants as fsConstants } from 'node:fs';
import { access, open, readFile, readdir, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveGroup } from '../../control/group.js';
import type { MhReceived, MhReceiveError, MhSendRequest, MhSocketOptions, MhSocketStats } from '../../net/mh-socket.js';
import { MhSocket } from '../../net/mh-socket.js';
import type { DadOptions, DadResult, NdSocketOptions } from '../../net/nd-socket.js';
import { NdSocket } from '../../net/nd-socket.js';
import { ProxyNdSocket, type ProxyNdSocketOptions, type ProxyNdSocketStats, type ProxyNa } from '../../net/proxy-nd-socket.js';
import type { ReceivedNs } from '../../net/proxy-nd-packet.js';
import { Icmp6Socket, type Icmp6Received, type Icmp6ReceiveError, type Icmp6Send, type Icmp6SocketOptions, type Icmp6SocketStats } from '../../net/icmp6-socket.js';
import { NetlinkSocket, type NetlinkSocketOptions } from '../../platform/netlink/socket.js';
import { BindingStore, type StoreOptions } from '../../store/index.js';
import { perTurn } from '../../platform/sys/per-turn.js';
import type { KernelError } from '../../platform/kernel-errors.js';

/** The Mobility Header socket as the daemons use it (lib/net/mh-socket.ts). */
export interface MhPort {
  readonly stats: Readonly<MhSocketStats>;
  send(req: MhSendRequest): number;
  /** Sent with the others queued in this turn (one sendmmsg); `done` hears the error, if any. */
  queue(req: MhSendRequest, done: (err?: KernelError) => void): void;
  close(): void;
  on(event: 'message', listener: (m: MhReceived) => void): unknown;
  on(event: 'receiveError', listener: (e: MhReceiveError) => void): unknown;
}

/** The Neighbor Discovery socket as the daemons use it (lib/net/nd-socket.ts). */
export interface NdPort {
  dad(ifname: string, address: Ip6, timeoutMs?: number, opts?: DadOptions): Promise<DadResult>;
  /** A DAD probe heard on another socket, for DADs started with probesHeardElsewhere. */
  probeHeard(ifindex: number, target: Uint8Array, nonce: Uint8Array | undefined): void;
  unsolicitedNa(ifname: string, address: Ip6): number;
  close(): void;
}

/** The proxy Neighbour Discovery socket on the home link (lib/net/proxy-nd-socket.ts; home_agent.proxy_nd: daemon). */
export interface ProxyNdPort {
  readonly ifname: string;
  readonly stats: Readonly<ProxyNdSocketStats>;
  /** False once the interface is gone or has another index than the one the socket is bound to. */
  stillBound(): boolean;
  linkLayerAddress(): Uint8Array;
  /** Sent with the others queued in this turn (one sendmmsg); `done` hears the error, if any. */
  advertise(na: ProxyNa, mac: Uint8Array, done: (err?: KernelError) => void): void;
  close(): void;
  on(event: 'solicitation', listener: (ns: ReceivedNs) => void): unknown;
  on(event: 'receiveError', listener: (e: unknown) => void): unknown;
}

/** The DHAAD socket as the daemons use it (lib/net/icmp6-socket.ts). */
export interface Icmp6Port {
  readonly stats: Readonly<Icmp6SocketStats>;
  interfaceIndex(ifname: string): number;
  joinAnycast(ifindex: number, address: Ip6): void;
  send(req: Icmp6Send): number;
  close(): void;
  on(event: 'message', listener: (m: Icmp6Received) => void): unknown;
  on(event: 'receiveError', listener: (e: Icmp6ReceiveError) => void): unknown;
}

/** The binding store as the daemons use it (lib/store/binding-store.ts). */
export type StorePort = Pick<BindingStore, 'append' | 'commit' | 'loadAll' | 'dropExpired' | 'close' | 'stats'>;

/** Reads and writes /proc/sys files. */
export interface SysctlPort {
  read(path: string): Promise<string>;
  write(path: string, value: string): Promise<void>;
  /** The entries of a /proc/sys directory (the interfaces under net/ipv6/conf). */
  list(dir: string): Promise<string[]>;
}

export type TimerHandle = object;

/**
 * The clock the daemons' protocol timing runs on (lifetimes, refresh requests,
 * retransmissions), and timers on it. `now()` is monotonic: a wall-clock step moves none
 * of it. `wallNow()` is the wall clock, read only where a time leaves the process (the
 * journal, through lib/store/wall-frame.ts; times shown to people).
 */
export interface Clock {
  /** Monotonic milliseconds (an arbitrary origin; only differences mean anything). */
  now(): number;
  /** Wall-clock milliseconds since the epoch. */
  wallNow(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** What the preflight checks ask of the system besides the kernel (service/preflight-checks.ts). */
export interface SystemPort {
  /** Group name or gid -> gid; throws GroupLookupError when there is no such group. */
  resolveGroup(group: string | number): Promise<number>;
  /** The effective group and the supplementary groups of this process. */
  groups(): readonly number[];
  /** CapEff of /proc/self/status: bit N is capability N (CAP_NET_ADMIN 12, CAP_NET_RAW 13). */
  effectiveCapabilities(): Promise<bigint>;
  /** access(2) with W_OK|X_OK; rejects with the errno (EACCES, EROFS, ENOENT, ENOTDIR). */
  writableDirectory(dir: string): Promise<void>;
  /** Writes, fsyncs and removes a scratch file of `bytes` octets in `dir`; rejects with the errno (ENOSPC, EROFS). */
  writeScratch(dir: string, bytes: number): Promise<void>;
}

export interface HostPorts {
  netlink(opts: NetlinkSocketOptions): NetlinkSocket;
  mhSocket(opts: MhSocketOptions): MhPort;
  ndSocket(opts: NdSocketOptions): NdPort;
  icmp6Socket(opts: Icmp6SocketOptions): Icmp6Port;
  /** Absent in host tests' doubles: proxy ND by the daemon then answers nothing. */
  proxyNdSocket?(opts: ProxyNdSocketOptions): ProxyNdPort;
  openStore(dir: string, options?: StoreOptions): Promise<StorePort>;
  readonly sysctl: SysctlPort;
  readonly clock: Clock;
  readonly system: SystemPort;
}

/** setTimeout's longest delay; a later deadline is approached in steps of this. */
export const MAX_TIMER_MS = 0x7fffffff;

export const systemClock: Clock = {
  // CLOCK_MONOTONIC through libuv, from an origin near the epoch time the process started,
  // so its readings look like (and log like) the wall-clock times they replace. Both read
  // once per synchronous run (platform/sys/per-turn.ts): a system call each in user-mode Linux.
  now: perTurn(() => performance.timeOrigin + performance.now()),
  wallNow: perTurn(() => Date.now()),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** CapEff from the text of /proc/self/status (a 64-bit hex mask); 0 when the line is missing. */
export function parseCapEff(status: string): bigint {
  const m = /^CapEff:\s*([0-9a-fA-F]+)$/m.exec(status);
  return m ? BigInt(`0x${m[1]!}`) : 0n;
}

export const realSystem: SystemPort = {
  resolveGroup,
  groups: () => [...new Set([process.getegid?.() ?? 0, ...(process.getgroups?.() ?? [])])],
  effectiveCapabilities: async () => parseCapEff(await readFile('/proc/self/status', 'utf8')),
  async writableDirectory(dir) {
    if (!(await stat(dir)).isDirectory()) throw Object.assign(new Error(`${dir}: not a directory`), { code: 'ENOTDIR' });
    await access(dir, fsConstants.W_OK | fsConstants.X_OK);
  },
  async writeScratch(dir, bytes) {
    const path = join(dir, `.mcoad-preflight-${process.pid}`);
    const fh = await open(path, 'w', 0o600);
    try {
      await fh.write(new Uint8Array(bytes));
      await fh.sync();
    } finally {
      await fh.close();
      await unlink(path).catch(() => undefined);
    }
  },
};

/** The kernel, the file system and the system clock. */
export function realHost(): HostPorts {
  return {
    netlink: (opts) => NetlinkSocket.open(opts),
    mhSocket: (opts) => MhSocket.open(opts),
    ndSocket: (opts) => NdSocket.open(opts),
    icmp6Socket: (opts) => Icmp6Socket.open(opts),
    proxyNdSocket: (opts) => ProxyNdSocket.open(opts),
    openStore: (dir, options) => BindingStore.open(dir, options),
    sysctl: { read: (path) => readFile(path, 'utf8'), write: (path, value) => writeFile(path, value), list: (dir) => readdir(dir) },
    clock: systemClock,
    system: realSystem,
  };
}

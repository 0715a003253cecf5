// Links: lookup, dump, delete, up/down (RTM_GETLINK / RTM_NEWLINK / RTM_DELLINK),
// decoding the kind, state, counters and (for ip6tnl) the tunnel parameters.
import { Errno } from '../sys/errno.js';
import { KernelError } from '../kernel-errors.js';
import { AttrSet, need, rdI32, rdU32, rdU64, type NlMsg } from '../netlink/parse.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import { NlWriter } from '../netlink/writer.js';
import {
  AF_UNSPEC,
  IFF_LOWER_UP,
  IFF_RUNNING,
  IFF_UP,
  IFINFOMSG_SIZE,
  IFLA_IFNAME,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_LINK,
  IFLA_LINKINFO,
  IFLA_MTU,
  IFLA_OPERSTATE,
  IFLA_STATS64,
  RTM_DELLINK,
  RTM_GETLINK,
  RTM_NEWLINK,
  RTNL_LINK_STATS64_MIN,
} from './rtnl-constants.js';
import { decodeIp6TnlData, type Ip6TnlParams } from './ip6tnl.js';

export interface LinkStats {
  rxPackets: number;
  txPackets: number;
  rxBytes: number;
  txBytes: number;
  rxErrors: number;
  txErrors: number;
  rxDropped: number;
  txDropped: number;
}

export interface LinkInfo {
  ifindex: number;
  name: string;
  /** ifi_flags (IFF_*). */
  flags: number;
  /** Administratively up (IFF_UP). */
  up: boolean;
  /** Carrier and operationally running (IFF_LOWER_UP / IFF_RUNNING). */
  lowerUp: boolean;
  running: boolean;
  mtu?: number;
  /** IF_OPER_* (6 = up). */
  operstate?: number;
  /** IFLA_INFO_KIND, e.g. 'ip6tnl'. */
  kind?: string;
  /** IFLA_LINK: the underlying device. */
  link?: number;
  ip6tnl?: Ip6TnlParams;
  stats?: LinkStats;
}

export type LinkRef = { ifindex: number } | { name: string };

const w = new NlWriter();

function ifinfo(type: number, flags: number, ref: LinkRef | undefined, ifiFlags = 0, ifiChange = 0): NlWriter {
  w.begin(type, flags)
    .u8(AF_UNSPEC)
    .u8(0)
    .u16(0)
    .i32(ref && 'ifindex' in ref ? ref.ifindex : 0)
    .u32(ifiFlags)
    .u32(ifiChange);
  if (ref && 'name' in ref) w.attrString(IFLA_IFNAME, ref.name);
  return w;
}

export function encodeLinkGet(ref: LinkRef): Uint8Array {
  return ifinfo(RTM_GETLINK, 0, ref).finish();
}

export function encodeLinkDump(kind?: string): Uint8Array {
  ifinfo(RTM_GETLINK, 0, undefined);
  if (kind !== undefined) {
    const li = w.beginNest(IFLA_LINKINFO);
    w.attrString(IFLA_INFO_KIND, kind);
    w.endNest(li);
  }
  return w.finish();
}

export function encodeLinkDel(ref: LinkRef): Uint8Array {
  return ifinfo(RTM_DELLINK, 0, ref).finish();
}

export function encodeLinkSetUp(ref: LinkRef, up: boolean): Uint8Array {
  return ifinfo(RTM_NEWLINK, 0, ref, up ? IFF_UP : 0, IFF_UP).finish();
}

function decodeStats(v: Uint8Array | undefined): LinkStats | undefined {
  if (!v || v.length < RTNL_LINK_STATS64_MIN) return undefined;
  return {
    rxPackets: rdU64(v, 0),
    txPackets: rdU64(v, 8),
    rxBytes: rdU64(v, 16),
    txBytes: rdU64(v, 24),
    rxErrors: rdU64(v, 32),
    txErrors: rdU64(v, 40),
    rxDropped: rdU64(v, 48),
    txDropped: rdU64(v, 56),
  };
}

/** Decodes an RTM_NEWLINK message. */
export function decodeLink(m: NlMsg): LinkInfo {
  const p = m.payload;
  need(p, 0, IFINFOMSG_SIZE, 'ifinfomsg');
  const flags = rdU32(p, 8);
  const a = new AttrSet(p, IFINFOMSG_SIZE);
  const l: LinkInfo = {
    ifindex: rdI32(p, 4),
    name: a.string(IFLA_IFNAME) ?? '',
    flags,
    up: (flags & IFF_UP) !== 0,
    lowerUp: (flags & IFF_LOWER_UP) !== 0,
    running: (flags & IFF_RUNNING) !== 0,
  };
  const mtu = a.u32(IFLA_MTU);
  if (mtu !== undefined) l.mtu = mtu;
  const oper = a.u8(IFLA_OPERSTATE);
  if (oper !== undefined) l.operstate = oper;
  const link = a.u32(IFLA_LINK);
  if (link !== undefined) l.link = link;
  const info = a.nested(IFLA_LINKINFO);
  const kind = info?.string(IFLA_INFO_KIND);
  if (kind !== undefined) l.kind = kind;
  const data = info?.nested(IFLA_INFO_DATA);
  if (kind === 'ip6tnl' && data) l.ip6tnl = decodeIp6TnlData(data);
  const stats = decodeStats(a.bytes(IFLA_STATS64));
  if (stats) l.stats = stats;
  return l;
}

const refText = (ref: LinkRef): string => ('name' in ref ? ref.name : `ifindex ${ref.ifindex}`);

/** `ip -d -s link show NAME`; undefined when there is no such link. */
export async function linkGet(sock: NetlinkSocket, ref: LinkRef): Promise<LinkInfo | undefined> {
  try {
    return await sock.get(encodeLinkGet(ref), decodeLink, () => `RTM_GETLINK ${refText(ref)}`);
  } catch (err) {
    if (err instanceof KernelError && err.errno === Errno.ENODEV) return undefined;
    throw err;
  }
}

/** `ip -d -s link show [type KIND]` */
export function linkDump(sock: NetlinkSocket, filter: { kind?: string } = {}): Promise<LinkInfo[]> {
  return sock.dump(
    encodeLinkDump(filter.kind),
    (m) => {
      if (m.type !== RTM_NEWLINK) return undefined;
      const l = decodeLink(m);
      return filter.kind === undefined || l.kind === filter.kind ? l : undefined;
    },
    `RTM_GETLINK dump${filter.kind ? ` type ${filter.kind}` : ''}`,
  );
}

/** `ip link del NAME` (ENODEV when absent). */
export function linkDelete(sock: NetlinkSocket, ref: LinkRef): Promise<void> {
  return sock.request(encodeLinkDel(ref), { op: () => `RTM_DELLINK ${refText(ref)}` });
}

/** `ip link set dev NAME up|down` */
export function linkSetUp(sock: NetlinkSocket, ref: LinkRef, up: boolean): Promise<void> {
  return sock.request(encodeLinkSetUp(ref, up), { op: () => `RTM_NEWLINK ${refText(ref)} ${up ? 'up' : 'down'}` });
}

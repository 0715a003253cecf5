// IPv6 routes (RTM_NEWROUTE / RTM_DELROUTE / RTM_GETROUTE).
// A route is identified by the kernel as dst/len + table + metric; `protocol`
// marks who owns it, and deletes name it too so they never touch others' routes.
import { IP6_UNSPECIFIED, type Ip6 } from '../../inet/ip6.js';
import { KernelError } from '../kernel-errors.js';
import { Errno } from '../sys/errno.js';
import { NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE } from '../netlink/netlink-constants.js';
import { AttrSet, need, type NlMsg } from '../netlink/parse.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import { NlWriter } from '../netlink/writer.js';
import {
  AF_INET6,
  RTA_DST,
  RTA_GATEWAY,
  RTA_MULTIPATH,
  RTA_NH_ID,
  RTA_OIF,
  RTA_PRIORITY,
  RTA_TABLE,
  RTMSG_SIZE,
  RTM_DELROUTE,
  RTM_GETROUTE,
  RTM_NEWROUTE,
  RTN_UNICAST,
  RT_SCOPE_UNIVERSE,
  RT_TABLE_MAIN,
  RT_TABLE_UNSPEC,
} from './rtnl-constants.js';

export interface Route6 {
  dst: Ip6;
  dstLen: number;
  /** Routing table id (RT_TABLE_MAIN 254 by default when encoding). */
  table: number;
  /** Ownership mark (rtm_protocol). */
  protocol: number;
  /** RTA_PRIORITY; 0 lets the kernel choose (1024 for IPv6). */
  metric: number;
  /** RTN_* route type; RTN_UNICAST by default. */
  type?: number;
  oif?: number;
  gateway?: Ip6;
  /** Nexthop object id (RTA_NH_ID); then oif and gateway are not given. */
  nhid?: number;
  /** Set by the decoder when the route has RTA_MULTIPATH next hops (not decoded). */
  multipath?: boolean;
}

/** What identifies a route for delete: dst/len, table, metric, and its owner. */
export type Route6Key = Pick<Route6, 'dst' | 'dstLen'> & Partial<Pick<Route6, 'table' | 'metric' | 'protocol'>>;

const w = new NlWriter();

function header(type: number, flags: number, r: Route6Key & { type?: number }): NlWriter {
  const table = r.table ?? RT_TABLE_MAIN;
  return w
    .begin(type, flags)
    .u8(AF_INET6)
    .u8(r.dstLen)
    .u8(0) // src_len
    .u8(0) // tos
    .u8(table < 256 ? table : RT_TABLE_UNSPEC)
    .u8(r.protocol ?? 0)
    .u8(RT_SCOPE_UNIVERSE)
    .u8(r.type ?? RTN_UNICAST)
    .u32(0) // rtm_flags
    .attrIp6(RTA_DST, r.dst)
    .attrU32(RTA_TABLE, table);
}

/** RTM_NEWROUTE with the given netlink flags (CREATE|REPLACE for replace). */
export function encodeRouteNew(r: Route6, flags: number): Uint8Array {
  header(RTM_NEWROUTE, flags, r);
  if (r.metric) w.attrU32(RTA_PRIORITY, r.metric);
  if (r.nhid !== undefined) w.attrU32(RTA_NH_ID, r.nhid);
  if (r.oif !== undefined) w.attrU32(RTA_OIF, r.oif);
  if (r.gateway !== undefined) w.attrIp6(RTA_GATEWAY, r.gateway);
  return w.finish();
}

export function encodeRouteDel(r: Route6Key): Uint8Array {
  header(RTM_DELROUTE, 0, r);
  if (r.metric) w.attrU32(RTA_PRIORITY, r.metric);
  return w.finish();
}

/** Dump request; with strict checking the kernel filters by table and protocol itself. */
export function encodeRouteDump(filter: RouteFilter = {}): Uint8Array {
  w.begin(RTM_GETROUTE)
    .u8(AF_INET6)
    .zeros(3)
    .u8(filter.table !== undefined && filter.table < 256 ? filter.table : 0)
    .u8(filter.protocol ?? 0)
    .u8(0)
    .u8(0)
    .u32(0);
  if (filter.table !== undefined) w.attrU32(RTA_TABLE, filter.table);
  return w.finish();
}

/** Decodes an RTM_NEWROUTE message; undefined for other families. */
export function decodeRoute(m: NlMsg): Route6 | undefined {
  const p = m.payload;
  need(p, 0, RTMSG_SIZE, 'rtmsg');
  if (p[0] !== AF_INET6) return undefined;
  const a = new AttrSet(p, RTMSG_SIZE);
  const r: Route6 = {
    dst: a.ip6(RTA_DST) ?? IP6_UNSPECIFIED,
    dstLen: p[1]!,
    table: a.u32(RTA_TABLE) ?? p[4]!,
    protocol: p[5]!,
    metric: a.u32(RTA_PRIORITY) ?? 0,
    type: p[7]!,
  };
  const oif = a.u32(RTA_OIF);
  if (oif !== undefined) r.oif = oif;
  const gw = a.ip6(RTA_GATEWAY);
  if (gw !== undefined) r.gateway = gw;
  const nh = a.u32(RTA_NH_ID);
  if (nh !== undefined) r.nhid = nh;
  if (a.has(RTA_MULTIPATH)) r.multipath = true;
  return r;
}

export interface RouteFilter {
  table?: number;
  protocol?: number;
}

const label = (verb: string, r: Route6Key) => (): string =>
  `${verb} ${r.dst}/${r.dstLen} table ${r.table ?? RT_TABLE_MAIN}${r.metric ? ` metric ${r.metric}` : ''}${r.protocol ? ` proto ${r.protocol}` : ''}`;

/** `ip -6 route replace DST/LEN [nhid N | dev OIF [via GW]] table T proto P metric M` */
export function routeReplace(sock: NetlinkSocket, r: Route6): Promise<void> {
  return sock.request(encodeRouteNew(r, NLM_F_CREATE | NLM_F_REPLACE), { op: label('RTM_NEWROUTE replace', r) });
}

/** `ip -6 route add DST/LEN ...` (fails with EEXIST when the route is there). */
export function routeAdd(sock: NetlinkSocket, r: Route6): Promise<void> {
  return sock.request(encodeRouteNew(r, NLM_F_CREATE | NLM_F_EXCL), { op: label('RTM_NEWROUTE', r) });
}

/** `ip -6 route del DST/LEN table T proto P metric M` (ESRCH when absent). */
export function routeDelete(sock: NetlinkSocket, r: Route6Key): Promise<void> {
  return sock.request(encodeRouteDel(r), { op: label('RTM_DELROUTE', r) });
}

/** `ip -6 route show table T proto P` (every table when none is given). */
export async function routeDump(sock: NetlinkSocket, filter: RouteFilter = {}): Promise<Route6[]> {
  try {
    return await sock.dump(
      encodeRouteDump(filter),
      (m) => {
        if (m.type !== RTM_NEWROUTE) return undefined;
        const r = decodeRoute(m);
        if (!r) return undefined;
        if (filter.table !== undefined && r.table !== filter.table) return undefined;
        if (filter.protocol !== undefined && r.protocol !== filter.protocol) return undefined;
        return r;
      },
      'RTM_GETROUTE dump',
    );
  } catch (err) {
    // A table that does not exist yet holds no routes.
    if (filter.table !== undefined && err instanceof KernelError && err.errno === Errno.ENOENT) return [];
    throw err;
  }
}


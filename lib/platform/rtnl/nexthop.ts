// Nexthop objects (RTM_NEWNEXTHOP): one per tunnel (`ip -6 nexthop add id N dev TUN`)
// and groups of them (`ip nexthop add id G group 1/2`). IPv6 refuses device-only
// next hops in RTA_MULTIPATH, so routes over several tunnels point at a group.
import type { Ip6 } from '../../inet/ip6.js';
import { NLM_F_CREATE, NLM_F_REPLACE } from '../netlink/netlink-constants.js';
import { AttrSet, NetlinkParseError, need, rdU32, type NlMsg } from '../netlink/parse.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import { NlWriter } from '../netlink/writer.js';
import {
  AF_INET6,
  AF_UNSPEC,
  NEXTHOP_GRP_SIZE,
  NEXTHOP_GRP_TYPE_MPATH,
  NHA_BLACKHOLE,
  NHA_GATEWAY,
  NHA_GROUP,
  NHA_GROUP_TYPE,
  NHA_ID,
  NHA_OIF,
  NHMSG_SIZE,
  RTM_DELNEXTHOP,
  RTM_GETNEXTHOP,
  RTM_NEWNEXTHOP,
} from './rtnl-constants.js';

export interface NexthopGroupMember {
  id: number;
  /** 1..256 (the kernel stores weight - 1). */
  weight: number;
}

export interface Nexthop {
  id: number;
  /** Ownership mark (nh_protocol). */
  protocol: number;
  /** A device next hop: oif, and optionally a gateway on it. */
  oif?: number;
  gateway?: Ip6;
  blackhole?: boolean;
  /** A group of other nexthop ids (family AF_UNSPEC, as the kernel requires). */
  group?: NexthopGroupMember[];
  /** Decoded only: nh_family. */
  family?: number;
}

const w = new NlWriter();

export function encodeNexthopNew(nh: Nexthop, flags = NLM_F_CREATE | NLM_F_REPLACE): Uint8Array {
  const isGroup = nh.group !== undefined;
  w.begin(RTM_NEWNEXTHOP, flags)
    .u8(isGroup ? AF_UNSPEC : AF_INET6)
    .u8(0) // scope
    .u8(nh.protocol)
    .u8(0)
    .u32(0)
    .attrU32(NHA_ID, nh.id);
  if (nh.group) {
    const g = new Uint8Array(nh.group.length * NEXTHOP_GRP_SIZE);
    const v = new DataView(g.buffer);
    nh.group.forEach((m, i) => {
      if (m.weight < 1 || m.weight > 256) throw new RangeError(`nexthop group weight ${m.weight} outside 1..256`);
      v.setUint32(i * NEXTHOP_GRP_SIZE, m.id, true);
      g[i * NEXTHOP_GRP_SIZE + 4] = m.weight - 1;
    });
    w.attrBytes(NHA_GROUP, g).attrU16(NHA_GROUP_TYPE, NEXTHOP_GRP_TYPE_MPATH);
  } else if (nh.blackhole) {
    w.attrFlag(NHA_BLACKHOLE);
  } else {
    if (nh.oif === undefined) throw new TypeError(`nexthop ${nh.id}: needs oif, group or blackhole`);
    w.attrU32(NHA_OIF, nh.oif);
    if (nh.gateway !== undefined) w.attrIp6(NHA_GATEWAY, nh.gateway);
  }
  return w.finish();
}

export function encodeNexthopDel(id: number): Uint8Array {
  return w.begin(RTM_DELNEXTHOP).u8(AF_UNSPEC).zeros(3).u32(0).attrU32(NHA_ID, id).finish();
}

export function encodeNexthopDump(): Uint8Array {
  return w.begin(RTM_GETNEXTHOP).u8(AF_UNSPEC).zeros(3).u32(0).finish();
}

export function decodeNexthop(m: NlMsg): Nexthop {
  const p = m.payload;
  need(p, 0, NHMSG_SIZE, 'nhmsg');
  const a = new AttrSet(p, NHMSG_SIZE);
  const id = a.u32(NHA_ID);
  if (id === undefined) throw new NetlinkParseError('BAD_VALUE', 0, 'nexthop without NHA_ID');
  const nh: Nexthop = { id, protocol: p[2]!, family: p[0]! };
  const g = a.bytes(NHA_GROUP);
  if (g) {
    if (g.length % NEXTHOP_GRP_SIZE) throw new NetlinkParseError('ATTR_BAD_SIZE', 0, `NHA_GROUP of ${g.length} octets`);
    nh.group = [];
    for (let o = 0; o < g.length; o += NEXTHOP_GRP_SIZE) nh.group.push({ id: rdU32(g, o), weight: g[o + 4]! + 1 });
  }
  const oif = a.u32(NHA_OIF);
  if (oif !== undefined) nh.oif = oif;
  const gw = a.bytes(NHA_GATEWAY);
  if (gw && gw.length >= 16) nh.gateway = a.ip6(NHA_GATEWAY)!;
  if (a.has(NHA_BLACKHOLE)) nh.blackhole = true;
  return nh;
}

/** `ip -6 nexthop replace id N dev OIF [via GW] proto P` or `ip nexthop replace id N group A/B proto P` */
export function nexthopReplace(sock: NetlinkSocket, nh: Nexthop): Promise<void> {
  return sock.request(encodeNexthopNew(nh), { op: () => `RTM_NEWNEXTHOP id ${nh.id}${nh.group ? ' group' : ''}` });
}

/** `ip nexthop del id N` (ENOENT when absent; routes using it go with it). */
export function nexthopDelete(sock: NetlinkSocket, id: number): Promise<void> {
  return sock.request(encodeNexthopDel(id), { op: () => `RTM_DELNEXTHOP id ${id}` });
}

/** `ip nexthop show [proto P]` */
export function nexthopDump(sock: NetlinkSocket, filter: { protocol?: number } = {}): Promise<Nexthop[]> {
  return sock.dump(
    encodeNexthopDump(),
    (m) => {
      if (m.type !== RTM_NEWNEXTHOP) return undefined;
      const nh = decodeNexthop(m);
      return filter.protocol === undefined || nh.protocol === filter.protocol ? nh : undefined;
    },
    'RTM_GETNEXTHOP dump',
  );
}

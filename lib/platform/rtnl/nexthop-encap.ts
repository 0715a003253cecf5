// Nexthop objects of the shared-tunnel data plane: one per binding, carrying its
// lightweight-tunnel encapsulation (outer destination = care-of address, outer
// source = home agent) out of the external ip6tnl device, and per home address one
// group of them, resilient where the kernel allows it, so adding or removing one
// care-of address moves only the flows of the buckets it gains or loses.
import type { Ip6 } from '../../inet/ip6.js';
import { NLM_F_CREATE, NLM_F_REPLACE } from '../netlink/netlink-constants.js';
import { AttrSet, NetlinkParseError, need, rdU32, type NlMsg } from '../netlink/parse.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import { NlWriter } from '../netlink/writer.js';
import {
  LWTUNNEL_ENCAP_IP6,
  LWTUNNEL_IP6_DST,
  LWTUNNEL_IP6_HOPLIMIT,
  LWTUNNEL_IP6_SRC,
  LWTUNNEL_IP6_TC,
  NEXTHOP_GRP_TYPE_RES,
  NHA_ENCAP,
  NHA_ENCAP_TYPE,
  NHA_RES_GROUP,
  NHA_RES_GROUP_BUCKETS,
  NHA_RES_GROUP_IDLE_TIMER,
  NHA_RES_GROUP_UNBALANCED_TIMER,
  USER_HZ,
} from './dataplane-constants.js';
import type { NexthopGroupMember } from './nexthop.js';
import {
  AF_INET6,
  AF_UNSPEC,
  NEXTHOP_GRP_SIZE,
  NHA_GROUP,
  NHA_GROUP_TYPE,
  NHA_ID,
  NHA_OIF,
  NHMSG_SIZE,
  RTM_GETNEXTHOP,
  RTM_NEWNEXTHOP,
} from './rtnl-constants.js';

/** LWTUNNEL_ENCAP_IP6 parameters: the outer IPv6 header the external device writes. */
export interface Ip6Encap {
  dst: Ip6;
  src?: Ip6;
  /** 0 (absent): the device's default. */
  hopLimit?: number;
  trafficClass?: number;
}

export interface EncapNexthop {
  id: number;
  /** Ownership mark (nh_protocol). */
  protocol: number;
  /** The external ip6tnl device. */
  oif: number;
  encap: Ip6Encap;
}

export interface ResilientGroup {
  id: number;
  protocol: number;
  members: NexthopGroupMember[];
  /** Hash buckets, fixed for the group's life (the kernel refuses to change them). */
  buckets: number;
  /** Seconds a bucket must be idle before it may move to another member. */
  idleTimerS?: number;
  /** Seconds after which an unbalanced group moves buckets even if busy (0: never). */
  unbalancedTimerS?: number;
}

/** What a dump says about one nexthop of this data plane. */
export interface EncapNexthopInfo {
  id: number;
  protocol: number;
  family: number;
  oif?: number;
  encap?: Ip6Encap;
  group?: NexthopGroupMember[];
  /** NEXTHOP_GRP_TYPE_*: 0 hash-threshold (plain), 1 resilient. */
  groupType?: number;
  resilient?: { buckets: number; idleTimerS: number; unbalancedTimerS: number };
}

const w = new NlWriter();

function nhmsg(family: number, protocol: number, flags: number): NlWriter {
  return w.begin(RTM_NEWNEXTHOP, flags).u8(family).u8(0).u8(protocol).u8(0).u32(0);
}

export function encodeEncapNexthopNew(nh: EncapNexthop, flags = NLM_F_CREATE | NLM_F_REPLACE): Uint8Array {
  nhmsg(AF_INET6, nh.protocol, flags).attrU32(NHA_ID, nh.id).attrU32(NHA_OIF, nh.oif).attrU16(NHA_ENCAP_TYPE, LWTUNNEL_ENCAP_IP6);
  const e = w.beginNest(NHA_ENCAP);
  w.attrIp6(LWTUNNEL_IP6_DST, nh.encap.dst);
  if (nh.encap.src !== undefined) w.attrIp6(LWTUNNEL_IP6_SRC, nh.encap.src);
  if (nh.encap.hopLimit) w.attrU8(LWTUNNEL_IP6_HOPLIMIT, nh.encap.hopLimit);
  if (nh.encap.trafficClass) w.attrU8(LWTUNNEL_IP6_TC, nh.encap.trafficClass);
  w.endNest(e);
  return w.finish();
}

function groupBytes(members: readonly NexthopGroupMember[]): Uint8Array {
  const g = new Uint8Array(members.length * NEXTHOP_GRP_SIZE);
  const v = new DataView(g.buffer);
  members.forEach((m, i) => {
    if (m.weight < 1 || m.weight > 256) throw new RangeError(`nexthop group weight ${m.weight} outside 1..256`);
    v.setUint32(i * NEXTHOP_GRP_SIZE, m.id, true);
    g[i * NEXTHOP_GRP_SIZE + 4] = m.weight - 1;
  });
  return g;
}

export function encodeResilientGroupNew(g: ResilientGroup, flags = NLM_F_CREATE | NLM_F_REPLACE): Uint8Array {
  if (!Number.isInteger(g.buckets) || g.buckets < 1 || g.buckets > 0xffff) throw new RangeError(`resilient group buckets ${g.buckets} outside 1..65535`);
  nhmsg(AF_UNSPEC, g.protocol, flags)
    .attrU32(NHA_ID, g.id)
    .attrBytes(NHA_GROUP, groupBytes(g.members))
    .attrU16(NHA_GROUP_TYPE, NEXTHOP_GRP_TYPE_RES);
  const r = w.beginNest(NHA_RES_GROUP);
  w.attrU16(NHA_RES_GROUP_BUCKETS, g.buckets);
  if (g.idleTimerS !== undefined) w.attrU32(NHA_RES_GROUP_IDLE_TIMER, Math.round(g.idleTimerS * USER_HZ));
  if (g.unbalancedTimerS !== undefined) w.attrU32(NHA_RES_GROUP_UNBALANCED_TIMER, Math.round(g.unbalancedTimerS * USER_HZ));
  w.endNest(r);
  return w.finish();
}

/** A dump of one kind: NHA_OIF in the request returns only that device's nexthops. */
export function encodeEncapNexthopDump(oif?: number): Uint8Array {
  w.begin(RTM_GETNEXTHOP).u8(AF_UNSPEC).zeros(3).u32(0);
  if (oif !== undefined) w.attrU32(NHA_OIF, oif);
  return w.finish();
}

function decodeEncap(a: AttrSet): Ip6Encap | undefined {
  if (a.u16(NHA_ENCAP_TYPE) !== LWTUNNEL_ENCAP_IP6) return undefined;
  const e = a.nested(NHA_ENCAP);
  const dst = e?.ip6(LWTUNNEL_IP6_DST);
  if (!e || dst === undefined) return undefined;
  const out: Ip6Encap = { dst };
  const src = e.ip6(LWTUNNEL_IP6_SRC);
  if (src !== undefined && src !== '::') out.src = src;
  const hl = e.u8(LWTUNNEL_IP6_HOPLIMIT);
  if (hl) out.hopLimit = hl;
  const tc = e.u8(LWTUNNEL_IP6_TC);
  if (tc) out.trafficClass = tc;
  return out;
}

export function decodeEncapNexthop(m: NlMsg): EncapNexthopInfo {
  const p = m.payload;
  need(p, 0, NHMSG_SIZE, 'nhmsg');
  const a = new AttrSet(p, NHMSG_SIZE);
  const id = a.u32(NHA_ID);
  if (id === undefined) throw new NetlinkParseError('BAD_VALUE', 0, 'nexthop without NHA_ID');
  const nh: EncapNexthopInfo = { id, protocol: p[2]!, family: p[0]! };
  const oif = a.u32(NHA_OIF);
  if (oif !== undefined) nh.oif = oif;
  const encap = decodeEncap(a);
  if (encap) nh.encap = encap;
  const g = a.bytes(NHA_GROUP);
  if (g) {
    if (g.length % NEXTHOP_GRP_SIZE) throw new NetlinkParseError('ATTR_BAD_SIZE', 0, `NHA_GROUP of ${g.length} octets`);
    nh.group = [];
    for (let o = 0; o < g.length; o += NEXTHOP_GRP_SIZE) nh.group.push({ id: rdU32(g, o), weight: g[o + 4]! + 1 });
    nh.groupType = a.u16(NHA_GROUP_TYPE) ?? 0;
  }
  const r = a.nested(NHA_RES_GROUP);
  if (r) {
    nh.resilient = {
      buckets: r.u16(NHA_RES_GROUP_BUCKETS) ?? 0,
      idleTimerS: (r.u32(NHA_RES_GROUP_IDLE_TIMER) ?? 0) / USER_HZ,
      unbalancedTimerS: (r.u32(NHA_RES_GROUP_UNBALANCED_TIMER) ?? 0) / USER_HZ,
    };
  }
  return nh;
}

/** `ip -6 nexthop replace id N encap ip6 dst COA src HA [hoplimit H] [tc T] dev DEV proto P` */
export function encapNexthopReplace(sock: NetlinkSocket, nh: EncapNexthop): Promise<void> {
  return sock.request(encodeEncapNexthopNew(nh), { op: () => `RTM_NEWNEXTHOP id ${nh.id} encap ip6 dst ${nh.encap.dst}` });
}

/** `ip nexthop replace id G group A/B type resilient buckets N [idle_timer S] [unbalanced_timer S] proto P` */
export function resilientGroupReplace(sock: NetlinkSocket, g: ResilientGroup): Promise<void> {
  return sock.request(encodeResilientGroupNew(g), { op: () => `RTM_NEWNEXTHOP id ${g.id} group type resilient` });
}

/** `ip nexthop show [dev DEV] [proto P]` with the encapsulation and group type. */
export function encapNexthopDump(sock: NetlinkSocket, filter: { oif?: number; protocol?: number } = {}): Promise<EncapNexthopInfo[]> {
  return sock.dump(
    encodeEncapNexthopDump(filter.oif),
    (m) => {
      if (m.type !== RTM_NEWNEXTHOP) return undefined;
      const nh = decodeEncapNexthop(m);
      return filter.protocol === undefined || nh.protocol === filter.protocol ? nh : undefined;
    },
    'RTM_GETNEXTHOP dump',
  );
}

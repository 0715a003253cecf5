// Flower filters that classify by the inner packet (addresses, next header, ports, traffic
// class) on any chain, with one action: goto another chain, tunnel_key set, or drop. The
// home agent's RFC 6089 flow filters on the shared device's egress use them
// (reconcile/drivers/flow-filters.ts). Ports need the next header (the kernel dissects
// ports of TCP, UDP and SCTP only); a port range uses flower's range keys, one port the
// exact ones (another mask, so another hash table in the same classifier).
import type { Ip6 } from '../../inet/ip6.js';
import { NLM_F_CREATE, NLM_F_REPLACE } from '../netlink/netlink-constants.js';
import { rdBe16, type AttrSet } from '../netlink/parse.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import { NlWriter } from '../netlink/writer.js';
import { writeGactList, writeGotoChainList } from './gact.js';
import { writeTunnelKeySetList } from './tunnel-key.js';
import { writeMirredRedirectList } from './mirred.js';
import {
  ETH_P_IPV6,
  RTM_NEWTFILTER,
  TCA_CHAIN,
  TCA_CLS_FLAGS_SKIP_HW,
  TCA_FLOWER_ACT,
  TCA_FLOWER_FLAGS,
  TCA_FLOWER_KEY_ETH_TYPE,
  TCA_FLOWER_KEY_IP_PROTO,
  TCA_FLOWER_KEY_IP_TOS,
  TCA_FLOWER_KEY_IP_TOS_MASK,
  TCA_FLOWER_KEY_IPV6_DST,
  TCA_FLOWER_KEY_IPV6_DST_MASK,
  TCA_FLOWER_KEY_IPV6_SRC,
  TCA_FLOWER_KEY_IPV6_SRC_MASK,
  TCA_FLOWER_KEY_PORT_DST_MAX,
  TCA_FLOWER_KEY_PORT_DST_MIN,
  TCA_FLOWER_KEY_PORT_SRC_MAX,
  TCA_FLOWER_KEY_PORT_SRC_MIN,
  TCA_FLOWER_KEY_SCTP_DST,
  TCA_FLOWER_KEY_SCTP_SRC,
  TCA_FLOWER_KEY_TCP_DST,
  TCA_FLOWER_KEY_TCP_SRC,
  TCA_FLOWER_KEY_UDP_DST,
  TCA_FLOWER_KEY_UDP_SRC,
  TCA_KIND,
  TCA_OPTIONS,
  TC_PARENT_EGRESS,
} from './tc-constants.js';
import { writeTcmsg } from './tcmsg.js';

export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_SCTP = 132;

/** Exact port keys per next header: [source, destination]. */
const PORT_KEYS: ReadonlyMap<number, readonly [number, number]> = new Map([
  [IPPROTO_TCP, [TCA_FLOWER_KEY_TCP_SRC, TCA_FLOWER_KEY_TCP_DST]],
  [IPPROTO_UDP, [TCA_FLOWER_KEY_UDP_SRC, TCA_FLOWER_KEY_UDP_DST]],
  [IPPROTO_SCTP, [TCA_FLOWER_KEY_SCTP_SRC, TCA_FLOWER_KEY_SCTP_DST]],
]);

export const hasPorts = (ipProto: number | undefined): boolean => ipProto !== undefined && PORT_KEYS.has(ipProto);

export interface PortRange {
  min: number;
  max: number;
}

/** What one flower filter matches; an absent field matches anything. */
export interface FlowerMatch {
  ipProto?: number;
  src?: { addr: Ip6; len: number };
  dst?: { addr: Ip6; len: number };
  /** Only with an ipProto that has ports. min === max: the exact key. */
  srcPort?: PortRange;
  dstPort?: PortRange;
  /** IPv6 Traffic Class (flower's ip_tos) under a mask. */
  tos?: { value: number; mask: number };
}

export type FlowerAction =
  | { kind: 'goto'; chain: number }
  | { kind: 'tunnel-key'; src: Ip6; dst: Ip6 }
  | { kind: 'redirect'; ifindex: number }
  | { kind: 'drop' };

export interface FlowerFlowFilter {
  ifindex: number;
  /** Default: the clsact egress (ffff:fff3). */
  parent?: number;
  chain: number;
  prio: number;
  /** Not 0: chosen by the caller so it can replace and delete it. */
  handle: number;
  match: FlowerMatch;
  action: FlowerAction;
}

/** One text per match, the same for what is written and what a dump reads back (compare by it). */
export function flowerMatchText(m: FlowerMatch): string {
  const parts: string[] = [];
  if (m.ipProto !== undefined) parts.push(`ip_proto ${m.ipProto}`);
  if (m.src) parts.push(`src_ip ${m.src.addr}/${m.src.len}`);
  if (m.dst) parts.push(`dst_ip ${m.dst.addr}/${m.dst.len}`);
  const port = (p: PortRange) => (p.min === p.max ? `${p.min}` : `${p.min}-${p.max}`);
  if (m.srcPort) parts.push(`src_port ${port(m.srcPort)}`);
  if (m.dstPort) parts.push(`dst_port ${port(m.dstPort)}`);
  if (m.tos) parts.push(`ip_tos 0x${m.tos.value.toString(16)}/0x${m.tos.mask.toString(16)}`);
  return parts.join(' ');
}

export function flowerActionText(a: FlowerAction): string {
  if (a.kind === 'goto') return `goto chain ${a.chain}`;
  if (a.kind === 'redirect') return `mirred egress redirect dev #${a.ifindex}`;
  return a.kind === 'drop' ? 'drop' : `tunnel_key set src_ip ${a.src} dst_ip ${a.dst} pass`;
}

function prefixMask(len: number): Uint8Array {
  if (!Number.isInteger(len) || len < 0 || len > 128) throw new RangeError(`flower: prefix length ${len}`);
  const m = new Uint8Array(16);
  for (let i = 0; i < 16; i++) m[i] = len >= (i + 1) * 8 ? 0xff : len > i * 8 ? (0xff << (8 - (len - i * 8))) & 0xff : 0;
  return m;
}

function maskLen(m: Uint8Array | undefined): number {
  if (!m) return 128;
  let n = 0;
  for (const b of m) {
    if (b === 0xff) {
      n += 8;
      continue;
    }
    n += Math.clz32(~b & 0xff) - 24;
    break;
  }
  return n;
}

const be16 = (v: number): Uint8Array => Uint8Array.of((v >> 8) & 0xff, v & 0xff);
const w = new NlWriter();

function writePorts(ipProto: number | undefined, p: PortRange | undefined, exactIndex: 0 | 1, minKey: number, maxKey: number): void {
  if (!p) return;
  const keys = ipProto === undefined ? undefined : PORT_KEYS.get(ipProto);
  if (!keys) throw new RangeError(`flower: ports need TCP, UDP or SCTP, not next header ${ipProto ?? 'any'}`);
  if (p.min === p.max) w.attrBytes(keys[exactIndex], be16(p.min));
  else w.attrBytes(minKey, be16(p.min)).attrBytes(maxKey, be16(p.max));
}

/** RTM_NEWTFILTER for one flow filter; replaces a filter with the same chain, prio and handle by default. */
export function encodeFlowerFlowNew(f: FlowerFlowFilter, flags = NLM_F_CREATE | NLM_F_REPLACE): Uint8Array {
  if (f.handle === 0) throw new RangeError('flower flow filter: handle 0 would let the kernel choose one');
  writeTcmsg(w.begin(RTM_NEWTFILTER, flags), { ifindex: f.ifindex, handle: f.handle >>> 0, parent: f.parent ?? TC_PARENT_EGRESS, prio: f.prio, protocol: ETH_P_IPV6 });
  w.attrString(TCA_KIND, 'flower');
  if (f.chain !== 0) w.attrU32(TCA_CHAIN, f.chain);
  const o = w.beginNest(TCA_OPTIONS);
  const m = f.match;
  w.attrBytes(TCA_FLOWER_KEY_ETH_TYPE, be16(ETH_P_IPV6));
  if (m.ipProto !== undefined) w.attrU8(TCA_FLOWER_KEY_IP_PROTO, m.ipProto);
  if (m.src) w.attrIp6(TCA_FLOWER_KEY_IPV6_SRC, m.src.addr).attrBytes(TCA_FLOWER_KEY_IPV6_SRC_MASK, prefixMask(m.src.len));
  if (m.dst) w.attrIp6(TCA_FLOWER_KEY_IPV6_DST, m.dst.addr).attrBytes(TCA_FLOWER_KEY_IPV6_DST_MASK, prefixMask(m.dst.len));
  writePorts(m.ipProto, m.srcPort, 0, TCA_FLOWER_KEY_PORT_SRC_MIN, TCA_FLOWER_KEY_PORT_SRC_MAX);
  writePorts(m.ipProto, m.dstPort, 1, TCA_FLOWER_KEY_PORT_DST_MIN, TCA_FLOWER_KEY_PORT_DST_MAX);
  if (m.tos) w.attrU8(TCA_FLOWER_KEY_IP_TOS, m.tos.value).attrU8(TCA_FLOWER_KEY_IP_TOS_MASK, m.tos.mask);
  w.attrU32(TCA_FLOWER_FLAGS, TCA_CLS_FLAGS_SKIP_HW);
  const a = f.action;
  if (a.kind === 'goto') writeGotoChainList(w, TCA_FLOWER_ACT, a.chain);
  else if (a.kind === 'drop') writeGactList(w, TCA_FLOWER_ACT, 'drop');
  else if (a.kind === 'redirect') writeMirredRedirectList(w, TCA_FLOWER_ACT, a.ifindex);
  else writeTunnelKeySetList(w, TCA_FLOWER_ACT, a.src, a.dst);
  w.endNest(o);
  return w.finish();
}

const port = (o: AttrSet, key: number): number | undefined => {
  const b = o.bytes(key);
  return b && b.length >= 2 ? rdBe16(b, 0) : undefined;
};

function readPorts(o: AttrSet, ipProto: number | undefined, exactIndex: 0 | 1, minKey: number, maxKey: number): PortRange | undefined {
  const keys = ipProto === undefined ? undefined : PORT_KEYS.get(ipProto);
  const exact = keys && port(o, keys[exactIndex]);
  if (exact !== undefined) return { min: exact, max: exact };
  const min = port(o, minKey);
  const max = port(o, maxKey);
  return min !== undefined && max !== undefined ? { min, max } : undefined;
}

/** The match of a dumped flower filter (the keys flowerMatchText covers). */
export function decodeFlowerMatch(o: AttrSet): FlowerMatch {
  const m: FlowerMatch = {};
  const ipProto = o.u8(TCA_FLOWER_KEY_IP_PROTO);
  if (ipProto !== undefined) m.ipProto = ipProto;
  const src = o.ip6(TCA_FLOWER_KEY_IPV6_SRC);
  if (src !== undefined) m.src = { addr: src, len: maskLen(o.bytes(TCA_FLOWER_KEY_IPV6_SRC_MASK)) };
  const dst = o.ip6(TCA_FLOWER_KEY_IPV6_DST);
  if (dst !== undefined) m.dst = { addr: dst, len: maskLen(o.bytes(TCA_FLOWER_KEY_IPV6_DST_MASK)) };
  const sp = readPorts(o, ipProto, 0, TCA_FLOWER_KEY_PORT_SRC_MIN, TCA_FLOWER_KEY_PORT_SRC_MAX);
  if (sp) m.srcPort = sp;
  const dp = readPorts(o, ipProto, 1, TCA_FLOWER_KEY_PORT_DST_MIN, TCA_FLOWER_KEY_PORT_DST_MAX);
  if (dp) m.dstPort = dp;
  const tos = o.u8(TCA_FLOWER_KEY_IP_TOS);
  if (tos !== undefined) m.tos = { value: tos, mask: o.u8(TCA_FLOWER_KEY_IP_TOS_MASK) ?? 0xff };
  return m;
}

/** `tc filter replace dev DEV egress chain C prio P handle H protocol ipv6 flower skip_hw MATCH action ...` */
export function flowerFlowReplace(sock: NetlinkSocket, f: FlowerFlowFilter): Promise<void> {
  return sock.request(encodeFlowerFlowNew(f), { op: () => `RTM_NEWTFILTER flower chain ${f.chain} prio ${f.prio} handle ${f.handle} ${flowerMatchText(f.match)} action ${flowerActionText(f.action)}` });
}

// RFC 6089 flow bindings as kernel classification (pure): each active flow of a home
// address becomes flower matches on its inner packet and an action, forward over the bound
// BID's care-of address (tunnel_key set, overriding the route's encap) or drop. The shared
// data plane puts them on its device's egress (shared-dataplane.ts): a dispatch filter per
// home address (dst_ip HOA, goto that address's chain; all with one mask, one hash lookup),
// then the address's flows in its chain by FID-PRI. No match: the route's spreading.
import { formatIp6, type Ip6 } from '../../inet/ip6.js';
import { ip6Octets } from '../../inet/ip6-write.js';
import type { Binding } from '../../proto/common/binding.js';
import type { FlowBinding } from '../../proto/ha/flow-bindings.js';
import type { Ip6TrafficSelector } from '../../wire/flow/flow-types.js';

/** Flower filters one flow may expand to (address ranges as prefixes, next header and traffic class ranges as values). */
export const MAX_FILTERS_PER_FLOW = 64;

const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const IPPROTO_SCTP = 132;
/** Next headers whose ports the kernel's flow dissector reads. */
const WITH_PORTS = [IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP] as const;

export interface PortRange {
  min: number;
  max: number;
}

/** One flower filter's keys (the shape of platform/tc/flower-flow.ts's FlowerMatch). */
export interface FlowMatch {
  ipProto?: number;
  src?: { addr: Ip6; len: number };
  /** Only in the mobile node's uplink matches (plan/mn/flow-uplink.ts): the correspondent. */
  dst?: { addr: Ip6; len: number };
  srcPort?: PortRange;
  dstPort?: PortRange;
  tos?: { value: number; mask: number };
}

export type FlowTarget = { kind: 'tunnel'; src: Ip6; dst: Ip6 } | { kind: 'drop' };

/** One active flow of a home address as the kernel will classify it. */
export interface FlowSteer {
  fid: number;
  /** tc priority in the home address's chain: FID-PRI + 1 (tc priority 0 means "any"). */
  prio: number;
  matches: FlowMatch[];
  target: FlowTarget;
}

export type SelectorMatches = { ok: true; matches: FlowMatch[] } | { ok: false; reason: string };

/** The tc priority of a FID-PRI: lower first, as RFC 6089 orders flows (65535 shares 65535 with 65534). */
export const flowPrio = (fidPri: number): number => Math.min(fidPri + 1, 0xffff);

const toBig = (b: Uint8Array): bigint => b.reduce((n, x) => (n << 8n) | BigInt(x), 0n);
function fromBig(v: bigint): Ip6 {
  const b = new Uint8Array(16);
  for (let i = 15; i >= 0; i--) {
    b[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return formatIp6(b);
}

/** The fewest prefixes covering start..end exactly (RFC 6088 ranges are inclusive), or undefined past `limit`. */
export function rangeToPrefixes(start: bigint, end: bigint, bits: number, limit: number): { value: bigint; len: number }[] | undefined {
  const out: { value: bigint; len: number }[] = [];
  let s = start;
  while (s <= end) {
    let size = 0;
    while (size < bits && (s & ((1n << BigInt(size + 1)) - 1n)) === 0n && s + (1n << BigInt(size + 1)) - 1n <= end) size++;
    out.push({ value: s, len: bits - size });
    if (out.length > limit) return undefined;
    s += 1n << BigInt(size);
  }
  return out;
}

function values(start: number | undefined, end: number | undefined, limit: number): number[] | undefined {
  if (start === undefined) return undefined;
  const e = end ?? start;
  if (e - start + 1 > limit) return undefined;
  return Array.from({ length: e - start + 1 }, (_, i) => start + i);
}

const range = (start: number | undefined, end: number | undefined): PortRange | undefined => (start === undefined ? undefined : { min: start, max: end ?? start });

/**
 * The flower matches of an RFC 6088 IPv6 selector, as seen on packets to `hoa` (source: the
 * correspondent). The destination address only decides whether the flow can match packets
 * to `hoa` at all (the dispatch filter already selected them). Ports without a next header
 * match TCP, UDP and SCTP; a next header without ports and ports together match nothing.
 * Not expressible in flower here: SPI and flow label (refused with the reason).
 */
export function selectorMatches(ts: Ip6TrafficSelector, hoa: Ip6): SelectorMatches {
  if (ts.spiStart !== undefined) return { ok: false, reason: 'SPI ranges are not classified by flower in this kernel' };
  if (ts.flowLabelStart !== undefined) return { ok: false, reason: 'flow label ranges are not classified by flower' };
  if (ts.destinationAddressStart) {
    const h = toBig(ip6Octets(hoa));
    const lo = toBig(ts.destinationAddressStart);
    const hi = ts.destinationAddressEnd ? toBig(ts.destinationAddressEnd) : lo;
    if (h < lo || h > hi) return { ok: true, matches: [] };
  }
  let srcs: ({ addr: Ip6; len: number } | undefined)[] = [undefined];
  if (ts.sourceAddressStart) {
    const lo = toBig(ts.sourceAddressStart);
    const p = rangeToPrefixes(lo, ts.sourceAddressEnd ? toBig(ts.sourceAddressEnd) : lo, 128, MAX_FILTERS_PER_FLOW);
    if (!p) return { ok: false, reason: `the source address range needs more than ${MAX_FILTERS_PER_FLOW} prefixes` };
    srcs = p.map((x) => ({ addr: fromBig(x.value), len: x.len }));
  }
  const srcPort = range(ts.sourcePortStart, ts.sourcePortEnd);
  const dstPort = range(ts.destinationPortStart, ts.destinationPortEnd);
  const ports = srcPort !== undefined || dstPort !== undefined;
  let protos: (number | undefined)[] = [undefined];
  const listed = values(ts.nextHeaderStart, ts.nextHeaderEnd, MAX_FILTERS_PER_FLOW);
  if (ts.nextHeaderStart !== undefined && !listed) return { ok: false, reason: `the next header range has more than ${MAX_FILTERS_PER_FLOW} values` };
  if (listed) protos = ports ? listed.filter((p) => (WITH_PORTS as readonly number[]).includes(p)) : listed;
  else if (ports) protos = [...WITH_PORTS];
  let toss: ({ value: number; mask: number } | undefined)[] = [undefined];
  if (ts.trafficClassStart !== undefined) {
    const p = rangeToPrefixes(BigInt(ts.trafficClassStart), BigInt(ts.trafficClassEnd ?? ts.trafficClassStart), 8, MAX_FILTERS_PER_FLOW);
    if (!p) return { ok: false, reason: 'the traffic class range' };
    toss = p.map((x) => ({ value: Number(x.value), mask: (0xff << (8 - x.len)) & 0xff }));
  }
  const matches: FlowMatch[] = [];
  for (const src of srcs) {
    for (const ipProto of protos) {
      for (const tos of toss) {
        const m: FlowMatch = {};
        if (ipProto !== undefined) m.ipProto = ipProto;
        if (src) m.src = src;
        if (srcPort) m.srcPort = srcPort;
        if (dstPort) m.dstPort = dstPort;
        if (tos && tos.mask !== 0) m.tos = tos;
        matches.push(m);
      }
    }
  }
  if (matches.length > MAX_FILTERS_PER_FLOW) return { ok: false, reason: `it needs ${matches.length} filters (at most ${MAX_FILTERS_PER_FLOW})` };
  return { ok: true, matches };
}

/**
 * A flow bound to several BIDs (RFC 6089 allows it) goes over the first of them, in the
 * Binding Reference's order, that is registered through a tunnel; the others take over
 * when it goes. A flow whose only registered BIDs are home bindings (§5.5, on the home
 * link) is not steered: its packets follow the route.
 */
function targetOf(f: FlowBinding, bindings: readonly Binding[], ha: Ip6): FlowTarget | undefined {
  if (f.action === 'discard') return { kind: 'drop' };
  for (const bid of f.bids) {
    const b = bindings.find((x) => x.bid === bid && !x.homeBinding);
    if (b) return { kind: 'tunnel', src: ha, dst: b.coa };
  }
  return undefined;
}

export interface FlowSteering {
  steers: FlowSteer[];
  /** Active flows the kernel cannot classify, with why (they stay in the list, unmatched). */
  unsupported: { fid: number; reason: string }[];
}

/** The kernel classification of one home address's flows (active ones, priority order). */
export function flowSteering(hoa: Ip6, flows: readonly FlowBinding[], bindings: readonly Binding[], ha: Ip6): FlowSteering {
  const out: FlowSteering = { steers: [], unsupported: [] };
  for (const f of flows) {
    if (!f.active) continue;
    const target = targetOf(f, bindings, ha);
    if (!target) continue;
    const m = selectorMatches(f.selector, hoa);
    if (!m.ok) out.unsupported.push({ fid: f.fid, reason: m.reason });
    else if (m.matches.length > 0) out.steers.push({ fid: f.fid, prio: flowPrio(f.priority), matches: m.matches, target });
  }
  return out;
}

// The home agent's shared data plane (issue 13, docs/dataplane-findings.md): instead of one
// ip6tnl device per care-of address, one external (collect_md) ip6tnl device for all
// bindings, an encapsulating nexthop per care-of address, a resilient group per home
// address and one route HOA/128 nhid G; the reverse-tunnel check of §8.3 becomes a tc
// flower filter per (care-of address, home address) on that device's ingress, with a
// matchall drop after them. Pure: the per home address desired state (desired.ts) in,
// these kernel objects out; ids and handles are the drivers' to allocate and adopt.
import type { Ip6 } from '../../inet/ip6.js';
import { nextHopKey, type NexthopWant, type ProxyWant } from '../common/kernel-objects.js';
import type { DesiredState, RouteSpec } from './desired.js';
import type { WantsByKind, WantsPlanner } from './desired-index.js';
import type { FlowMatch, FlowTarget } from './flow-steering.js';

/** Buckets of every home address's resilient group. Fixed for the group's life (the kernel
    refuses to change it), so it is one constant: 16 spread a handful of care-of addresses
    evenly enough and cost the kernel 16 small buckets per home address at 100,000 bindings. */
export const SHARED_GROUP_BUCKETS = 16;

/** tc priorities on the device's ingress: the pair filters first, the drop after them. */
export const PAIR_FILTER_PRIO = 1;
export const DROP_FILTER_PRIO = 2;
/** tc priority of the flow dispatch filters on the device's egress, chain 0. */
export const FLOW_DISPATCH_PRIO = 1;

export interface SharedDataplaneConfig {
  /** The one external ip6tnl device (named with the tunnel ownership prefix). */
  device: string;
}

/** `ip link add DEV type ip6tnl external` (up). */
export interface SharedDeviceWant {
  name: string;
}

/** `tc qdisc add dev DEV clsact`. */
export interface ClsactWant {
  device: string;
}

/** `ip -6 nexthop add id N encap ip6 dst COA src HA dev DEV`: one per care-of address,
    shared by the bindings of several home addresses that use the same one (same object). */
export interface EncapNexthopWant {
  device: string;
  dst: Ip6;
  src: Ip6;
}

/** A group member: an encap nexthop (by its key), or a home-link nexthop (§5.5 home binding). */
export interface SharedMember {
  kind: 'encap' | 'nexthop';
  key: string;
  weight: number;
}

/** `ip nexthop add id G group A/B type resilient buckets B`: one per home address. */
export interface ResGroupWant {
  /** Sorted by kind and key. */
  members: SharedMember[];
  buckets: number;
}

/** `tc filter add dev DEV ingress prio 1 protocol ipv6 flower enc_src_ip COA src_ip HOA[/LEN] action pass`. */
export interface PairFilterWant {
  device: string;
  coa: Ip6;
  /** The home address, or a mobile network prefix's address (RFC 3963 §6.2: the mobile router's reverse tunnel carries its prefix's traffic). */
  hoa: Ip6;
  /** Set for a mobile network prefix: its length (a home address matches all 128 bits). */
  srcLen?: number;
}

/** `tc filter add dev DEV egress prio 1 protocol ipv6 flower dst_ip HOA action goto chain C`: one per home address with flows (the driver allocates C). */
export interface FlowDispatchWant {
  device: string;
  hoa: Ip6;
}

/** `tc filter add dev DEV egress chain C prio P handle H protocol ipv6 flower MATCH action (tunnel_key set src_ip HA dst_ip COA pass | drop)`. */
export interface FlowFilterWant {
  device: string;
  hoa: Ip6;
  fid: number;
  /** 1-based: which of the flow's matches. */
  index: number;
  prio: number;
  match: FlowMatch;
  target: FlowTarget;
}

/** `tc filter add dev DEV ingress prio 2 protocol all matchall action drop`. */
export interface DropFilterWant {
  device: string;
}

export interface SharedRouteWant {
  dst: string;
  dstLen: number;
  via: { kind: 'res-group'; key: string };
}

/** The per home address part: what a BU changes. */
export interface SharedWants {
  'encap-nexthop': Map<string, EncapNexthopWant>;
  'pair-filter': Map<string, PairFilterWant>;
  nexthop: Map<string, NexthopWant>;
  'res-group': Map<string, ResGroupWant>;
  route: Map<string, SharedRouteWant>;
  proxy: Map<string, ProxyWant>;
  'flow-filter': Map<string, FlowFilterWant>;
  'flow-dispatch': Map<string, FlowDispatchWant>;
}

/** The objects every binding shares, wanted whenever the shared data plane is on. */
export interface SharedBaseWants {
  'shared-device': Map<string, SharedDeviceWant>;
  clsact: Map<string, ClsactWant>;
  'drop-filter': Map<string, DropFilterWant>;
}

/**
 * Creation order (deletes go in reverse): the device, its clsact hook, the pair filters
 * before the drop (a registered pair is never dropped while the filters are being set up),
 * then next hops, groups, routes and proxy entries as in the per-binding design, then the
 * flow filters of a home address's chain before the dispatch filter that jumps to it.
 */
export const SHARED_KIND_ORDER = ['shared-device', 'clsact', 'pair-filter', 'drop-filter', 'encap-nexthop', 'nexthop', 'res-group', 'route', 'proxy', 'flow-filter', 'flow-dispatch'] as const;
export type SharedKind = (typeof SHARED_KIND_ORDER)[number];
export const SHARED_PER_HOA_KINDS = ['encap-nexthop', 'pair-filter', 'nexthop', 'res-group', 'route', 'proxy', 'flow-filter', 'flow-dispatch'] as const satisfies readonly SharedKind[];

export const flowFilterKey = (hoa: Ip6, fid: number, index: number): string => `${hoa}|${fid}|${index}`;

export const pairKey = (coa: Ip6, hoa: Ip6): string => `${coa}|${hoa}`;
/** A mobile network prefix's pair: the prefix length makes it another key than a home address's. */
export const prefixPairKey = (coa: Ip6, prefix: Ip6, len: number): string => `${coa}|${prefix}/${len}`;

export function sharedBaseWants(cfg: SharedDataplaneConfig): SharedBaseWants {
  return {
    'shared-device': new Map([[cfg.device, { name: cfg.device }]]),
    clsact: new Map([[cfg.device, { device: cfg.device }]]),
    'drop-filter': new Map([[cfg.device, { device: cfg.device }]]),
  };
}

function compareMembers(a: SharedMember, b: SharedMember): number {
  const ka = `${a.kind}|${a.key}`;
  const kb = `${b.kind}|${b.key}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function membersOf(r: RouteSpec, tunnels: DesiredState['tunnels'], out: SharedWants, cfg: SharedDataplaneConfig): SharedMember[] {
  const members: SharedMember[] = [];
  for (const n of r.nexthops) {
    const weight = Math.min(256, Math.max(1, Math.round(n.weight)));
    if (n.kind === 'tunnel') {
      const t = tunnels.get(n.tunnelKey);
      if (!t) continue;
      out['encap-nexthop'].set(n.tunnelKey, { device: cfg.device, dst: t.remote, src: t.local });
      members.push({ kind: 'encap', key: n.tunnelKey, weight });
    } else {
      const key = nextHopKey(n);
      out.nexthop.set(key, { kind: 'link', interface: n.interface, gateway: n.gateway });
      members.push({ kind: 'nexthop', key, weight });
    }
  }
  return members.sort(compareMembers);
}

const sameMembers = (a: readonly SharedMember[], b: readonly SharedMember[]): boolean =>
  a.length === b.length && a.every((m, i) => m.kind === b[i]!.kind && m.key === b[i]!.key && m.weight === b[i]!.weight);

/**
 * One home address's objects in the shared design, from its per-binding desired state.
 * Every route goes through a group, even with one binding: the route then never changes
 * when care-of addresses come and go, only the group's members do (in place, and with
 * resilient hashing only the buckets of the member that came or went move). The group of
 * the home address is keyed by it; a mobile network prefix uses the same group unless its
 * next hops differ (a home binding: the home link via the home address), then its own.
 * Pair filters: one per (care-of address, home address) of its tunnelled bindings, and one
 * per (care-of address, mobile network prefix) of a prefix route's tunnels.
 */
export function sharedWantsFor(hoa: Ip6, d: DesiredState, cfg: SharedDataplaneConfig): SharedWants {
  const out: SharedWants = { 'encap-nexthop': new Map(), 'pair-filter': new Map(), nexthop: new Map(), 'res-group': new Map(), route: new Map(), proxy: new Map(), 'flow-filter': new Map(), 'flow-dispatch': new Map() };
  const own = d.routes.get(`${hoa}/128`);
  const ownMembers = own ? membersOf(own, d.tunnels, out, cfg) : [];
  for (const [key, r] of d.routes) {
    const members = r === own ? ownMembers : membersOf(r, d.tunnels, out, cfg);
    if (members.length === 0) continue;
    const groupKey = r === own || sameMembers(members, ownMembers) ? hoa : `mnp|${key}`;
    if (!out['res-group'].has(groupKey)) out['res-group'].set(groupKey, { members, buckets: SHARED_GROUP_BUCKETS });
    out.route.set(key, { dst: r.dst, dstLen: r.dstLen, via: { kind: 'res-group', key: groupKey } });
  }
  for (const t of d.tunnels.values()) out['pair-filter'].set(pairKey(t.remote, hoa), { device: cfg.device, coa: t.remote, hoa });
  // A mobile router's prefixes (RFC 3963) come back through the same tunnels with their own
  // sources: one pair filter per (care-of address, prefix) of the prefix route's tunnels.
  for (const r of d.routes.values()) {
    if (r === own) continue;
    for (const n of r.nexthops) {
      const t = n.kind === 'tunnel' ? d.tunnels.get(n.tunnelKey) : undefined;
      if (t) out['pair-filter'].set(prefixPairKey(t.remote, r.dst, r.dstLen), { device: cfg.device, coa: t.remote, hoa: r.dst, srcLen: r.dstLen });
    }
  }
  for (const [key, p] of d.proxies) out.proxy.set(key, { dst: p.address, interface: p.interface });
  // RFC 6089 flows (flow-steering.ts): the home address's chain, and its dispatch filter.
  for (const f of d.flows ?? []) {
    f.matches.forEach((match, i) => out['flow-filter'].set(flowFilterKey(hoa, f.fid, i + 1), { device: cfg.device, hoa, fid: f.fid, index: i + 1, prio: f.prio, match, target: f.target }));
  }
  if (out['flow-filter'].size > 0) out['flow-dispatch'].set(hoa, { device: cfg.device, hoa });
  return out;
}

/** The DesiredIndex's planner for the shared design (per home address kinds only). */
export function sharedPlanner(cfg: SharedDataplaneConfig): WantsPlanner {
  return { kinds: SHARED_PER_HOA_KINDS, wants: (hoa, d) => sharedWantsFor(hoa, d, cfg) as unknown as WantsByKind };
}

// The kernel objects a home agent needs for its binding cache, as a pure function of the
// cache: ip6ip6 tunnels to the care-of addresses, routes for home addresses and mobile
// network prefixes spread over those tunnels, and proxy neighbour entries on the home link.
// Every object has a stable key and the ids of the bindings that need it, so a reconciler
// can diff two states and remove an object only with its last owner.
import { mustParseIp6, type Ip6 } from '../../inet/ip6.js';
import { linkLocalOf, routePrefixParts } from '../../inet/prefix.js';
import { bindingId, type Binding } from '../../proto/common/binding.js';
import type { BindingCache } from '../../proto/common/cache.js';
import type { CompiledHomeAgentConfig } from '../../proto/common/core-config.js';
import type { HomeAgent } from '../../proto/ha/home-agent.js';
import { nextHopKey, type NextHopSpec, type RouteOverNextHops } from '../common/kernel-objects.js';
import { flowSteering, type FlowSteer } from './flow-steering.js';

/** One ip6ip6 tunnel per (home agent address, care-of address); the reconciler names it. The home agent address is the home address's service address in a cluster with shares. */
export interface TunnelSpec {
  key: string;
  local: Ip6;
  remote: Ip6;
  owners: string[];
}

/** A route for 'addr/len' over all next hops (realised as a nexthop group); home link next hops for §5.5 home bindings. */
export interface RouteSpec extends RouteOverNextHops {
  key: string;
  owners: string[];
}

/** A proxy neighbour entry (NTF_PROXY) on the home link. */
export interface ProxySpec {
  key: string;
  address: Ip6;
  interface: string;
  owners: string[];
}

export interface DesiredState {
  tunnels: Map<string, TunnelSpec>;
  routes: Map<string, RouteSpec>;
  proxies: Map<string, ProxySpec>;
  /** RFC 6089 flows to classify in the kernel (one home address's; the shared data plane's). */
  flows?: FlowSteer[];
}

export interface DesiredConfig {
  /** Canonical (RFC 5952) home agent address. */
  homeAgentAddress: Ip6;
  homeLinkInterface: string;
}

/** What the planner needs of the home agent's configuration. */
export function desiredConfigOf(config: CompiledHomeAgentConfig): DesiredConfig {
  return { homeAgentAddress: config.haAddress, homeLinkInterface: config.source.homeLinkInterface };
}

export function emptyDesired(): DesiredState {
  return { tunnels: new Map(), routes: new Map(), proxies: new Map() };
}

export const tunnelKey = (ha: Ip6, coa: Ip6): string => `${ha}|${coa}`;
export const proxyKey = (iface: string, addr: Ip6): string => `${iface}|${addr}`;

function addOwners(into: string[], more: readonly string[]): void {
  for (const o of more) if (!into.includes(o)) into.push(o);
  into.sort();
}

/**
 * Objects needed by one home address's bindings. Nothing while DAD is still running for it
 * (RFC 6275 §10.3.1: the binding is not in force before the BA).
 */
export function desiredForHomeAddress(cache: BindingCache, hoa: Ip6, cfg: DesiredConfig): DesiredState {
  const out = emptyDesired();
  const bindings = cache.bindingsOf(hoa);
  if (bindings.length === 0 || cache.isDadPending(hoa)) return out;
  // Cluster shares: the tunnels start at the service address the home address registers with.
  const ha = cache.record(hoa)?.serviceAddress ?? cfg.homeAgentAddress;
  const iface = cfg.homeLinkInterface;
  const home = bindings.filter((b) => b.homeBinding);
  const ids = bindings.map(bindingId).sort();

  const tunnels = new Map<string, TunnelSpec>();
  for (const b of bindings) {
    if (b.homeBinding) continue; // §5.5: the home address is on-link, no tunnel
    const key = tunnelKey(ha, b.coa);
    const t = tunnels.get(key) ?? { key, local: ha, remote: b.coa, owners: [] };
    addOwners(t.owners, [bindingId(b)]);
    tunnels.set(key, t);
  }
  for (const key of [...tunnels.keys()].sort()) out.tunnels.set(key, tunnels.get(key)!);

  const hops = (gateway: Ip6 | null): NextHopSpec[] => {
    const list: NextHopSpec[] = [...out.tunnels.keys()].map((k) => ({ kind: 'tunnel', tunnelKey: k, weight: 1 }));
    if (home.length > 0) list.push({ kind: 'home-link', interface: iface, gateway, weight: 1 });
    return list;
  };
  out.routes.set(`${hoa}/128`, { key: `${hoa}/128`, dst: hoa, dstLen: 128, nexthops: hops(null), owners: ids });

  const byPrefix = new Map<string, string[]>();
  for (const b of bindings) {
    for (const p of b.mobileNetworkPrefixes) byPrefix.set(p, [...(byPrefix.get(p) ?? []), bindingId(b)]);
  }
  for (const p of [...byPrefix.keys()].sort()) {
    const { address: dst, length: dstLen } = routePrefixParts(p);
    out.routes.set(p, { key: p, dst, dstLen, nexthops: hops(hoa), owners: byPrefix.get(p)!.sort() });
  }

  // Proxy ND defends the home address while the node is away, and stops as soon as a home
  // binding says it is on the home link (§5.5, §6.3; Figures 7 and 9 of Appendix A).
  if (home.length === 0) {
    out.proxies.set(proxyKey(iface, hoa), { key: proxyKey(iface, hoa), address: hoa, interface: iface, owners: ids });
    // RFC 6275 §10.3.1: with the L flag the link-local address is defended too.
    const withL = bindings.filter((b: Binding) => b.flags.l).map(bindingId);
    if (withL.length > 0) {
      const ll = linkLocalOf(mustParseIp6(hoa));
      out.proxies.set(proxyKey(iface, ll), { key: proxyKey(iface, ll), address: ll, interface: iface, owners: withL.sort() });
    }
  }
  return out;
}

/** Adds `part` into `into`, uniting owners (and next hops) of objects with the same key. */
export function mergeDesired(into: DesiredState, part: DesiredState): DesiredState {
  for (const [k, t] of part.tunnels) {
    const have = into.tunnels.get(k);
    if (have) addOwners(have.owners, t.owners);
    else into.tunnels.set(k, { ...t, owners: [...t.owners] });
  }
  for (const [k, r] of part.routes) {
    const have = into.routes.get(k);
    if (!have) {
      into.routes.set(k, { ...r, nexthops: [...r.nexthops], owners: [...r.owners] });
      continue;
    }
    addOwners(have.owners, r.owners);
    const seen = new Set(have.nexthops.map(nextHopKey));
    for (const n of r.nexthops) if (!seen.has(nextHopKey(n))) have.nexthops.push(n);
  }
  for (const [k, p] of part.proxies) {
    const have = into.proxies.get(k);
    if (have) addOwners(have.owners, p.owners);
    else into.proxies.set(k, { ...p, owners: [...p.owners] });
  }
  return into;
}

/** The whole desired state of a home agent. */
export function desiredState(cache: BindingCache, cfg: DesiredConfig): DesiredState {
  const out = emptyDesired();
  for (const hoa of cache.homeAddresses()) mergeDesired(out, desiredForHomeAddress(cache, hoa, cfg));
  return out;
}

/** The whole desired state of a home agent core, as its cache stands. */
export function homeAgentDesired(ha: Pick<HomeAgent, 'cache' | 'config'>): DesiredState {
  return desiredState(ha.cache, desiredConfigOf(ha.config));
}

/** Incremental path: the objects one home address needs (recompute after its BU), its flows' classification too. */
export function homeAgentDesiredFor(ha: Pick<HomeAgent, 'cache' | 'config' | 'flows'>, hoa: Ip6): DesiredState {
  const cfg = desiredConfigOf(ha.config);
  const d = desiredForHomeAddress(ha.cache, hoa, cfg);
  if (d.tunnels.size > 0) {
    const steers = flowSteering(hoa, ha.flows.list(hoa), ha.cache.bindingsOf(hoa), ha.cache.record(hoa)?.serviceAddress ?? cfg.homeAgentAddress).steers;
    if (steers.length > 0) d.flows = steers;
  }
  return d;
}

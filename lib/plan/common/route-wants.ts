// Routes over next hops (a role's plan) -> the kernel's nexthop objects, nexthop groups and
// routes, shared by the home agent and the mobile node. A route with one next hop points at
// its nexthop object; with several, at a group; next hops and groups used by several routes
// are one object each.
import { nextHopKey, type GroupWant, type NexthopWant, type NextHopSpec, type RouteOverNextHops, type RouteWant } from './kernel-objects.js';

export interface RouteWants {
  nexthop: Map<string, NexthopWant>;
  group: Map<string, GroupWant>;
  route: Map<string, RouteWant>;
}

function nexthopWant(n: NextHopSpec): NexthopWant {
  return n.kind === 'tunnel' ? { kind: 'tunnel', tunnelKey: n.tunnelKey } : { kind: 'link', interface: n.interface, gateway: n.gateway };
}

/** Weights are kept in the kernel's range 1..256. */
const clampWeight = (w: number): number => Math.min(256, Math.max(1, Math.round(w)));

/** The objects for `routes` (keyed as the route kind will be); a route without next hops is left out. */
export function routeWants(routes: ReadonlyMap<string, RouteOverNextHops>): RouteWants {
  const out: RouteWants = { nexthop: new Map(), group: new Map(), route: new Map() };
  for (const [key, r] of routes) {
    if (r.nexthops.length === 0) continue;
    const { dst, dstLen } = r;
    const members = r.nexthops
      .map((n) => {
        const k = nextHopKey(n);
        if (!out.nexthop.has(k)) out.nexthop.set(k, nexthopWant(n));
        return { nexthopKey: k, weight: clampWeight(n.weight) };
      })
      .sort((a, b) => (a.nexthopKey < b.nexthopKey ? -1 : a.nexthopKey > b.nexthopKey ? 1 : 0));
    if (members.length === 1) {
      out.route.set(key, { dst, dstLen, via: { kind: 'nexthop', key: members[0]!.nexthopKey } });
      continue;
    }
    const groupKey = members.map((m) => `${m.nexthopKey}*${m.weight}`).join(';');
    if (!out.group.has(groupKey)) out.group.set(groupKey, { members });
    out.route.set(key, { dst, dstLen, via: { kind: 'group', key: groupKey } });
  }
  return out;
}

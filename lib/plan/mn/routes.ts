// The mobile node's tunnels and routes (pure): one ip6ip6 tunnel per care-of address the home
// agent accepted, bound to the interface that holds it, `mobile_node.routes` spread over those
// tunnels (one nexthop group), and for route optimisation a host route per correspondent
// straight out of its binding's interface (direct-routes.ts).
//
// Source address: routes carry no preferred source; the kernel's source address selection
// (RFC 6724 rule 4, "prefer home addresses", IFA_F_HOMEADDRESS) picks the home address for
// them, and replies to traffic sent to the home address use it anyway.
import { formatIp6, type Ip6 } from '../../inet/ip6.js';
import type { Prefix } from '../../inet/prefix.js';
import type { RouteOverNextHops, TunnelWant } from '../common/kernel-objects.js';
import { routeWants, type RouteWants } from '../common/route-wants.js';
import type { DirectRoute } from './direct-routes.js';

/** One care-of address the home agent accepted, and where it lives. */
export interface AcceptedCareOf {
  coa: Ip6;
  ifindex: number;
}

/** Tunnel key as the shared tunnel driver keys tunnels: `local|remote` (care-of address, home agent). */
export const mnTunnelKey = (coa: Ip6, ha: Ip6): string => `${coa}|${ha}`;

/** The route-side kinds the mobile node plans, in creation order (deletes go in reverse). */
export const MN_ROUTE_KINDS = ['tunnel', 'nexthop', 'group', 'route'] as const;

export interface MobileNodeRouteWants extends RouteWants {
  tunnel: Map<string, TunnelWant>;
}

export interface MobileNodeRoutePlan {
  accepted: readonly AcceptedCareOf[];
  homeAgent: Ip6;
  /** `mobile_node.routes`: through the home agent. */
  routes: readonly Prefix[];
  direct: readonly DirectRoute[];
}

export function mobileNodeRouteWants(p: MobileNodeRoutePlan): MobileNodeRouteWants {
  const tunnel = new Map<string, TunnelWant>();
  for (const a of p.accepted) tunnel.set(mnTunnelKey(a.coa, p.homeAgent), { local: a.coa, remote: p.homeAgent, link: a.ifindex });
  const routes = new Map<string, RouteOverNextHops>();
  for (const r of p.routes) routes.set(r.text, { dst: formatIp6(r.bytes), dstLen: r.length, nexthops: [...tunnel.keys()].map((tunnelKey) => ({ kind: 'tunnel', tunnelKey, weight: 1 })) });
  // Route optimisation: straight out of the binding's interface, also where `routes` covers
  // the correspondent (the host route is the longer prefix; an equal one is replaced).
  for (const r of p.direct) {
    routes.set(`${r.correspondent}/128`, { dst: r.correspondent, dstLen: 128, nexthops: [{ kind: 'home-link', interface: r.iface, gateway: r.gateway, weight: 1 }] });
  }
  return { tunnel, ...routeWants(routes) };
}

// The route-side kernel object kinds every role's planner wants, as the reconciler's drivers
// take them (reconcile/drivers/): ip6tnl links, nexthop objects, nexthop groups, routes and
// proxy neighbours; and the routes over next hops the planners start from. Identifiers the
// kernel assigns (ifindex, nexthop ids, interface names) are chosen by the drivers, never here.
import type { Ip6 } from '../../inet/ip6.js';

export interface TunnelWant {
  local: Ip6;
  remote: Ip6;
  /** Underlying device (IFLA_IPTUN_LINK): a mobile node binds each tunnel to the interface
      holding its care-of address; 0 or absent lets routing choose (the home agent). */
  link?: number;
}

/** A device next hop: through a tunnel (by its key), or out of an interface. */
export type NexthopWant = { kind: 'tunnel'; tunnelKey: string } | { kind: 'link'; interface: string; gateway: Ip6 | null };

export interface GroupWant {
  /** Member next hops by key, sorted by key, with weights 1..256. */
  members: { nexthopKey: string; weight: number }[];
}

export interface RouteWant {
  dst: Ip6;
  dstLen: number;
  /** A single next hop points at its nexthop object; several at a group. */
  via: { kind: 'nexthop' | 'group' | 'res-group'; key: string };
}

export interface ProxyWant {
  dst: Ip6;
  interface: string;
}

/** One next hop of a planned route, with its weight in the group. */
export type NextHopSpec =
  | { kind: 'tunnel'; tunnelKey: string; weight: number }
  /** Out of an interface: the home agent's home link (§5.5 home binding; a prefix goes via
      the router's address), or the mobile node's way to a correspondent (route optimisation). */
  | { kind: 'home-link'; interface: string; gateway: Ip6 | null; weight: number };

export function nextHopKey(n: NextHopSpec): string {
  return n.kind === 'tunnel' ? `t|${n.tunnelKey}` : `h|${n.interface}|${n.gateway ?? ''}`;
}

/** A route for dst/dstLen over all its next hops. */
export interface RouteOverNextHops {
  dst: Ip6;
  dstLen: number;
  nexthops: NextHopSpec[];
}

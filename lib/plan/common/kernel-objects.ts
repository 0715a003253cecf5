// Translates the core's desired state (tunnels, routes over next hops, proxy entries) into
// the kernel's own object kinds: ip6tnl links, nexthop objects, nexthop groups, routes and
// proxy neighbours. Pure: identifiers the kernel assigns (ifindex, nexthop ids, interface
// names) are chosen by the drivers, never here.
import { nextHopKey as nexthopKey, type DesiredState, type NextHopSpec } from '../ha/desired.js';

export interface TunnelWant {
  local: string;
  remote: string;
  /** Underlying device (IFLA_IPTUN_LINK): a mobile node binds each tunnel to the interface
      holding its care-of address; 0 or absent lets routing choose (the home agent). */
  link?: number;
}

/** A device next hop: through a tunnel (by its key), or on the home link (§5.5 home binding). */
export type NexthopWant = { kind: 'tunnel'; tunnelKey: string } | { kind: 'link'; interface: string; gateway: string | null };

export interface GroupWant {
  /** Member next hops by key, sorted by key, with weights 1..256. */
  members: { nexthopKey: string; weight: number }[];
}

export interface RouteWant {
  dst: string;
  dstLen: number;
  /** A single next hop points at its nexthop object; several at a group. */
  via: { kind: 'nexthop' | 'group'; key: string };
}

export interface ProxyWant {
  dst: string;
  interface: string;
}

export interface KernelWants {
  tunnel: Map<string, TunnelWant>;
  nexthop: Map<string, NexthopWant>;
  group: Map<string, GroupWant>;
  route: Map<string, RouteWant>;
  proxy: Map<string, ProxyWant>;
}

/** Object kinds in the order they are created (deletes go in reverse). */
export const KIND_ORDER = ['tunnel', 'nexthop', 'group', 'route', 'proxy'] as const;

function nexthopWant(n: NextHopSpec): NexthopWant {
  return n.kind === 'tunnel' ? { kind: 'tunnel', tunnelKey: n.tunnelKey } : { kind: 'link', interface: n.interface, gateway: n.gateway };
}

/** Weights are kept in the kernel's range 1..256. */
const clampWeight = (w: number): number => Math.min(256, Math.max(1, Math.round(w)));

export function kernelWants(d: DesiredState): KernelWants {
  const out: KernelWants = { tunnel: new Map(), nexthop: new Map(), group: new Map(), route: new Map(), proxy: new Map() };
  for (const [key, t] of d.tunnels) out.tunnel.set(key, { local: t.local, remote: t.remote });
  for (const [key, r] of d.routes) {
    if (r.nexthops.length === 0) continue;
    const slash = r.prefix.lastIndexOf('/');
    const dst = slash < 0 ? r.prefix : r.prefix.slice(0, slash);
    const dstLen = slash < 0 ? 128 : Number(r.prefix.slice(slash + 1));
    const members = r.nexthops
      .map((n) => {
        const k = nexthopKey(n);
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
  for (const [key, p] of d.proxies) out.proxy.set(key, { dst: p.address, interface: p.interface });
  return out;
}

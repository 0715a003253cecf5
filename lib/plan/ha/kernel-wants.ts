// The home agent's desired state (plan/ha/desired.ts) in the kernel's own object kinds:
// its tunnels as ip6tnl links, its routes as nexthop objects, groups and routes
// (plan/common/route-wants.ts), its proxy entries as proxy neighbours.
import type { ProxyWant, TunnelWant } from '../common/kernel-objects.js';
import { routeWants, type RouteWants } from '../common/route-wants.js';
import type { DesiredState } from './desired.js';

export interface KernelWants extends RouteWants {
  tunnel: Map<string, TunnelWant>;
  proxy: Map<string, ProxyWant>;
}

/** Object kinds in the order they are created (deletes go in reverse). */
export const KIND_ORDER = ['tunnel', 'nexthop', 'group', 'route', 'proxy'] as const;

export type KernelKind = (typeof KIND_ORDER)[number];

/**
 * Every kind the home agent's reconciler holds, in creation order, whichever data plane is
 * on: the other design's kinds stay (wanting nothing) so that switching
 * `home_agent.dataplane` removes what the previous one left in the kernel. The shared
 * device and its filters come first; its next hops beside the per-binding ones.
 */
export const HA_KIND_ORDER = ['tunnel', 'shared-device', 'clsact', 'pair-filter', 'drop-filter', 'encap-nexthop', 'nexthop', 'group', 'res-group', 'route', 'proxy', 'flow-filter', 'flow-dispatch'] as const;

export function kernelWants(d: DesiredState): KernelWants {
  const tunnel = new Map<string, TunnelWant>();
  for (const [key, t] of d.tunnels) tunnel.set(key, { local: t.local, remote: t.remote });
  const proxy = new Map<string, ProxyWant>();
  for (const [key, p] of d.proxies) proxy.set(key, { dst: p.address, interface: p.interface });
  return { tunnel, ...routeWants(d.routes), proxy };
}

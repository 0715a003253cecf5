// Route optimisation needs the mobile node's traffic to a correspondent to leave directly
// from the care-of address's interface, also when `mobile_node.routes` (sent through the
// home agent) covers the correspondent: the Home Address option transform rewrites the
// source, not the route. So per correspondent with a registered binding, a host route out
// of that binding's interface, through the gateway the interface's own routes use for it.
// Pure: the Binding Update List and the main table's routes in, the routes wanted out
// (daemon/mn/ro-routes.ts reads the table when the choice may change).
import type { BulView } from '../../proto/mn/index.js';
import type { Route6 } from '../../platform/rtnl/route.js';
import { ip6InPrefix, mustParseIp6, type Ip6 } from '../../inet/ip6.js';
import { lowestBidCareOf } from '../common/ro-xfrm.js';
import { correspondentBindings, type HoldsCareOf } from './ro.js';

export interface DirectRoute {
  correspondent: Ip6;
  iface: string;
  /** null: the correspondent is on-link there. */
  gateway: Ip6 | null;
}

/** Per correspondent, the interface of the care-of address its route-optimisation state uses (lowest BID). */
export function directInterfaces(bul: readonly BulView[], holds: HoldsCareOf): Map<Ip6, string> {
  const out = new Map<Ip6, string>();
  for (const [cn, list] of correspondentBindings(bul, holds)) {
    const coa = lowestBidCareOf(list);
    const iface = list.find((b) => b.coa === coa)?.iface;
    if (iface !== undefined) out.set(cn, iface);
  }
  return out;
}

/**
 * The next hop toward `dst` among the routes through `ifindex` that are not ours (the longest
 * prefix wins, then the lowest metric); undefined when the interface has no way there.
 */
export function gatewayVia(routes: readonly Route6[], ifindex: number, dst: Ip6, ownProtocol: number): { gateway: Ip6 | null } | undefined {
  const target = mustParseIp6(dst);
  let best: Route6 | undefined;
  for (const r of routes) {
    if (r.oif !== ifindex || r.protocol === ownProtocol || r.nhid !== undefined || (r.type ?? 1) !== 1) continue;
    if (!ip6InPrefix(target, mustParseIp6(r.dst), r.dstLen)) continue;
    if (!best || r.dstLen > best.dstLen || (r.dstLen === best.dstLen && r.metric < best.metric)) best = r;
  }
  return best ? { gateway: best.gateway ?? null } : undefined;
}

/** The host routes for `wanted` (correspondent -> interface) that the table gives a way for, by correspondent. */
export function directRoutes(
  wanted: ReadonlyMap<Ip6, string>,
  ifindexOf: (iface: string) => number | undefined,
  routes: readonly Route6[],
  ownProtocol: number,
): DirectRoute[] {
  const out: DirectRoute[] = [];
  for (const [correspondent, iface] of wanted) {
    const ifindex = ifindexOf(iface);
    const via = ifindex === undefined ? undefined : gatewayVia(routes, ifindex, correspondent, ownProtocol);
    if (via) out.push({ correspondent, iface, gateway: via.gateway });
  }
  return out.sort((a, b) => a.correspondent.localeCompare(b.correspondent));
}

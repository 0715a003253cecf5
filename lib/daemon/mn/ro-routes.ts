// Route optimisation needs the mobile node's traffic to a correspondent to leave directly
// from the care-of address's interface, also when `mobile_node.routes` (sent through the
// home agent) covers the correspondent: the Home Address option transform rewrites the
// source, not the route. So per correspondent with a registered binding, a host route out
// of that binding's interface, through the gateway the interface's own routes use for it.
// The choice is pure (the Binding Update List and the main table's routes in, the routes
// wanted out); DirectRouteKeeper reads the table when the choice may change.
import type { Logger } from 'pino';
import type { BulView } from '../../proto/mn/index.js';
import type { NetlinkSocket } from '../../platform/netlink/socket.js';
import { RT_TABLE_MAIN } from '../../platform/rtnl/rtnl-constants.js';
import { routeDump, type Route6 } from '../../platform/rtnl/route.js';
import { ip6InPrefix, mustParseIp6, type Ip6Text } from '../../inet/ip6.js';
import { lowestBidCareOf } from '../../plan/common/ro-xfrm.js';

export interface DirectRoute {
  correspondent: Ip6Text;
  iface: string;
  /** null: the correspondent is on-link there. */
  gateway: Ip6Text | null;
}

/** Per correspondent, the interface of the care-of address its route-optimisation state uses (lowest BID). */
export function directInterfaces(bul: readonly BulView[], holds: (iface: string, coa: Ip6Text) => boolean): Map<Ip6Text, string> {
  const byPeer = new Map<string, { bid: number; coa: Ip6Text; iface: string }[]>();
  for (const e of bul) {
    if (e.role !== 'cn' || e.state !== 'registered' || e.careOf === null || e.iface === null || !holds(e.iface, e.careOf)) continue;
    byPeer.set(e.peer, [...(byPeer.get(e.peer) ?? []), { bid: e.bid ?? 0, coa: e.careOf, iface: e.iface }]);
  }
  const out = new Map<Ip6Text, string>();
  for (const [cn, list] of byPeer) {
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
export function gatewayVia(routes: readonly Route6[], ifindex: number, dst: Ip6Text, ownProtocol: number): { gateway: Ip6Text | null } | undefined {
  const target = mustParseIp6(dst);
  let best: Route6 | undefined;
  for (const r of routes) {
    if (r.oif !== ifindex || r.protocol === ownProtocol || r.nhid !== undefined || (r.type ?? 1) !== 1) continue;
    if (!ip6InPrefix(target, mustParseIp6(r.dst), r.dstLen)) continue;
    if (!best || r.dstLen > best.dstLen || (r.dstLen === best.dstLen && r.metric < best.metric)) best = r;
  }
  return best ? { gateway: best.gateway ?? null } : undefined;
}

export function directRoutes(
  wanted: ReadonlyMap<Ip6Text, string>,
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

/**
 * Keeps the host routes in step with the route-optimised bindings: reads the main table
 * when the correspondent -> interface map changes, then hands the routes to the kernel side.
 */
export class DirectRouteKeeper {
  /** The map the routes were last made for. */
  private key = '[]';
  private stopped = false;

  constructor(
    private readonly rtnl: NetlinkSocket,
    private readonly ifindexOf: (iface: string) => number | undefined,
    private readonly ownProtocol: number,
    private readonly apply: (routes: DirectRoute[]) => void,
    private readonly log: Logger,
  ) {}

  update(wanted: ReadonlyMap<Ip6Text, string>): void {
    const key = JSON.stringify([...wanted]);
    if (key === this.key) return;
    this.key = key;
    if (wanted.size === 0) return this.apply([]);
    routeDump(this.rtnl, { table: RT_TABLE_MAIN }).then(
      (routes) => {
        if (this.stopped || this.key !== key) return;
        const direct = directRoutes(wanted, this.ifindexOf, routes, this.ownProtocol);
        for (const [cn, iface] of wanted) {
          if (!direct.some((d) => d.correspondent === cn)) this.log.warn({ correspondent: cn, iface }, 'no route to the correspondent through the binding interface: its traffic stays in the tunnels');
        }
        this.apply(direct);
      },
      (err: unknown) => {
        this.key = '';
        this.log.warn({ err: String(err) }, 'route dump for route optimisation failed; retried at the next change');
      },
    );
  }

  stop(): void {
    this.stopped = true;
  }
}

// The host routes of route optimisation (plan/mn/direct-routes.ts) kept in step with the
// Binding Update List: the main table is read only when the correspondent -> interface
// choice changes.
import type { Logger } from 'pino';
import type { NetlinkSocket } from '../../platform/netlink/socket.js';
import { RT_TABLE_MAIN } from '../../platform/rtnl/rtnl-constants.js';
import { routeDump } from '../../platform/rtnl/route.js';
import type { Ip6 } from '../../inet/ip6.js';
import { directRoutes, type DirectRoute } from '../../plan/mn/direct-routes.js';

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

  update(wanted: ReadonlyMap<Ip6, string>): void {
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

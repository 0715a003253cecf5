// Home address (/128) and mobile network prefix routes, each pointing at a nexthop object
// or group. Identity is dst/len in our table; our protocol number marks them as ours.
import type { Ip6 } from '../../inet/ip6.js';
import type { NetlinkSocket } from '../../platform/netlink/socket.js';
import { routeDelete, routeDump, routeReplace, type Route6 } from '../../platform/rtnl/route.js';
import type { ObjectDriver } from '../engine.js';
import type { RouteWant } from '../../plan/common/kernel-objects.js';
import type { OwnershipMarks } from '../marks.js';
import { deleted } from './idempotent.js';

export type RouteSeen = Pick<Route6, 'dst' | 'dstLen' | 'nhid'>;

export class RouteDriver implements ObjectDriver<RouteWant, RouteSeen> {
  readonly kind = 'route';

  constructor(
    private readonly sock: NetlinkSocket,
    private readonly marks: OwnershipMarks,
    /** The kernel id of a nexthop or group by key, when it exists. */
    private readonly idOf: (via: RouteWant['via']) => number | undefined,
  ) {}

  /** `ip -6 route show table T proto P` */
  async list(): Promise<Map<string, RouteSeen>> {
    const out = new Map<string, RouteSeen>();
    for (const r of await routeDump(this.sock, { table: this.marks.table, protocol: this.marks.protocol })) {
      const seen: RouteSeen = { dst: r.dst, dstLen: r.dstLen };
      if (r.nhid !== undefined) seen.nhid = r.nhid;
      out.set(`${r.dst}/${r.dstLen}`, seen);
    }
    return out;
  }

  same(d: RouteWant, o: RouteSeen): boolean {
    return o.nhid !== undefined && o.nhid === this.idOf(d.via);
  }

  /** `ip -6 route replace HOA/128 nhid N table T proto P` */
  private async write(d: RouteWant): Promise<RouteSeen> {
    const nhid = this.idOf(d.via);
    if (nhid === undefined) throw new Error(`route ${d.dst}/${d.dstLen}: its ${d.via.kind} does not exist yet`);
    await routeReplace(this.sock, { dst: d.dst, dstLen: d.dstLen, table: this.marks.table, protocol: this.marks.protocol, metric: 0, nhid });
    return { dst: d.dst, dstLen: d.dstLen, nhid };
  }

  create(_key: string, d: RouteWant): Promise<RouteSeen> {
    return this.write(d);
  }

  update(_key: string, d: RouteWant): Promise<RouteSeen> {
    return this.write(d);
  }

  /** `ip -6 route del HOA/128 table T proto P`; already gone is success. */
  async remove(_key: string, o: RouteSeen): Promise<void> {
    await deleted(routeDelete(this.sock, { dst: o.dst, dstLen: o.dstLen, table: this.marks.table, protocol: this.marks.protocol }));
  }
}

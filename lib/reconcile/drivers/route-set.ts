// The four drivers every role's routes go through, wired to each other through the reconciler
// that holds them: next hops find their tunnel's ifindex, routes their next hop's or group's
// kernel id, in what that reconciler last observed.
import type { NetlinkSocket } from '../../platform/netlink/socket.js';
import type { RouteWant } from '../../plan/common/kernel-objects.js';
import type { ObjectDriver, Reconciler } from '../engine.js';
import type { OwnershipMarks } from '../marks.js';
import { GroupDriver, NexthopContext, NexthopDriver, type GroupSeen, type NexthopSeen } from './nexthop.js';
import { RouteDriver } from './route.js';
import type { ResGroupSeen } from './encap-nexthop.js';
import { TunnelDriver, type TunnelSeen } from './tunnel.js';

/** Tunnel, nexthop, group and route drivers, in creation order; `reconciler` is the one they will be given to. */
export function routeDrivers(sock: NetlinkSocket, marks: OwnershipMarks, reconciler: () => Reconciler): ObjectDriver<any, any>[] {
  const r = reconciler;
  const ctx = new NexthopContext(sock, marks, () => r().observedAll<TunnelSeen>('tunnel'), () => r().observedAll<NexthopSeen>('nexthop'));
  const idOf = (via: RouteWant['via']): number | undefined =>
    via.kind === 'nexthop'
      ? r().observed<NexthopSeen>('nexthop', via.key)?.id
      : via.kind === 'group'
        ? r().observed<GroupSeen>('group', via.key)?.id
        : r().observed<ResGroupSeen>('res-group', via.key)?.id; // the home agent's shared data plane
  return [new TunnelDriver(sock, marks), new NexthopDriver(ctx), new GroupDriver(ctx), new RouteDriver(sock, marks, idOf)];
}

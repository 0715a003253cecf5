// The mobile node's kernel side: the home address on lo, the route2 state and inbound MH
// policy that accept Binding Acknowledgements, one tunnel per accepted care-of address,
// and routes with the home address as source spread over the tunnels (a nexthop group).
// Reuses the reconciler and the nexthop, group, route and XFRM drivers of the home agent.
//
// Source address: routes carry no preferred source; the kernel's source address selection
// (RFC 6724 rule 4, "prefer home addresses", IFA_F_HOMEADDRESS) picks the home address for
// them, and replies to traffic sent to the home address use it anyway.
import type { Logger } from 'pino';
import type { HoaIpsecSas } from '../../config/daemon-config.js';
import type { Prefix } from '../../inet/prefix.js';
import type { DesiredState, RouteSpec } from '../../plan/ha/desired.js';
import type { NetlinkSocket } from '../../platform/netlink/socket.js';
import type { XfrmPolicy } from '../../platform/xfrm/policy.js';
import type { XfrmState } from '../../platform/xfrm/state.js';
import { GroupDriver, NexthopContext, NexthopDriver, type GroupSeen, type NexthopSeen } from '../../reconcile/drivers/nexthop.js';
import { RouteDriver } from '../../reconcile/drivers/route.js';
import { DEFAULT_XFRM_BANDS, XfrmPolicyDriver, XfrmStateDriver, policyKey, stateKey, type XfrmBands } from '../../reconcile/drivers/xfrm.js';
import { Reconciler } from '../../reconcile/engine.js';
import { kernelWants, type RouteWant } from '../../plan/common/kernel-objects.js';
import type { OwnershipMarks } from '../../reconcile/marks.js';
import type { Ip6Text } from '../../inet/ip6.js';
import { PassScheduler } from '../../reconcile/pass-scheduler.js';
import type { RoObjects } from '../../plan/common/ro-xfrm.js';
import type { PayloadObjects } from '../../plan/ha/payload-ipsec.js';
import { HomeAddressDriver, mnTunnelKey } from '../../reconcile/drivers/home-address.js';
import type { DirectRoute } from './ro-routes.js';
import { MN_POLICY_PRIORITY_OFFSET, mobileNodeIpsecXfrm } from '../../plan/mn/signalling-ipsec.js';
import { TunnelDriver, type TunnelSeen } from '../../reconcile/drivers/tunnel.js';
import type { TunnelWant } from '../../plan/common/kernel-objects.js';

const IPPROTO_ROUTING = 43;
const IPPROTO_MH = 135;
const XFRM_MODE_ROUTEOPTIMIZATION = 2;
const XFRM_STATE_WILDRECV = 8;
/** Kinds in creation order (deletes go in reverse). */
const ROUTE_KINDS = ['tunnel', 'nexthop', 'group', 'route'] as const;
/** Read but left alone by the first pass after a start: the tunnels' payload SAs go with them. */
const HELD_AT_START = [...ROUTE_KINDS, 'xfrm-state', 'xfrm-policy'] as const;

/** One care-of address the home agent accepted, and where it lives. */
export interface AcceptedCareOf {
  coa: Ip6Text;
  ifindex: number;
}

/**
 * The kernel delivers a packet with a type 2 routing header only where a route2 state
 * matches and a policy lets it in (mipv6-reference.md):
 *   ip xfrm state add src :: dst :: proto route2 spi 0 mode ro coa :: flag wildrecv sel src ::/0 dst ::/0 reqid R
 *   ip xfrm policy add src ::/0 dst ::/0 proto 135 dir in priority P tmpl proto route2 mode ro level use
 */
export function routingHeaderXfrm(bands: XfrmBands): { states: XfrmState[]; policies: XfrmPolicy[] } {
  const any = { src: '::', srcLen: 0, dst: '::', dstLen: 0, proto: 0 };
  return {
    states: [
      { src: '::', dst: '::', proto: IPPROTO_ROUTING, spi: 0, mode: XFRM_MODE_ROUTEOPTIMIZATION, reqid: bands.reqidBase, flags: XFRM_STATE_WILDRECV, selector: any, coaddr: '::' },
    ],
    policies: [
      {
        selector: { ...any, proto: IPPROTO_MH },
        dir: 'in',
        // Below the ESP-protected BA policy of plan/mn/signalling-ipsec.ts in precedence.
        priority: bands.priorityBase + MN_POLICY_PRIORITY_OFFSET.routingHeader,
        templates: [{ proto: IPPROTO_ROUTING, mode: XFRM_MODE_ROUTEOPTIMIZATION, optional: true }],
      },
    ],
  };
}

export class MobileNodeKernel {
  readonly reconciler: Reconciler;
  private readonly scheduler: PassScheduler;
  /** The last desired object per kind and key, reused while unchanged so it stays clean. */
  private readonly lastDesired = new Map<string, Map<string, unknown>>();
  private sas: HoaIpsecSas | undefined;
  /** Undefined until set (setXfrm runs from the constructor, before field initialisers would matter). */
  private ro: RoObjects | undefined;
  /** Payload ESP per accepted care-of address (plan/mn/payload-ipsec.ts), when configured. */
  private payload: PayloadObjects | undefined;

  constructor(
    rtnl: NetlinkSocket,
    xfrm: NetlinkSocket,
    marks: OwnershipMarks,
    private readonly homeAddress: Ip6Text,
    private readonly homeAgent: Ip6Text,
    private readonly routes: readonly Prefix[],
    log: Logger,
    readonly bands: XfrmBands = DEFAULT_XFRM_BANDS,
  ) {
    const r = (): Reconciler => this.reconciler;
    const ctx = new NexthopContext(rtnl, marks, () => r().observedAll<TunnelSeen>('tunnel'), () => r().observedAll<NexthopSeen>('nexthop'));
    const idOf = (via: RouteWant['via']): number | undefined =>
      via.kind === 'nexthop' ? r().observed<NexthopSeen>('nexthop', via.key)?.id : r().observed<GroupSeen>('group', via.key)?.id;
    this.reconciler = new Reconciler([
      new XfrmStateDriver(xfrm, bands),
      new XfrmPolicyDriver(xfrm, bands),
      new HomeAddressDriver(rtnl, homeAddress),
      new TunnelDriver(rtnl, marks),
      new NexthopDriver(ctx),
      new GroupDriver(ctx),
      new RouteDriver(rtnl, marks, idOf),
    ]);
    this.setXfrm(undefined);
    this.reconciler.setDesired('home-address', new Map([[homeAddress, { address: homeAddress }]]));
    this.scheduler = new PassScheduler(this.reconciler, log);
  }

  /** ESP for the Binding Updates and Acknowledgements (plan/mn/signalling-ipsec.ts), or none: the XFRM objects next to the route2 ones. */
  protectSignalling(sas: HoaIpsecSas | undefined): void {
    this.sas = sas;
    this.setXfrm(sas);
    this.schedule();
  }

  /** Route optimisation's XFRM objects (ro-xfrm.ts), replacing the previous set. */
  setRouteOptimisation(ro: RoObjects): void {
    this.ro = ro;
    this.setXfrm(this.sas);
    this.schedule();
  }

  /** The payload ESP objects (daemon/mn/payload-sync.ts), replacing the previous set. */
  setPayload(objects: PayloadObjects): void {
    this.payload = objects;
    this.setXfrm(this.sas);
    this.schedule();
  }

  private setXfrm(sas: HoaIpsecSas | undefined): void {
    const rh = routingHeaderXfrm(this.bands);
    const esp = sas ? mobileNodeIpsecXfrm(sas, this.homeAddress, this.homeAgent, this.bands) : { states: [], policies: [] };
    const ro = this.ro ?? { states: [], policies: [] };
    const pay = this.payload ?? { states: [], policies: [] };
    this.reconciler.setDesired('xfrm-state', new Map([...rh.states, ...esp.states, ...ro.states, ...pay.states].map((s) => [stateKey(s), s])));
    this.reconciler.setDesired('xfrm-policy', new Map([...rh.policies, ...esp.policies, ...ro.policies, ...pay.policies].map((p) => [policyKey(p), p])));
  }

  get totals(): PassScheduler['totals'] {
    return this.scheduler.totals;
  }

  private lastAccepted: readonly AcceptedCareOf[] = [];
  private direct: readonly DirectRoute[] = [];

  /** Host routes to route-optimised correspondents, next to the tunnel routes. */
  setDirectRoutes(direct: readonly DirectRoute[]): void {
    this.direct = direct;
    this.setAccepted(this.lastAccepted);
  }

  /** Tunnels for exactly these care-of addresses, and the routes over them. */
  setAccepted(accepted: readonly AcceptedCareOf[]): void {
    this.lastAccepted = accepted;
    const d: DesiredState = { tunnels: new Map(), routes: new Map(), proxies: new Map() };
    const tunnels = new Map<string, TunnelWant>();
    for (const a of accepted) {
      const key = mnTunnelKey(a.coa, this.homeAgent);
      tunnels.set(key, { local: a.coa, remote: this.homeAgent, link: a.ifindex });
      d.tunnels.set(key, { key, local: a.coa, remote: this.homeAgent, owners: [] });
    }
    for (const p of this.routes) {
      const spec: RouteSpec = { key: p.text, prefix: p.text, nexthops: [...tunnels.keys()].map((tunnelKey) => ({ kind: 'tunnel', tunnelKey, weight: 1 })), owners: [] };
      d.routes.set(p.text, spec);
    }
    // Route optimisation: straight out of the binding's interface (daemon/mn/ro-routes.ts).
    for (const r of this.direct) {
      const key = `${r.correspondent}/128`;
      d.routes.set(key, { key, prefix: key, nexthops: [{ kind: 'home-link', interface: r.iface, gateway: r.gateway, weight: 1 }], owners: [] });
    }
    const w = kernelWants(d);
    const wants: Record<(typeof ROUTE_KINDS)[number], Map<string, unknown>> = { tunnel: tunnels, nexthop: w.nexthop, group: w.group, route: w.route };
    for (const kind of ROUTE_KINDS) {
      // Unchanged objects keep their identity, so only real changes become dirty.
      const next = new Map<string, unknown>();
      for (const [key, v] of wants[kind]) {
        const old = this.lastDesired.get(kind)?.get(key);
        next.set(key, old !== undefined && JSON.stringify(old) === JSON.stringify(v) ? old : v);
      }
      this.lastDesired.set(kind, next);
      this.reconciler.setDesired(kind, next);
    }
    this.schedule();
  }

  /**
   * After a restart the tunnels, nexthops, routes and XFRM objects of the previous run stay
   * (held) through the first pass, until the node knows which care-of addresses remain.
   */
  holdRoutes(): void {
    for (const kind of HELD_AT_START) this.reconciler.hold(kind);
  }

  releaseRoutes(): void {
    for (const kind of HELD_AT_START) this.reconciler.release(kind);
    this.schedule();
  }

  /** Starts the periodic full resync. */
  start(resyncIntervalMs: number): void {
    this.scheduler.startResyncTimer(resyncIntervalMs);
  }

  resync(why: string): void {
    this.scheduler.resync(why);
  }

  schedule(): void {
    this.scheduler.schedule();
  }

  passNow(): Promise<void> {
    return this.scheduler.passNow();
  }

  /** The tunnel device serving a care-of address, if it exists. */
  tunnelOf(coa: Ip6Text): TunnelSeen | undefined {
    return this.reconciler.observed<TunnelSeen>('tunnel', mnTunnelKey(coa, this.homeAgent));
  }

  stop(): Promise<void> {
    return this.scheduler.stop();
  }
}

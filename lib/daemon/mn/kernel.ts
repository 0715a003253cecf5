// The mobile node's kernel side: the home address on lo, and the objects its planners want
// (plan/mn/: the XFRM set, one tunnel per accepted care-of address and the routes over them)
// through one reconciler with the nexthop, group, route and XFRM drivers of the home agent.
import type { Logger } from 'pino';
import type { HoaIpsecSas } from '../../config/daemon-config.js';
import type { Prefix } from '../../inet/prefix.js';
import type { NetlinkSocket } from '../../platform/netlink/socket.js';
import { routeDrivers } from '../../reconcile/drivers/route-set.js';
import { DEFAULT_XFRM_BANDS, XfrmPolicyDriver, XfrmStateDriver, type XfrmBands } from '../../reconcile/drivers/xfrm.js';
import { Reconciler } from '../../reconcile/engine.js';
import type { OwnershipMarks } from '../../reconcile/marks.js';
import type { Ip6 } from '../../inet/ip6.js';
import { PassScheduler, type PassObserver } from '../../reconcile/pass-scheduler.js';
import { keepUnchanged } from '../../plan/common/stable.js';
import { keyedXfrm, stateKey, type XfrmObjects } from '../../plan/common/xfrm-objects.js';
import { mobilePrefixSolicitHaoState } from '../../plan/mn/signalling-ipsec.js';
import type { XfrmState } from '../../platform/xfrm/state.js';
import { HomeAddressDriver } from '../../reconcile/drivers/home-address.js';
import type { DirectRoute } from '../../plan/mn/direct-routes.js';
import { MN_ROUTE_KINDS, mnTunnelKey, mobileNodeRouteWants, type AcceptedCareOf } from '../../plan/mn/routes.js';
import { mobileNodeXfrm } from '../../plan/mn/xfrm.js';
import type { TunnelSeen } from '../../reconcile/drivers/tunnel.js';
import { UplinkFilterDriver } from '../../reconcile/drivers/uplink-filters.js';
import type { UplinkFilterWant } from '../../plan/mn/flow-uplink.js';

export type { AcceptedCareOf } from '../../plan/mn/routes.js';

/** Read but left alone by the first pass after a start: the tunnels' payload SAs go with them. */
const HELD_AT_START = [...MN_ROUTE_KINDS, 'uplink-filter', 'xfrm-state', 'xfrm-policy'] as const;

export class MobileNodeKernel {
  readonly reconciler: Reconciler;
  private readonly scheduler: PassScheduler;
  /** The last desired object per kind and key, reused while unchanged so it stays clean. */
  private readonly lastDesired = new Map<string, Map<string, unknown>>();
  private sas: HoaIpsecSas | undefined;
  /** Undefined until set (setXfrm runs from the constructor, before field initialisers would matter). */
  private ro: XfrmObjects | undefined;
  /** Payload ESP per accepted care-of address (plan/mn/payload-ipsec.ts), when configured. */
  private payload: XfrmObjects | undefined;
  /** With signalling SAs: the care-of address of the Mobile Prefix Solicitations' Home Address option state. */
  private solicitFrom: Ip6 | undefined;

  constructor(
    rtnl: NetlinkSocket,
    xfrm: NetlinkSocket,
    marks: OwnershipMarks,
    private readonly homeAddress: Ip6,
    private readonly homeAgent: Ip6,
    private readonly routes: readonly Prefix[],
    log: Logger,
    readonly bands: XfrmBands = DEFAULT_XFRM_BANDS,
  ) {
    this.reconciler = new Reconciler([
      new XfrmStateDriver(xfrm, bands),
      new XfrmPolicyDriver(xfrm, bands),
      new HomeAddressDriver(rtnl, homeAddress),
      ...routeDrivers(rtnl, marks, () => this.reconciler),
      // RFC 6089 uplink steering on the tunnels' egress (plan/mn/flow-uplink.ts), after the tunnels.
      new UplinkFilterDriver(rtnl, () => this.reconciler.observedAll<TunnelSeen>('tunnel')),
    ]);
    this.setXfrm();
    this.reconciler.setDesired('home-address', new Map([[homeAddress, { address: homeAddress }]]));
    this.scheduler = new PassScheduler(this.reconciler, log);
  }

  /** Reports passes, kernel operations and resyncs (the daemon's metrics). */
  observe(o: PassObserver): void {
    this.scheduler.observe(o);
  }

  /** ESP for the Binding Updates and Acknowledgements (plan/mn/signalling-ipsec.ts), or none: the XFRM objects next to the route2 ones. */
  protectSignalling(sas: HoaIpsecSas | undefined): void {
    this.sas = sas;
    this.setXfrm();
    this.schedule();
  }

  /** Route optimisation's XFRM objects (plan/mn/ro.ts), replacing the previous set. */
  setRouteOptimisation(ro: XfrmObjects): void {
    this.ro = ro;
    this.setXfrm();
    this.schedule();
  }

  /** The payload ESP objects (daemon/mn/payload-sync.ts), replacing the previous set. */
  setPayload(objects: XfrmObjects): void {
    this.payload = objects;
    this.setXfrm();
    this.schedule();
  }

  private setXfrm(): void {
    const x = keyedXfrm(mobileNodeXfrm({ bands: this.bands, homeAddress: this.homeAddress, homeAgent: this.homeAgent, sas: this.sas, ro: this.ro, payload: this.payload, solicitFrom: this.solicitFrom }));
    this.reconciler.setDesired('xfrm-state', x.states);
    this.reconciler.setDesired('xfrm-policy', x.policies);
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
    // The first accepted care-of address carries the solicitations; kept while it stays accepted.
    const from = this.solicitFrom !== undefined && accepted.some((a) => a.coa === this.solicitFrom) ? this.solicitFrom : accepted[0]?.coa;
    if (from !== this.solicitFrom) {
      this.solicitFrom = from;
      this.setXfrm();
    }
    const wants = mobileNodeRouteWants({ accepted, homeAgent: this.homeAgent, routes: this.routes, direct: this.direct });
    for (const kind of MN_ROUTE_KINDS) {
      // Unchanged objects keep their identity, so only real changes become dirty.
      const next = keepUnchanged(this.lastDesired.get(kind), wants[kind] as Map<string, unknown>);
      this.lastDesired.set(kind, next);
      this.reconciler.setDesired(kind, next);
    }
    this.schedule();
  }

  /** The uplink flow filters (plan/mn/flow-uplink.ts), replacing the previous set. */
  setUplink(wants: Map<string, UplinkFilterWant>): void {
    const next = keepUnchanged(this.lastDesired.get('uplink-filter'), wants as Map<string, unknown>);
    this.lastDesired.set('uplink-filter', next);
    this.reconciler.setDesired('uplink-filter', next);
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

  /**
   * The care-of address a Mobile Prefix Solicitation leaves from under ESP: that of the Home
   * Address option state in the kernel (plan/mn/signalling-ipsec.ts), if there is one.
   */
  solicitationCareOf(): Ip6 | undefined {
    if (!this.sas || this.solicitFrom === undefined) return undefined;
    const key = stateKey(mobilePrefixSolicitHaoState(this.homeAddress, this.homeAgent, this.solicitFrom, this.bands));
    return this.reconciler.observed<XfrmState>('xfrm-state', key)?.coaddr;
  }

  /** The tunnel device serving a care-of address, if it exists. */
  tunnelOf(coa: Ip6): TunnelSeen | undefined {
    return this.reconciler.observed<TunnelSeen>('tunnel', mnTunnelKey(coa, this.homeAgent));
  }

  stop(): Promise<void> {
    return this.scheduler.stop();
  }
}

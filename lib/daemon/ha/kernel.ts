// The home agent's kernel side: the core's desired state in, the kernel made to match.
// Wires the object drivers into one Reconciler in dependency order, for either data plane:
// per-binding (an ip6tnl device per care-of address) or shared (one external device,
// encap nexthops, resilient groups and pair filters; plan/ha/shared-dataplane.ts).
import type { DesiredState } from '../../plan/ha/desired.js';
import type { NetlinkSocket } from '../../platform/netlink/socket.js';
import { ProxyDriver } from '../../reconcile/drivers/proxy.js';
import { routeDrivers } from '../../reconcile/drivers/route-set.js';
import type { TunnelSeen } from '../../reconcile/drivers/tunnel.js';
import type { NexthopSeen } from '../../reconcile/drivers/nexthop.js';
import { Reconciler, type ObjectDriver, type PassReport } from '../../reconcile/engine.js';
import { HA_KIND_ORDER, KIND_ORDER, kernelWants } from '../../plan/ha/kernel-wants.js';
import { DEFAULT_MARKS, sharedDeviceName, type OwnershipMarks } from '../../reconcile/marks.js';
import { DEFAULT_XFRM_BANDS, XfrmPolicyDriver, XfrmStateDriver, type XfrmBands } from '../../reconcile/drivers/xfrm.js';
import { keyedXfrm } from '../../plan/common/xfrm-objects.js';
import type { XfrmPolicy } from '../../platform/xfrm/policy.js';
import type { XfrmState } from '../../platform/xfrm/state.js';
import { ClsactDriver, DropFilterDriver, PairFilterDriver, SharedDeviceDriver, type SharedDeviceSeen } from '../../reconcile/drivers/shared-device.js';
import { EncapNexthopDriver, ResGroupDriver, SharedNexthopContext, type EncapNexthopSeen } from '../../reconcile/drivers/encap-nexthop.js';
import { PER_BINDING_PLANNER, type WantsPlanner } from '../../plan/ha/desired-index.js';
import { FlowChains, FlowDispatchDriver, FlowFilterDriver } from '../../reconcile/drivers/flow-filters.js';
import { sharedBaseWants, sharedPlanner } from '../../plan/ha/shared-dataplane.js';

export type HomeAgentDataplane = 'per-binding' | 'shared';

export class HomeAgentKernel {
  readonly reconciler: Reconciler;
  readonly marks: OwnershipMarks;
  readonly xfrmBands: XfrmBands;
  /** How a home address's desired state becomes kernel objects in this data plane. */
  readonly planner: WantsPlanner;
  readonly dropFilter: DropFilterDriver;

  /** `xfrmSock` (NETLINK_XFRM) adds the XFRM state and policy kinds; without it they are absent. */
  constructor(
    sock: NetlinkSocket,
    marks: Partial<OwnershipMarks> = {},
    xfrmSock?: NetlinkSocket,
    xfrmBands: XfrmBands = DEFAULT_XFRM_BANDS,
    readonly dataplane: HomeAgentDataplane = 'per-binding',
  ) {
    this.marks = { ...DEFAULT_MARKS, ...marks };
    this.xfrmBands = xfrmBands;
    const device = sharedDeviceName(this.marks);
    const r = () => this.reconciler;
    const ifindex = () => r().observed<SharedDeviceSeen>('shared-device', device)?.ifindex;
    const [tunnel, nexthop, group, route] = routeDrivers(sock, this.marks, r) as [ObjectDriver<any, any>, ObjectDriver<any, any>, ObjectDriver<any, any>, ObjectDriver<any, any>];
    const ctx = new SharedNexthopContext(sock, this.marks, ifindex);
    this.dropFilter = new DropFilterDriver(sock, device, ifindex);
    const chains = new FlowChains(sock, ifindex);
    const byKind: Record<(typeof HA_KIND_ORDER)[number], ObjectDriver<any, any>> = {
      tunnel,
      'shared-device': new SharedDeviceDriver(sock, device),
      clsact: new ClsactDriver(sock, device, ifindex),
      'pair-filter': new PairFilterDriver(sock, ifindex),
      'drop-filter': this.dropFilter,
      'encap-nexthop': new EncapNexthopDriver(ctx),
      nexthop,
      group,
      'res-group': new ResGroupDriver(
        ctx,
        (key) => r().observed<EncapNexthopSeen>('encap-nexthop', key),
        (key) => r().observed<NexthopSeen>('nexthop', key),
      ),
      route,
      proxy: new ProxyDriver(sock, this.marks),
      'flow-filter': new FlowFilterDriver(chains),
      'flow-dispatch': new FlowDispatchDriver(chains),
    };
    const drivers = HA_KIND_ORDER.map((k) => byKind[k]);
    if (drivers.some((d, i) => d.kind !== HA_KIND_ORDER[i])) throw new Error('driver order does not match HA_KIND_ORDER');
    // XFRM first: states and the policies that use them exist before traffic needs them.
    const xfrm = xfrmSock ? [new XfrmStateDriver(xfrmSock, xfrmBands), new XfrmPolicyDriver(xfrmSock, xfrmBands)] : [];
    this.reconciler = new Reconciler([...xfrm, ...drivers]);
    if (dataplane === 'shared') {
      const cfg = { device };
      this.planner = sharedPlanner(cfg);
      const base = sharedBaseWants(cfg);
      for (const [kind, wants] of Object.entries(base)) this.reconciler.setDesired<unknown>(kind, wants as Map<string, unknown>);
    } else this.planner = PER_BINDING_PLANNER;
  }

  /** Replaces the whole desired state (per-binding data plane); only what changed is written on the next pass. */
  setDesired(d: DesiredState): void {
    if (this.dataplane !== 'per-binding') throw new Error('setDesired: the shared data plane is planned per home address (DesiredIndex)');
    const w = kernelWants(d);
    for (const kind of KIND_ORDER) this.reconciler.setDesired<unknown>(kind, w[kind] as Map<string, unknown>);
  }

  /** The XFRM states and policies wanted (keyed by the kernel's identity of each). */
  setXfrm(states: readonly XfrmState[], policies: readonly XfrmPolicy[]): void {
    const keyed = keyedXfrm({ states, policies });
    this.reconciler.setDesired('xfrm-state', keyed.states);
    this.reconciler.setDesired('xfrm-policy', keyed.policies);
  }

  pass(): Promise<PassReport> {
    return this.reconciler.pass();
  }

  /** The tunnel interface serving a care-of address, for counters and `mcoactl` (per-binding only). */
  tunnelOf(tunnelKey: string): TunnelSeen | undefined {
    return this.reconciler.observed<TunnelSeen>('tunnel', tunnelKey);
  }

  /** Packets dropped by the shared device's pair check since it was created; undefined without it. */
  async pairCheckDrops(): Promise<number | undefined> {
    if (this.dataplane !== 'shared') return undefined;
    return this.dropFilter.read();
  }
}

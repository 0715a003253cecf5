// The home agent's kernel side: the core's desired state in, the kernel made to match.
// Wires the object drivers into one Reconciler in dependency order.
import type { DesiredState } from '../../plan/ha/desired.js';
import type { NetlinkSocket } from '../../platform/netlink/socket.js';
import { ProxyDriver } from '../../reconcile/drivers/proxy.js';
import { routeDrivers } from '../../reconcile/drivers/route-set.js';
import type { TunnelSeen } from '../../reconcile/drivers/tunnel.js';
import { Reconciler, type PassReport } from '../../reconcile/engine.js';
import { KIND_ORDER, kernelWants } from '../../plan/ha/kernel-wants.js';
import { DEFAULT_MARKS, type OwnershipMarks } from '../../reconcile/marks.js';
import { DEFAULT_XFRM_BANDS, XfrmPolicyDriver, XfrmStateDriver, type XfrmBands } from '../../reconcile/drivers/xfrm.js';
import { keyedXfrm } from '../../plan/common/xfrm-objects.js';
import type { XfrmPolicy } from '../../platform/xfrm/policy.js';
import type { XfrmState } from '../../platform/xfrm/state.js';

export class HomeAgentKernel {
  readonly reconciler: Reconciler;
  readonly marks: OwnershipMarks;

  readonly xfrmBands: XfrmBands;

  /** `xfrmSock` (NETLINK_XFRM) adds the XFRM state and policy kinds; without it they are absent. */
  constructor(sock: NetlinkSocket, marks: Partial<OwnershipMarks> = {}, xfrmSock?: NetlinkSocket, xfrmBands: XfrmBands = DEFAULT_XFRM_BANDS) {
    this.marks = { ...DEFAULT_MARKS, ...marks };
    this.xfrmBands = xfrmBands;
    const drivers = [...routeDrivers(sock, this.marks, () => this.reconciler), new ProxyDriver(sock, this.marks)];
    if (drivers.map((d) => d.kind).join() !== KIND_ORDER.join()) throw new Error('driver order does not match KIND_ORDER');
    // XFRM first: states and the policies that use them exist before traffic needs them.
    const xfrm = xfrmSock ? [new XfrmStateDriver(xfrmSock, xfrmBands), new XfrmPolicyDriver(xfrmSock, xfrmBands)] : [];
    this.reconciler = new Reconciler([...xfrm, ...drivers]);
  }

  /** Replaces the whole desired state; only what changed is written on the next pass. */
  setDesired(d: DesiredState): void {
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

  /** The tunnel interface serving a care-of address, for counters and `mcoactl`. */
  tunnelOf(tunnelKey: string): TunnelSeen | undefined {
    return this.reconciler.observed<TunnelSeen>('tunnel', tunnelKey);
  }
}

// The correspondent node's kernel side: the XFRM objects of route optimisation
// (ro-xfrm.ts) for its binding cache, through the reconciler and the XFRM drivers in
// mcoad's priority and reqid bands, so a restart adopts what the last run installed.
import type { Logger } from 'pino';
import type { BindingCache } from '../../proto/common/cache.js';
import type { NetlinkSocket } from '../../platform/netlink/socket.js';
import type { XfrmPolicy } from '../../platform/xfrm/policy.js';
import type { XfrmState } from '../../platform/xfrm/state.js';
import { DEFAULT_XFRM_BANDS, XfrmPolicyDriver, XfrmStateDriver, policyKey, stateKey, type XfrmBands } from '../../reconcile/drivers/xfrm.js';
import { Reconciler } from '../../reconcile/engine.js';
import type { Ip6Text } from '../../inet/ip6.js';
import { PassScheduler } from '../../reconcile/pass-scheduler.js';
import { correspondentBindingXfrm, correspondentStaticXfrm, lowestBidCareOf, mergeRo, type RoObjects } from '../../plan/common/ro-xfrm.js';

/** Every XFRM object a correspondent at `cn` needs for these bindings (pure). */
export function correspondentXfrm(cn: Ip6Text, cache: BindingCache, bands: XfrmBands): RoObjects {
  const parts = [correspondentStaticXfrm(cn, bands)];
  for (const hoa of cache.homeAddresses()) {
    const coa = lowestBidCareOf(cache.bindingsOf(hoa));
    if (coa !== null) parts.push(correspondentBindingXfrm(cn, hoa, coa, bands));
  }
  return mergeRo(parts);
}

export class CorrespondentKernel {
  readonly reconciler: Reconciler;
  private readonly scheduler: PassScheduler;
  /** Desired objects by key, reused while unchanged so only real changes become dirty. */
  private states = new Map<string, XfrmState>();
  private policies = new Map<string, XfrmPolicy>();

  constructor(
    xfrm: NetlinkSocket,
    private readonly address: Ip6Text,
    log: Logger,
    readonly bands: XfrmBands = DEFAULT_XFRM_BANDS,
  ) {
    this.reconciler = new Reconciler([new XfrmStateDriver(xfrm, bands), new XfrmPolicyDriver(xfrm, bands)]);
    this.scheduler = new PassScheduler(this.reconciler, log);
  }

  get totals(): PassScheduler['totals'] {
    return this.scheduler.totals;
  }

  /** The objects for the cache as it is now; a pass follows. */
  setBindings(cache: BindingCache): void {
    const want = correspondentXfrm(this.address, cache, this.bands);
    this.states = keep(this.states, new Map(want.states.map((s) => [stateKey(s), s])));
    this.policies = keep(this.policies, new Map(want.policies.map((p) => [policyKey(p), p])));
    this.reconciler.setDesired('xfrm-state', this.states);
    this.reconciler.setDesired('xfrm-policy', this.policies);
    this.scheduler.schedule();
  }

  start(resyncIntervalMs: number): void {
    this.scheduler.startResyncTimer(resyncIntervalMs);
  }

  passNow(): Promise<void> {
    return this.scheduler.passNow();
  }

  stop(): Promise<void> {
    return this.scheduler.stop();
  }
}

function keep<T>(old: ReadonlyMap<string, T>, next: Map<string, T>): Map<string, T> {
  for (const [k, v] of next) {
    const o = old.get(k);
    if (o !== undefined && JSON.stringify(o) === JSON.stringify(v)) next.set(k, o);
  }
  return next;
}

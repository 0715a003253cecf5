// The correspondent node's kernel side: the XFRM objects of route optimisation for its
// binding cache (plan/cn/ro.ts), through the reconciler and the XFRM drivers in mcoad's
// priority and reqid bands, so a restart adopts what the last run installed.
import type { Logger } from 'pino';
import type { BindingCache } from '../../proto/common/cache.js';
import type { NetlinkSocket } from '../../platform/netlink/socket.js';
import type { XfrmPolicy } from '../../platform/xfrm/policy.js';
import type { XfrmState } from '../../platform/xfrm/state.js';
import { DEFAULT_XFRM_BANDS, XfrmPolicyDriver, XfrmStateDriver, type XfrmBands } from '../../reconcile/drivers/xfrm.js';
import { Reconciler } from '../../reconcile/engine.js';
import type { Ip6 } from '../../inet/ip6.js';
import { PassScheduler, type PassObserver } from '../../reconcile/pass-scheduler.js';
import { correspondentXfrm } from '../../plan/cn/ro.js';
import { keepUnchanged } from '../../plan/common/stable.js';
import { keyedXfrm } from '../../plan/common/xfrm-objects.js';

export class CorrespondentKernel {
  readonly reconciler: Reconciler;
  private readonly scheduler: PassScheduler;
  /** Desired objects by key, reused while unchanged so only real changes become dirty. */
  private states = new Map<string, XfrmState>();
  private policies = new Map<string, XfrmPolicy>();

  constructor(
    xfrm: NetlinkSocket,
    private readonly address: Ip6,
    log: Logger,
    readonly bands: XfrmBands = DEFAULT_XFRM_BANDS,
  ) {
    this.reconciler = new Reconciler([new XfrmStateDriver(xfrm, bands), new XfrmPolicyDriver(xfrm, bands)]);
    this.scheduler = new PassScheduler(this.reconciler, log);
  }

  /** Reports passes, kernel operations and resyncs (the daemon's metrics). */
  observe(o: PassObserver): void {
    this.scheduler.observe(o);
  }

  get totals(): PassScheduler['totals'] {
    return this.scheduler.totals;
  }

  /** The objects for the cache as it is now; a pass follows. */
  setBindings(cache: BindingCache): void {
    const want = keyedXfrm(correspondentXfrm(this.address, cache, this.bands));
    this.states = keepUnchanged(this.states, want.states);
    this.policies = keepUnchanged(this.policies, want.policies);
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

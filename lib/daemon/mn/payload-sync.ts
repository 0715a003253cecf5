// The mobile node's payload SAs (plan/mn/payload-ipsec.ts) kept in step with its Binding Update
// List, and the K bit (MCoA §8.1, RFC 6275 §11.7.1): when an interface's care-of address
// changes and the home agent's BA for it carries K, the inbound SA is moved to the new
// address with XFRM_MSG_MIGRATE just before the pass that would otherwise re-install it;
// without K the reconciler re-installs it there (new counters), logged and counted.
import type { Logger } from 'pino';
import type { PayloadIpsecSas } from '../../config/daemon-config.js';
import type { BulView } from '../../proto/mn/index.js';
import type { NetlinkSocket } from '../../platform/netlink/socket.js';
import type { Reconciler } from '../../reconcile/engine.js';
import type { XfrmBands } from '../../reconcile/drivers/xfrm.js';
import type { Ip6 } from '../../inet/ip6.js';
import { RateLimit } from '../counters.js';
import type { Metrics } from '../metrics/metrics.js';
import { mobileNodePayloadMigration, mobileNodePayloadXfrm, planMobileNodePayload, type MnCoaMove } from '../../plan/mn/payload-ipsec.js';
import type { XfrmObjects } from '../../plan/common/xfrm-objects.js';
import { migratePayload } from '../payload-migrate.js';

/** What this needs of MobileNodeKernel. */
export interface MnPayloadKernel {
  readonly reconciler: Reconciler;
  readonly bands: XfrmBands;
  setPayload(objects: XfrmObjects): void;
  schedule(): void;
}

export interface MnPayloadOptions {
  sa: PayloadIpsecSas;
  homeAgent: Ip6;
  reqid: number;
  /** mobile_node.key_management_mobility: BUs carry K, and a BA with K moves the SAs. */
  keyManagement: boolean;
}

export class MobileNodePayload {
  /** Interface -> care-of address whose payload objects are installed (or held for a move). */
  private current = new Map<string, Ip6>();
  private lastAckK = false;
  /** Steps that must not overlap a pass (XFRM_MSG_MIGRATE), run at the start of the next one. */
  private readonly prePass: (() => Promise<void>)[] = [];
  private readonly warnLimit = new RateLimit(1);

  constructor(
    private readonly opts: MnPayloadOptions,
    private readonly kernel: MnPayloadKernel,
    private readonly xfrm: NetlinkSocket,
    private readonly counters: Metrics,
    private readonly log: Logger,
  ) {
    // Whoever starts a pass runs the queued steps first; passes run one at a time.
    const r = kernel.reconciler;
    const reconcile = r.pass.bind(r);
    r.pass = async () => {
      for (const step of this.prePass.splice(0)) await step();
      return reconcile();
    };
  }

  /** The K flag of the home agent's latest Binding Acknowledgement (before it reaches the core). */
  noteAck(k: boolean): void {
    this.lastAckK = k;
  }

  /** The Binding Update List changed: payload objects for the accepted care-of addresses, moves carried out. */
  /**
   * After a restart: the payload SAs of the tunnels kept from the previous run (interface ->
   * care-of address) stay while those bindings are re-registered.
   */
  adopt(kept: readonly (readonly [string, Ip6])[]): void {
    this.current = new Map(kept);
    const o = this.opts;
    this.kernel.setPayload(mobileNodePayloadXfrm(o.sa, o.homeAgent, [...this.current.values()], o.reqid, this.kernel.bands));
  }

  update(bul: readonly BulView[], accepted: readonly Ip6[]): void {
    const plan = planMobileNodePayload(this.current, bul, accepted);
    this.current = plan.current;
    for (const m of plan.moves) this.move(m);
    const o = this.opts;
    this.kernel.setPayload(mobileNodePayloadXfrm(o.sa, o.homeAgent, plan.coas, o.reqid, this.kernel.bands));
  }

  private move(m: MnCoaMove): void {
    const ids = { iface: m.iface, bid: m.bid, coa: m.to, previous: m.from };
    if (!this.opts.keyManagement || !this.lastAckK) {
      this.counters.inc('ipsec_payload', { outcome: 'reinstalled' });
      if (this.warnLimit.allow(performance.now())) {
        this.log.warn(ids, 'care-of address changed and the BA came without the K bit (or key_management_mobility is off): payload SAs re-installed at the new care-of address (new counters)');
      }
      return;
    }
    const step = mobileNodePayloadMigration(this.opts.homeAgent, m, this.opts.reqid, this.kernel.bands);
    this.prePass.push(() =>
      migratePayload(this.xfrm, step).then(
        () => {
          this.counters.inc('ipsec_payload', { outcome: 'migrated' });
          this.log.info({ ...ids, reqid: step.entry.reqid }, 'K bit: payload SA moved to the new care-of address (XFRM_MSG_MIGRATE; same SPI, keys and counters)');
        },
        (err: unknown) => {
          this.counters.inc('ipsec_payload', { outcome: 'migrate-failed' });
          this.log.warn({ ...ids, err: String(err) }, 'K bit: payload SA could not be moved; re-installed at the new care-of address');
        },
      ),
    );
    this.kernel.schedule();
  }
}

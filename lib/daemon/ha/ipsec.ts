// The home agent's IPsec duties next to the binding cache: which XFRM objects the
// configuration wants (Home Address option, signalling SAs, payload SAs per binding),
// whether a BU reaching the socket was ESP-protected, and §8.1's care-of address moves of
// payload SAs (XFRM_MSG_MIGRATE with the K bit, re-install without).
import type { Logger } from 'pino';
import type { HomeAgentDaemonConfig } from '../../config/daemon-config.js';
import type { CacheEvent } from '../../proto/common/outcome.js';
import type { TunnelSpec } from '../../plan/ha/desired.js';
import type { NetlinkSocket } from '../../platform/netlink/socket.js';
import type { XfrmPolicy } from '../../platform/xfrm/policy.js';
import type { XfrmState } from '../../platform/xfrm/state.js';
import { policyKey, stateKey } from '../../reconcile/drivers/xfrm.js';
import type { MhReceived } from '../../net/mh-socket.js';
import type { Ip6 } from '../../inet/ip6.js';
import { RateLimit } from '../counters.js';
import type { Metrics } from '../metrics/metrics.js';
import type { IpsecObjects } from '../../plan/ha/signalling-ipsec.js';
import { homeAgentConfiguredXfrm } from '../../plan/ha/xfrm.js';
import { mergeXfrm } from '../../plan/common/xfrm-objects.js';
import type { KernelSync } from './kernel-sync.js';
import { careOfChanges, payloadMoves, type CoaMove } from '../../plan/ha/payload-ipsec.js';
import { PayloadIpsecIndex } from '../../plan/ha/payload-index.js';
import { migratePayload } from '../payload-migrate.js';

export class HomeAgentIpsec {
  private inbound: IpsecObjects['inbound'] = new Map();
  /** Payload SAs per home address (plan/ha/payload-index.ts). */
  readonly payload: PayloadIpsecIndex;
  private readonly reinstallLog = new RateLimit(1);

  constructor(
    private readonly kernel: KernelSync,
    /** Moves payload SAs (K bit). */
    private readonly xfrm: NetlinkSocket,
    private readonly counters: Metrics,
    private readonly log: Logger,
  ) {
    this.payload = new PayloadIpsecIndex(kernel.kernel.reconciler);
  }

  /** The XFRM objects the configuration wants: Home Address option state and policy, signalling and payload SAs. */
  configure(cfg: HomeAgentDaemonConfig): void {
    const k = this.kernel.kernel;
    const settings = { bands: k.xfrmBands, ha: cfg.homeAgent.homeAgentAddress, sas: cfg.ipsecSas, ike: cfg.ikeSignalling };
    const configured = homeAgentConfiguredXfrm(settings);
    this.inbound = configured.inbound;
    this.payload.configure(settings);
    for (const [hoa, other] of this.payload.clashes) this.log.error({ hoa, other }, 'payload spi_in already used by another home address: no payload SAs for this one');
    const all = mergeXfrm([configured, this.payload.all()]);
    k.setXfrm(all.states, all.policies);
  }

  /**
   * Whether a BU reaching the socket was protected by ESP. Only the kernel knows, and it
   * enforces it: once the inbound ESP policy for (home address -> home agent address, MH
   * type BU) and its SA are installed, a BU matching it without ESP is dropped before the
   * socket (plan/ha/signalling-ipsec.ts). So: protected exactly when the BU is addressed to the home
   * agent address and its home address has configured SAs the kernel holds now.
   */
  isProtected(m: MhReceived, homeAgentAddress: Ip6): boolean {
    const want = this.inbound.get(m.src);
    if (!want || m.dst !== homeAgentAddress) return false;
    const r = this.kernel.kernel.reconciler;
    const policy = r.observed<XfrmPolicy>('xfrm-policy', policyKey(want.policy));
    if (policy?.priority !== want.policy.priority) return false;
    // SAs from an IKE daemon are not ours to see: the policy alone makes the kernel demand ESP.
    if (!want.state) return true;
    return r.observed<XfrmState>('xfrm-state', stateKey(want.state))?.reqid === want.state.reqid;
  }

  /** Whether this home address's traffic is ESP-protected per binding (K can mean something). */
  protectsPayload(hoa: Ip6): boolean {
    return this.payload.protects(hoa);
  }

  /**
   * A home address's tunnels changed: its payload SAs follow, and each binding that moved to
   * a new care-of address is migrated (K) or re-installed. Resolves per move whether its SA moved.
   */
  tunnelsChanged(hoa: Ip6, tunnels: TunnelSpec[], events: readonly CacheEvent[], keyManagement: boolean, now: number): Promise<boolean>[] {
    const before = this.payload.coas(hoa);
    this.payload.update(hoa, tunnels);
    if (!this.payload.protects(hoa)) return [];
    const mine = events.filter((e) => e.binding.hoa === hoa);
    return payloadMoves(mine, before, this.payload.coas(hoa)).map((m) => this.moveCareOf(m, keyManagement, now));
  }

  /** RFC 6275 §11.7.1 / MCoA §8.1: a K-bit move for a home address without payload SAs. */
  noteKeyManagementMobility(events: readonly CacheEvent[]): void {
    const moved = careOfChanges(events);
    if (moved.length === 0) return;
    this.counters.inc('bu_k_bit_coa_change');
    this.log.info(
      { hoa: moved[0]!.binding.hoa, moves: moved.map((e) => ({ bid: e.binding.bid, coa: e.binding.coa, previous: e.previous.coa })) },
      'K bit with a new care-of address: transport-mode SAs use the home address; nothing to migrate; an IKE daemon must move its IKE SA to the new care-of address itself',
    );
  }

  /**
   * With the K bit the payload SA is moved (XFRM_MSG_MIGRATE, just before the pass that would
   * otherwise re-install it); without, the reconciler re-installs it at the new address, and
   * SAs that come from an IKE daemon need the operator. Resolves whether the SA moved.
   */
  private moveCareOf(m: CoaMove, keyManagement: boolean, now: number): Promise<boolean> {
    const step = keyManagement ? this.payload.migration(m.hoa, m.from, m.to, m.bid) : undefined;
    const ids = { hoa: m.hoa, bid: m.bid, coa: m.to, previous: m.from };
    if (!step) {
      this.counters.inc('ipsec_payload', { outcome: 'reinstalled' });
      if (this.reinstallLog.allow(now)) {
        this.log.warn(ids, 'care-of address changed without the K bit (or with key_management_mobility off): payload SAs re-installed at the new care-of address (new sequence numbers); ' +
          'SAs from an IKE daemon must be re-established from the new care-of address (or moved with MOBIKE, RFC 4555)');
      }
      return Promise.resolve(false);
    }
    return this.kernel.beforeNextPass(() => migratePayload(this.xfrm, step)).then(
      () => {
        this.counters.inc('ipsec_payload', { outcome: 'migrated' });
        this.log.info({ ...ids, reqid: step.entry.reqid }, 'K bit: payload SA moved to the new care-of address (XFRM_MSG_MIGRATE; same SPI, keys and sequence numbers)');
        return true;
      },
      (err: unknown) => {
        this.counters.inc('ipsec_payload', { outcome: 'migrate-failed' });
        this.log.warn({ ...ids, err: String(err) }, 'K bit: payload SA could not be moved; re-installed at the new care-of address (BA without K)');
        return false;
      },
    );
  }
}

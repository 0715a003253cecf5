// mcoad in the correspondent role (RFC 6275 §9, draft-04 §6): Mobility Header socket ->
// codec -> CorrespondentNode core (HoT, CoT, BU with the return routability authenticator,
// MCoA BIDs, no bulk) -> durable store -> sealed Binding Acknowledgement; the binding cache
// -> XFRM route-optimisation objects (ro-xfrm.ts) through the reconciler, so the kernel
// sends traffic to a home address straight to a care-of address with a type 2 routing
// header and takes packets with a Home Address option in. The service shell runs it; the
// journal, expiry timer and operator removals are the home agent's too
// (daemon/binding-cache-service.ts).
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { CorrespondentDaemonConfig } from '../../config/correspondent-section.js';
import { CorrespondentNode } from '../../proto/cn/correspondent.js';
import { ChangeSet } from '../../proto/common/changes.js';
import { checkHomeAddressOption, type HomeAddressCheck } from '../../proto/common/hao-check.js';
import type { BuOutcome, CacheEvent, Outgoing } from '../../proto/common/outcome.js';
import { sealBindingAuthorization } from '../../proto/common/rr-crypto.js';
import type { BindingView } from '../../control/protocol.js';
import type { ControlServer } from '../../control/server.js';
import type { MhReceived } from '../../net/mh-socket.js';
import { restoreInto } from '../../store/index.js';
import type { Ip6 } from '../../inet/ip6.js';
import { ip6Octets } from '../../inet/ip6-write.js';
import { decodeMessage, encodeMessage } from '../../wire/mh.js';
import { mcoaStatusName } from '../../wire/profiles.js';
import type { MobilityMessage } from '../../wire/types.js';
import { noteLimitRefusal } from '../limit-log.js';
import type { NetlinkSocket } from '../../platform/netlink/socket.js';
import { XFRMNLGRP_REPORT } from '../../platform/xfrm/xfrm-constants.js';
import { RateLimit, countReceiveErrors } from '../counters.js';
import { kernelObserver } from '../metrics/kernel-observer.js';
import { bindingStates } from '../metrics/sources.js';
import { BindingCacheService } from '../binding-cache-service.js';
import type { Clock, MhPort } from '../service/host.js';
import { requireStore, type RoleContext, type RoleDaemon, type RoleDefinition, type RoleStats } from '../service/role.js';
import { watchHaoDrops } from '../xfrm-reports.js';
import { CorrespondentKernel } from './kernel.js';
import { planCorrespondentReload } from './reload-plan.js';

const NETLINK_XFRM = 6;
/** RFC 6275 §6.1.9: Binding Error status 2, unrecognised MH type. */
const BE_UNRECOGNIZED_MH_TYPE = 2;

export class CorrespondentDaemon implements RoleDaemon<CorrespondentDaemonConfig> {
  cfg: CorrespondentDaemonConfig;
  readonly log: Logger;
  readonly counters: RoleContext<CorrespondentDaemonConfig>['counters'];
  readonly clock: Clock;
  /** Journal, expiry timer and operator removals, as the home agent has them. */
  readonly cacheService: BindingCacheService;
  private readonly sendBuf = new Uint8Array(4096);
  private readonly badInputLog = new RateLimit(10);
  private readonly limitLog = new RateLimit(1);
  private stopped = false;

  private constructor(
    ctx: RoleContext<CorrespondentDaemonConfig>,
    readonly cn: CorrespondentNode,
    readonly kernel: CorrespondentKernel,
    readonly mh: MhPort,
  ) {
    this.cfg = ctx.cfg;
    this.log = ctx.log;
    this.counters = ctx.counters;
    this.clock = ctx.clock;
    this.cacheService = new BindingCacheService(
      ctx,
      requireStore(ctx),
      {
        cache: () => cn.cache,
        restore: (loaded, nowMs, wallOffsetMs) => {
          restoreInto(cn.cache, loaded, wallOffsetMs);
          cn.expire(nowMs);
          return cn.cache.size;
        },
        kernelChanged: () => {
          kernel.setBindings(cn.cache);
          return Promise.resolve([]);
        },
        expire: (nowMs) => cn.expire(nowMs).events,
        nextDueMs: () => cn.nextExpiryMs(),
        removeByOperator: (hoa, bid) => removeByOperator(cn, hoa, bid),
        statusName: (status) => mcoaStatusName(ctx.cfg.correspondent.core.profile, status) ?? String(status),
      },
      { accepted: 'binding accepted', refused: 'binding refused' },
    );
  }

  /** Loads the journal, adopts the XFRM objects it owns (no flush), opens the socket. */
  static async start(ctx: RoleContext<CorrespondentDaemonConfig>): Promise<CorrespondentDaemon> {
    const { cfg, log, sockets } = ctx;
    const xfrm = sockets.netlink(NETLINK_XFRM);
    const kernel = new CorrespondentKernel(xfrm, cfg.correspondent.address, log.child({ component: 'kernel' }));
    kernel.observe(kernelObserver(ctx.counters));
    const cn = new CorrespondentNode(cfg.correspondent.core, (n) => new Uint8Array(randomBytes(n)), ctx.clock.now());
    // Open before the kernel pass, as the home agent does; messages are taken once it is done.
    const mh = sockets.mh();
    const d = new CorrespondentDaemon(ctx, cn, kernel, mh);
    ctx.counters.source('bindings', () => bindingStates(d.cn.cache));
    ctx.counters.source('home_addresses', () => [[{}, d.cn.cache.homeAddressCount]]);
    ctx.counters.source('kernel_pending', () => [[{}, kernel.reconciler.pendingCount()]]);
    await d.cacheService.restore();
    kernel.setBindings(cn.cache);
    await kernel.passNow();
    kernel.start(cfg.resyncIntervalSeconds * 1000);
    mh.on('message', (m) => d.onMessage(m));
    countReceiveErrors(mh, d.counters, log, d.badInputLog, () => d.clock.now());
    d.watchReports(sockets.netlink(NETLINK_XFRM, [XFRMNLGRP_REPORT]));
    d.cacheService.armTimer();
    return d;
  }

  /** One received Mobility Header message. Never throws: bad input is counted and logged. */
  private onMessage(m: MhReceived): void {
    const now = this.clock.now();
    const profile = this.cfg.correspondent.core.profile;
    const decoded = decodeMessage(m.data, profile);
    const { src, dst } = m;
    const careOfSource = m.homeAddressOption ?? m.src;
    if (!decoded.ok) {
      this.counters.inc('mh_malformed');
      if (this.badInputLog.allow(now)) this.log.debug({ src: m.src, code: decoded.error.code, offset: decoded.error.offset }, 'malformed mobility header');
      if (decoded.error.partial?.kind === 'bu' && this.admitBu(now)) this.apply(this.cn.processDecodeError({ error: decoded.error, hoa: src, careOfSource, dst, ipsecProtected: false, nowMs: now }), now);
      return;
    }
    const msg = decoded.value;
    this.counters.inc('received', { type: msg.kind });
    if (msg.kind === 'hoti' || msg.kind === 'coti') {
      // RFC 6275 §9.4.1/§9.4.3: test init messages never carry a Home Address option.
      if (m.homeAddressOption !== undefined) {
        this.counters.inc('mh_test_init_with_hao');
        return;
      }
      this.send(msg.kind === 'hoti' ? this.cn.processHoti({ message: msg, src, dst, nowMs: now }) : this.cn.processCoti({ message: msg, src, dst, nowMs: now }));
      return;
    }
    if (msg.kind === 'bu') {
      if (this.admitBu(now)) this.apply(this.cn.processBu({ bu: msg, hoa: src, careOfSource, dst, rawMh: m.data, ipsecProtected: false, nowMs: now }), now);
      return;
    }
    // RFC 6275 §9.3.1: any other message with a Home Address option must come from a bound care-of address.
    if (m.homeAddressOption !== undefined) {
      const check = this.checkHomeAddressOption(src, careOfSource);
      if (!check.accept) {
        this.counters.inc('mh_hao_unregistered');
        this.send(check.bindingError);
        return;
      }
    }
    if (msg.kind === 'unknown') {
      this.counters.inc('mh_unknown_type', { mh_type: msg.mhType });
      this.send({
        message: { kind: 'be', payloadProto: 59, checksum: 0, status: BE_UNRECOGNIZED_MH_TYPE, homeAddress: ip6Octets(src), options: [] },
        src: m.dst,
        dst: m.homeAddressOption ?? m.src,
        homeAddress: null,
      });
      return;
    }
    this.counters.inc('mh_ignored', { type: msg.kind });
  }

  private checkHomeAddressOption(hoa: Ip6, coa: Ip6): HomeAddressCheck {
    return checkHomeAddressOption(this.cn.cache, this.cfg.correspondent.address, hoa, coa);
  }

  /** RFC 6275 §9.3.1: other packets with a Home Address option, dropped by the kernel, come back as XFRM reports. */
  private watchReports(sock: NetlinkSocket): void {
    watchHaoDrops(sock, {
      check: (hoa, coa) => this.checkHomeAddressOption(hoa, coa),
      send: (out) => this.send(out),
      counters: this.counters,
      log: this.log,
      logLimit: this.badInputLog,
      clock: this.clock,
    });
  }

  private admitBu(now: number): boolean {
    return this.cacheService.admitBu(this.cn.limits.maxJournalBacklog, now);
  }

  /** Journal the changes, then the BA (sealed when it carries authorization data), then the kernel. */
  private apply(o: BuOutcome, now: number): void {
    const hoa = this.cacheService.noteOutcome(o, now);
    if (o.limit) noteLimitRefusal(this, this.limitLog, o.limit, hoa, now);
    void this.cacheService.changed(o.events, now);
    const ba = o.ba;
    this.cacheService.settle(o, Promise.resolve(), () => {
      if (ba) this.send(ba);
    });
  }

  send(out: Outgoing<MobilityMessage>): void {
    try {
      const encoded = encodeMessage(out.message, this.cfg.correspondent.core.profile, this.sendBuf, 0);
      let data = encoded;
      if (out.authorization) {
        // The authenticator covers the encoded BA with a zero checksum; the kernel fills the checksum.
        data = encoded.slice();
        const a = out.authorization;
        if (!sealBindingAuthorization(data, a.kbm, a.coa, a.correspondent)) throw new TypeError('BA does not end with Binding Authorization Data');
      }
      // With a routing header the kernel wants the home address as destination, the care-of address in the header.
      if (out.homeAddress !== null) this.mh.send({ data, src: out.src, dst: out.homeAddress, routingHeader: out.dst });
      else this.mh.send({ data, src: out.src, dst: out.dst });
      this.counters.inc('sent', { type: out.message.kind });
    } catch (err) {
      this.counters.inc('mh_send_errors');
      this.log.warn({ dst: out.dst, kind: out.message.kind, err: String(err) }, 'send failed');
    }
  }

  /** Applies a re-read file: what can change live does (reload-plan.ts); the shell names what waits for a restart. */
  reload(next: CorrespondentDaemonConfig): string[] {
    const plan = planCorrespondentReload(this.cfg, next);
    this.cfg = plan.running;
    this.cn.reconfigure(plan.running.correspondent.core);
    if (plan.resyncChanged) this.kernel.start(plan.running.resyncIntervalSeconds * 1000);
    const c = plan.running.correspondent.core;
    this.log.info({ maxLifetime: c.maxLifetimeSeconds, mcoa: c.mcoaAllowed, profile: c.profile.name, resyncInterval: plan.running.resyncIntervalSeconds, maxBindings: this.cn.limits.maxBindings, maxJournalBacklog: this.cn.limits.maxJournalBacklog }, 'configuration reloaded');
    return [...next.warnings];
  }

  bindings(only: Ip6 | undefined, nowMs: number): BindingView[] {
    return this.cacheService.bindings(only, nowMs);
  }

  stats(): RoleStats {
    return this.cacheService.stats({
      kernel: { ...this.kernel.totals, pending: this.kernel.reconciler.pendingCount() },
      socket: { ...this.mh.stats },
      nonces: { held: this.cn.nonces.size },
    });
  }

  registerCommands(server: ControlServer): void {
    this.cacheService.registerCommands(server);
  }

  /** Stops serving; kernel objects stay so a restarted daemon adopts them. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.cacheService.stop();
    this.mh.close();
    await this.kernel.stop();
  }
}

/** `mcoactl del binding` on a correspondent: one binding, or every binding of the home address. */
function removeByOperator(cn: CorrespondentNode, hoa: Ip6, bid?: number): CacheEvent[] {
  const changes = new ChangeSet(cn.cache);
  if (bid === undefined) changes.removeAll(hoa, 'administrative');
  else changes.remove(hoa, bid, 'administrative');
  return changes.events;
}

/** The correspondent role for the service shell (what a reload applies: reload-plan.ts, service/reload-rules.ts). */
export const CORRESPONDENT_ROLE: RoleDefinition<CorrespondentDaemonConfig, CorrespondentDaemon> = {
  role: 'correspondent',
  keepsBindings: true,
  start: (ctx) => CorrespondentDaemon.start(ctx),
};

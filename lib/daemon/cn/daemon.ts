// mcoad in the correspondent role (RFC 6275 §9, draft-04 §6): Mobility Header socket ->
// codec -> CorrespondentNode core (HoT, CoT, BU with the return routability authenticator,
// MCoA BIDs, no bulk) -> durable store -> sealed Binding Acknowledgement; the binding cache
// -> XFRM route-optimisation objects (ro-xfrm.ts) through the reconciler, so the kernel
// sends traffic to a home address straight to a care-of address with a type 2 routing
// header and takes packets with a Home Address option in. One timer for expiry.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { CorrespondentDaemonConfig } from '../../config/correspondent-section.js';
import { CorrespondentNode } from '../../proto/cn/correspondent.js';
import type { BuOutcome, CacheEvent, Outgoing } from '../../proto/common/outcome.js';
import { sealBindingAuthorization } from '../../proto/common/rr-crypto.js';
import type { ControlServer } from '../../control/server.js';
import { monitorEvent } from '../../control/views.js';
import { NetlinkSocket } from '../../platform/netlink/socket.js';
import { MhSocket, type MhReceived } from '../../net/mh-socket.js';
import { BindingStore, recordsForEvents, restoreInto } from '../../store/index.js';
import { mustParseIp6 } from '../../inet/ip6.js';
import { decodeMessage, encodeMessage } from '../../wire/mh.js';
import { mcoaStatusName } from '../../wire/profiles.js';
import type { MobilityMessage } from '../../wire/types.js';
import { Counters, RateLimit } from '../counters.js';
import { CorrespondentKernel } from './kernel.js';

const NETLINK_XFRM = 6;
const MAX_TIMER_MS = 0x7fffffff;
/** RFC 6275 §6.1.9: Binding Error status 2, unrecognised MH type. */
const BE_UNRECOGNIZED_MH_TYPE = 2;

export class CorrespondentDaemon {
  readonly counters = new Counters();
  readonly startedAtMs = Date.now();
  control: ControlServer | undefined;
  private readonly sendBuf = new Uint8Array(4096);
  private readonly badInputLog = new RateLimit(10);
  private readonly refusalLog = new RateLimit(10);
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  private constructor(
    readonly cfg: CorrespondentDaemonConfig,
    readonly log: Logger,
    readonly cn: CorrespondentNode,
    readonly store: BindingStore,
    readonly kernel: CorrespondentKernel,
    readonly mh: MhSocket,
    private readonly sockets: NetlinkSocket[],
  ) {}

  /** Loads the journal, adopts the XFRM objects it owns (no flush), opens the socket. */
  static async start(cfg: CorrespondentDaemonConfig, log: Logger): Promise<CorrespondentDaemon> {
    for (const w of cfg.warnings) log.warn({ config: cfg.file }, w);
    const netns = cfg.netns === null ? {} : { netns: cfg.netns };
    const store = await BindingStore.open(cfg.stateDirectory);
    const sockets: NetlinkSocket[] = [];
    let mh: MhSocket | undefined;
    try {
      const xfrm = NetlinkSocket.open({ protocol: NETLINK_XFRM, ...netns });
      sockets.push(xfrm);
      const kernel = new CorrespondentKernel(xfrm, cfg.correspondent.address, log.child({ component: 'kernel' }));
      const now = Date.now();
      const cn = new CorrespondentNode(cfg.correspondent.core, (n) => new Uint8Array(randomBytes(n)), now);
      restoreInto(cn.cache, store.loadAll(), 0);
      const expired = cn.expire(now).events.length;
      store.dropExpired(now);
      await store.commit();
      log.info({ restored: cn.cache.size, expired }, 'binding cache loaded');
      kernel.setBindings(cn.cache);
      await kernel.passNow();
      kernel.start(cfg.resyncIntervalSeconds * 1000);
      mh = MhSocket.open({ ...netns });
      const d = new CorrespondentDaemon(cfg, log, cn, store, kernel, mh, sockets);
      mh.on('message', (m) => d.onMessage(m));
      mh.on('receiveError', (e) => {
        d.counters.inc('mh', `receive-error-${e.reason}`);
        if (d.badInputLog.allow(Date.now())) log.debug({ reason: e.reason, code: e.code }, `mh receive error: ${e.message}`);
      });
      d.armTimer();
      return d;
    } catch (err) {
      mh?.close();
      for (const s of sockets) s.close();
      await store.close();
      throw err;
    }
  }

  /** One received Mobility Header message. Never throws: bad input is counted and logged. */
  private onMessage(m: MhReceived): void {
    const now = Date.now();
    const profile = this.cfg.correspondent.core.profile;
    const decoded = decodeMessage(m.data, profile);
    const src = mustParseIp6(m.src);
    const dst = mustParseIp6(m.dst);
    const careOfSource = mustParseIp6(m.homeAddressOption ?? m.src);
    if (!decoded.ok) {
      this.counters.inc('mh', 'malformed');
      if (this.badInputLog.allow(now)) this.log.debug({ src: m.src, code: decoded.error.code, offset: decoded.error.offset }, 'malformed mobility header');
      if (decoded.error.partial?.kind === 'bu') this.apply(this.cn.processDecodeError({ error: decoded.error, hoa: src, careOfSource, dst, ipsecProtected: false, nowMs: now }), now);
      return;
    }
    const msg = decoded.value;
    this.counters.inc('received', msg.kind);
    switch (msg.kind) {
      case 'hoti':
      case 'coti':
        // RFC 6275 §9.4.1/§9.4.3: test init messages never carry a Home Address option.
        if (m.homeAddressOption !== undefined) {
          this.counters.inc('mh', 'test-init-with-hao');
          return;
        }
        this.send(msg.kind === 'hoti' ? this.cn.processHoti({ message: msg, src, dst, nowMs: now }) : this.cn.processCoti({ message: msg, src, dst, nowMs: now }));
        return;
      case 'bu':
        this.apply(this.cn.processBu({ bu: msg, hoa: src, careOfSource, dst, rawMh: m.data, ipsecProtected: false, nowMs: now }), now);
        return;
      case 'unknown':
        this.counters.inc('mh', `unknown-type-${msg.mhType}`);
        this.send({
          message: { kind: 'be', payloadProto: 59, checksum: 0, status: BE_UNRECOGNIZED_MH_TYPE, homeAddress: src, options: [] },
          src: m.dst,
          dst: m.homeAddressOption ?? m.src,
          homeAddress: null,
        });
        return;
      default:
        this.counters.inc('mh', `ignored-${msg.kind}`);
    }
  }

  /** Journal the changes, then the BA (sealed when it carries authorization data), then the kernel. */
  private apply(o: BuOutcome, now: number): void {
    if (o.refusal) {
      this.counters.inc('refused', o.refusal.reason);
      if (this.refusalLog.allow(now)) this.log.warn({ hoa: o.refusal.hoa, reason: o.refusal.reason, detail: o.refusal.detail }, 'binding update refused');
    }
    for (const s of o.statuses) {
      this.counters.inc('status', String(s.status));
      const b = o.events.find((e) => e.binding.bid === s.bid)?.binding;
      const name = mcoaStatusName(this.cfg.correspondent.core.profile, s.status) ?? String(s.status);
      this.log.info({ hoa: b?.hoa ?? o.ba?.homeAddress ?? o.ba?.dst, bid: s.bid, coa: b?.coa ?? o.ba?.dst, status: s.status, statusName: name }, s.status < 128 ? 'binding accepted' : 'binding refused');
    }
    this.changed(o.events, now);
    const ba = o.ba;
    if (!ba) return;
    this.store.commit().then(
      () => this.send(ba),
      (err: unknown) => this.fatal('binding store write failed', err),
    );
  }

  private changed(events: readonly CacheEvent[], now: number): void {
    if (events.length === 0) return;
    this.store.append(recordsForEvents(events, this.cn.cache, 0));
    this.kernel.setBindings(this.cn.cache);
    const wall = new Date();
    for (const e of events) this.control?.broadcast(monitorEvent(e, now, wall));
    this.armTimer();
  }

  send(out: Outgoing<MobilityMessage>): void {
    try {
      const encoded = encodeMessage(out.message, this.cfg.correspondent.core.profile, this.sendBuf, 0);
      let data = encoded;
      if (out.authorization) {
        // The authenticator covers the encoded BA with a zero checksum; the kernel fills the checksum.
        data = encoded.slice();
        const a = out.authorization;
        if (!sealBindingAuthorization(data, a.kbm, mustParseIp6(a.coa), mustParseIp6(a.correspondent))) throw new TypeError('BA does not end with Binding Authorization Data');
      }
      // With a routing header the kernel wants the home address as destination, the care-of address in the header.
      if (out.homeAddress !== null) this.mh.send({ data, src: out.src, dst: out.homeAddress, routingHeader: out.dst });
      else this.mh.send({ data, src: out.src, dst: out.dst });
      this.counters.inc('sent', out.message.kind);
    } catch (err) {
      this.counters.inc('mh', 'send-error');
      this.log.warn({ dst: out.dst, kind: out.message.kind, err: String(err) }, 'send failed');
    }
  }

  private armTimer(): void {
    if (this.stopped) return;
    const next = this.cn.nextExpiryMs();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (next === null) return;
    this.timer = setTimeout(() => this.onTimer(), Math.min(MAX_TIMER_MS, Math.max(0, next - Date.now())));
  }

  private onTimer(): void {
    const now = Date.now();
    const { events } = this.cn.expire(now);
    for (const e of events) this.log.info({ hoa: e.binding.hoa, bid: e.binding.bid, coa: e.binding.coa }, 'binding expired');
    if (events.length > 0) this.counters.inc('bindings', 'expired', events.length);
    this.changed(events, now);
    this.armTimer();
  }

  private fatal(what: string, err: unknown): void {
    this.log.fatal({ err: String(err) }, what);
    process.exitCode = 1;
    void this.stop();
  }

  /** Applies events made outside a BU (operator commands), persisting before resolving. */
  async applyOperatorEvents(events: CacheEvent[]): Promise<number> {
    this.changed(events, Date.now());
    await this.store.commit();
    if (events.length > 0) this.log.info({ removed: events.length }, 'bindings removed by the operator');
    return events.length;
  }

  /** Stops serving; kernel objects stay so a restarted daemon adopts them. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.mh.close();
    await this.kernel.stop();
    for (const s of this.sockets) s.close();
    await this.control?.close();
    await this.store.commit().catch(() => undefined);
    await this.store.close();
  }
}

// mcoad in the home agent role: Mobility Header socket -> codec -> protocol core ->
// durable store -> Binding Acknowledgement, and the core's desired kernel state -> the
// reconciler. One timer for expiry and refresh requests; the kernel forwards all traffic.
import type { Logger } from 'pino';
import type { HomeAgentDaemonConfig } from '../../config/daemon-config.js';
import { HomeAgent } from '../../proto/ha/home-agent.js';
import type { BuOutcome, CacheEvent } from '../../proto/common/outcome.js';
import type { ControlServer } from '../../control/server.js';
import { monitorEvent } from '../../control/views.js';
import { NetlinkSocket } from '../../platform/netlink/socket.js';
import { RTNLGRP_IPV6_ROUTE, RTNLGRP_LINK, RTNLGRP_NEIGH } from '../../platform/rtnl/rtnl-constants.js';
import { MhSocket, type MhReceived } from '../../net/mh-socket.js';
import { NdSocket } from '../../net/nd-socket.js';
import { HomeAgentKernel } from './kernel.js';
import { homeAgentDesiredFor } from '../../plan/ha/desired.js';
import { BindingStore, bindingFromStored, recordsForEvents } from '../../store/index.js';
import { canonicalIp6, formatIp6, mustParseIp6 } from '../../inet/ip6.js';
import { decodeMessage } from '../../wire/mh.js';
import { mcoaStatusName } from '../../wire/profiles.js';
import type { MobilityMessage } from '../../wire/types.js';
import { Counters, RateLimit } from '../counters.js';
import { KernelSync } from './kernel-sync.js';
import { HomeAgentIpsec } from './ipsec.js';
import { sendOutgoing } from './signalling.js';
import { enableHomeAgentSysctls } from './sysctl.js';
import { watchHaoReports } from './xfrm-reports.js';
import { XFRMNLGRP_REPORT } from '../../platform/xfrm/xfrm-constants.js';

const NETLINK_ROUTE = 0;
const NETLINK_XFRM = 6;
/** setTimeout's longest delay. */
const MAX_TIMER_MS = 0x7fffffff;

export class HomeAgentDaemon {
  readonly counters = new Counters();
  ha: HomeAgent;
  private readonly sendBuf = new Uint8Array(4096);
  private readonly badInputLog = new RateLimit(10);
  private readonly refusalLog = new RateLimit(10);
  /** RFC 6275 §9.3.1: Binding Errors for Home Address options are rate-limited. */
  private readonly bindingErrorLimit = new RateLimit(10);
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Set by the caller once the control socket listens; monitor clients get cache events. */
  control: ControlServer | undefined;
  readonly startedAtMs = Date.now();
  readonly ipsec: HomeAgentIpsec;

  private constructor(
    public cfg: HomeAgentDaemonConfig,
    readonly log: Logger,
    readonly store: BindingStore,
    readonly kernel: KernelSync,
    readonly mh: MhSocket,
    readonly nd: NdSocket,
    private readonly sockets: NetlinkSocket[],
    xfrm: NetlinkSocket,
  ) {
    this.ha = new HomeAgent(cfg.homeAgent);
    this.ipsec = new HomeAgentIpsec(kernel, xfrm, this.counters, log.child({ component: 'ipsec' }));
  }

  /** Loads durable state, adopts the kernel objects (no flush), then opens the signalling socket. */
  static async start(cfg: HomeAgentDaemonConfig, log: Logger): Promise<HomeAgentDaemon> {
    for (const w of cfg.warnings) log.warn({ config: cfg.file }, w);
    if (cfg.netns === null) {
      const changed = await enableHomeAgentSysctls(cfg.homeAgent.homeLinkInterface);
      if (changed.length > 0) log.info({ changed }, 'kernel settings for a home agent enabled');
    } else {
      log.warn({ netns: cfg.netns }, 'sockets in another namespace: set forwarding and proxy_ndp there yourself');
    }
    const netns = cfg.netns === null ? {} : { netns: cfg.netns };
    const store = await BindingStore.open(cfg.stateDirectory);
    const sockets: NetlinkSocket[] = [];
    try {
      const rtnl = NetlinkSocket.open({ protocol: NETLINK_ROUTE, ...netns });
      sockets.push(rtnl);
      const xfrm = NetlinkSocket.open({ protocol: NETLINK_XFRM, ...netns });
      sockets.push(xfrm);
      const kernel = new HomeAgentKernel(rtnl, cfg.marks, xfrm);
      const sync = new KernelSync(kernel, log.child({ component: 'kernel' }), cfg.resyncIntervalSeconds * 1000);
      const mh = MhSocket.open({ ...netns });
      const nd = NdSocket.open({ ...netns });
      const d = new HomeAgentDaemon(cfg, log, store, sync, mh, nd, sockets, xfrm);
      await d.restore();
      mh.on('message', (m) => d.onMessage(m));
      mh.on('receiveError', (e) => {
        d.counters.inc('mh', `receive-error-${e.reason}`);
        if (d.badInputLog.allow(Date.now())) log.debug({ reason: e.reason, code: e.code }, `mh receive error: ${e.message}`);
      });
      sync.onProxyAdded = (iface, addr) => d.announce(iface, addr);
      const monitor = NetlinkSocket.open({ protocol: NETLINK_ROUTE, ...netns, groups: [RTNLGRP_LINK, RTNLGRP_NEIGH, RTNLGRP_IPV6_ROUTE] });
      sockets.push(monitor);
      sync.start(monitor);
      // §6.5: non-MH packets with a Home Address option come back as XFRM reports.
      const reports = NetlinkSocket.open({ protocol: NETLINK_XFRM, ...netns, groups: [XFRMNLGRP_REPORT] });
      sockets.push(reports);
      d.watchReports(reports);
      return d;
    } catch (err) {
      for (const s of sockets) s.close();
      await store.close();
      throw err;
    }
  }

  private async restore(): Promise<void> {
    const now = Date.now();
    const loaded = this.store.loadAll();
    const restored = this.ha.restore(
      loaded.bindings.map((s) => bindingFromStored(s, 0)),
      loaded.sequences,
      now,
    );
    const dropped = this.store.dropExpired(now).length;
    await this.store.commit();
    this.log.info({ restored, expired: dropped }, 'binding cache loaded');
    this.setXfrm();
    for (const hoa of this.ha.cache.homeAddresses()) {
      const desired = homeAgentDesiredFor(this.ha, hoa);
      this.kernel.index.update(hoa, desired);
      this.ipsec.tunnelsChanged(hoa, [...desired.tunnels.values()], [], false, now);
    }
    await this.kernel.passNow();
    this.armTimer();
  }

  /** One received Mobility Header message. Never throws: bad input is counted and logged. */
  private onMessage(m: MhReceived): void {
    const now = Date.now();
    const decoded = decodeMessage(m.data, this.cfg.homeAgent.profile);
    const hoa = mustParseIp6(m.src);
    const careOfSource = mustParseIp6(m.homeAddressOption ?? m.src);
    const dst = mustParseIp6(m.dst);
    if (!decoded.ok) {
      this.counters.inc('mh', 'malformed');
      if (this.badInputLog.allow(now)) this.log.debug({ src: m.src, code: decoded.error.code, offset: decoded.error.offset }, 'malformed mobility header');
      if (decoded.error.partial?.kind === 'bu') {
        this.apply(this.ha.processDecodeError({ error: decoded.error, hoa, careOfSource, dst, ipsecProtected: this.ipsec.isProtected(m, this.cfg.homeAgent.homeAgentAddress), nowMs: now }), now);
      }
      return;
    }
    const msg = decoded.value;
    this.counters.inc('received', msg.kind);
    if (msg.kind === 'bu') {
      const o = this.ha.processBu({ bu: msg, hoa, careOfSource, dst, ipsecProtected: this.ipsec.isProtected(m, this.cfg.homeAgent.homeAgentAddress), nowMs: now });
      // RFC 6275 §10.3.1: K when the node asks and the configuration lets keys follow it.
      const hoaText = formatIp6(hoa);
      if (msg.flags.k && !this.ipsec.protectsPayload(hoaText)) this.ipsec.noteKeyManagementMobility(o.events);
      this.apply(o, now, msg.flags.k && this.ha.config.source.keyManagementMobility);
      return;
    }
    // §6.5: anything else with a Home Address option must come from a registered care-of address.
    if (m.homeAddressOption !== undefined) {
      const check = this.ha.checkHomeAddressOption(hoa, careOfSource);
      if (!check.accept) {
        this.counters.inc('mh', 'hao-unregistered-coa');
        this.send(check.bindingError);
        return;
      }
    }
    if (msg.kind === 'unknown') this.sendUnknownTypeError(m, msg.mhType);
  }

  private watchReports(sock: NetlinkSocket): void {
    watchHaoReports(sock, {
      check: (hoa, coa) => this.ha.checkHomeAddressOption(hoa, coa),
      send: (out) => this.send(out),
      counters: this.counters,
      log: this.log,
      logLimit: this.badInputLog,
      sendLimit: this.bindingErrorLimit,
      now: () => Date.now(),
    });
  }

  /** The XFRM objects the configuration wants (daemon/ha/ipsec.ts). */
  setXfrm(): void {
    this.ipsec.configure(this.cfg);
  }

  /** RFC 6275 §9.2: an unrecognised MH type is answered with a Binding Error, status 2. */
  private sendUnknownTypeError(m: MhReceived, mhType: number): void {
    this.counters.inc('mh', `unknown-type-${mhType}`);
    this.send({
      message: { kind: 'be', payloadProto: 59, checksum: 0, status: 2, homeAddress: mustParseIp6(m.src), options: [] },
      src: m.dst,
      dst: m.homeAddressOption ?? m.src,
      homeAddress: null,
    });
  }

  /** Persists the outcome's changes, then sends its BA, runs DAD, updates the kernel. */
  private apply(o: BuOutcome, now: number, keyManagement = false): void {
    const hoa = o.refusal?.hoa ?? o.events[0]?.binding.hoa ?? o.dad?.hoa;
    if (o.refusal) {
      this.counters.inc('refused', o.refusal.reason);
      if (this.refusalLog.allow(now)) this.log.warn({ hoa: o.refusal.hoa, reason: o.refusal.reason, detail: o.refusal.detail }, 'binding update refused');
    }
    for (const s of o.statuses) {
      this.counters.inc('status', String(s.status));
      const b = o.events.find((e) => e.binding.bid === s.bid)?.binding;
      this.log.info(
        { hoa: hoa ?? o.ba?.dst, bid: s.bid, coa: b?.coa ?? o.ba?.dst, status: s.status, statusName: this.statusName(s.status) },
        s.status < 128 ? 'registration accepted' : 'registration refused',
      );
    }
    if (o.dad) this.runDad(o.dad.hoa, o.dad.addresses, o.dad.interface);
    const moved = this.changed(o.events, now, hoa, keyManagement);
    const ba = o.ba;
    if (!ba) return;
    // K in the BA only when the SAs really follow the node: payload SAs, every move migrated.
    const k = ba.message.flags.k && hoa !== undefined && this.ipsec.protectsPayload(hoa) ? moved.then((all) => all.every(Boolean)) : Promise.resolve(false);
    // The BA leaves only after the store holds what it acknowledges.
    Promise.all([this.store.commit(), k]).then(
      ([, kept]) => this.send(kept === ba.message.flags.k ? ba : { ...ba, message: { ...ba.message, flags: { ...ba.message.flags, k: kept } } }),
      (err: unknown) => this.fatal('binding store write failed', err),
    );
  }

  private statusName(status: number): string {
    return mcoaStatusName(this.cfg.homeAgent.profile, status) ?? String(status);
  }

  /** Cache events: journal records, desired kernel state, monitor lines, timer. Resolves per care-of move whether its SA moved. */
  private changed(events: readonly CacheEvent[], now: number, hoa?: string, keyManagement = false): Promise<boolean[]> {
    const touched = new Set<string>(hoa ? [hoa] : []);
    for (const e of events) touched.add(e.binding.hoa);
    if (touched.size === 0) return Promise.resolve([]);
    this.store.append(recordsForEvents(events, this.ha.cache, 0, hoa));
    const moves: Promise<boolean>[] = [];
    for (const h of touched) {
      const desired = homeAgentDesiredFor(this.ha, h);
      this.kernel.index.update(h, desired);
      moves.push(...this.ipsec.tunnelsChanged(h, [...desired.tunnels.values()], events, keyManagement, now));
    }
    this.kernel.schedule();
    const wall = new Date();
    for (const e of events) this.control?.broadcast(monitorEvent(e, now, wall));
    this.armTimer();
    return Promise.all(moves);
  }

  private runDad(hoa: string, addresses: string[], iface: string): void {
    this.counters.inc('dad', 'started');
    Promise.all(addresses.map((a) => this.nd.dad(iface, a)))
      .then((r) => r.every((x) => x === 'unique'))
      .catch((err: unknown) => {
        // DAD could not run (interface gone): refuse rather than risk a duplicate address.
        this.log.error({ hoa, err: String(err) }, 'duplicate address detection failed to run');
        return false;
      })
      .then((ok) => {
        if (this.stopped) return;
        this.counters.inc('dad', ok ? 'unique' : 'duplicate');
        this.apply(this.ha.dadResult(hoa, ok), Date.now());
      });
  }

  /** RFC 6275 §10.4.1: when proxying starts, advertise the home address on the home link. */
  private announce(iface: string, addr: string): void {
    try {
      this.nd.unsolicitedNa(iface, addr);
      this.counters.inc('nd', 'unsolicited-na');
    } catch (err) {
      this.counters.inc('nd', 'na-error');
      this.log.warn({ hoa: addr, err: String(err) }, 'unsolicited neighbour advertisement failed');
    }
  }

  send(out: Parameters<typeof sendOutgoing>[2]): void {
    try {
      sendOutgoing(this.mh, this.cfg.homeAgent.profile, out, this.sendBuf);
      this.counters.inc('sent', out.message.kind);
    } catch (err) {
      this.counters.inc('mh', 'send-error');
      this.log.warn({ dst: out.dst, kind: (out.message as MobilityMessage).kind, err: String(err) }, 'send failed');
    }
  }

  /** Sends the refresh requests due now; one timer for the next expiry or refresh request. */
  private armTimer(): void {
    if (this.stopped) return;
    const now = Date.now();
    const brr = this.ha.pollRefreshRequests(now);
    for (const r of brr.requests) this.send(r);
    const next = Math.min(this.ha.nextExpiryMs() ?? Infinity, brr.nextPollMs ?? Infinity);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (next === Infinity) return;
    this.timer = setTimeout(() => this.onTimer(), Math.min(MAX_TIMER_MS, Math.max(0, next - now)));
  }

  private onTimer(): void {
    const now = Date.now();
    const { events } = this.ha.expire(now);
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
    return events.length;
  }

  /** Stops serving; kernel objects stay so a restarted daemon adopts them without a gap. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.mh.close();
    this.nd.close();
    await this.kernel.stop();
    for (const s of this.sockets) s.close();
    await this.control?.close();
    await this.store.commit().catch(() => undefined);
    await this.store.close();
  }
}

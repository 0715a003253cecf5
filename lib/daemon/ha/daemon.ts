// mcoad in the home agent role: Mobility Header socket -> codec -> protocol core ->
// durable store -> Binding Acknowledgement, and the core's desired kernel state -> the
// reconciler. The service shell (daemon/service/shell.ts) runs it; the binding cache's journal,
// expiry timer and operator removals are shared with the correspondent
// (daemon/binding-cache-service.ts). The kernel forwards all traffic.
import type { Logger } from 'pino';
import type { HomeAgentDaemonConfig } from '../../config/daemon-config.js';
import { HomeAgent } from '../../proto/ha/home-agent.js';
import type { BuOutcome, CacheEvent } from '../../proto/common/outcome.js';
import type { BindingView } from '../../control/protocol.js';
import { ControlError, type ControlServer } from '../../control/server.js';
import type { NetlinkSocket } from '../../platform/netlink/socket.js';
import { RTNLGRP_IPV6_ROUTE, RTNLGRP_LINK, RTNLGRP_NEIGH } from '../../platform/rtnl/rtnl-constants.js';
import type { MhReceived } from '../../net/mh-socket.js';
import { HomeAgentKernel } from './kernel.js';
import { homeAgentDesiredFor } from '../../plan/ha/desired.js';
import { bindingFromStored } from '../../store/index.js';
import type { Ip6 } from '../../inet/ip6.js';
import { ip6Octets } from '../../inet/ip6-write.js';
import { decodeMessage } from '../../wire/mh.js';
import { mcoaStatusName } from '../../wire/profiles.js';
import type { MobilityMessage } from '../../wire/types.js';
import type { Outgoing } from '../../proto/common/outcome.js';
import { noteLimitRefusal } from '../limit-log.js';
import { RateLimit, countReceiveErrors } from '../counters.js';
import { kernelObserver } from '../metrics/kernel-observer.js';
import { bindingStates, xfrmErrors } from '../metrics/sources.js';
import { BindingCacheService } from '../binding-cache-service.js';
import type { Clock, MhPort, NdPort, SysctlPort } from '../service/host.js';
import { requireStore, type RoleContext, type RoleDaemon, type RoleDefinition, type RoleStats } from '../service/role.js';
import { readXfrmStat } from '../xfrm-stat.js';
import { KernelSync } from './kernel-sync.js';
import { HomeAgentIpsec } from './ipsec.js';
import { applyHomeAgentReload } from './reload.js';
import { flowRecords, registerFlowCommands, restoreWithFlows } from './flows.js';
import { queueOutgoing } from './signalling.js';
import { enableHomeAgentSysctls, interfacesIgnoringRas } from './sysctl.js';
import { watchHaoDrops } from '../xfrm-reports.js';
import { XFRMNLGRP_REPORT } from '../../platform/xfrm/xfrm-constants.js';
import { startHomeAgentDhaad, type HomeAgentDhaad } from './dhaad.js';
import { HomeAgentPrefixDiscovery } from './prefix-discovery.js';
import { openProxyNd, type HomeAgentProxyNd } from './proxy-nd.js';
import { HomeAgentCluster, restoreSaved, resumePoint } from './cluster.js';
import { EspSeqServing, openEspSeq } from './esp-seq.js';
import type { KnownRecord } from '../../cluster/replicated-store.js';
import type { ResumePoint } from '../../cluster/cluster-node.js';
import { encodeRecord } from '../../cluster/binding-record.js';
import { replicatedRecord } from '../../store/replicated-records.js';
import { ServiceAddresses } from './service-address.js';
import { homeAddressesOf } from '../../cluster/shares.js';
import { IPPROTO_NONE, type HomeAgentSwitch } from '../../wire/types.js';
import { removeLeftoverServiceAddresses } from './leftover-addresses.js';
import { SwitchWait } from './switch-wait.js';
import type { ReceivedBu } from '../../proto/common/outcome.js';
import { delHoaRecord, type LoadedState } from '../../store/index.js';

const NETLINK_ROUTE = 0;
const NETLINK_XFRM = 6;

export class HomeAgentDaemon implements RoleDaemon<HomeAgentDaemonConfig> {
  ha: HomeAgent;
  cfg: HomeAgentDaemonConfig;
  readonly log: Logger;
  readonly counters: RoleContext<HomeAgentDaemonConfig>['counters'];
  /** Journal, expiry timer and operator removals, as the correspondent has them. */
  readonly cacheService: BindingCacheService;
  readonly ipsec: HomeAgentIpsec;
  readonly clock: Clock;
  private readonly sendBuf = new Uint8Array(4096);
  private readonly badInputLog = new RateLimit(10);
  private readonly limitLog = new RateLimit(1);
  private stopped = false;
  /** Home agent address discovery on the home link (home_agent.dhaad), or null. */
  dhaad: HomeAgentDhaad | null = null;
  /** RFC 6275 §10.6 (daemon/ha/prefix-discovery.ts). */
  prefixDiscovery: HomeAgentPrefixDiscovery | undefined;
  /** Who answers NS for home addresses (home_agent.proxy_nd; daemon/ha/proxy-nd.ts). */
  proxyNd!: HomeAgentProxyNd;
  /** Cluster mode (`cluster:`): the shared binding cache and the election; null alone. */
  cluster: HomeAgentCluster | null = null;
  /** Cluster mode: the service address on the home link while active. */
  private serviceAddresses: ServiceAddresses | null = null;
  /** Cluster mode: the records and revision the journal saved, restored into the core before joining. */
  private resume: ResumePoint | null = null;
  /** Cluster mode with `esp_seq_margin`: ESP sequence numbers raised before serving (daemon/ha/esp-seq.ts). */
  private espSeq: EspSeqServing | null = null;
  /** Drained addresses waiting for their mobile nodes to leave after a Home Agent Switch. */
  private readonly switchWaits = new Set<SwitchWait>();

  private constructor(
    /** Kept for what a reload reopens (the DHAAD socket). */
    readonly roleContext: RoleContext<HomeAgentDaemonConfig>,
    readonly kernel: KernelSync,
    readonly mh: MhPort,
    readonly nd: NdPort,
    xfrm: NetlinkSocket,
  ) {
    const ctx = roleContext;
    this.cfg = ctx.cfg;
    this.log = ctx.log;
    this.counters = ctx.counters;
    this.clock = ctx.clock;
    this.ha = new HomeAgent(ctx.cfg.homeAgent);
    // RFC 6089 flows are classified by the shared data plane only (plan/ha/flow-steering.ts).
    this.ha.flows.prohibited = ctx.cfg.dataplane !== 'shared';
    this.ipsec = new HomeAgentIpsec(kernel, xfrm, this.counters, this.log.child({ component: 'ipsec' }));
    this.cacheService = new BindingCacheService(
      ctx,
      requireStore(ctx),
      {
        cache: () => this.ha.cache,
        restore: (loaded, nowMs, wallOffsetMs) => (ctx.cfg.cluster ? this.restoreReplica(loaded, nowMs) : restoreWithFlows(this.ha, loaded, nowMs, wallOffsetMs)),
        journalExtra: () => flowRecords(this.ha),
        kernelChanged: (hoas, events, nowMs, keyManagement) => this.kernelChanged(hoas, events, nowMs, keyManagement),
        expire: (nowMs) => this.replicated(this.ha.expire(nowMs).events),
        nextDueMs: (nowMs) => this.sendRefreshRequests(nowMs),
        removeByOperator: (hoa, bid) => this.replicated(this.ha.removeByOperator(hoa, bid)),
        statusName: (status) => mcoaStatusName(this.cfg.homeAgent.profile, status) ?? String(status),
      },
      { accepted: 'registration accepted', refused: 'registration refused' },
    );
  }

  /** Loads durable state, adopts the kernel objects (no flush), then serves the signalling socket. */
  static async start(ctx: RoleContext<HomeAgentDaemonConfig>): Promise<HomeAgentDaemon> {
    const { cfg, log, sockets } = ctx;
    const rtnl = sockets.netlink(NETLINK_ROUTE);
    const xfrm = sockets.netlink(NETLINK_XFRM);
    const kernel = new HomeAgentKernel(rtnl, cfg.marks, xfrm, undefined, cfg.dataplane);
    const sync = new KernelSync(kernel, log.child({ component: 'kernel' }), cfg.resyncIntervalSeconds * 1000);
    sync.scheduler.observe(kernelObserver(ctx.counters));
    const mh = sockets.mh();
    const nd = sockets.nd();
    const d = new HomeAgentDaemon(ctx, sync, mh, nd, xfrm);
    d.proxyNd = openProxyNd(ctx);
    d.proxyNd.onProbe = (r) => nd.probeHeard(r.ifindex, r.ns.target, r.ns.nonce);
    // Cluster mode: silent until elected (no service address, no proxying, no signalling: servesHoa).
    if (cfg.cluster) {
      d.serviceAddresses = new ServiceAddresses(rtnl, nd, cfg.homeAgent.homeLinkInterface, ctx.counters, log.child({ component: 'cluster' }));
      if (cfg.cluster.replication.espSeqMargin > 0) d.espSeq = new EspSeqServing((address, on) => d.serveNow(address, on));
    }
    ctx.counters.source('bindings', () => bindingStates(d.ha.cache));
    ctx.counters.source('home_addresses', () => [[{}, d.ha.cache.homeAddressCount]]);
    ctx.counters.source('kernel_pending', () => [[{}, sync.kernel.reconciler.pendingCount()]]);
    // /proc/net is this process's namespace: only meaningful when the sockets live there too.
    if (cfg.netns === null) ctx.counters.source('xfrm_errors', () => xfrmErrors());
    await d.restore();
    if (cfg.cluster) {
      // Not active yet: a service address a killed run left on the home link goes first.
      await removeLeftoverServiceAddresses(rtnl, cfg.homeAgent.homeLinkInterface, cfg.cluster.serviceAddresses.map((s) => s.address), ctx.counters, log.child({ component: 'cluster' }));
      await d.joinCluster();
    }
    d.espSeq?.attach(d.cluster && openEspSeq(d.cluster, ctx, xfrm, kernel.xfrmBands, () => Object.keys(d.cfg.ipsecSas).length > 0));
    d.prefixDiscovery = HomeAgentPrefixDiscovery.open(sockets, cfg, d.tunnelledHomeAddresses(), ctx.counters, log, ctx.clock);
    if (d.cluster) {
      const cluster = d.cluster;
      d.prefixDiscovery.sourceFor = (hoa) => {
        const service = d.ha.serviceOf(hoa);
        return cluster.serves(service) ? service : null;
      };
    }
    mh.on('message', (m) => d.onMessage(m));
    countReceiveErrors(mh, d.counters, log, d.badInputLog, () => d.clock.now());
    sync.onProxyAdded = (iface, addr) => d.announce(iface, addr);
    sync.start(sockets.netlink(NETLINK_ROUTE, [RTNLGRP_LINK, RTNLGRP_NEIGH, RTNLGRP_IPV6_ROUTE]));
    // §6.5: non-MH packets with a Home Address option come back as XFRM reports.
    d.watchReports(sockets.netlink(NETLINK_XFRM, [XFRMNLGRP_REPORT]));
    d.dhaad = startHomeAgentDhaad(ctx);
    return d;
  }

  private async restore(): Promise<void> {
    await this.cacheService.restore();
    this.setXfrm();
    const now = this.clock.now();
    const moves: Promise<boolean>[] = [];
    for (const hoa of this.ha.cache.homeAddresses()) {
      const desired = homeAgentDesiredFor(this.ha, hoa);
      this.kernel.index.update(hoa, this.proxyNd.plan(hoa, desired, false, this.servesHoa(hoa)));
      moves.push(...this.ipsec.tunnelsChanged(hoa, [...desired.tunnels.values()], [], false, now));
    }
    await this.kernel.passNow();
    // No events at a restore, so no payload SA moves; awaited all the same, never left floating.
    await Promise.all(moves);
    this.cacheService.armTimer();
  }

  /**
   * Cluster mode: the bindings come from the replicated records the journal saved (then only
   * etcd's changes since their revision are read), or all from etcd when none were saved. The
   * journal's own binding records are not read here (they are emptied, and follow the cache).
   */
  private restoreReplica(loaded: LoadedState, nowMs: number): number {
    const hoas = new Set(loaded.bindings.map((b) => b.hoa));
    if (hoas.size > 0) this.cacheService.store.append([...hoas].map((h) => delHoaRecord(h)));
    this.resume = resumePoint(loaded.replica);
    if (loaded.replica && !this.resume) this.log.warn('cluster: a saved record does not decode; every record is read from etcd again');
    // Wall clock now, as etcd's records are written: not the journal's frame.
    return this.resume ? restoreSaved(this.ha, this.resume, nowMs, this.clock.wallNow() - nowMs) : 0;
  }

  /** Cluster mode: a record as known now, and the revision applied, into the journal (read back at the next start). */
  private persistRecord(hoa: Ip6, known: KnownRecord, revision: number): void {
    // Not saved: a restart resumes from an older revision and replays this change again.
    if (this.stopped) return;
    this.cacheService.store.append([replicatedRecord(hoa, known.record ? encodeRecord(known.record) : null, known.modRevision, known.asOf, revision)]);
    this.cacheService.store.commit().catch((err: unknown) => this.roleContext.fatal('binding store write failed', err));
  }

  /** Joins the cluster (its records replace the cache); a daemon that cannot reach etcd does not start. */
  private async joinCluster(): Promise<void> {
    const cfg = this.cfg.cluster!;
    const log = this.log.child({ component: 'cluster' });
    try {
      this.cluster = await HomeAgentCluster.start(
        cfg,
        {
          core: () => this.ha,
          now: () => this.clock.now(),
          wallOffsetMs: () => this.clock.wallNow() - this.clock.now(),
          applied: (events) => void this.cacheService.changed(events, this.clock.now()),
          serve: (address) => this.serve(address, true),
          stopServing: (address) => this.serve(address, false),
          persist: (hoa, known, revision) => this.persistRecord(hoa, known, revision),
          // Only the flows changed (no binding event): the flow filters of that home address follow.
          flowsChanged: (hoa) => void this.kernelChanged(new Set([hoa]), [], this.clock.now(), false),
        },
        log,
        this.counters,
        this.resume,
      );
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /**
   * Whether this node serves `hoa` (answers NS for it, sends it refresh requests and prefix
   * advertisements): alone always; in cluster mode while active for its service address.
   */
  servesHoa(hoa: Ip6): boolean {
    if (!this.cfg.cluster) return true;
    return this.cluster?.serves(this.ha.serviceOf(hoa)) ?? false;
  }

  /**
   * Cluster mode: take a service address (address, proxying, NAs) or give it up. The home
   * addresses registered with it are planned again: their proxy entries (kernel) or defended
   * set (daemon, announced when added) follow servesHoa.
   */
  private serve(address: Ip6, on: boolean): void {
    if (this.espSeq) this.espSeq.serve(address, on);
    else this.serveNow(address, on);
  }

  private serveNow(address: Ip6, on: boolean): void {
    if (on) void this.serviceAddresses!.take(address);
    const hoas = homeAddressesOf(address, this.ha.cache.homeAddresses(), (h) => this.ha.serviceOf(h));
    if (hoas.length > 0) void this.kernelChanged(new Set(hoas), [], this.clock.now(), false);
    if (!on) void this.serviceAddresses!.drop(address);
  }

  /**
   * `mcoactl drain`, for an address no other live member lists: a Home Agent Switch (RFC 5142
   * §4) to each of its home addresses, through one of its care-of addresses (as a refresh
   * request goes), naming `targets` in order of preference (none: the node runs DHAAD). The
   * address is still served until its mobile nodes have de-registered here (switch-wait.ts),
   * so their de-registrations are answered; resolves then.
   */
  private async switchHomeAgent(address: Ip6, targets: Ip6[]): Promise<{ left: number; stayed: number }> {
    const hoas = homeAddressesOf(address, this.ha.cache.homeAddresses(), (h) => this.ha.serviceOf(h));
    const message: HomeAgentSwitch = { kind: 'has', payloadProto: IPPROTO_NONE, checksum: 0, homeAgents: targets.map((t) => ip6Octets(t)), options: [] };
    const sendTo = (list: readonly Ip6[]): Promise<void[]> =>
      Promise.all(list.flatMap((hoa) => {
        const b = this.ha.cache.bindingsOf(hoa).find((x) => !x.homeBinding) ?? this.ha.cache.bindingsOf(hoa)[0];
        if (!b) return [];
        return [new Promise<void>((resolve) => this.send({ message, src: address, dst: b.homeBinding ? hoa : b.coa, homeAddress: b.homeBinding ? null : hoa }, resolve))];
      }));
    const wait = new SwitchWait(hoas, {
      stillHere: (h) => this.ha.cache.bindingsOf(h).length > 0 && this.ha.serviceOf(h) === address,
      resend: (list) => void sendTo(list),
      clock: this.clock,
    });
    this.switchWaits.add(wait);
    await sendTo(hoas);
    this.log.info({ address, targets, homeAddresses: hoas.length }, 'cluster: drained address listed by no other member: home agent switch sent to its mobile nodes');
    const outcome = await wait.done;
    this.switchWaits.delete(wait);
    const fields = { address, left: outcome.left.length, stayed: outcome.stayed, resends: outcome.resends };
    if (outcome.stayed.length > 0) this.log.warn(fields, 'cluster: home agent switch: some mobile nodes did not de-register; giving the address up anyway');
    else this.log.info(fields, 'cluster: home agent switch: every mobile node de-registered here');
    return { left: outcome.left.length, stayed: outcome.stayed.length };
  }

  /** Cluster mode: changes made outside a BU (expiry, operator) are written to etcd by the active. */
  private replicated(events: CacheEvent[]): CacheEvent[] {
    if (this.cluster && events.length > 0) this.cluster.replicate(new Set(events.map((e) => e.binding.hoa)));
    return events;
  }

  /** One received Mobility Header message. Never throws: bad input is counted and logged. */
  private onMessage(m: MhReceived): void {
    const now = this.clock.now();
    // Cluster mode: only the active node for the service address answers signalling.
    if (this.cluster && !this.cluster.serves(m.dst)) {
      this.counters.inc('bu_dropped', { reason: 'cluster-standby' });
      return;
    }
    const decoded = decodeMessage(m.data, this.cfg.homeAgent.profile);
    const hoa = m.src;
    const careOfSource = m.homeAddressOption ?? m.src;
    const dst = m.dst;
    if (!decoded.ok) {
      this.counters.inc('mh_malformed');
      if (this.badInputLog.allow(now)) this.log.debug({ src: m.src, code: decoded.error.code, offset: decoded.error.offset }, 'malformed mobility header');
      if (decoded.error.partial?.kind === 'bu' && this.cacheService.admitBu(this.ha.config.limits.maxJournalBacklog, now)) {
        this.apply(this.ha.processDecodeError({ error: decoded.error, hoa, careOfSource, dst, ipsecProtected: this.ipsec.isProtected(m, this.cfg.homeAgent.homeAgentAddress), nowMs: now }), now);
      }
      return;
    }
    const msg = decoded.value;
    this.counters.inc('received', { type: msg.kind });
    if (msg.kind === 'bu') {
      if (!this.cacheService.admitBu(this.ha.config.limits.maxJournalBacklog, now)) return;
      const input: ReceivedBu = { bu: msg, hoa, careOfSource, dst, ipsecProtected: this.ipsec.isProtected(m, this.cfg.homeAgent.homeAgentAddress), nowMs: now };
      // Shares: the home address registers with the service address its BU was sent to.
      if (this.cluster) input.serviceAddress = dst;
      if (this.cluster) return this.decideInCluster(this.cluster, input);
      this.afterBu(input, this.ha.processBu(input), now);
      return;
    }
    // §6.5: anything else with a Home Address option must come from a registered care-of address.
    if (m.homeAddressOption !== undefined) {
      const check = this.ha.checkHomeAddressOption(hoa, careOfSource);
      if (!check.accept) {
        this.counters.inc('mh_hao_unregistered');
        this.send(check.bindingError);
        return;
      }
    }
    if (msg.kind === 'unknown') this.sendUnknownTypeError(m, msg.mhType);
  }

  /** What follows a decided BU: K bit, journal, BA, kernel, prefix discovery. */
  private afterBu(input: ReceivedBu, o: BuOutcome, now: number): void {
    const { bu, hoa } = input;
    // RFC 6275 §10.3.1: K when the node asks and the configuration lets keys follow it.
    if (bu.flags.k && !this.ipsec.protectsPayload(hoa)) this.ipsec.noteKeyManagementMobility(o.events);
    this.apply(o, now, bu.flags.k && this.ha.config.source.keyManagementMobility);
    if (o.events.length > 0) this.prefixDiscovery?.bindingUpdateFrom(hoa);
  }

  /** Cluster mode: decided and written to etcd (compare-and-swap) before the BA; no BA when etcd cannot be written. */
  private decideInCluster(cluster: HomeAgentCluster, input: ReceivedBu): void {
    cluster.decide(input.hoa, () => this.ha.processBu({ ...input, nowMs: this.clock.now() }), input.dst).then(
      ({ outcome, before }) => {
        if (this.stopped) return;
        const now = this.clock.now();
        if (before.length > 0) void this.cacheService.changed(before, now);
        this.afterBu(input, outcome, now);
      },
      (err: unknown) => {
        this.counters.inc('bu_dropped', { reason: 'cluster-store' });
        if (this.limitLog.allow(this.clock.now())) this.log.warn({ hoa: input.hoa, err: String(err) }, 'binding update not acknowledged: etcd could not be written');
      },
    );
  }

  /** Home addresses with a binding through a tunnel (not only a home binding, not waiting for DAD). */
  private tunnelledHomeAddresses(): { has(hoa: Ip6): boolean; all(): Ip6[] } {
    const has = (hoa: Ip6): boolean => !this.ha.cache.isDadPending(hoa) && this.ha.cache.bindingsOf(hoa).some((b) => !b.homeBinding);
    return { has, all: () => [...this.ha.cache.homeAddresses()].filter(has) };
  }

  private watchReports(sock: NetlinkSocket): void {
    watchHaoDrops(sock, {
      check: (hoa, coa) => this.ha.checkHomeAddressOption(hoa, coa),
      send: (out) => this.send(out),
      counters: this.counters,
      log: this.log,
      logLimit: this.badInputLog,
      clock: this.clock,
    });
  }

  /** The XFRM objects the configuration wants (daemon/ha/ipsec.ts). */
  setXfrm(): void {
    this.ipsec.configure(this.cfg);
  }

  /** RFC 6275 §9.2: an unrecognised MH type is answered with a Binding Error, status 2. */
  private sendUnknownTypeError(m: MhReceived, mhType: number): void {
    this.counters.inc('mh_unknown_type', { mh_type: mhType });
    this.send({
      message: { kind: 'be', payloadProto: 59, checksum: 0, status: 2, homeAddress: ip6Octets(m.src), options: [] },
      src: m.dst,
      dst: m.homeAddressOption ?? m.src,
      homeAddress: null,
    });
  }

  /** Persists the outcome's changes, then sends its BA, runs DAD, updates the kernel. */
  private apply(o: BuOutcome, now: number, keyManagement = false): void {
    const hoa = this.cacheService.noteOutcome(o, now);
    if (o.limit) noteLimitRefusal(this, this.limitLog, o.limit, hoa, now);
    if (o.dad) this.runDad(o.dad.hoa, o.dad.addresses, o.dad.interface);
    const moved = this.cacheService.changed(o.events, now, hoa, keyManagement);
    const ba = o.ba;
    if (!ba) return this.cacheService.settle(o, Promise.resolve(), () => undefined);
    // K in the BA only when the SAs really follow the node: payload SAs, every move migrated.
    const k = ba.message.flags.k && hoa !== undefined && this.ipsec.protectsPayload(hoa) ? moved.then((all) => all.every(Boolean)) : Promise.resolve(false);
    // A drained address waits for its mobile nodes' de-registrations to be answered (switch-wait.ts).
    const sent = hoa === undefined || this.switchWaits.size === 0 ? undefined : () => this.switchWaits.forEach((w) => w.changed([hoa]));
    this.cacheService.settle(o, k, (kept) => this.send(kept === ba.message.flags.k ? ba : { ...ba, message: { ...ba.message, flags: { ...ba.message.flags, k: kept } } }, sent));
  }

  /** The desired kernel state of these home addresses; resolves per care-of move whether its SA moved. */
  private kernelChanged(hoas: ReadonlySet<Ip6>, events: readonly CacheEvent[], now: number, keyManagement: boolean): Promise<boolean[]> {
    const moves: Promise<boolean>[] = [];
    for (const h of hoas) {
      const desired = homeAgentDesiredFor(this.ha, h);
      this.kernel.index.update(h, this.proxyNd.plan(h, desired, true, this.servesHoa(h)));
      moves.push(...this.ipsec.tunnelsChanged(h, [...desired.tunnels.values()], events, keyManagement, now));
    }
    this.kernel.schedule();
    return Promise.all(moves);
  }

  private runDad(hoa: Ip6, addresses: Ip6[], iface: string): void {
    this.counters.inc('dad_started');
    // Others' probes for these addresses: on the proxy ND socket when it listens on the link, else each DAD joins their group.
    const opts = { probesHeardElsewhere: this.proxyNd.hearsProbesOn(iface) };
    Promise.all(addresses.map((a) => this.nd.dad(iface, a, undefined, opts)))
      .then((r): 'unique' | 'duplicate' | 'failed' => (r.every((x) => x === 'unique') ? 'unique' : 'duplicate'))
      .catch((err: unknown) => {
        // DAD could not run (interface gone): refuse rather than risk a duplicate address.
        this.log.error({ hoa, err: String(err) }, 'duplicate address detection failed to run');
        return 'failed' as const;
      })
      .then((outcome) => {
        if (this.stopped) return;
        this.counters.inc('dad_results', { outcome });
        const o = this.ha.dadResult(hoa, outcome === 'unique');
        this.replicated(o.events);
        this.apply(o, this.clock.now());
      })
      .catch((err: unknown) => this.log.error({ hoa, err: String(err) }, 'applying the DAD result failed'));
  }

  /** RFC 6275 §10.4.1: when proxying starts, advertise the home address on the home link. */
  private announce(iface: string, addr: Ip6): void {
    try {
      this.nd.unsolicitedNa(iface, addr);
      this.counters.inc('nd_unsolicited_na');
    } catch (err) {
      this.counters.inc('nd_na_errors');
      this.log.warn({ hoa: addr, err: String(err) }, 'unsolicited neighbour advertisement failed');
    }
  }

  /** Sends `out` with the others of this turn (one sendmmsg); counted, then `answered` called, when the kernel has answered. */
  send(out: Outgoing<MobilityMessage>, answered?: () => void): void {
    const kind = out.message.kind;
    const failed = (err: unknown): void => {
      this.counters.inc('mh_send_errors');
      this.log.warn({ dst: out.dst, kind, err: String(err) }, 'send failed');
    };
    try {
      queueOutgoing(this.mh, this.cfg.homeAgent.profile, out, this.sendBuf, (err) => {
        if (err) failed(err);
        else this.counters.inc('sent', { type: kind });
        answered?.();
      });
    } catch (err) {
      failed(err);
      answered?.();
    }
  }

  /** Sends the refresh requests due now; returns when the next expiry or refresh request is due. */
  private sendRefreshRequests(now: number): number | null {
    const brr = this.ha.pollRefreshRequests(now);
    // Cluster mode: a standby holds the bindings but not the address the requests come from (each its service address).
    const cluster = this.cluster;
    for (const r of brr.requests) if (!cluster || cluster.serves(r.src)) this.send(r);
    const next = Math.min(this.ha.nextExpiryMs() ?? Infinity, brr.nextPollMs ?? Infinity);
    return next === Infinity ? null : next;
  }

  bindings(only: Ip6 | undefined, nowMs: number): BindingView[] {
    return this.cacheService.bindings(only, nowMs);
  }

  async stats(): Promise<RoleStats> {
    const counters: RoleStats['counters'] = {
      kernel: { ...this.kernel.totals, pending: this.kernel.kernel.reconciler.pendingCount() },
      socket: { ...this.mh.stats },
    };
    // /proc/net is this process's namespace: only meaningful when the sockets live there too.
    const xfrm = this.cfg.netns === null ? await readXfrmStat() : undefined;
    if (xfrm) counters['xfrm'] = xfrm;
    if (this.proxyNd.mode === 'daemon') counters['proxy-nd'] = this.proxyNd.stats();
    // §8.3 on the shared device: reverse-tunnelled packets from no registered
    // (care-of address, home address) pair, dropped by the kernel's matchall after the pairs.
    if (this.kernel.kernel.dataplane === 'shared') {
      const drops = await this.kernel.kernel.pairCheckDrops().catch(() => undefined);
      counters['dataplane'] = { 'pair-check-drops': drops ?? 0, 'pair-filters': this.kernel.kernel.reconciler.desiredCount('pair-filter') };
    }
    return this.cacheService.stats(counters);
  }

  registerCommands(server: ControlServer): void {
    this.cacheService.registerCommands(server);
    registerFlowCommands(server, () => this.ha);
    server.register('show-cluster', async () => (this.cluster ? await this.cluster.status() : null));
    server.register('drain', async () => {
      const { handedOver, switched } = await this.clusterFor('drain').drain((address, targets) => this.switchHomeAgent(address, targets));
      return { handedOver, draining: true, ...(switched.length > 0 ? { switched } : {}) };
    });
    server.register('undrain', () => {
      this.clusterFor('undrain').undrain();
      return { handedOver: [], draining: false };
    });
  }

  private clusterFor(command: string): HomeAgentCluster {
    if (this.cluster) return this.cluster;
    throw new ControlError('NOT_CLUSTER', `${command} needs cluster mode (a cluster: section): a single home agent has no standby to hand its addresses to`);
  }

  /** Re-read configuration: bindings stay (they move into a core built from it); daemon/ha/reload.ts. */
  reload(next: HomeAgentDaemonConfig): string[] {
    return applyHomeAgentReload(this, next);
  }

  /** Stops serving; kernel objects stay so a restarted daemon adopts them without a gap. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const w of this.switchWaits) w.cancel();
    // Steps down first (address removed, proxying stopped), then hands the address back in etcd.
    await this.cluster?.stop().catch((err: unknown) => this.log.warn({ err: String(err) }, 'cluster: leaving failed'));
    await this.serviceAddresses?.settled();
    this.espSeq?.close();
    this.cacheService.stop();
    this.dhaad?.stop();
    this.prefixDiscovery?.stop();
    this.mh.close();
    this.nd.close();
    this.proxyNd.close();
    await this.kernel.stop();
  }
}

/** The home agent role for the service shell. */
export const HOME_AGENT_ROLE: RoleDefinition<HomeAgentDaemonConfig, HomeAgentDaemon> = {
  role: 'home-agent',
  keepsBindings: true,
  sysctls: async (cfg: HomeAgentDaemonConfig, sysctl: SysctlPort, log: Logger, phase: 'start' | 'reload') => {
    if (cfg.netns !== null) {
      if (phase === 'reload') return;
      log.warn({ netns: cfg.netns }, 'sockets in another namespace: set forwarding and proxy_ndp there yourself');
      return;
    }
    const changed = await enableHomeAgentSysctls(cfg.homeAgent.homeLinkInterface, sysctl);
    if (changed.length > 0) log.info({ changed }, 'kernel settings for a home agent enabled');
    if (phase === 'reload') return;
    const ignoring = await interfacesIgnoringRas(sysctl);
    if (ignoring.length > 0) {
      log.warn(
        { interfaces: ignoring },
        `net.ipv6.conf.all.forwarding=1 is global: ${ignoring.join(', ')} no longer accept router advertisements (accept_ra is not 2); set accept_ra=2 on any that needs them`,
      );
    }
  },
  start: (ctx) => HomeAgentDaemon.start(ctx),
};

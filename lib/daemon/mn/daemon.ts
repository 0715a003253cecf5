// mcoad in the mobile node role: the kernel's interfaces and addresses -> care-of address
// events -> the mobile node core -> Binding Updates from each care-of address with a Home
// Address option (daemon/mn/send.ts); Binding Acknowledgements (delivered through the type 2
// routing header) back into the core; the Binding Update List's accepted entries ->
// tunnels, routes and SAs (daemon/mn/kernel.ts). One timer, at the core's nextTickMs. An interface
// holding an address inside the home prefix is on the home link; the core's interface
// actions for it (Figures 7-9) are carried out by daemon/mn/home-link.ts. Route optimisation with
// the configured correspondents: return routability (HoTI reverse-tunnelled through the
// home agent), sealed Binding Updates, and per registered correspondent an XFRM state and a
// host route that send traffic to it directly from a care-of address (ro-xfrm.ts,
// daemon/mn/ro-routes.ts).
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { MobileNodeDaemonConfig } from '../../config/index.js';
import type { BindingView } from '../../control/protocol.js';
import { MobileNodeCore } from '../../proto/mn/index.js';
import type { InterfaceAction, MnAction, MnEvent, MnOutput } from '../../proto/mn/index.js';
import { NetlinkSocket } from '../../platform/netlink/socket.js';
import { RTNLGRP_IPV6_IFADDR, RTNLGRP_LINK } from '../../platform/rtnl/rtnl-constants.js';
import type { MhReceived } from '../../net/mh-socket.js';
import { formatIp6, mustParseIp6, type Ip6 } from '../../inet/ip6.js';
import { decodeMessage } from '../../wire/mh.js';
import { RateLimit, countReceiveErrors } from '../counters.js';
import { InboundLogLimit } from './inbound-log.js';
import type { Metrics } from '../metrics/metrics.js';
import { kernelObserver } from '../metrics/kernel-observer.js';
import { bulStates } from './bul-view.js';
import { DueTimer } from '../service/due-timer.js';
import type { Clock, MhPort, NdPort, TimerHandle } from '../service/host.js';
import type { RoleContext, RoleDaemon, RoleDefinition, RoleSockets, RoleStats } from '../service/role.js';
import { mnBindingView } from './bul-view.js';
import { HomeLinkActions, HomeLinkController } from './home-link.js';
import { MobileNodeSender } from './send.js';
import { DirectRouteKeeper } from './ro-routes.js';
import { directInterfaces } from '../../plan/mn/direct-routes.js';
import { planMobileNodeReload } from './reload-plan.js';
import { InterfaceWatcher, type CareOfChange } from './interfaces.js';
import { MobileNodeKernel, type AcceptedCareOf } from './kernel.js';
import { uplinkWants } from '../../plan/mn/flow-uplink.js';
import { mobileNodePayloadReqid } from '../../plan/mn/payload-ipsec.js';
import { MobileNodePayload } from './payload-sync.js';
import { mobileNodeRoObjects } from '../../plan/mn/ro.js';
import { liveCareOfs } from '../../plan/mn/live-care-of.js';
import { MobileNodePrefixDiscovery } from './prefix-discovery.js';
import type { ControlServer } from '../../control/server.js';
import { homeAgentSwitchVerdict } from '../../proto/mn/home-agent-switch.js';

/** Where a Home Agent Switch sends the node: the candidates in order (none: DHAAD), and who sent it. */
export interface HomeAgentSwitchOrder {
  from: Ip6;
  candidates: Ip6[];
}

type MobilePrefixView = () => ReturnType<MobileNodePrefixDiscovery['view']> | null;

const NETLINK_ROUTE = 0;
const NETLINK_XFRM = 6;
/** A restarted node keeps its old tunnels until its registrations settle, or this long. */
const ADOPT_GRACE_MS = 10_000;

export class MobileNodeDaemon implements RoleDaemon<MobileNodeDaemonConfig> {
  readonly core: MobileNodeCore;
  readonly counters: Metrics;
  private readonly clock: Clock;
  private readonly badInputLog = new RateLimit(10);
  private readonly inboundLog = new InboundLogLimit();
  /** At the core's nextTickMs. */
  private readonly timer: DueTimer;
  private stopped = false;
  /** Home-link state last told to the core, per interface. */
  private readonly atHome = new Map<string, boolean>();
  /** Sends waiting for the home address to be on a home-link interface, in order. */
  private outbox: Promise<void> | null = null;
  private adopting = true;
  /** Care-of addresses whose tunnels a previous run left, kept while adopting. */
  private adopted = new Set<string>();
  private adoptTimer: TimerHandle | undefined;
  /** Netlink sockets this daemon opened; closed by stop() (a DHAAD switch stops one daemon and starts another). */
  private netlinkSockets: { close(): void }[] = [];
  readonly homeLink: HomeLinkController;
  private readonly sender: MobileNodeSender;
  /** Host routes to route-optimised correspondents (daemon/mn/ro-routes.ts). */
  private readonly direct: DirectRouteKeeper;
  /** Payload ESP on the tunnels (mobile_node.ipsec.payload), and the K-bit moves. */
  private payload: MobileNodePayload | undefined;
  /** RFC 6275 §11.4 (daemon/mn/prefix-discovery.ts). */
  private prefixes: MobileNodePrefixDiscovery | undefined;
  /** Set by the role's wrapper (switching-daemon.ts): a Home Agent Switch accepted. */
  onHomeAgentSwitch: ((order: HomeAgentSwitchOrder) => void) | undefined;
  /** Set by the role's wrapper: the Binding Update List changed (a de-registration answered, say). */
  onBulChanged: (() => void) | undefined;

  private constructor(
    ctx: RoleContext<MobileNodeDaemonConfig>,
    public cfg: MobileNodeDaemonConfig,
    readonly log: Logger,
    readonly kernel: MobileNodeKernel,
    readonly interfaces: InterfaceWatcher,
    readonly mh: MhPort,
    rtnl: NetlinkSocket,
    private readonly nd: NdPort | undefined,
  ) {
    this.counters = ctx.counters;
    this.clock = ctx.clock;
    this.timer = new DueTimer(ctx.clock, () => this.feed([{ kind: 'tick' }]));
    const actions = new HomeLinkActions(rtnl, nd, cfg.mobileNode.homeAddress, cfg.mobileNode.homePrefixLength, this.counters, log.child({ component: 'home-link' }));
    this.homeLink = new HomeLinkController(actions, interfaces, this.counters);
    this.direct = new DirectRouteKeeper(rtnl, (i) => interfaces.ifindexOf(i), cfg.marks.protocol, (r) => kernel.setDirectRoutes(r), log);
    // Same checksum mode as the shared socket (the pseudo-header names the home address); a
    // small receive buffer: it lives for one send.
    const boundMh = (iface: string): MhPort => ctx.sockets.mh({ checksum: 'user', bindToDevice: iface, receiveBufferBytes: 4096 });
    this.sender = new MobileNodeSender(mh, () => this.cfg.mobileNode, cfg.netns, (i) => interfaces.ifindexOf(i), () => this.accepted(), this.counters, log, boundMh);
    const m = cfg.mobileNode;
    this.core = new MobileNodeCore(
      {
        homeAddress: mustParseIp6(m.homeAddress),
        homeAgent: mustParseIp6(m.homeAgent),
        correspondents: m.correspondents.map((c) => mustParseIp6(c)),
        status: m.profile.status,
        bulk: m.bulk,
        esp: m.ipsecRequired,
        homeLifetimeSeconds: m.lifetimeSeconds,
        multipleCoa: m.multipleCoa,
        bootstrapOverwrite: m.bootstrapOverwrite,
        bidConflict: m.bidConflict,
        keyManagement: m.keyManagementMobility,
        flows: m.flows,
        homeLinkPolicy: m.homeLinkPolicy,
        preferredInterfaces: m.interfaces,
      },
      { randomBytes: (n) => new Uint8Array(randomBytes(n)) },
    );
  }

  /** Installs the home address and route2 objects, reads the interfaces, then starts registering. */
  static async start(ctx: RoleContext<MobileNodeDaemonConfig>): Promise<MobileNodeDaemon> {
    const { cfg, log, sockets } = ctx;
    const m = cfg.mobileNode;
    const rtnl = sockets.netlink(NETLINK_ROUTE);
    const xfrm = sockets.netlink(NETLINK_XFRM);
    const monitor = sockets.netlink(NETLINK_ROUTE, [RTNLGRP_LINK, RTNLGRP_IPV6_IFADDR]);
    const kernel = new MobileNodeKernel(rtnl, xfrm, cfg.marks, m.homeAddress, m.homeAgent, m.routes, log.child({ component: 'kernel' }));
    kernel.observe(kernelObserver(ctx.counters));
    kernel.protectSignalling(m.ipsec);
    kernel.holdRoutes();
    await kernel.passNow();
    const mh = sockets.mh({ checksum: 'user' });
    const nd = openNd(sockets, log);
    const watcher = new InterfaceWatcher(rtnl, m.interfaces, m.homeAddress, m.homePrefixLength);
    const d = new MobileNodeDaemon(ctx, cfg, log, kernel, watcher, mh, rtnl, nd);
    d.netlinkSockets = [monitor, xfrm, rtnl];
    ctx.counters.source('bindings', () => bulStates(d.core.bindingUpdateList()));
    ctx.counters.source('kernel_pending', () => [[{}, kernel.reconciler.pendingCount()]]);
    if (m.ipsec?.payload) {
      const opts = { sa: m.ipsec.payload, homeAgent: m.homeAgent, reqid: mobileNodePayloadReqid(m.ipsec, m.homeAddress, kernel.bands), keyManagement: m.keyManagementMobility };
      d.payload = new MobileNodePayload(opts, kernel, xfrm, d.counters, log.child({ component: 'payload-ipsec' }));
    }
    mh.on('message', (msg) => d.onMessage(msg));
    countReceiveErrors(mh, d.counters, log, d.badInputLog, () => d.clock.now());
    const homeAgent = mustParseIp6(m.homeAgent);
    d.prefixes = MobileNodePrefixDiscovery.open(sockets, cfg, {
      // Only care-of addresses whose tunnel is in the kernel: the answer comes back through it;
      // under ESP, the one the kernel's Home Address option state names.
      solicitFrom: () => {
        const live = d.accepted().filter((a) => kernel.tunnelOf(a.coa) !== undefined);
        if (m.ipsec === undefined) return live[0];
        const coa = kernel.solicitationCareOf();
        return live.find((a) => a.coa === coa);
      },
      protectedSolicitation: m.ipsec !== undefined,
      // §11.4.3: the acknowledgement is a Binding Update to the home agent; the core refreshes
      // every home registration as for a Binding Refresh Request without a BID sub-option.
      refreshHomeRegistration: () => d.feed([{ kind: 'bindingRefreshRequest', from: homeAgent, message: { kind: 'brr', payloadProto: 59, checksum: 0, options: [] } }]),
      homeAddressLifetime: (validUntilMs) => d.feed([{ kind: 'homeAddressLifetime', validUntilMs }]),
    }, ctx.counters, log, ctx.clock);
    kernel.observe({ pass: () => d.prefixes?.tick(), operation: () => undefined, resync: () => undefined });
    watcher.onChange = (changes) => d.careOfChanged(changes);
    watcher.onError = (err) => log.warn({ err: String(err) }, 'interface dump failed; retrying');
    const initial = await watcher.start(monitor);
    kernel.start(cfg.resyncIntervalSeconds * 1000);
    log.info({ careOf: Object.fromEntries(initial.map((c) => [c.iface, c.address])), home: initial.filter((c) => c.atHome).map((c) => c.iface) }, 'interfaces read');
    // Tunnels of a previous run whose care-of address is still on its interface keep
    // forwarding until the registrations settle; the others go now.
    d.adopted = new Set(initial.flatMap((c) => (c.address !== null && kernel.tunnelOf(c.address) ? [c.address] : [])));
    if (d.adopted.size > 0) log.info({ careOf: [...d.adopted] }, 'tunnels of a previous run adopted until the registrations settle');
    kernel.setAccepted(d.accepted());
    kernel.setUplink(d.uplink());
    d.payload?.adopt(initial.flatMap((c) => (c.address !== null && d.adopted.has(c.address) ? [[c.iface, c.address] as const] : [])));
    kernel.releaseRoutes();
    // Signalling SAs and policies in place before the first Binding Update leaves.
    await kernel.passNow();
    d.adoptTimer = ctx.clock.setTimeout(() => d.endAdoption('grace period over'), ADOPT_GRACE_MS);
    d.feed([...d.eventsOf(initial), { kind: 'start' }]);
    return d;
  }

  private careOfChanged(changes: CareOfChange[]): void {
    for (const c of changes) this.log.info({ iface: c.iface, coa: c.address, atHome: c.atHome }, c.address ? 'care-of address' : 'care-of address gone');
    this.feed(this.eventsOf(changes));
  }

  /** Care-of address events, and home-link events where that changed. */
  private eventsOf(changes: CareOfChange[]): MnEvent[] {
    const out: MnEvent[] = [];
    for (const c of changes) {
      out.push({ kind: 'careOfAddress', iface: c.iface, address: c.address === null ? null : mustParseIp6(c.address) });
      if ((this.atHome.get(c.iface) ?? false) !== c.atHome) out.push({ kind: 'homeLink', iface: c.iface, attached: c.atHome });
      this.atHome.set(c.iface, c.atHome);
    }
    return out;
  }

  /** One received Mobility Header message. Never throws: bad input is counted. */
  private onMessage(m: MhReceived): void {
    const decoded = decodeMessage(m.data, this.cfg.mobileNode.profile);
    if (!decoded.ok) {
      this.counters.inc('mh_malformed');
      if (this.badInputLog.allow(this.clock.now())) this.log.debug({ src: m.src, code: decoded.error.code }, 'malformed mobility header');
      return;
    }
    const msg = decoded.value;
    this.counters.inc('received', { type: msg.kind });
    const from = mustParseIp6(m.src);
    // raw: a correspondent's BA is authenticated over the bytes as received.
    if (msg.kind === 'ba' && formatIp6(from) === this.cfg.mobileNode.homeAgent) this.payload?.noteAck(msg.flags.k);
    if (msg.kind === 'ba') this.feed([{ kind: 'bindingAck', from, message: msg, raw: m.data }]);
    else if (msg.kind === 'hot') this.feed([{ kind: 'homeTest', from, message: msg }]);
    else if (msg.kind === 'cot') this.feed([{ kind: 'careOfTest', from, message: msg }]);
    else if (msg.kind === 'brr') this.feed([{ kind: 'bindingRefreshRequest', from, message: msg }]);
    else if (msg.kind === 'be') this.feed([{ kind: 'bindingError', from, message: msg }]);
    else if (msg.kind === 'has') this.homeAgentSwitch(formatIp6(from), msg.homeAgents);
  }

  /**
   * RFC 5142 §6.1: a Home Agent Switch from the home agent. The node acknowledges it with a
   * Binding Update to that home agent: it de-registers every binding there (one regular
   * de-registration per peer, the core's deregisterAll); the wrapper then moves to the first
   * address listed, or runs DHAAD when there is none.
   */
  private homeAgentSwitch(from: Ip6, homeAgents: readonly Uint8Array[]): void {
    const verdict = homeAgentSwitchVerdict(from, this.cfg.mobileNode.homeAgent, homeAgents);
    if (!verdict.accept || this.onHomeAgentSwitch === undefined) {
      this.counters.inc('home_agent_switch', { outcome: 'refused' });
      this.log.warn({ from, why: verdict.accept ? 'no switching wrapper' : verdict.why }, 'home agent switch ignored');
      return;
    }
    this.counters.inc('home_agent_switch', { outcome: 'accepted' });
    this.log.info({ from, candidates: verdict.candidates }, 'home agent switch: de-registering here, then registering with the next home agent');
    this.feed([{ kind: 'operator', command: { op: 'deregisterAll' } }]);
    this.onHomeAgentSwitch({ from, candidates: verdict.candidates });
  }

  /** True while a de-registration to the home agent waits for its Binding Acknowledgement. */
  deregistering(): boolean {
    return this.core.bindingUpdateList().some((e) => e.role === 'ha' && e.state === 'deregistering');
  }

  /** `show prefixes` (the wrapper registers the command). */
  prefixesView(): ReturnType<MobilePrefixView> {
    return this.prefixes?.view() ?? null;
  }

  /** Events at one instant into the core; its actions out; the timer re-armed. */
  private feed(events: MnEvent[]): void {
    if (this.stopped) return;
    this.perform(this.core.handleAll(events, this.clock.now()));
  }

  /**
   * Interface actions first; then, once any home-link interface holds the home address (so
   * a Binding Acknowledgement sent over the home link can reach us), the sends.
   */
  private perform(out: MnOutput): void {
    let bulChanged = false;
    const later: Exclude<MnAction, { kind: 'bul' } | InterfaceAction>[] = [];
    for (const a of out.actions) {
      if (a.kind === 'bul') bulChanged = true;
      else if (a.kind === 'interface') this.homeLink.handle(a);
      else later.push(a);
    }
    const rest = (): void => {
      if (this.stopped) return;
      for (const a of later) this.act(a);
      if (bulChanged) this.bulChanged();
    };
    const ready = this.homeLink.prepare(this.cfg.mobileNode.interfaces);
    if (ready || this.outbox) {
      const p: Promise<void> = (this.outbox ?? Promise.resolve()).then(() => ready).then(rest);
      this.outbox = p;
      void p.finally(() => {
        if (this.outbox === p) this.outbox = null;
      });
    } else {
      rest();
    }
    this.timer.at(out.nextTickMs);
  }

  private bulChanged(): void {
    this.kernel.setAccepted(this.accepted());
    this.kernel.setUplink(this.uplink());
    this.payload?.update(this.core.bindingUpdateList(), this.accepted().map((a) => a.coa));
    const m = this.cfg.mobileNode;
    // Also with no correspondent left (after a reload): their objects go.
    const holds = (iface: string, coa: Ip6): boolean => this.interfaces.careOf(iface) === coa;
    this.kernel.setRouteOptimisation(mobileNodeRoObjects(this.core.bindingUpdateList(), holds, m.homeAddress, m.correspondents, this.kernel.bands));
    this.direct.update(directInterfaces(this.core.bindingUpdateList(), holds));
    this.prefixes?.tick();
    if (this.adopting && this.core.bindingUpdateList().every((e) => e.role !== 'ha' || e.state !== 'pending')) this.endAdoption('registrations settled');
    this.onBulChanged?.();
  }

  private endAdoption(why: string): void {
    if (!this.adopting || this.stopped) return;
    this.adopting = false;
    if (this.adoptTimer) this.clock.clearTimeout(this.adoptTimer);
    if (this.adopted.size > 0) this.log.info({ why }, 'tunnels of a previous run: adoption over');
    this.adopted.clear();
    this.kernel.setAccepted(this.accepted());
    this.kernel.setUplink(this.uplink());
  }

  private act(a: Exclude<MnAction, { kind: 'bul' } | InterfaceAction>): void {
    switch (a.kind) {
      case 'send':
        this.sender.send(a);
        return;
      case 'log': {
        if (!this.inboundLog.allow(a.event, this.clock.now())) return;
        const suppressed = this.inboundLog.takeSuppressed();
        this.log[a.level](suppressed > 0 ? { ...a.fields, suppressed } : a.fields, a.event);
        return;
      }
    }
  }

  /** RFC 6089 uplink filters over the tunnels of the accepted care-of addresses (plan/mn/flow-uplink.ts). */
  private uplink(): ReturnType<typeof uplinkWants> {
    const m = this.cfg.mobileNode;
    const bul = this.core.bindingUpdateList().filter((e) => e.role === 'ha');
    // The interface from what it holds (an adopted tunnel of a previous run has no entry yet).
    const paths = this.accepted().flatMap((a) => {
      const iface = m.interfaces.find((i) => this.interfaces.careOf(i) === a.coa);
      return iface ? [{ iface, bid: bul.find((x) => x.careOf === a.coa)?.bid ?? null, coa: a.coa }] : [];
    });
    return uplinkWants({ homeAddress: m.homeAddress, homeAgent: m.homeAgent, flows: m.flows, paths, preferred: m.interfaces });
  }

  /** Care-of addresses the home agent accepted that the interface still holds (and, while adopting, those of a previous run). */
  private accepted(): AcceptedCareOf[] {
    return liveCareOfs(this.core.bindingUpdateList(), this.interfaces, this.adopting ? { interfaces: this.cfg.mobileNode.interfaces, adopted: this.adopted } : null);
  }

  /**
   * Applies a re-read configuration: what can change live does (daemon/mn/reload-plan.ts), the rest is
   * returned as warnings and waits for a restart.
   */
  reload(next: MobileNodeDaemonConfig): string[] {
    const plan = planMobileNodeReload(this.cfg, next);
    const m = this.cfg.mobileNode;
    this.cfg = {
      ...this.cfg,
      logLevel: next.logLevel,
      mobileNode: {
        ...m,
        bulk: next.mobileNode.bulk,
        homeLinkPolicy: next.mobileNode.homeLinkPolicy,
        interfaces: next.mobileNode.interfaces,
        correspondents: next.mobileNode.correspondents,
        flows: next.mobileNode.flows,
      },
    };
    if (plan.logLevel !== null) this.log.level = plan.logLevel;
    if (plan.interfaces !== null) this.interfaces.setCandidates(plan.interfaces);
    this.feed(plan.commands.map((command) => ({ kind: 'operator', command })));
    this.kernel.setUplink(this.uplink());
    this.log.info({ applied: plan.commands.map((c) => c.op), interfaces: plan.interfaces, restartNeeded: plan.restartKeys }, 'configuration reloaded');
    // The keys that wait for a restart are named by the shell (service/reload-rules.ts).
    return [...next.warnings];
  }

  /** Its Binding Update List, as `show bindings` shows it; a home address filter matches its one home address. */
  bindings(only: Ip6 | undefined, nowMs: number): BindingView[] {
    const hoa = this.cfg.mobileNode.homeAddress;
    if (only !== undefined && only !== hoa) return [];
    return this.core.bindingUpdateList().map((e) => mnBindingView(hoa, e, nowMs));
  }

  stats(): RoleStats {
    return {
      bindings: this.core.bindingUpdateList().filter((e) => e.state === 'registered').length,
      homeAddresses: 1,
      counters: { kernel: { ...this.kernel.totals, pending: this.kernel.reconciler.pendingCount() }, socket: { ...this.mh.stats } },
    };
  }

  /** `show prefixes`: what Mobile Prefix Discovery learned. */
  registerCommands(server: ControlServer): void {
    server.register('show-prefixes', () => this.prefixesView());
  }

  /** Stops; kernel objects and bindings stay (a restarted daemon adopts the objects). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.timer.stop();
    if (this.adoptTimer) this.clock.clearTimeout(this.adoptTimer);
    this.direct.stop();
    this.prefixes?.stop();
    this.interfaces.stop();
    await this.homeLink.actions.settled();
    this.mh.close();
    this.nd?.close();
    await this.kernel.stop();
    for (const s of this.netlinkSockets) s.close();
  }
}

/** The neighbour discovery socket for announcing the home address; without it (no CAP_NET_RAW) the node still works. */
function openNd(sockets: RoleSockets, log: Logger): NdPort | undefined {
  try {
    return sockets.nd({ router: false });
  } catch (err) {
    log.warn({ err: String(err) }, 'no neighbour discovery socket: the home address will not be announced on the home link');
    return undefined;
  }
}

/** The mobile node role for the service shell. */
export const MOBILE_NODE_ROLE: RoleDefinition<MobileNodeDaemonConfig, RoleDaemon<MobileNodeDaemonConfig>> = {
  role: 'mobile-node',
  keepsBindings: false,
  // discovering-daemon.ts runs this daemon: it finds the home agent first with home_agent:
  // auto, and moves to another on a Home Agent Switch (RFC 5142) in either case.
  start: async (ctx) => (await import('./discovering-daemon.js')).DiscoveringMobileNode.start(ctx),
};

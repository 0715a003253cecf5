// `home_agent: auto` (RFC 6275 §11.4.1): the mobile node finds its home agent by DHAAD, then
// runs the ordinary mobile node daemon (daemon.ts) with the first address of the Reply. A
// registration that fails (proto/mn/home-agent-failover.ts: a refusal, a home agent that left
// its Binding Updates unanswered, or no registration for REGISTRATION_TIMEOUT_MS) stops that
// daemon and starts one with the next address; after the last, discovery runs again. Discovery runs after start returns, so the control socket serves
// (`mcoactl show stats` names the home agent in use and the candidates) while it waits.
// A Home Agent Switch (RFC 5142, accepted by daemon.ts) makes its list the candidates, once
// the de-registration at the old home agent is answered (or DEREGISTER_WAIT_MS passed); an
// empty list runs discovery. A node with a configured home agent runs here too (no DHAAD
// until a Home Agent Switch asks for it, no failover verdicts).
import type { Logger } from 'pino';
import type { MobileNodeDaemonConfig } from '../../config/index.js';
import type { BindingView } from '../../control/protocol.js';
import type { Ip6 } from '../../inet/ip6.js';
import { ICMP6_DHAAD_REPLY } from '../../net/dhaad/dhaad-codec.js';
import { RTNLGRP_IPV6_IFADDR, RTNLGRP_LINK } from '../../platform/rtnl/rtnl-constants.js';
import type { Clock, TimerHandle } from '../service/host.js';
import type { RoleContext, RoleDaemon, RoleStats } from '../service/role.js';
import { DhaadRequester, type DhaadSource } from './dhaad-request.js';
import { homeAgentVerdict } from '../../proto/mn/home-agent-failover.js';
import { MobileNodeDaemon, type HomeAgentSwitchOrder } from './daemon.js';
import { InterfaceWatcher } from './interfaces.js';
import type { ControlServer } from '../../control/server.js';
import { homeAgentsAnycast } from '../../inet/home-agents-anycast.js';
import { makePrefix } from '../../inet/prefix.js';
import { mustParseIp6 } from '../../inet/ip6.js';

const NETLINK_ROUTE = 0;
const CHECK_INTERVAL_MS = 1000;
/** How long a Home Agent Switch waits for the old home agent's answer to the de-registration. */
const DEREGISTER_WAIT_MS = 3000;

export class DiscoveringMobileNode implements RoleDaemon<MobileNodeDaemonConfig> {
  private inner: MobileNodeDaemon | null = null;
  private candidates: Ip6[] = [];
  private index = -1;
  /** Last time the current home agent had a registered home binding (or was chosen). */
  private okAtMs = 0;
  private checkTimer: TimerHandle | undefined;
  private stopped = false;
  private cfg: MobileNodeDaemonConfig;
  private readonly clock: Clock;
  private readonly log: Logger;
  /** A Home Agent Switch waiting for the de-registration at the old home agent. */
  private switching: (HomeAgentSwitchOrder & { atMs: number }) | null = null;
  /** The home agent that sent the last Home Agent Switch acted on. */
  private switchedBy: Ip6 | null = null;
  private requester: DhaadRequester | null = null;
  private watcher: InterfaceWatcher | null = null;

  private constructor(private readonly ctx: RoleContext<MobileNodeDaemonConfig>) {
    this.cfg = ctx.cfg;
    this.clock = ctx.clock;
    this.log = ctx.log.child({ component: 'dhaad' });
  }

  static async start(ctx: RoleContext<MobileNodeDaemonConfig>): Promise<DiscoveringMobileNode> {
    const d = new DiscoveringMobileNode(ctx);
    if (!ctx.cfg.mobileNode.discoverHomeAgent) {
      // The configured home agent, started before start returns (as the plain daemon was).
      d.candidates = [ctx.cfg.mobileNode.homeAgent];
      await d.next('configured');
      return d;
    }
    await d.openDiscovery();
    void d.discover();
    return d;
  }

  /** The DHAAD socket and the interface watcher, opened at the first discovery. */
  private async openDiscovery(): Promise<{ requester: DhaadRequester; watcher: InterfaceWatcher }> {
    if (this.requester && this.watcher) return { requester: this.requester, watcher: this.watcher };
    const { ctx } = this;
    const m = ctx.cfg.mobileNode;
    // The anycast address of the home prefix (config: `auto`, or the subnet's for a configured node).
    const anycast = m.discoverHomeAgent ? m.homeAgent : homeAgentsAnycastOf(m.homeAddress, m.homePrefixLength);
    const port = ctx.sockets.icmp6({ types: [ICMP6_DHAAD_REPLY] });
    this.requester = new DhaadRequester(port, anycast, ctx.clock, ctx.counters, ctx.log.child({ component: 'dhaad' }));
    this.watcher = new InterfaceWatcher(ctx.sockets.netlink(NETLINK_ROUTE), m.interfaces, m.homeAddress, m.homePrefixLength);
    await this.watcher.start(ctx.sockets.netlink(NETLINK_ROUTE, [RTNLGRP_LINK, RTNLGRP_IPV6_IFADDR]));
    return { requester: this.requester, watcher: this.watcher };
  }

  /** The first configured interface with a care-of address (not on the home link). */
  private source(): DhaadSource | undefined {
    if (!this.watcher) return undefined;
    for (const iface of this.cfg.mobileNode.interfaces) {
      const coa = this.watcher.careOf(iface);
      const ifindex = this.watcher.ifindexOf(iface);
      if (coa !== undefined && ifindex !== undefined && !this.watcher.atHome(iface)) return { coa, ifindex };
    }
    return undefined;
  }

  private async discover(): Promise<void> {
    const { requester } = await this.openDiscovery();
    const list = await requester.request(() => this.source());
    if (this.stopped) return;
    this.candidates = list;
    this.index = -1;
    await this.next('discovered');
  }

  /** Stops the current daemon (if any) and starts one with the next candidate, or discovers again. */
  private async next(why: string): Promise<void> {
    if (this.checkTimer !== undefined) this.clock.clearTimeout(this.checkTimer);
    const old = this.inner;
    this.inner = null;
    if (old) await old.stop();
    if (this.stopped) return;
    this.index++;
    const ha = this.candidates[this.index];
    if (ha === undefined) {
      this.log.warn({ tried: this.candidates }, 'no discovered home agent registered us: discovering again');
      return this.discover();
    }
    this.log.info({ homeAgent: ha, why, candidates: this.candidates }, 'home agent chosen');
    this.cfg = { ...this.cfg, mobileNode: { ...this.cfg.mobileNode, homeAgent: ha } };
    try {
      this.inner = await MobileNodeDaemon.start({ ...this.ctx, cfg: this.cfg });
    } catch (err) {
      this.log.warn({ homeAgent: ha, err: String(err) }, 'mobile node start with this home agent failed');
      return this.next('start failed');
    }
    this.inner.onHomeAgentSwitch = (order) => this.homeAgentSwitch(order);
    // The old home agent's answer to the de-registration moves the node at once, not at the next check.
    this.inner.onBulChanged = () => {
      if (this.switching && !this.inner?.deregistering()) this.clock.setTimeout(() => this.switchIfDeregistered(), 0);
    };
    this.okAtMs = this.clock.now();
    this.arm();
  }

  /** RFC 5142: the inner daemon sent its de-registration; move once it is answered. */
  private homeAgentSwitch(order: HomeAgentSwitchOrder): void {
    this.switching = { ...order, atMs: this.clock.now() };
    this.switchedBy = order.from;
  }

  private switchIfDeregistered(): void {
    const sw = this.switching;
    if (this.stopped || !sw || !this.inner || this.inner.deregistering()) return;
    void this.switchNow(sw).catch((err: unknown) => this.ctx.fatal('switching home agent', err));
  }

  private switchNow(order: HomeAgentSwitchOrder): Promise<void> {
    this.switching = null;
    if (order.candidates.length === 0) {
      this.log.info({ from: order.from }, 'home agent switch without addresses: discovering');
      return this.stopInner().then(() => this.discover());
    }
    this.candidates = order.candidates;
    this.index = -1;
    return this.next(`home agent switch from ${order.from}`);
  }

  private async stopInner(): Promise<void> {
    if (this.checkTimer !== undefined) this.clock.clearTimeout(this.checkTimer);
    const old = this.inner;
    this.inner = null;
    if (old) await old.stop();
  }

  private arm(): void {
    this.checkTimer = this.clock.setTimeout(() => this.check(), CHECK_INTERVAL_MS);
  }

  /** §11.4.1: a refusal or a registration that never comes moves to the next home agent. */
  private check(): void {
    const inner = this.inner;
    if (this.stopped || !inner) return;
    const now = this.clock.now();
    const sw = this.switching;
    if (sw && (!inner.deregistering() || now - sw.atMs >= DEREGISTER_WAIT_MS)) {
      return void this.switchNow(sw).catch((err: unknown) => this.ctx.fatal('switching home agent', err));
    }
    // A configured home agent is kept whatever it answers (as without this wrapper).
    if (!this.ctx.cfg.mobileNode.discoverHomeAgent) return this.arm();
    const verdict = homeAgentVerdict(inner.core.bindingUpdateList().filter((e) => e.role === 'ha'), now, this.okAtMs);
    if (verdict.move) return void this.next(verdict.why).catch((err: unknown) => this.ctx.fatal('switching home agent', err));
    if (verdict.registered) this.okAtMs = now;
    this.arm();
  }

  bindings(only: Ip6 | undefined, nowMs: number): BindingView[] {
    return this.inner?.bindings(only, nowMs) ?? [];
  }

  stats(): RoleStats {
    const s = this.inner ? this.inner.stats() : { bindings: 0, homeAddresses: 1, counters: {} };
    const discovered = this.ctx.cfg.mobileNode.discoverHomeAgent || this.requester !== null;
    const homeAgent = {
      address: this.inner ? this.cfg.mobileNode.homeAgent : null,
      discovered,
      candidates: discovered || this.switchedBy ? [...this.candidates] : [],
      ...(this.switchedBy ? { switchedBy: this.switchedBy } : {}),
    };
    return { ...s, homeAgent };
  }

  registerCommands(server: ControlServer): void {
    server.register('show-prefixes', () => this.inner?.prefixesView() ?? null);
  }

  reload(next: MobileNodeDaemonConfig): string[] {
    // The discovered home agent stands in for the anycast address the file's `auto` gives.
    const resolved = { ...next, mobileNode: { ...next.mobileNode, homeAgent: this.cfg.mobileNode.homeAgent } };
    if (!this.inner) return [...next.warnings];
    return this.inner.reload(resolved);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.checkTimer !== undefined) this.clock.clearTimeout(this.checkTimer);
    this.requester?.cancel();
    this.watcher?.stop();
    await this.inner?.stop();
  }
}

function homeAgentsAnycastOf(homeAddress: Ip6, prefixLength: number): Ip6 {
  return homeAgentsAnycast(makePrefix(mustParseIp6(homeAddress), prefixLength));
}

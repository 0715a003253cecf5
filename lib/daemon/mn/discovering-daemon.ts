// `home_agent: auto` (RFC 6275 §11.4.1): the mobile node finds its home agent by DHAAD, then
// runs the ordinary mobile node daemon (daemon.ts) with the first address of the Reply. A
// registration that fails (proto/mn/home-agent-failover.ts: a refusal, a home agent that left
// its Binding Updates unanswered, or no registration for REGISTRATION_TIMEOUT_MS) stops that
// daemon and starts one with the next address; after the last, discovery runs again. Discovery runs after start returns, so the control socket serves
// (`mcoactl show stats` names the home agent in use and the candidates) while it waits.
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
import { MobileNodeDaemon } from './daemon.js';
import { InterfaceWatcher } from './interfaces.js';

const NETLINK_ROUTE = 0;
const CHECK_INTERVAL_MS = 1000;

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

  private constructor(
    private readonly ctx: RoleContext<MobileNodeDaemonConfig>,
    private readonly requester: DhaadRequester,
    private readonly watcher: InterfaceWatcher,
  ) {
    this.cfg = ctx.cfg;
    this.clock = ctx.clock;
    this.log = ctx.log.child({ component: 'dhaad' });
  }

  static async start(ctx: RoleContext<MobileNodeDaemonConfig>): Promise<DiscoveringMobileNode> {
    const m = ctx.cfg.mobileNode;
    const port = ctx.sockets.icmp6({ types: [ICMP6_DHAAD_REPLY] });
    const requester = new DhaadRequester(port, m.homeAgent, ctx.clock, ctx.counters, ctx.log.child({ component: 'dhaad' }));
    const watcher = new InterfaceWatcher(ctx.sockets.netlink(NETLINK_ROUTE), m.interfaces, m.homeAddress, m.homePrefixLength);
    await watcher.start(ctx.sockets.netlink(NETLINK_ROUTE, [RTNLGRP_LINK, RTNLGRP_IPV6_IFADDR]));
    const d = new DiscoveringMobileNode(ctx, requester, watcher);
    void d.discover();
    return d;
  }

  /** The first configured interface with a care-of address (not on the home link). */
  private source(): DhaadSource | undefined {
    for (const iface of this.cfg.mobileNode.interfaces) {
      const coa = this.watcher.careOf(iface);
      const ifindex = this.watcher.ifindexOf(iface);
      if (coa !== undefined && ifindex !== undefined && !this.watcher.atHome(iface)) return { coa, ifindex };
    }
    return undefined;
  }

  private async discover(): Promise<void> {
    const list = await this.requester.request(() => this.source());
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
    this.okAtMs = this.clock.now();
    this.arm();
  }

  private arm(): void {
    this.checkTimer = this.clock.setTimeout(() => this.check(), CHECK_INTERVAL_MS);
  }

  /** §11.4.1: a refusal or a registration that never comes moves to the next home agent. */
  private check(): void {
    const inner = this.inner;
    if (this.stopped || !inner) return;
    const now = this.clock.now();
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
    const homeAgent = { address: this.inner ? this.cfg.mobileNode.homeAgent : null, discovered: true, candidates: [...this.candidates] };
    return { ...s, homeAgent };
  }

  registerCommands(): void {}

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
    this.requester.cancel();
    this.watcher.stop();
    await this.inner?.stop();
  }
}

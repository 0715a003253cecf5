// How the home agent answers Neighbour Solicitations for its home addresses on the home link
// (RFC 6275 §10.4.1), by `home_agent.proxy_nd`:
// - kernel: one kernel proxy neighbour entry per home address (the reconciler's 'proxy' kind);
//   installing N entries costs O(N²) (a 16-bucket hash, and each entry's solicited-node group
//   on the device's list; docs/dataplane-findings.md), and bursts of NS wait in a 64-entry queue;
// - daemon: the daemon answers from its own hash set (proto/ha/proxy-nd.ts) through one
//   packet socket (net/proxy-nd-socket.ts): O(1) per home address;
// - none: no proxying at all, for a virtual home link (the home prefix routed to the home
//   agent; a mobile node is never at home).
// In daemon and none modes the desired state given to the reconciler has no proxy entries,
// so entries left from the kernel mode are deleted by the next pass.
import type { Logger } from 'pino';
import { formatIp6, IP6_UNSPECIFIED, type Ip6 } from '../../inet/ip6.js';
import type { DesiredState } from '../../plan/ha/desired.js';
import { answerSolicitation, DefendedAddresses, TokenBucket, type ProxyAdvertisement } from '../../proto/ha/proxy-nd.js';
import type { ReceivedNs } from '../../net/proxy-nd-packet.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Clock, ProxyNdPort, TimerHandle } from '../service/host.js';
import { RateLimit } from '../counters.js';
import type { HomeAgentDaemonConfig } from '../../config/daemon-config.js';
import type { RoleContext } from '../service/role.js';

export type ProxyNdMode = 'kernel' | 'daemon' | 'none';

/** Advertisements a second (answers and announcements together), and the burst allowed. */
export const PROXY_NA_PER_SECOND = 2000;
export const PROXY_NA_BURST = 500;

/** How often the socket checks that its home link is still the interface it is bound to. */
export const PROXY_ND_LINK_CHECK_MS = 5000;

export class HomeAgentProxyNd {
  readonly defended = new DefendedAddresses();
  private readonly bucket = new TokenBucket(PROXY_NA_PER_SECOND, PROXY_NA_BURST);
  private readonly errorLog = new RateLimit(1);
  private socket: ProxyNdPort | undefined;
  private timer: TimerHandle | undefined;
  private closed = false;
  /** Gets every DAD probe (NS from ::) the socket receives: the DADs of the home agent's own hear others' probes here. */
  onProbe: ((r: ReceivedNs) => void) | undefined;

  /** `open` opens the socket on the home link (daemon mode); absent, nothing is answered. */
  constructor(
    readonly mode: ProxyNdMode,
    private readonly open: (() => ProxyNdPort | undefined) | undefined,
    private readonly counters: Metrics,
    private readonly log: Logger,
    private readonly clock: Clock,
  ) {
    if (open) this.connect();
  }

  /**
   * Opens the socket, or retries later; then checks the link periodically. A packet socket
   * stays bound to the interface index it was opened on: a home link deleted and made again
   * (a new index) would leave it deaf, so it is opened again on the new one.
   */
  private connect(): void {
    if (this.closed) return;
    if (this.socket && !this.socket.stillBound()) {
      this.log.warn({ interface: this.socket.ifname }, 'the home link changed: proxy ND socket opened again');
      this.socket.close();
      this.socket = undefined;
    }
    if (!this.socket) {
      try {
        const s = this.open!();
        s?.on('solicitation', (ns) => this.answer(ns));
        s?.on('receiveError', () => this.counters.inc('nd_proxy', { outcome: 'malformed' }));
        this.socket = s;
      } catch (err) {
        if (this.errorLog.allow(this.clock.now())) this.log.error({ err: String(err) }, 'proxy ND socket cannot open on the home link; retrying');
      }
    }
    this.timer = this.clock.setTimeout(() => this.connect(), PROXY_ND_LINK_CHECK_MS);
  }

  /**
   * What the reconciler gets for `hoa`: its desired state as is (kernel), or without proxy
   * entries, which then go to the daemon's own set (daemon) or nowhere (none). Newly
   * defended addresses are announced (RFC 6275 §10.4.1) unless `announce` is false (a
   * restart: the neighbours were told before it). `serving` false (cluster mode: this node is
   * not active for the home address's service address): nothing is proxied for it, in either
   * mode; becoming active plans it again with true, which defends and announces it.
   */
  plan(hoa: Ip6, desired: DesiredState, announce = true, serving = true): DesiredState {
    if (this.mode === 'kernel') return serving || desired.proxies.size === 0 ? desired : { ...desired, proxies: new Map() };
    if (this.mode === 'daemon') {
      const { added } = this.defended.update(hoa, serving ? desired.proxies.values() : []);
      if (announce) for (const a of added) this.send({ dst: 'ff02::1' as Ip6, target: a.address, router: false, solicited: false, override: true }, 'announced');
    }
    return desired.proxies.size === 0 ? desired : { ...desired, proxies: new Map() };
  }

  /** Whether every NS on `ifname` reaches onProbe now (daemon mode, socket open on that link). */
  hearsProbesOn(ifname: string): boolean {
    return this.socket !== undefined && this.socket.ifname === ifname;
  }

  private answer(r: ReceivedNs): void {
    // A standby still hears probes: its own DADs need them, whatever it answers.
    if (r.src === IP6_UNSPECIFIED) this.onProbe?.(r);
    const a = answerSolicitation(
      { iface: this.socket!.ifname, src: r.src, dst: r.dst, hopLimit: r.hopLimit, target: formatIp6(r.ns.target), hasSourceLinkLayer: r.ns.sourceLinkLayer !== undefined },
      this.defended,
      this.bucket,
      this.clock.now(),
    );
    if (!a.answer) {
      // Solicitations for other nodes' addresses are the normal case on a shared link: not counted one by one.
      if (a.reason !== 'not-defended') this.counters.inc('nd_proxy', { outcome: a.reason });
      return;
    }
    this.send(a.na, a.dad ? 'defended' : 'answered', false);
  }

  /** Sends one advertisement; an announcement spends a token too, unless already taken. */
  private send(na: ProxyAdvertisement, outcome: 'answered' | 'defended' | 'announced', takeToken = true): void {
    if (!this.socket) return;
    if (takeToken && !this.bucket.take(this.clock.now())) {
      this.counters.inc('nd_proxy', { outcome: 'rate-limited' });
      return;
    }
    const failed = (err: unknown): void => {
      this.counters.inc('nd_proxy', { outcome: 'send-error' });
      if (this.errorLog.allow(this.clock.now())) this.log.warn({ target: na.target, dst: na.dst, err: String(err) }, 'proxy neighbour advertisement failed');
    };
    try {
      this.socket.advertise(na, this.socket.linkLayerAddress(), (err) => (err ? failed(err) : this.counters.inc('nd_proxy', { outcome })));
    } catch (err) {
      failed(err);
    }
  }

  /** `show stats` group 'proxy-nd' (daemon mode): defended addresses and the socket's counters. */
  stats(): Record<string, number> {
    const out: Record<string, number> = { defended: this.defended.size };
    const s = this.socket?.stats;
    if (s) Object.assign(out, { received: s.received, invalid: s.invalid, 'receive-errors': s.receiveErrors, sent: s.sent, 'send-errors': s.sendErrors, 'kernel-drops': s.kernelDrops });
    return out;
  }

  close(): void {
    this.closed = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.socket?.close();
  }
}

/** The default of home_agent.proxy_nd: the one whose cost per home address is flat. */
export const DEFAULT_PROXY_ND: ProxyNdMode = 'daemon';

/** The configured proxy ND, its socket opened on the home link in daemon mode. */
export function openProxyNd(ctx: RoleContext<HomeAgentDaemonConfig>): HomeAgentProxyNd {
  const mode = ctx.cfg.proxyNd ?? DEFAULT_PROXY_ND;
  const open = mode === 'daemon' ? () => ctx.sockets.proxyNd(ctx.cfg.homeAgent.homeLinkInterface) : undefined;
  return new HomeAgentProxyNd(mode, open, ctx.counters, ctx.log.child({ component: 'proxy-nd' }), ctx.clock);
}

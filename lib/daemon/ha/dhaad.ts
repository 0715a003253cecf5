// The home agent's side of Dynamic Home Agent Address Discovery (RFC 6275 §10.5): on the
// home link it hears other home agents' Router Advertisements (H bit) into the Home Agents
// List (lib/proto/ha/home-agents-list.ts), holds the Home-Agents anycast address of each
// served prefix, and answers a DHAAD Request sent to one with the list's addresses, to the
// Request's source (the mobile node's care-of address), from its own address. One DueTimer at
// the list's next expiry. Its own H bit and Home Agent Information are radvd's job (README).
import type { Logger } from 'pino';
import { homeAgentsAnycast } from '../../inet/home-agents-anycast.js';
import type { Ip6 } from '../../inet/ip6.js';
import { ip6Octets } from '../../inet/ip6-write.js';
import { parsePrefix } from '../../inet/prefix.js';
import { decodeDhaad, encodeDhaad, ICMP6_DHAAD_REQUEST } from '../../net/dhaad/dhaad-codec.js';
import type { Icmp6Received } from '../../net/icmp6-socket.js';
import { decodeRa, ND_ROUTER_ADVERT } from '../../net/dhaad/ra-codec.js';
import { HomeAgentsList, type HomeAgentEntry } from '../../proto/ha/home-agents-list.js';
import type { HomeAgentDhaadConfig } from '../../config/dhaad-section.js';
import type { Metrics } from '../metrics/metrics.js';
import { DueTimer } from '../service/due-timer.js';
import type { Clock, Icmp6Port } from '../service/host.js';
import type { RoleContext } from '../service/role.js';
import type { HomeAgentDaemonConfig } from '../../config/daemon-config.js';

/** RFC 4861 §6.1.2: an RA arrives with hop limit 255 from a link-local source. */
const ND_HOP_LIMIT = 255;

export interface HomeAgentDhaadSettings {
  iface: string;
  address: Ip6;
  servedPrefixes: readonly string[];
  dhaad: HomeAgentDhaadConfig;
}

export class HomeAgentDhaad {
  readonly list: HomeAgentsList;
  private readonly timer: DueTimer;
  private readonly ifindex: number;
  /** Home-Agents anycast address -> the served prefix it belongs to. */
  readonly anycast = new Map<Ip6, string>();

  constructor(
    private readonly port: Icmp6Port,
    private readonly settings: HomeAgentDhaadSettings,
    private readonly clock: Clock,
    private readonly counters: Metrics,
    private readonly log: Logger,
    private readonly random: () => number = Math.random,
  ) {
    const { address, dhaad } = settings;
    this.list = new HomeAgentsList({ addresses: [address], preference: dhaad.preference, lifetime: dhaad.lifetime });
    this.timer = new DueTimer(clock, () => this.expire());
    this.ifindex = port.interfaceIndex(settings.iface);
    for (const text of settings.servedPrefixes) {
      const prefix = parsePrefix(text);
      // RFC 2526 needs 7 bits of interface identifier; a longer prefix has no such address.
      if (!prefix || prefix.length > 121) continue;
      const a = homeAgentsAnycast(prefix);
      port.joinAnycast(this.ifindex, a);
      this.anycast.set(a, prefix.text);
    }
    port.on('message', (m) => this.onMessage(m));
    log.info({ iface: settings.iface, anycast: [...this.anycast.keys()], preference: dhaad.preference, lifetime: dhaad.lifetime }, 'answering DHAAD requests');
  }

  entries(): HomeAgentEntry[] {
    return this.list.entries();
  }

  stop(): void {
    this.timer.stop();
  }

  private onMessage(m: Icmp6Received): void {
    if (m.data[0] === ND_ROUTER_ADVERT) this.onRa(m);
    else if (m.data[0] === ICMP6_DHAAD_REQUEST) this.onRequest(m);
  }

  private onRa(m: Icmp6Received): void {
    // Requests are routed to us from anywhere; only the home link's RAs make the list.
    if (m.ifindex !== this.ifindex) return this.dropped(m, 'RA not on the home link');
    if (m.hopLimit !== ND_HOP_LIMIT || !m.src.startsWith('fe80:')) return this.dropped(m, 'RA not from a neighbour (hop limit 255, link-local source)');
    const ra = decodeRa(m.data);
    if (!ra.ok) return this.dropped(m, ra.error.code);
    const nowMs = this.clock.now();
    const outcome = this.list.observeRa(m.src, ra.value, nowMs);
    this.counters.inc('dhaad', { event: `ra-${outcome}` });
    if (outcome !== 'ignored' && outcome !== 'updated') this.log.info({ router: m.src, outcome, homeAgents: this.list.replyAddresses(nowMs, () => 0) }, 'home agents list changed');
    this.timer.at(this.list.nextExpiryMs());
  }

  private onRequest(m: Icmp6Received): void {
    if (!this.anycast.has(m.dst)) return this.dropped(m, 'Request not to a Home-Agents anycast address');
    const req = decodeDhaad(m.data);
    if (!req.ok || req.value.kind !== 'dhaadRequest') return this.dropped(m, req.ok ? 'not a Request' : req.error.code);
    this.counters.inc('dhaad', { event: 'request' });
    const homeAgents = this.list.replyAddresses(this.clock.now(), this.random);
    const reply = encodeDhaad({ kind: 'dhaadReply', identifier: req.value.identifier, mobileRouter: false, homeAgents: homeAgents.map((a) => ip6Octets(a)) });
    try {
      this.port.send({ dst: m.src, src: this.settings.address, data: reply });
      this.counters.inc('dhaad', { event: 'reply' });
      this.log.info({ to: m.src, identifier: req.value.identifier, homeAgents }, 'DHAAD reply');
    } catch (err) {
      this.log.warn({ to: m.src, err: String(err) }, 'DHAAD reply not sent');
    }
  }

  private expire(): void {
    const n = this.list.expire(this.clock.now());
    if (n > 0) {
      this.counters.inc('dhaad', { event: 'expired' }, n);
      this.log.info({ expired: n }, 'home agents list entries expired');
    }
    this.timer.at(this.list.nextExpiryMs());
  }

  private dropped(m: Icmp6Received, why: string): void {
    this.counters.inc('dhaad', { event: 'dropped' });
    this.log.debug({ src: m.src, dst: m.dst, type: m.data[0], why }, 'DHAAD input dropped');
  }
}

/** With `home_agent.dhaad` configured: the socket (RAs and Requests) and the responder; else null. */
export function startHomeAgentDhaad(ctx: RoleContext<HomeAgentDaemonConfig>): HomeAgentDhaad | null {
  const { cfg } = ctx;
  if (cfg.dhaad === null) return null;
  const port = ctx.sockets.icmp6({ types: [ND_ROUTER_ADVERT, ICMP6_DHAAD_REQUEST] });
  const h = cfg.homeAgent;
  const settings = { iface: h.homeLinkInterface, address: h.homeAgentAddress, servedPrefixes: h.servedPrefixes, dhaad: cfg.dhaad };
  return new HomeAgentDhaad(port, settings, ctx.clock, ctx.counters, ctx.log.child({ component: 'dhaad' }));
}

// The home agent's side of Dynamic Home Agent Address Discovery (RFC 6275 §10.5): on the
// home link it hears other home agents' Router Advertisements (H bit) into the Home Agents
// List (lib/proto/ha/home-agents-list.ts), holds the Home-Agents anycast address of each
// served prefix, and answers a DHAAD Request sent to one with the list's addresses, to the
// Request's source (the mobile node's care-of address), from its own address. One DueTimer at
// the list's next expiry. Its own H bit and Home Agent Information are radvd's job (README).
// A mobile router's Request (RFC 3963's R flag) gets a Reply with R set that lists only the
// home agents supporting mobile routers (their Home Agent Information option's R flag; this
// one's `mobile_router_support`), as UMIP's home agent does. A reload takes new settings
// without losing the list learnt from the home link (reloadHomeAgentDhaad).
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
  mobileRouterSupport: boolean;
}

function ownEntry(s: HomeAgentDhaadSettings) {
  return { addresses: [s.address], preference: s.dhaad.preference, lifetime: s.dhaad.lifetime, mobileRouterSupport: s.mobileRouterSupport };
}

export class HomeAgentDhaad {
  readonly list: HomeAgentsList;
  private readonly timer: DueTimer;
  private readonly ifindex: number;
  /** Home-Agents anycast address -> the served prefix it belongs to. */
  readonly anycast = new Map<Ip6, string>();

  constructor(
    private readonly port: Icmp6Port,
    private settings: HomeAgentDhaadSettings,
    private readonly clock: Clock,
    private readonly counters: Metrics,
    private readonly log: Logger,
    private readonly random: () => number = Math.random,
    /** A reload's new responder carries over the list the old one learnt. */
    list?: HomeAgentsList,
  ) {
    const { dhaad } = settings;
    this.list = list ?? new HomeAgentsList(ownEntry(settings));
    this.list.setOwn(ownEntry(settings));
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
    this.timer.at(this.list.nextExpiryMs());
  }

  /** Same socket and anycast addresses (same interface, address and prefixes): only the own entry can change. */
  sameSocket(s: HomeAgentDhaadSettings): boolean {
    const t = this.settings;
    return s.iface === t.iface && s.address === t.address && s.servedPrefixes.join() === t.servedPrefixes.join();
  }

  /** A reload that keeps the socket: the own entry's preference, lifetime and mobile router support. */
  setOwn(s: HomeAgentDhaadSettings): void {
    this.settings = s;
    this.list.setOwn(ownEntry(s));
    this.log.info({ preference: s.dhaad.preference, lifetime: s.dhaad.lifetime, mobileRouterSupport: s.mobileRouterSupport }, 'own home agents list entry reloaded');
  }

  /** Stops and closes the socket, which drops its anycast addresses. */
  close(): void {
    this.stop();
    this.port.close();
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
    const { mobileRouter } = req.value;
    const homeAgents = this.list.replyAddresses(this.clock.now(), this.random, undefined, mobileRouter);
    const reply = encodeDhaad({ kind: 'dhaadReply', identifier: req.value.identifier, mobileRouter, homeAgents: homeAgents.map((a) => ip6Octets(a)) });
    try {
      this.port.send({ dst: m.src, src: this.settings.address, data: reply });
      this.counters.inc('dhaad', { event: 'reply' });
      this.log.info({ to: m.src, identifier: req.value.identifier, mobileRouter, homeAgents }, 'DHAAD reply');
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

function settingsOf(cfg: HomeAgentDaemonConfig, dhaad: HomeAgentDhaadConfig): HomeAgentDhaadSettings {
  const h = cfg.homeAgent;
  return { iface: h.homeLinkInterface, address: h.homeAgentAddress, servedPrefixes: h.servedPrefixes, dhaad, mobileRouterSupport: h.mobileRouterSupport };
}

/** With `home_agent.dhaad` configured: the socket (RAs and Requests) and the responder; else null. */
export function startHomeAgentDhaad(ctx: RoleContext<HomeAgentDaemonConfig>, list?: HomeAgentsList): HomeAgentDhaad | null {
  const { cfg } = ctx;
  if (cfg.dhaad === null) return null;
  const port = ctx.sockets.icmp6({ types: [ND_ROUTER_ADVERT, ICMP6_DHAAD_REQUEST] });
  return new HomeAgentDhaad(port, settingsOf(cfg, cfg.dhaad), ctx.clock, ctx.counters, ctx.log.child({ component: 'dhaad' }), Math.random, list);
}

/**
 * `home_agent.dhaad` on reload: removed, the responder closes; added, it starts; changed in
 * preference, lifetime or mobile router support, the own entry follows; a new interface,
 * address or served prefix set needs other anycast addresses, so a new socket, with the list
 * learnt so far carried over (the other home agents' entries keep their expiry).
 */
export function reloadHomeAgentDhaad(current: HomeAgentDhaad | null, ctx: RoleContext<HomeAgentDaemonConfig>): HomeAgentDhaad | null {
  const { cfg } = ctx;
  if (cfg.dhaad === null) {
    current?.close();
    return null;
  }
  const settings = settingsOf(cfg, cfg.dhaad);
  if (current?.sameSocket(settings)) {
    current.setOwn(settings);
    return current;
  }
  current?.close();
  return startHomeAgentDhaad(ctx, current?.list);
}

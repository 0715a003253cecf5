// The home agent's Mobile Prefix Discovery duties (RFC 6275 §10.6) around the pure
// advertiser (proto/ha/prefix-advert.ts): the ICMPv6 socket, the retransmission timer and
// the reload hook. The advertiser keeps every registered home address's next periodic or
// retransmitted advertisement in one heap; one timer is armed at its earliest.
//
// Receiving: a mobile node without signalling SAs reverse-tunnels its solicitation from the
// home address; the binding's ip6tnl device decapsulates it into this host's stack, so the
// raw ICMPv6 socket sees the home address as source. With SAs it arrives from a care-of
// address with a Home Address option under ESP (required by plan/ha/signalling-ipsec.ts),
// and the kernel's swap gives the same source. Sending: the advertisement goes to the home address from the home agent's
// address as a plain packet; the route the home agent keeps for a registered home address
// carries it into the binding's tunnel (with several care-of addresses, over whichever the
// kernel's route chooses), so it reaches the node as any home-address traffic does. A type
// 2 routing header would have to pick one care-of address itself and needs a route2 XFRM
// state per binding, which the home agent does not install.
import type { Logger } from 'pino';
import type { HomeAgentDaemonConfig } from '../../config/daemon-config.js';
import type { Ip6 } from '../../inet/ip6.js';
import type { Icmp6Received } from '../../net/icmp6-socket.js';
import {
  DEFAULT_PREFIX_DISCOVERY,
  PrefixAdvertiser,
  type AdvertisedPrefixes,
  type AdvertisementSend,
} from '../../proto/ha/prefix-advert.js';
import {
  ICMP6_MOBILE_PREFIX_ADVERT,
  ICMP6_MOBILE_PREFIX_SOLICIT,
  decodeMobilePrefix,
  encodeMobilePrefix,
} from '../../wire/icmp/mobile-prefix.js';
import { randomInt } from 'node:crypto';
import type { Metrics } from '../metrics/metrics.js';
import { DueTimer } from '../service/due-timer.js';
import type { Clock, Icmp6Port } from '../service/host.js';
import type { RoleSockets } from '../service/role.js';
import { RateLimit } from '../counters.js';

export const MOBILE_PREFIX_TYPES = [ICMP6_MOBILE_PREFIX_SOLICIT, ICMP6_MOBILE_PREFIX_ADVERT] as const;

export function advertisedOf(cfg: HomeAgentDaemonConfig): AdvertisedPrefixes {
  return {
    homeAgentAddress: cfg.homeAgent.homeAgentAddress,
    servedPrefixes: cfg.homeAgent.servedPrefixes,
    lifetimes: cfg.prefixDiscovery ?? DEFAULT_PREFIX_DISCOVERY,
  };
}

/** What the service needs from the binding cache. */
export interface RegisteredHomeAddresses {
  has(hoa: Ip6): boolean;
  all(): Ip6[];
}

export class HomeAgentPrefixDiscovery {
  private readonly advertiser: PrefixAdvertiser;
  private readonly timer: DueTimer;
  private readonly logLimit = new RateLimit(10);
  private homeAgentAddress: Ip6;
  /**
   * The address `hoa`'s advertisements come from: alone, the home agent address; in cluster mode
   * its service address while this node is active for it, else null (a standby has no such address).
   */
  sourceFor: (hoa: Ip6) => Ip6 | null = () => this.homeAgentAddress;

  constructor(
    private readonly sock: Icmp6Port,
    cfg: HomeAgentDaemonConfig,
    private readonly registered: RegisteredHomeAddresses,
    private readonly counters: Metrics,
    private readonly log: Logger,
    private readonly clock: Clock,
  ) {
    this.advertiser = new PrefixAdvertiser(advertisedOf(cfg), clock.now(), randomInt);
    this.homeAgentAddress = cfg.homeAgent.homeAgentAddress;
    this.timer = new DueTimer(clock, () => this.poll());
    sock.on('message', (m) => this.onMessage(m));
    sock.on('receiveError', (e) => {
      if (this.logLimit.allow(this.clock.now())) this.log.debug({ code: e.code, reason: e.reason }, 'ICMPv6 receive failed');
    });
    // Bindings restored at start get their periodic schedule as a new registration would.
    for (const hoa of registered.all()) this.advertiser.bindingUpdate(hoa, clock.now());
    this.timer.at(this.advertiser.nextDueMs());
  }

  /** Opens the socket in the role's namespace; without one (no CAP_NET_RAW in a test) the home agent runs without prefix discovery. */
  static open(sockets: RoleSockets, cfg: HomeAgentDaemonConfig, registered: RegisteredHomeAddresses, counters: Metrics, log: Logger, clock: Clock): HomeAgentPrefixDiscovery {
    const sock = sockets.icmp6({ types: MOBILE_PREFIX_TYPES });
    return new HomeAgentPrefixDiscovery(sock, cfg, registered, counters, log.child({ component: 'prefix-discovery' }), clock);
  }

  /** §10.6.2: a Binding Update accepted from `hoa` acknowledges an unsolicited advertisement; a new registration is scheduled. */
  bindingUpdateFrom(hoa: Ip6): void {
    if (this.advertiser.bindingUpdate(hoa, this.clock.now())) this.log.info({ hoa }, 'mobile prefix advertisement acknowledged by a binding update');
    this.timer.at(this.advertiser.nextDueMs());
  }

  /** §10.6.2: the served prefixes or their lifetimes may have changed. */
  reload(cfg: HomeAgentDaemonConfig): void {
    this.homeAgentAddress = cfg.homeAgent.homeAgentAddress;
    const sends = this.advertiser.reconfigure(advertisedOf(cfg), this.registered.all(), this.clock.now());
    if (sends.length > 0) this.log.info({ homeAddresses: sends.length }, 'served prefixes changed: unsolicited mobile prefix advertisements sent');
    for (const s of sends) this.send(s);
    this.timer.at(this.advertiser.nextDueMs());
  }

  stop(): void {
    this.timer.stop();
    this.sock.close();
  }

  private onMessage(m: Icmp6Received): void {
    const d = decodeMobilePrefix(m.data);
    if (!d.ok) {
      this.counters.inc('mpd_messages', { message: m.data[0] === ICMP6_MOBILE_PREFIX_SOLICIT ? 'mps' : 'mpa', outcome: 'malformed' });
      if (this.logLimit.allow(this.clock.now())) this.log.debug({ src: m.src, code: d.error.code, offset: d.error.offset }, 'malformed mobile prefix message');
      return;
    }
    this.counters.inc('mpd_messages', { message: d.value.kind, outcome: 'received' });
    if (d.value.kind !== 'mps') return;
    const answer = this.advertiser.solicited(m.src, d.value.identifier, this.registered.has(m.src), this.clock.now());
    if (!answer) {
      this.counters.inc('mpd_messages', { message: 'mps', outcome: 'ignored' });
      if (this.logLimit.allow(this.clock.now())) this.log.info({ src: m.src }, 'mobile prefix solicitation from an address without a binding ignored');
      return;
    }
    this.send(answer);
    this.timer.at(this.advertiser.nextDueMs());
  }

  private poll(): void {
    for (const s of this.advertiser.poll(this.clock.now(), (h) => this.registered.has(h))) this.send(s);
    this.timer.at(this.advertiser.nextDueMs());
  }

  private send(s: AdvertisementSend): void {
    const src = this.sourceFor(s.dst);
    if (src === null) return;
    try {
      this.sock.send({ dst: s.dst, data: encodeMobilePrefix(s.message), src });
      this.counters.inc('mpd_messages', { message: 'mpa', outcome: 'sent' });
      this.log.info({ hoa: s.dst, identifier: s.message.identifier, solicited: s.solicited, retransmission: s.retransmission, prefixes: s.message.prefixes.length }, 'mobile prefix advertisement sent');
    } catch (err) {
      this.counters.inc('mpd_messages', { message: 'mpa', outcome: 'send-error' });
      this.log.warn({ hoa: s.dst, err: String(err) }, 'mobile prefix advertisement failed to send');
    }
  }
}

// The mobile node's Mobile Prefix Discovery (RFC 6275 §11.4.2, §11.4.3) around the pure core
// (proto/mn/prefix-discovery.ts): the ICMPv6 socket, the timer, and `mcoactl show prefixes`.
//
// With signalling SAs the solicitation leaves through the ICMPv6 socket from the home address
// to the home agent, and the kernel's policy protects it with the BU's SA and sends it from a
// care-of address with a Home Address option (plan/mn/signalling-ipsec.ts), as RFC 6275
// §11.4.2 lays it out. Without SAs it leaves from the home address inside an ip6ip6 packet
// from an accepted care-of address to the home agent (as the HoTI does,
// net/reverse-tunnel.ts), where the binding's tunnel decapsulates it: no Home Address option
// (which the home agent's kernel takes only under a policy), no dependence on
// `mobile_node.routes` covering the home agent. The advertisement comes back to the home
// address through the node's tunnel and reaches the raw ICMPv6 socket with the home agent as
// source.
import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import type { MobileNodeDaemonConfig } from '../../config/index.js';
import { mustParseIp6 } from '../../inet/ip6.js';
import type { Icmp6Received } from '../../net/icmp6-socket.js';
import type { PrefixesView } from '../../control/protocol.js';
import { encapsulatedIcmp6, sendIp6ip6 } from '../../net/reverse-tunnel.js';
import { MobilePrefixDiscovery, type PrefixEvent } from '../../proto/mn/prefix-discovery.js';
import { ICMP6_MOBILE_PREFIX_ADVERT, decodeMobilePrefix, encodeMobilePrefix } from '../../wire/icmp/mobile-prefix.js';
import { RateLimit } from '../counters.js';
import type { Metrics } from '../metrics/metrics.js';
import { DueTimer } from '../service/due-timer.js';
import type { Clock, Icmp6Port } from '../service/host.js';
import type { RoleSockets } from '../service/role.js';
import type { AcceptedCareOf } from './kernel.js';

export interface MobileNodePrefixDeps {
  /**
   * The accepted care-of address a solicitation can leave from now (under ESP: the one the
   * kernel's Home Address option state names), or none.
   */
  solicitFrom(): AcceptedCareOf | undefined;
  /** Signalling SAs are configured: the solicitation goes through the kernel's policy. */
  readonly protectedSolicitation: boolean;
  /** §11.4.3: acknowledge an unsolicited advertisement with a Binding Update to the home agent. */
  refreshHomeRegistration(): void;
  /** §11.7.1: registrations last no longer than the home address stays valid. */
  homeAddressLifetime(validUntilMs: number | null): void;
}

const LOG_LEVEL: Record<PrefixEvent['kind'], 'info' | 'warn' | 'error'> = {
  prefixLearned: 'info',
  prefixWithdrawn: 'warn',
  homeAddressDeprecated: 'warn',
  homeAddressInvalid: 'error',
};

export class MobileNodePrefixDiscovery {
  private readonly core: MobilePrefixDiscovery;
  private readonly timer: DueTimer;
  private readonly logLimit = new RateLimit(10);

  constructor(
    private readonly sock: Icmp6Port,
    private readonly cfg: MobileNodeDaemonConfig,
    private readonly deps: MobileNodePrefixDeps,
    private readonly counters: Metrics,
    private readonly log: Logger,
    private readonly clock: Clock,
  ) {
    const m = cfg.mobileNode;
    this.core = new MobilePrefixDiscovery({ homeAddress: mustParseIp6(m.homeAddress), homePrefixLength: m.homePrefixLength, homeAgent: mustParseIp6(m.homeAgent) });
    this.timer = new DueTimer(clock, () => this.tick());
    sock.on('message', (msg) => this.onMessage(msg));
    sock.on('receiveError', (e) => {
      if (this.logLimit.allow(this.clock.now())) this.log.debug({ code: e.code, reason: e.reason }, 'ICMPv6 receive failed');
    });
  }

  static open(sockets: RoleSockets, cfg: MobileNodeDaemonConfig, deps: MobileNodePrefixDeps, counters: Metrics, log: Logger, clock: Clock): MobileNodePrefixDiscovery {
    const sock = sockets.icmp6({ types: [ICMP6_MOBILE_PREFIX_ADVERT] });
    return new MobileNodePrefixDiscovery(sock, cfg, deps, counters, log.child({ component: 'prefix-discovery' }), clock);
  }

  /** The accepted care-of addresses changed: a first registration may make a solicitation due. */
  tick(): void {
    const from = this.deps.solicitFrom();
    const now = this.clock.now();
    const mps = this.core.poll(now, from !== undefined, () => randomInt(0x10000));
    if (mps && from) this.solicit(encodeMobilePrefix(mps), mps.identifier, from);
    // Without a registration nothing can be sent: the next registration change (or kernel pass) ticks again.
    this.timer.at(from !== undefined ? this.core.nextDueMs() : null);
  }

  view(): PrefixesView {
    const now = this.clock.now();
    const v = this.core.view(now);
    const secs = (ms: number | null) => (ms === null ? null : Math.max(0, Math.round(ms / 1000)));
    return {
      homeAddress: this.cfg.mobileNode.homeAddress,
      homeAgent: this.cfg.mobileNode.homeAgent,
      outstandingIdentifier: v.outstandingIdentifier,
      nextSolicitInSeconds: secs(v.nextSolicitMs === null ? null : v.nextSolicitMs - now),
      lastAdvertisementSecondsAgo: secs(v.lastAdvertisementMs === null ? null : now - v.lastAdvertisementMs),
      prefixes: v.prefixes,
    };
  }

  stop(): void {
    this.timer.stop();
    this.sock.close();
  }

  private solicit(icmp: Uint8Array, identifier: number, from: AcceptedCareOf): void {
    const m = this.cfg.mobileNode;
    try {
      if (this.deps.protectedSolicitation) {
        // The kernel fills the checksum over the home address, adds ESP and the Home Address option.
        this.sock.send({ dst: m.homeAgent, src: m.homeAddress, data: icmp, ifindex: from.ifindex });
      } else {
        const packet = encapsulatedIcmp6(icmp, mustParseIp6(m.homeAddress), mustParseIp6(m.homeAgent));
        sendIp6ip6(packet, { outerSrc: from.coa, outerDst: m.homeAgent, ifindex: from.ifindex, ...(this.cfg.netns === null ? {} : { netns: this.cfg.netns }) }, 'mobile prefix solicitation');
      }
      this.counters.inc('mpd_messages', { message: 'mps', outcome: 'sent' });
      this.log.info({ identifier, coa: from.coa, esp: this.deps.protectedSolicitation }, 'mobile prefix solicitation sent');
    } catch (err) {
      this.counters.inc('mpd_messages', { message: 'mps', outcome: 'send-error' });
      this.log.warn({ err: String(err) }, 'mobile prefix solicitation failed to send');
    }
  }

  private onMessage(msg: Icmp6Received): void {
    const d = decodeMobilePrefix(msg.data);
    if (!d.ok || d.value.kind !== 'mpa') {
      this.counters.inc('mpd_messages', { message: 'mpa', outcome: 'malformed' });
      if (!d.ok && this.logLimit.allow(this.clock.now())) this.log.debug({ src: msg.src, code: d.error.code }, 'malformed mobile prefix advertisement');
      return;
    }
    const r = this.core.advertisement(mustParseIp6(msg.src), mustParseIp6(msg.dst), d.value, this.clock.now());
    if (!r.accepted) {
      this.counters.inc('mpd_messages', { message: 'mpa', outcome: 'ignored' });
      if (this.logLimit.allow(this.clock.now())) this.log.info({ src: msg.src, dst: msg.dst, reason: r.reason }, 'mobile prefix advertisement ignored');
      return;
    }
    this.counters.inc('mpd_messages', { message: 'mpa', outcome: 'received' });
    this.log.info({ identifier: d.value.identifier, unsolicited: r.unsolicited, prefixes: d.value.prefixes.length }, 'mobile prefix advertisement received');
    for (const e of r.events) this.log[LOG_LEVEL[e.kind]]({ prefix: e.prefix }, eventText(e));
    this.deps.homeAddressLifetime(this.core.homeAddressValidUntilMs());
    if (r.unsolicited) this.deps.refreshHomeRegistration();
    this.timer.at(this.core.nextDueMs());
  }
}

function eventText(e: PrefixEvent): string {
  switch (e.kind) {
    case 'prefixLearned':
      return e.home ? 'home prefix learned' : 'new prefix on the home link';
    case 'prefixWithdrawn':
      return 'prefix withdrawn by the home agent';
    case 'homeAddressDeprecated':
      return 'home address deprecated: its prefix\'s preferred lifetime is 0';
    case 'homeAddressInvalid':
      return 'home address invalid: its prefix\'s valid lifetime is 0';
  }
}

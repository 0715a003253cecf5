// Home agent side of Mobile Prefix Discovery (RFC 6275 §10.6): which prefixes a Mobile
// Prefix Advertisement carries, the answer to a solicitation (§10.6.3 / §6.8: the
// solicitation's identifier, sent at once), and the unsolicited advertisements (§10.6.2):
// - at once when the served prefixes or their configured lifetimes change (reload);
// - periodically while the advertised preferred lifetimes are finite, each home address
//   at its own NextAdvertisementTime = now + MinMobPfxAdvInterval + RANDOM() %
//   |min(MaxMobPfxAdvInterval, preferred lifetime) - MinMobPfxAdvInterval| (§10.6.2), an
//   earlier schedule kept over a later one;
// - each unsolicited one retransmitted PREFIX_ADV_TIMEOUT after the send, doubling, at
//   most PREFIX_ADV_RETRIES times, until the node's Binding Update acknowledges it or its
//   bindings are gone; then the periodic schedule takes over again.
// Lifetimes are either fixed or count down in real time from the moment they were
// configured (RFC 4861 §6.2.1's two ways of AdvValidLifetime / AdvPreferredLifetime).
// Pure: the daemon hands in time, the registered home addresses, identifiers and random
// numbers. One entry per registered home address, all due times in one lazy min-heap read
// by one timer: no timer per binding, O(log n) per send.
import type { Ip6 } from '../../inet/ip6.js';
import { mustParseIp6 } from '../../inet/ip6.js';
import { parsePrefix, prefixContains } from '../../inet/prefix.js';
import { INFINITE_LIFETIME, type MobilePrefixAdvertisement, type PrefixInformation } from '../../wire/icmp/mobile-prefix.js';
import { LazyMinHeap } from '../common/heap.js';

/** RFC 6275 §12. */
export const PREFIX_ADV_TIMEOUT_MS = 3_000;
export const PREFIX_ADV_RETRIES = 3;
/** RFC 4861 §6.2.1 AdvValidLifetime and AdvPreferredLifetime defaults (30 and 7 days). */
export const DEFAULT_VALID_LIFETIME_SECONDS = 2_592_000;
export const DEFAULT_PREFERRED_LIFETIME_SECONDS = 604_800;
/** RFC 6275 §13 MinMobPfxAdvInterval and MaxMobPfxAdvInterval defaults. */
export const DEFAULT_MIN_ADVERTISEMENT_INTERVAL_SECONDS = 600;
export const DEFAULT_MAX_ADVERTISEMENT_INTERVAL_SECONDS = 86_400;

export interface PrefixDiscoveryConfig {
  validLifetimeSeconds: number;
  preferredLifetimeSeconds: number;
  /** RFC 4861 §6.2.1: the lifetimes decrement in real time from when they were configured. */
  countdown: boolean;
  minAdvertisementIntervalSeconds: number;
  maxAdvertisementIntervalSeconds: number;
}

export const DEFAULT_PREFIX_DISCOVERY: PrefixDiscoveryConfig = {
  validLifetimeSeconds: DEFAULT_VALID_LIFETIME_SECONDS,
  preferredLifetimeSeconds: DEFAULT_PREFERRED_LIFETIME_SECONDS,
  countdown: false,
  minAdvertisementIntervalSeconds: DEFAULT_MIN_ADVERTISEMENT_INTERVAL_SECONDS,
  maxAdvertisementIntervalSeconds: DEFAULT_MAX_ADVERTISEMENT_INTERVAL_SECONDS,
};

export interface AdvertisedPrefixes {
  homeAgentAddress: Ip6;
  /** Served prefixes as text ("2001:db8:aa::/64"). */
  servedPrefixes: readonly string[];
  lifetimes: PrefixDiscoveryConfig;
}

/** An advertisement to send to a home address (through the binding's tunnel). */
export interface AdvertisementSend {
  dst: Ip6;
  message: MobilePrefixAdvertisement;
  solicited: boolean;
  /** 0 for the first send of an unsolicited advertisement, then 1.. for retransmissions. */
  retransmission: number;
}

/** A lifetime `elapsedSeconds` after it was configured: counting down, or fixed; infinity stays. */
function lifetimeAt(configured: number, countdown: boolean, elapsedSeconds: number): number {
  if (!countdown || configured === INFINITE_LIFETIME) return configured;
  return Math.max(0, configured - elapsedSeconds);
}

/**
 * The Prefix Information options: one per served prefix, on-link and autonomous (the home
 * link's prefixes), and for the prefix holding the home agent's address that address
 * itself with R set (§7.2: the mobile node learns its home agent's address from it).
 * `elapsedSeconds` since the lifetimes were configured counts them down when so configured.
 */
export function advertisedPrefixes(a: AdvertisedPrefixes, elapsedSeconds = 0): PrefixInformation[] {
  const l = a.lifetimes;
  const valid = lifetimeAt(l.validLifetimeSeconds, l.countdown, elapsedSeconds);
  const preferred = Math.min(lifetimeAt(l.preferredLifetimeSeconds, l.countdown, elapsedSeconds), valid);
  const ha = mustParseIp6(a.homeAgentAddress);
  return a.servedPrefixes.map((text) => {
    const p = parsePrefix(text);
    if (!p) throw new TypeError(`served prefix ${JSON.stringify(text)} is not a prefix`);
    const holdsHa = prefixContains(p, ha);
    return {
      prefixLength: p.length,
      onLink: true,
      autonomous: true,
      routerAddress: holdsHa,
      validLifetime: valid,
      preferredLifetime: preferred,
      prefix: holdsHa ? ha : p.bytes,
    };
  });
}

function advertisement(identifier: number, prefixes: PrefixInformation[]): MobilePrefixAdvertisement {
  // M and O stay clear: the home link's address configuration is stateless here.
  return { kind: 'mpa', identifier, managed: false, other: false, prefixes, options: [] };
}


/** A home address's next unsolicited advertisement: a periodic one, or a retransmission. */
interface Due {
  hoa: Ip6;
  dueMs: number;
  /** Set while an unsolicited advertisement waits for the node's Binding Update. */
  unacknowledged?: { identifier: number; sent: number };
}

/** Random integer in [0, n): identifiers and the §10.6.2 RandomDelay. */
export type Random = (n: number) => number;

const IDENTIFIERS = 0x10000;

export class PrefixAdvertiser {
  private config: AdvertisedPrefixes;
  /** When the lifetimes were configured: a countdown starts here. */
  private configuredAtMs: number;
  private readonly due = new Map<Ip6, Due>();
  private prefixCache: { config: AdvertisedPrefixes; elapsed: number; prefixes: PrefixInformation[] } | undefined;
  private readonly heap = new LazyMinHeap<Due>(
    (d) => d.dueMs,
    (d) => this.due.get(d.hoa) === d,
  );

  constructor(
    config: AdvertisedPrefixes,
    nowMs: number,
    private readonly random: Random,
  ) {
    advertisedPrefixes(config); // refuses a bad prefix at once
    this.config = config;
    this.configuredAtMs = nowMs;
  }

  /**
   * The Prefix Information options as advertised at `nowMs` (lifetimes counted down if so
   * configured). The same array while the configuration and the elapsed second stay (every
   * accepted Binding Update asks, through schedule()); callers do not modify it.
   */
  prefixesAt(nowMs: number): PrefixInformation[] {
    const elapsed = Math.max(0, Math.floor((nowMs - this.configuredAtMs) / 1000));
    const c = this.prefixCache;
    if (c && c.config === this.config && c.elapsed === elapsed) return c.prefixes;
    const prefixes = advertisedPrefixes(this.config, elapsed);
    this.prefixCache = { config: this.config, elapsed, prefixes };
    return prefixes;
  }

  /**
   * §10.6.3: a solicitation from a home address with a binding here is answered at once,
   * with its identifier; from anyone else it is ignored (null). The next periodic one is
   * scheduled from here.
   */
  solicited(hoa: Ip6, identifier: number, registered: boolean, nowMs: number): AdvertisementSend | null {
    if (!registered) return null;
    this.schedule(hoa, nowMs);
    return { dst: hoa, message: advertisement(identifier, this.prefixesAt(nowMs)), solicited: true, retransmission: 0 };
  }

  /**
   * A Binding Update accepted from `hoa`: it acknowledges an unsolicited advertisement
   * (§10.6.2; true when one was waiting), and a newly registered home address gets its
   * periodic schedule.
   */
  bindingUpdate(hoa: Ip6, nowMs: number): boolean {
    const acknowledged = this.due.get(hoa)?.unacknowledged !== undefined;
    if (acknowledged) this.due.delete(hoa);
    this.schedule(hoa, nowMs);
    return acknowledged;
  }

  /**
   * §10.6.2: new configuration. When the advertised prefixes or their configured lifetimes
   * differ, an unsolicited advertisement goes to every registered home address now, each
   * with a fresh identifier, and is retransmitted until acknowledged; the countdown starts
   * again. New advertisement intervals apply from each address's next schedule.
   */
  reconfigure(config: AdvertisedPrefixes, registered: readonly Ip6[], nowMs: number): AdvertisementSend[] {
    const next = advertisedPrefixes(config);
    const changed = !samePrefixes(next, advertisedPrefixes(this.config)) || config.lifetimes.countdown !== this.config.lifetimes.countdown;
    this.config = config;
    if (!changed) return [];
    this.configuredAtMs = nowMs;
    return registered.map((hoa) => this.sendUnsolicited(hoa, this.random(IDENTIFIERS), 0, nowMs));
  }

  /**
   * The advertisements due at `nowMs` for home addresses still registered (§10.6.2: none
   * once the bindings expired; their entries are dropped): periodic ones, and
   * retransmissions. After PREFIX_ADV_RETRIES the periodic schedule takes over.
   */
  poll(nowMs: number, registered: (hoa: Ip6) => boolean): AdvertisementSend[] {
    const out: AdvertisementSend[] = [];
    for (let d = this.heap.popIfAtMost(nowMs); d !== undefined; d = this.heap.popIfAtMost(nowMs)) {
      this.due.delete(d.hoa);
      if (!registered(d.hoa)) continue;
      const u = d.unacknowledged;
      if (!u) out.push(this.sendUnsolicited(d.hoa, this.random(IDENTIFIERS), 0, nowMs));
      else if (u.sent + 1 >= PREFIX_ADV_RETRIES) {
        out.push({ dst: d.hoa, message: advertisement(u.identifier, this.prefixesAt(nowMs)), solicited: false, retransmission: u.sent + 1 });
        this.schedule(d.hoa, nowMs);
      } else out.push(this.sendUnsolicited(d.hoa, u.identifier, u.sent + 1, nowMs));
    }
    this.heap.compactIfBloated(this.due.size);
    return out;
  }

  /** When poll next has something to do; null when nothing is scheduled. */
  nextDueMs(): number | null {
    return this.heap.peek()?.dueMs ?? null;
  }

  /** Home addresses whose advertisement is not acknowledged yet. */
  unacknowledged(): Ip6[] {
    return [...this.due.values()].filter((d) => d.unacknowledged).map((d) => d.hoa);
  }

  /** Home addresses with an advertisement scheduled (periodic or retransmission). */
  scheduledCount(): number {
    return this.due.size;
  }

  /** An unsolicited advertisement now, waiting for its acknowledgement from then on. */
  private sendUnsolicited(hoa: Ip6, identifier: number, sent: number, nowMs: number): AdvertisementSend {
    this.set({ hoa, dueMs: nowMs + PREFIX_ADV_TIMEOUT_MS * 2 ** sent, unacknowledged: { identifier, sent } });
    return { dst: hoa, message: advertisement(identifier, this.prefixesAt(nowMs)), solicited: false, retransmission: sent };
  }

  /**
   * §10.6.2: NextAdvertisementTime for `hoa`, unless a retransmission is pending or an
   * earlier advertisement is already scheduled. Infinite preferred lifetimes need none.
   */
  private schedule(hoa: Ip6, nowMs: number): void {
    const current = this.due.get(hoa);
    if (current?.unacknowledged) return;
    const dueMs = this.nextAdvertisementMs(nowMs);
    if (dueMs === null) {
      this.due.delete(hoa);
      return;
    }
    if (current && current.dueMs <= dueMs) return;
    this.set({ hoa, dueMs });
  }

  private nextAdvertisementMs(nowMs: number): number | null {
    const [first] = this.prefixesAt(nowMs);
    if (!first || first.preferredLifetime === INFINITE_LIFETIME) return null;
    const l = this.config.lifetimes;
    const maxScheduleDelay = Math.min(l.maxAdvertisementIntervalSeconds, first.preferredLifetime);
    const spreadMs = Math.abs(maxScheduleDelay - l.minAdvertisementIntervalSeconds) * 1000;
    return nowMs + l.minAdvertisementIntervalSeconds * 1000 + (spreadMs > 0 ? this.random(spreadMs) : 0);
  }

  private set(d: Due): void {
    this.due.set(d.hoa, d);
    this.heap.push(d);
  }
}

function samePrefixes(a: readonly PrefixInformation[], b: readonly PrefixInformation[]): boolean {
  const key = (p: PrefixInformation) =>
    `${Buffer.from(p.prefix).toString('hex')}/${p.prefixLength}/${p.validLifetime}/${p.preferredLifetime}/${p.onLink}${p.autonomous}${p.routerAddress}`;
  return a.length === b.length && a.every((p, i) => key(p) === key(b[i]!));
}

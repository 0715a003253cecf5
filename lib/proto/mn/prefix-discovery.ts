// Mobile node side of Mobile Prefix Discovery (RFC 6275 §11.4.2, §11.4.3). The node solicits
// once its home registration is accepted (to learn its home prefix's lifetimes), and again
// before that lifetime runs out; an unanswered solicitation is sent again after
// INITIAL_SOLICIT_TIMER, doubling up to MAX_SOLICIT_INTERVAL. Advertisements are taken only
// from the home agent to the home address; one matching the outstanding identifier answers
// it, any other is unsolicited and the daemon acknowledges it with a Binding Update
// (§11.4.3). The prefixes learned, and what they mean for the home address (new prefix,
// deprecated, invalid), come out as events. Pure: time, identifiers and addresses are given.
import { formatIp6, ip6Equal, type Ip6 } from '../../inet/ip6.js';
import { makePrefix, prefixContains, type Prefix } from '../../inet/prefix.js';
import { INFINITE_LIFETIME, type MobilePrefixAdvertisement, type MobilePrefixSolicitation } from '../../wire/icmp/mobile-prefix.js';

/** RFC 6275 §12: the first retransmission of a solicitation. */
export const INITIAL_SOLICIT_TIMER_MS = 3_000;
/** The backoff stops doubling here; the node keeps asking at this pace. */
export const MAX_SOLICIT_INTERVAL_MS = 3_600_000;
/** A new solicitation when this share of the home prefix's valid lifetime has passed. */
export const REFRESH_AT_FRACTION = 0.8;

export interface PrefixDiscoveryIdentity {
  homeAddress: Uint8Array;
  homePrefixLength: number;
  homeAgent: Uint8Array;
}

export interface LearnedPrefix {
  prefix: string;
  /** Holds the home address. */
  home: boolean;
  /** §7.2 R bit: the option carried the home agent's whole address. */
  routerAddress: Ip6 | null;
  validLifetime: number;
  preferredLifetime: number;
  learnedAtMs: number;
}

export type PrefixEvent =
  | { kind: 'prefixLearned'; prefix: string; home: boolean }
  | { kind: 'prefixWithdrawn'; prefix: string; home: boolean }
  | { kind: 'homeAddressDeprecated'; prefix: string }
  | { kind: 'homeAddressInvalid'; prefix: string };

export type AdvertisementResult =
  | { accepted: false; reason: 'not-from-home-agent' | 'not-to-home-address' }
  | { accepted: true; unsolicited: boolean; events: PrefixEvent[] };

interface Outstanding {
  identifier: number;
  dueMs: number;
  intervalMs: number;
}

export interface PrefixDiscoveryView {
  outstandingIdentifier: number | null;
  nextSolicitMs: number | null;
  lastAdvertisementMs: number | null;
  prefixes: (LearnedPrefix & { validLeftSeconds: number | null; preferredLeftSeconds: number | null })[];
}

const left = (lifetime: number, sinceMs: number): number | null =>
  lifetime === INFINITE_LIFETIME ? null : Math.max(0, lifetime - Math.floor(sinceMs / 1000));

export class MobilePrefixDiscovery {
  private readonly homePrefix: Prefix;
  private readonly learned = new Map<string, LearnedPrefix>();
  private outstanding: Outstanding | null = null;
  /** When the next solicitation is due without one outstanding; 0: as soon as registered. */
  private refreshAtMs: number | null = 0;
  private lastAdvertisementMs: number | null = null;
  /** When the home address's valid lifetime ends; null: not advertised yet, or infinite. */
  private homeValidUntilMs: number | null = null;

  constructor(private readonly id: PrefixDiscoveryIdentity) {
    this.homePrefix = makePrefix(id.homeAddress, id.homePrefixLength);
  }

  /**
   * The solicitation due at `nowMs`, if any. Nothing is sent while no home registration is
   * accepted (the solicitation travels through the tunnel); `identifier` gives a fresh one.
   */
  poll(nowMs: number, registered: boolean, identifier: () => number): MobilePrefixSolicitation | null {
    if (!registered) return null;
    if (this.outstanding) {
      if (this.outstanding.dueMs > nowMs) return null;
      const o = this.outstanding;
      o.intervalMs = Math.min(o.intervalMs * 2, MAX_SOLICIT_INTERVAL_MS);
      o.dueMs = nowMs + o.intervalMs;
      return { kind: 'mps', identifier: o.identifier, options: [] };
    }
    if (this.refreshAtMs === null || this.refreshAtMs > nowMs) return null;
    const o: Outstanding = { identifier: identifier(), dueMs: nowMs + INITIAL_SOLICIT_TIMER_MS, intervalMs: INITIAL_SOLICIT_TIMER_MS };
    this.outstanding = o;
    return { kind: 'mps', identifier: o.identifier, options: [] };
  }

  /** When poll next has something to do (given a registration); null: nothing planned. */
  nextDueMs(): number | null {
    return this.outstanding ? this.outstanding.dueMs : this.refreshAtMs;
  }

  /** §11.4.3: one advertisement from `src` to `dst` (addresses as delivered). */
  advertisement(src: Uint8Array, dst: Uint8Array, mpa: MobilePrefixAdvertisement, nowMs: number): AdvertisementResult {
    if (!ip6Equal(src, this.id.homeAgent)) return { accepted: false, reason: 'not-from-home-agent' };
    if (!ip6Equal(dst, this.id.homeAddress)) return { accepted: false, reason: 'not-to-home-address' };
    const solicited = this.outstanding !== null && this.outstanding.identifier === mpa.identifier;
    if (solicited) this.outstanding = null;
    this.lastAdvertisementMs = nowMs;
    const events: PrefixEvent[] = [];
    for (const pi of mpa.prefixes) {
      const p = makePrefix(pi.prefix, pi.prefixLength);
      const home = p.length === this.homePrefix.length && prefixContains(p, this.id.homeAddress);
      const before = this.learned.get(p.text);
      if (home) this.homeValidUntilMs = pi.validLifetime === INFINITE_LIFETIME ? null : nowMs + pi.validLifetime * 1000;
      if (pi.validLifetime === 0) {
        if (before) this.learned.delete(p.text);
        events.push(home ? { kind: 'homeAddressInvalid', prefix: p.text } : { kind: 'prefixWithdrawn', prefix: p.text, home });
        continue;
      }
      const preferred = Math.min(pi.preferredLifetime, pi.validLifetime);
      this.learned.set(p.text, {
        prefix: p.text,
        home,
        routerAddress: pi.routerAddress ? formatIp6(pi.prefix) : null,
        validLifetime: pi.validLifetime,
        preferredLifetime: preferred,
        learnedAtMs: nowMs,
      });
      if (!before) events.push({ kind: 'prefixLearned', prefix: p.text, home });
      if (home && preferred === 0 && (before === undefined || before.preferredLifetime !== 0)) events.push({ kind: 'homeAddressDeprecated', prefix: p.text });
    }
    this.planRefresh();
    return { accepted: true, unsolicited: !solicited, events };
  }

  /** §11.7.1: when the home address's valid lifetime ends, as last advertised; null: unknown or infinite. */
  homeAddressValidUntilMs(): number | null {
    return this.homeValidUntilMs;
  }

  /** The next solicitation: before the home prefix's valid lifetime runs out (never for an infinite one). */
  private planRefresh(): void {
    if (this.outstanding) return;
    const home = this.learned.get(this.homePrefix.text);
    if (!home) {
      // The home agent did not list our prefix: ask again after the longest backoff.
      this.refreshAtMs = (this.lastAdvertisementMs ?? 0) + MAX_SOLICIT_INTERVAL_MS;
      return;
    }
    this.refreshAtMs = home.validLifetime === INFINITE_LIFETIME ? null : home.learnedAtMs + Math.floor(home.validLifetime * 1000 * REFRESH_AT_FRACTION);
  }

  view(nowMs: number): PrefixDiscoveryView {
    return {
      outstandingIdentifier: this.outstanding?.identifier ?? null,
      nextSolicitMs: this.nextDueMs(),
      lastAdvertisementMs: this.lastAdvertisementMs,
      prefixes: [...this.learned.values()].map((p) => ({
        ...p,
        validLeftSeconds: left(p.validLifetime, nowMs - p.learnedAtMs),
        preferredLeftSeconds: left(p.preferredLifetime, nowMs - p.learnedAtMs),
      })),
    };
  }
}

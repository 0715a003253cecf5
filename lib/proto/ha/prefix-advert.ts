// Home agent side of Mobile Prefix Discovery (RFC 6275 §10.6): which prefixes a Mobile
// Prefix Advertisement carries, the answer to a solicitation (§10.6.3 / §6.8: the
// solicitation's identifier, sent at once), and the unsolicited advertisements after the
// served prefixes change (§10.6.2), retransmitted PREFIX_ADV_TIMEOUT after the first send,
// doubling, at most PREFIX_ADV_RETRIES times, until the mobile node's Binding Update
// acknowledges it or its bindings are gone. Pure: the daemon hands in time, the registered
// home addresses and the identifiers; the state it keeps is one entry per home address
// that has a binding, so it is bounded by the binding cache.
import type { Ip6 } from '../../inet/ip6.js';
import { mustParseIp6 } from '../../inet/ip6.js';
import { parsePrefix, prefixContains } from '../../inet/prefix.js';
import type { MobilePrefixAdvertisement, PrefixInformation } from '../../wire/icmp/mobile-prefix.js';

/** RFC 6275 §12. */
export const PREFIX_ADV_TIMEOUT_MS = 3_000;
export const PREFIX_ADV_RETRIES = 3;
/** RFC 4861 §6.2.1 AdvValidLifetime and AdvPreferredLifetime defaults (30 and 7 days). */
export const DEFAULT_VALID_LIFETIME_SECONDS = 2_592_000;
export const DEFAULT_PREFERRED_LIFETIME_SECONDS = 604_800;

export interface PrefixDiscoveryConfig {
  validLifetimeSeconds: number;
  preferredLifetimeSeconds: number;
}

export const DEFAULT_PREFIX_DISCOVERY: PrefixDiscoveryConfig = {
  validLifetimeSeconds: DEFAULT_VALID_LIFETIME_SECONDS,
  preferredLifetimeSeconds: DEFAULT_PREFERRED_LIFETIME_SECONDS,
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

/**
 * The Prefix Information options: one per served prefix, on-link and autonomous (the home
 * link's prefixes), and for the prefix holding the home agent's address that address
 * itself with R set (§7.2: the mobile node learns its home agent's address from it).
 */
export function advertisedPrefixes(a: AdvertisedPrefixes): PrefixInformation[] {
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
      validLifetime: a.lifetimes.validLifetimeSeconds,
      preferredLifetime: Math.min(a.lifetimes.preferredLifetimeSeconds, a.lifetimes.validLifetimeSeconds),
      prefix: holdsHa ? ha : p.bytes,
    };
  });
}

function advertisement(identifier: number, prefixes: PrefixInformation[]): MobilePrefixAdvertisement {
  // M and O stay clear: the home link's address configuration is stateless here.
  return { kind: 'mpa', identifier, managed: false, other: false, prefixes, options: [] };
}

interface Unacknowledged {
  message: MobilePrefixAdvertisement;
  /** Retransmissions sent so far. */
  sent: number;
  dueMs: number;
}

export class PrefixAdvertiser {
  private prefixes: PrefixInformation[];
  private readonly pending = new Map<Ip6, Unacknowledged>();

  constructor(config: AdvertisedPrefixes) {
    this.prefixes = advertisedPrefixes(config);
  }

  /**
   * §10.6.3: a solicitation from a home address with a binding here is answered at once,
   * with its identifier; from anyone else it is ignored (null).
   */
  solicited(hoa: Ip6, identifier: number, registered: boolean): AdvertisementSend | null {
    if (!registered) return null;
    return { dst: hoa, message: advertisement(identifier, this.prefixes), solicited: true, retransmission: 0 };
  }

  /**
   * §10.6.2: new configuration. When the advertised prefixes differ, an unsolicited
   * advertisement goes to every registered home address now (`identifier(hoa)` gives each
   * a fresh identifier) and is retransmitted until acknowledged.
   */
  reconfigure(config: AdvertisedPrefixes, registered: readonly Ip6[], identifier: (hoa: Ip6) => number, nowMs: number): AdvertisementSend[] {
    const next = advertisedPrefixes(config);
    if (samePrefixes(next, this.prefixes)) return [];
    this.prefixes = next;
    return registered.map((hoa) => {
      const message = advertisement(identifier(hoa), next);
      this.pending.set(hoa, { message, sent: 0, dueMs: nowMs + PREFIX_ADV_TIMEOUT_MS });
      return { dst: hoa, message, solicited: false, retransmission: 0 };
    });
  }

  /** §10.6.2: a Binding Update from the home address acknowledges the advertisement. */
  acknowledged(hoa: Ip6): boolean {
    return this.pending.delete(hoa);
  }

  /**
   * The retransmissions due at `nowMs` for home addresses still registered (§10.6.2: none
   * once the bindings expired); entries that used up PREFIX_ADV_RETRIES or lost their
   * bindings are dropped.
   */
  poll(nowMs: number, registered: (hoa: Ip6) => boolean): AdvertisementSend[] {
    const out: AdvertisementSend[] = [];
    for (const [hoa, u] of this.pending) {
      if (!registered(hoa)) {
        this.pending.delete(hoa);
        continue;
      }
      if (u.dueMs > nowMs) continue;
      u.sent++;
      out.push({ dst: hoa, message: u.message, solicited: false, retransmission: u.sent });
      if (u.sent >= PREFIX_ADV_RETRIES) this.pending.delete(hoa);
      else u.dueMs = nowMs + PREFIX_ADV_TIMEOUT_MS * 2 ** u.sent;
    }
    return out;
  }

  /** When poll next has something to do; null when nothing waits for an acknowledgement. */
  nextDueMs(): number | null {
    let next: number | null = null;
    for (const u of this.pending.values()) if (next === null || u.dueMs < next) next = u.dueMs;
    return next;
  }

  /** Home addresses whose advertisement is not acknowledged yet. */
  unacknowledged(): Ip6[] {
    return [...this.pending.keys()];
  }
}

function samePrefixes(a: readonly PrefixInformation[], b: readonly PrefixInformation[]): boolean {
  const key = (p: PrefixInformation) =>
    `${Buffer.from(p.prefix).toString('hex')}/${p.prefixLength}/${p.validLifetime}/${p.preferredLifetime}/${p.onLink}${p.autonomous}${p.routerAddress}`;
  return a.length === b.length && a.every((p, i) => key(p) === key(b[i]!));
}

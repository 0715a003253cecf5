// The Home Agents List of one home link (RFC 6275 §10.1, §10.5.1) and the address list of a
// DHAAD Reply built from it. Pure: time comes in as monotonic milliseconds, randomness as a
// function. Entries expire by lifetime when asked (expire / nextExpiryMs), with no timer each.
//
// Entries are keyed by the advertising router's link-local address (the RA's source); the
// global addresses are those of its Prefix Information options with the R bit (§7.2). The
// home agent's own entry comes from its configuration and never expires; an advertisement
// naming one of its own addresses (its radvd heard back) is ignored.
import { formatIp6, type Ip6 } from '../../inet/ip6.js';
import type { RouterAdvertisement } from '../../net/dhaad/ra-codec.js';

/** Most addresses a Reply carries: it must fit the IPv6 minimum MTU (§10.5.1): (1280 - 40 - 8) / 16. */
export const DHAAD_REPLY_MAX_ADDRESSES = 77;

export interface HomeAgentEntry {
  /** Link-local source of the advertisements; null for this home agent's own entry. */
  linkLocal: Ip6 | null;
  addresses: Ip6[];
  preference: number;
  /** Seconds as last advertised (or configured). */
  lifetime: number;
  /** Monotonic ms; null: never (own entry). */
  expiresMs: number | null;
  /** RFC 3963: serves mobile routers (the R flag of its Home Agent Information option, or the configuration). */
  mobileRouterSupport: boolean;
}

export interface OwnHomeAgent {
  addresses: Ip6[];
  preference: number;
  lifetime: number;
  mobileRouterSupport: boolean;
}

export type RaOutcome = 'added' | 'updated' | 'removed' | 'ignored';

export class HomeAgentsList {
  private readonly others = new Map<Ip6, HomeAgentEntry>();

  constructor(private own: OwnHomeAgent) {}

  /** A reload may change the own entry's preference, lifetime or addresses. */
  setOwn(own: OwnHomeAgent): void {
    this.own = own;
  }

  /**
   * §10.5.1: an RA with H set adds or refreshes its sender (lifetime and preference from the
   * Home Agent Information option, else the Router Lifetime and preference 0); a lifetime of
   * 0, or an RA without H from a listed sender, removes it.
   */
  observeRa(src: Ip6, ra: RouterAdvertisement, nowMs: number): RaOutcome {
    const addresses = ra.options.flatMap((o) => (o.kind === 'prefixInformation' && o.routerAddress ? [formatIp6(o.prefix)] : []));
    if (addresses.some((a) => this.own.addresses.includes(a))) return 'ignored';
    const had = this.others.has(src);
    const info = ra.options.find((o) => o.kind === 'homeAgentInformation');
    const lifetime = info ? info.lifetime : ra.routerLifetime;
    if (!ra.homeAgent || lifetime === 0) return this.others.delete(src) ? 'removed' : 'ignored';
    const previous = this.others.get(src);
    this.others.set(src, {
      linkLocal: src,
      // An RA need not repeat every option (RFC 4861 §6.2.3): keep what was learnt.
      addresses: addresses.length > 0 ? addresses : (previous?.addresses ?? []),
      preference: info ? info.preference : 0,
      lifetime,
      expiresMs: nowMs + lifetime * 1000,
      mobileRouterSupport: info?.mobileRouterSupport ?? false,
    });
    return had ? 'updated' : 'added';
  }

  /** Drops every entry whose lifetime ran out by `nowMs`; returns how many. */
  expire(nowMs: number): number {
    let n = 0;
    for (const [k, e] of this.others) {
      if (e.expiresMs !== null && e.expiresMs <= nowMs) {
        this.others.delete(k);
        n++;
      }
    }
    return n;
  }

  /** When the next entry expires, or null. */
  nextExpiryMs(): number | null {
    let next: number | null = null;
    for (const e of this.others.values()) if (e.expiresMs !== null && (next === null || e.expiresMs < next)) next = e.expiresMs;
    return next;
  }

  /** Own entry first, then the others by preference; for display. */
  entries(): HomeAgentEntry[] {
    const own: HomeAgentEntry = {
      linkLocal: null,
      addresses: [...this.own.addresses],
      preference: this.own.preference,
      lifetime: this.own.lifetime,
      expiresMs: null,
      mobileRouterSupport: this.own.mobileRouterSupport,
    };
    return [own, ...[...this.others.values()].sort((a, b) => b.preference - a.preference)];
  }

  /**
   * The Home Agent Addresses of a DHAAD Reply (§10.5.1): every listed home agent's global
   * address, by decreasing preference, in random order among equal preferences (spreading
   * mobile nodes over them), at most `limit`. `random` returns [0, 1). For a mobile
   * router's Request (RFC 3963's R flag) only the home agents that support mobile routers.
   */
  replyAddresses(nowMs: number, random: () => number, limit = DHAAD_REPLY_MAX_ADDRESSES, mobileRouter = false): Ip6[] {
    const live = this.entries().filter((e) => (e.expiresMs === null || e.expiresMs > nowMs) && (!mobileRouter || e.mobileRouterSupport));
    const keyed = live.map((e) => ({ e, tie: random() }));
    keyed.sort((a, b) => b.e.preference - a.e.preference || a.tie - b.tie);
    const out: Ip6[] = [];
    for (const { e } of keyed) for (const a of e.addresses) if (!out.includes(a)) out.push(a);
    return out.slice(0, limit);
  }
}

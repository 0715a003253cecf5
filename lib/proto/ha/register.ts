// Applying an accepted-so-far home registration to the binding cache: RFC 6275 §10.3.1 /
// §10.3.2 for a BU without BID sub-options, draft-04 §6.3 for one with them.
import { BaStatus, type BidOption, type BindingUpdate } from '../../wire/types.js';
import { formatIp6, type Ip6 } from '../../inet/ip6.js';
import { ip6Octets } from '../../inet/ip6-write.js';
import { LIFETIME_UNIT_SECONDS } from '../../wire/lifetime.js';
import { isUnicastRoutable } from '../../inet/prefix.js';
import { NO_PREFIXES, REGULAR_BID, type Binding, type BindingFlags } from '../common/binding.js';
import type { BindingCache } from '../common/cache.js';
import type { ChangeSet } from '../common/changes.js';
import type { CompiledHomeAgentConfig } from '../common/core-config.js';
import { composeStatuses, isAccepted, uniformReply } from '../common/binding-ack.js';
import type { BidStatus } from '../common/outcome.js';

export interface RegisterContext {
  cache: BindingCache;
  cfg: CompiledHomeAgentConfig;
  changes: ChangeSet;
  hoa: Ip6;
  bu: BindingUpdate;
  /** Alternate Care-of Address option if present, else the packet's source. */
  defaultCoa: Ip6;
  nowMs: number;
  flags: BindingFlags;
  prefixes: readonly string[];
}

export interface RegisterResult {
  status: number;
  statuses: BidStatus[];
  options: BidOption[];
  lifetimeSeconds: number;
  /** At least one binding was changed as asked: the BU's sequence number becomes the last accepted. */
  accepted: boolean;
  /** First binding of this home address and not only home bindings: DAD needed. */
  dad: boolean;
}

/** RFC 6275 §10.3.1: no more than asked, no more than the configured maximum, whole units. */
export function grantLifetime(requested: number, max: number): number {
  const s = Math.min(requested, max);
  return Math.max(LIFETIME_UNIT_SECONDS, s - (s % LIFETIME_UNIT_SECONDS));
}

function makeBinding(ctx: RegisterContext, bid: number, coa: Ip6, lifetimeSeconds: number, home: boolean, prefixes: readonly string[]): Binding {
  const previous = ctx.cache.lookupExact(ctx.hoa, bid);
  return {
    hoa: ctx.cache.record(ctx.hoa)?.hoa ?? ctx.hoa,
    bid,
    // Reuse the previous string when the care-of address did not change (memory).
    coa: previous && previous.coa === coa ? previous.coa : coa,
    registeredAtMs: ctx.nowMs,
    expiresAtMs: ctx.nowMs + lifetimeSeconds * 1000,
    lifetimeSeconds,
    lastSequence: ctx.bu.sequence,
    flags: ctx.flags,
    mobileNetworkPrefixes: prefixes.length === 0 ? NO_PREFIXES : previous && sameList(previous.mobileNetworkPrefixes, prefixes) ? previous.mobileNetworkPrefixes : prefixes,
    homeBinding: home,
  };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function badCoa(ctx: RegisterContext, coa: Ip6): boolean {
  return coa === ctx.cfg.haAddress || !isUnicastRoutable(ip6Octets(coa));
}

/** A BU without BID sub-options: one regular binding replaces all (§6.3 first paragraph). */
export function registerRegular(ctx: RegisterContext): RegisterResult {
  const { bu, cache, changes, hoa } = ctx;
  const done = (status: number, lifetimeSeconds: number, dad = false): RegisterResult => ({
    status,
    ...uniformReply([], status),
    lifetimeSeconds,
    accepted: isAccepted(status),
    dad,
  });
  // RFC 6275 §9.5.1: lifetime 0, or care-of address = home address, is a de-registration.
  if (bu.lifetimeSeconds === 0 || ctx.defaultCoa === hoa) {
    // §10.3.2: no home registration entry for this node -> 133.
    if (!cache.record(hoa)) return done(BaStatus.NOT_HOME_AGENT_FOR_THIS_MN, 0);
    changes.removeAll(hoa, 'deregistered');
    return done(BaStatus.ACCEPTED, 0);
  }
  if (badCoa(ctx, ctx.defaultCoa)) return done(BaStatus.REASON_UNSPECIFIED, 0);
  const had = cache.record(hoa) !== undefined;
  for (const b of [...cache.bindingsOf(hoa)]) {
    if (b.bid !== REGULAR_BID) changes.remove(hoa, b.bid, 'replaced-by-regular');
  }
  const lifetime = grantLifetime(bu.lifetimeSeconds, ctx.cfg.source.maxLifetimeSeconds);
  changes.put(makeBinding(ctx, REGULAR_BID, ctx.defaultCoa, lifetime, false, ctx.prefixes), 'registered');
  return done(BaStatus.ACCEPTED, lifetime, !had);
}

type Plan = { kind: 'register'; coa: Ip6; home: boolean } | { kind: 'deregister' } | { kind: 'error'; status: number };

/**
 * A BU with BID sub-options that passed the sub-option checks (length, C flag, bulk,
 * flags): draft-04 §6.3 from "If the Lifetime field of the Binding Update is zero" on.
 */
export function registerBids(ctx: RegisterContext, subs: readonly BidOption[]): RegisterResult {
  const { bu, cache, changes, hoa, cfg } = ctx;
  const { status: st, rules } = cfg.source.profile;
  const had = cache.record(hoa) !== undefined;
  const dereg = bu.lifetimeSeconds === 0;
  const homeLifetime = cfg.source.homeBindingLifetimeSeconds;
  const granted = dereg ? homeLifetime : grantLifetime(bu.lifetimeSeconds, cfg.source.maxLifetimeSeconds);
  const plans: Plan[] = subs.map((s) => {
    // H flag: store the home address as care-of address; proxy ND stops (§6.3, §5.5).
    if (s.h) return { kind: 'register', coa: hoa, home: true };
    // Lifetime 0 deletes the binding with this BID (the O flag is ignored here).
    if (dereg) return { kind: 'deregister' };
    // Care-of address: the sub-option's with C, else the Alternate Care-of Address
    // option, else the packet's source (the three cases of §6.3).
    // RFC 5648 §4.3 IPv4 care-of address: DSMIPv6 (RFC 5555) is not implemented here.
    if (s.coa4) return { kind: 'error', status: rules.ipv4CoaStatus ?? st.incompliant };
    const coa = s.c && s.coa ? formatIp6(s.coa) : ctx.defaultCoa;
    // RFC 6275 §9.5.1: a care-of address equal to the home address de-registers.
    if (coa === hoa) return { kind: 'deregister' };
    if (badCoa(ctx, coa)) {
      // draft-04 §6.3: INCOMPLIANT for the sub-option's own address, else RFC 6275's 128;
      // RFC 5648 §6.2: MCOA MALFORMED for any unusable care-of address.
      const malformed = s.c || rules.nonRoutableCoaAlwaysMalformed;
      return { kind: 'error', status: malformed ? st.incompliant : BaStatus.REASON_UNSPECIFIED };
    }
    return { kind: 'register', coa, home: false };
  });
  let conflict = false;
  if (plans.some((p) => p.kind === 'register')) {
    const first = subs[0];
    if (!(!dereg && first?.o) && rules.nonMcoaBindingRejects && cache.lookupExact(hoa, REGULAR_BID)) {
      // RFC 5648 §6.2: O unset and a regular binding exists: the BU is not processed.
      return { status: st.bidConflict, ...uniformReply(subs, st.bidConflict), lifetimeSeconds: 0, accepted: false, dad: false };
    }
    if (!dereg && first?.o) {
      // O flag: the BU's bindings replace all others. BIDs named in the BU are updated in
      // place below rather than removed and re-added: same end state, less kernel churn.
      const keep = new Set(subs.map((s) => s.bid));
      for (const b of [...cache.bindingsOf(hoa)]) if (!keep.has(b.bid)) changes.remove(hoa, b.bid, 'overwritten');
    } else if (changes.remove(hoa, REGULAR_BID, 'bid-conflict')) {
      // A regular binding is replaced by the BID bindings, and the BA says so.
      conflict = true;
    }
  }
  let registeredForeign = false;
  const perBid = plans.map((p, i): number => {
    const s = subs[i]!;
    if (p.kind === 'error') return p.status;
    if (p.kind === 'deregister') {
      // Unknown BID: reject this de-registration; a home agent returns 133 (§6.3).
      return changes.remove(hoa, s.bid, 'deregistered') ? BaStatus.ACCEPTED : BaStatus.NOT_HOME_AGENT_FOR_THIS_MN;
    }
    const prefixes = dereg ? (cache.bindingsOf(hoa)[0]?.mobileNetworkPrefixes ?? NO_PREFIXES) : ctx.prefixes;
    const b = makeBinding(ctx, s.bid, p.coa, granted, p.home, prefixes);
    changes.put(b, p.home ? 'home-binding' : 'registered', p.home ? 'home-binding' : 'refreshed');
    if (!p.home) registeredForeign = true;
    return BaStatus.ACCEPTED;
  });
  const composed = composeStatuses(subs, perBid, conflict ? st.bidConflict : null, rules.partialStatus);
  const registered = plans.some((p, i) => p.kind === 'register' && isAccepted(perBid[i]!));
  return {
    status: composed.overall,
    statuses: composed.statuses,
    options: composed.options,
    lifetimeSeconds: registered ? granted : 0,
    accepted: perBid.some(isAccepted),
    dad: !had && registeredForeign,
  };
}

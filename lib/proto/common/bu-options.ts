// Reading the mobility options of a decoded BU, and the BID sub-options of replies.
import type { BidOption, BindingUpdate, MobilityOption, Ip6Bytes } from '../../wire/types.js';

export function bidOptions(options: readonly MobilityOption[]): BidOption[] {
  const out: BidOption[] = [];
  for (const o of options) if (o.kind === 'bid') out.push(o);
  return out;
}

export function alternateCoa(bu: BindingUpdate): Ip6Bytes | undefined {
  for (const o of bu.options) if (o.kind === 'alternateCoa') return o.address;
  return undefined;
}

export function mobileNetworkPrefixOptions(bu: BindingUpdate): { prefix: Ip6Bytes; prefixLength: number }[] {
  const out: { prefix: Ip6Bytes; prefixLength: number }[] = [];
  for (const o of bu.options) if (o.kind === 'mobileNetworkPrefix') out.push(o);
  return out;
}

export function nonceIndicesOf(bu: BindingUpdate): { homeNonceIndex: number; careOfNonceIndex: number } | undefined {
  for (const o of bu.options) if (o.kind === 'nonceIndices') return o;
  return undefined;
}

export function hasAuthorizationData(bu: BindingUpdate): boolean {
  return bu.options.some((o) => o.kind === 'bindingAuthData');
}

/**
 * The copy of a BID sub-option that goes back in a BA or CoT (draft-04 §6.2, §6.3): same BID
 * and O/H flags, the given status, the care-of address omitted (so C is clear, as the
 * draft-04 length rule requires for a 4-octet sub-option).
 */
export function replyBid(o: BidOption, status: number): BidOption {
  return { kind: 'bid', bid: o.bid, status, c: false, o: o.o, h: o.h };
}

/** draft-04 §5.4/§6.3: every sub-option of a bulk registration carries the same flags. */
export function bidFlagsEqual(subs: readonly BidOption[]): boolean {
  const f = subs[0];
  if (!f) return true;
  return subs.every((s) => s.c === f.c && s.o === f.o && s.h === f.h);
}

export function hasDuplicateBids(subs: readonly BidOption[]): boolean {
  return new Set(subs.map((s) => s.bid)).size !== subs.length;
}

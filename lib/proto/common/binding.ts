// One binding cache entry. Entries are immutable: an update replaces the object, so a
// reference held by an event, a heap or a reconciler never changes under its holder, and
// "is this heap entry still current" is an identity test.
import type { Ip6 } from '../../inet/ip6.js';

/** BID value of a regular (RFC 6275) binding, one registered without a BID sub-option. */
export const REGULAR_BID = 0;

export interface BindingFlags {
  /** H flag of the BU: a home registration (always true at a home agent). */
  readonly homeRegistration: boolean;
  /** R flag: mobile router (RFC 3963). */
  readonly r: boolean;
  /** L flag: link-local address compatibility (RFC 6275 §10.3.1). */
  readonly l: boolean;
  /** K flag: key management mobility capability, as granted in the BA. */
  readonly k: boolean;
}

export interface Binding {
  /** Home address, RFC 5952 text. */
  readonly hoa: Ip6;
  /** 1..65535, or REGULAR_BID (0) for a binding registered without a BID sub-option. */
  readonly bid: number;
  /** Care-of address, RFC 5952 text; equals hoa for a home binding. */
  readonly coa: Ip6;
  /** When the accepted BU that set the current lifetime arrived. */
  readonly registeredAtMs: number;
  readonly expiresAtMs: number;
  /** Lifetime granted by the accepted BU, seconds. */
  readonly lifetimeSeconds: number;
  /** Sequence number of the BU that last created or refreshed this entry. */
  readonly lastSequence: number;
  readonly flags: BindingFlags;
  /** Mobile network prefixes ('addr/len', canonical) of a mobile router; empty otherwise. */
  readonly mobileNetworkPrefixes: readonly string[];
  /** draft-04 §5.5 "home binding": the node is on the home link, coa = hoa, no proxy ND. */
  readonly homeBinding: boolean;
}

/** Stable identity of a binding, used as an owner name in desired kernel state. */
export function bindingId(b: Pick<Binding, 'hoa' | 'bid'>): string {
  return `${b.hoa}#${b.bid}`;
}

// Sixteen possible flag sets, shared by every entry: no per-binding object for them.
const FLAG_SETS: BindingFlags[] = [];
for (let i = 0; i < 16; i++) {
  FLAG_SETS.push(
    Object.freeze({ homeRegistration: (i & 8) !== 0, r: (i & 4) !== 0, l: (i & 2) !== 0, k: (i & 1) !== 0 }),
  );
}

export function bindingFlags(homeRegistration: boolean, r: boolean, l: boolean, k: boolean): BindingFlags {
  return FLAG_SETS[(homeRegistration ? 8 : 0) | (r ? 4 : 0) | (l ? 2 : 0) | (k ? 1 : 0)]!;
}

export const NO_PREFIXES: readonly string[] = Object.freeze([]);

export function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

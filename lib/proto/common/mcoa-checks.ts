// The checks draft-04 §6.3 (RFC 5648 §6.2) applies to the BID sub-options of a BU before any
// binding is touched, in the draft's order. Returns the rejection status, or null to proceed.
// Where the two documents differ, the profile's rules decide (profile.ts McoaRules).
import type { BidOption, BindingUpdate, WireError } from '../../wire/types.js';
import type { WireProfile } from '../../wire/profile.js';
import { bidFlagsEqual, hasDuplicateBids } from './bu-options.js';

export interface SubOptionPolicy {
  /** Multiple care-of address registration allowed for this home address. */
  mcoaAllowed: boolean;
  /** Bulk registration accepted (only a home agent may accept it, §6.3). */
  bulkAllowed: boolean;
  /** C, O and H flags are valid only towards a home agent (§4.2.1). */
  homeAgent: boolean;
}

export function checkBidSubOptions(subs: readonly BidOption[], profile: WireProfile, policy: SubOptionPolicy): number | null {
  if (subs.length === 0) return null;
  const st = profile.status;
  const rules = profile.rules;
  // §4.3 MCOA PROHIBITED: multiple care-of address registration administratively prohibited.
  if (!policy.mcoaAllowed) return st.prohibited;
  // Length 4 or 20 according to C, and C needs a care-of address (MCOA INCOMPLIANT). The
  // codec reports both as decode errors; a value built by other means is checked again
  // here, along with the reserved BID 0 and one BID named twice in one BU.
  for (const s of subs) {
    if (s.bid < 1 || s.bid > 0xffff || s.c !== (s.coa !== undefined)) return st.incompliant;
    if (s.coa !== undefined && s.coa.length !== 16) return st.incompliant;
    // An IPv4 care-of address only exists in RFC 5648's layout (§4.3, length 8).
    if (s.coa4 !== undefined && (s.c || s.coa4.length !== 4 || rules.ipv4CoaStatus === null)) return st.incompliant;
  }
  if (hasDuplicateBids(subs)) return st.incompliant;
  if (subs.length > 1) {
    // Several sub-options = bulk registration: home agent only, and only if supported.
    if (!policy.bulkAllowed || !policy.homeAgent) return st.bulkNotSupported;
    // draft-04: all sub-options of one BU carry equal flags (MCOA FLAG CONFLICTS). RFC 5648
    // has one O for the whole BU and H per binding, so nothing can conflict.
    if (rules.flagConflicts && !bidFlagsEqual(subs)) return st.flagConflicts;
  }
  if (!policy.homeAgent) {
    // draft-04 §4.2.1: C, O and H are "valid only for binding update for the home agent";
    // §6.2 answers the same flags in a CoTI with MCOA INCOMPLIANT, and so does this for a BU.
    // RFC 5648 §4.3 lets a BU to a correspondent name an IPv6 care-of address (only IPv6):
    // an IPv4 one, O or H there is MCOA MALFORMED.
    const coaRefused = (s: BidOption): boolean => (s.c && !rules.coaAtCorrespondent) || s.coa4 !== undefined;
    if (subs.some((s) => coaRefused(s) || s.o || s.h)) return st.incompliant;
  }
  return null;
}

const INCOMPLIANT_CODES: ReadonlySet<string> = new Set(['BID_BAD_LENGTH', 'BID_C_WITHOUT_COA', 'BID_ZERO']);

/**
 * The fixed fields of a BU whose decoding failed on a BID sub-option (bad length, C without
 * a care-of address, reserved BID 0): such a BU is answered with MCOA INCOMPLIANT (§6.3
 * first two steps). Null for any other decode error: the packet is simply dropped.
 */
export function incompliantBu(error: WireError): Omit<BindingUpdate, 'options'> | null {
  const p = error.partial;
  if (!p || p.kind !== 'bu' || !INCOMPLIANT_CODES.has(error.code)) return null;
  // Omit<> over the message union loses the narrowing; kind === 'bu' was checked.
  return p as Omit<BindingUpdate, 'options'>;
}

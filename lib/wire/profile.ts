// The numbers draft-04 left TBD, and the layout of its BID sub-option, in one object,
// so an operator can configure them and an RFC 5648 layout can be added as a second
// profile without touching the rest of the code.
import type { BidOption, WireError } from './types.js';

export interface McoaStatusNumbers {
  /** MCOA INCOMPLIANT: BID sub-option not compliant (length, C flag without address). */
  incompliant: number;
  /** MCOA BID CONFLICT: a regular binding exists for the home address. */
  bidConflict: number;
  /** MCOA PROHIBITED: multiple care-of address registration administratively prohibited. */
  prohibited: number;
  /** MCOA BULK REGISTRATION NOT SUPPORTED. */
  bulkNotSupported: number;
  /** MCOA FLAG CONFLICTS: sub-options of one BU carry different flags. */
  flagConflicts: number;
}

/** Encodes and decodes the BID sub-option body (everything after Type and Length). */
export interface BidCodec {
  /** Alignment requirement xn+y of the option's Type octet. */
  align(opt: BidOption): { x: number; y: number };
  /** Length octet value for this option. */
  bodyLength(opt: BidOption): number;
  /** Writes the body at `offset` (after Type/Length); returns bytes written. */
  encodeBody(opt: BidOption, buf: Uint8Array, offset: number): number;
  /**
   * Decodes a body of `length` octets at `offset`; `optionOffset` is the Type octet's
   * offset from the start of the MH, for error reporting.
   */
  decodeBody(
    buf: Uint8Array,
    offset: number,
    length: number,
    optionOffset: number,
  ): { ok: true; value: BidOption } | { ok: false; error: WireError };
}

/**
 * The behaviour rules in which draft-04 and RFC 5648 differ, read by the pure cores. Each
 * names the section of both documents; test/unit/proto/profile-rules.test.ts has one row each.
 */
export interface McoaRules {
  /**
   * Status of a bulk registration that is accepted for some BIDs and refused for others:
   * null = success, the refusals only in their sub-options (draft-04 §6.3); RFC 5648
   * §4.4/§6.2: MCOA NOTCOMPLETE (4).
   */
  partialStatus: number | null;
  /**
   * A care-of address that is not unicast routable: draft-04 §6.3 answers MCOA INCOMPLIANT
   * only when it came in the sub-option (else 128, RFC 6275 §9.5.1); RFC 5648 §6.2 answers
   * MCOA MALFORMED however the address was given.
   */
  nonRoutableCoaAlwaysMalformed: boolean;
  /**
   * A BID registration without O while a regular (BID-less) binding exists: draft-04 §6.3
   * replaces the regular binding and answers MCOA BID CONFLICT (false); RFC 5648 §6.2 does
   * not process the BU and answers MCOA NON-MCOA BINDING EXISTS (true).
   */
  nonMcoaBindingRejects: boolean;
  /** All sub-options of one BU carry equal flags (draft-04 §6.3 FLAG CONFLICTS); RFC 5648 has only H per option. */
  flagConflicts: boolean;
  /**
   * Status of a BID with an IPv4 care-of address at a node without DSMIPv6 (RFC 5555):
   * RFC 5648 §4.4 MCOA UNKNOWN COA (167); draft-04 cannot carry one (null).
   */
  ipv4CoaStatus: number | null;
  /**
   * A correspondent accepts a care-of address inside the option: RFC 5648 §4.3 ("for the
   * binding registration to correspondent nodes, only IPv6 care-of addresses"); draft-04
   * §4.2.1 makes C valid towards a home agent only (MCOA INCOMPLIANT).
   */
  coaAtCorrespondent: boolean;
}

export interface WireProfile {
  name: string;
  /** Mobility option type of the BID sub-option. */
  bidOptionType: number;
  status: McoaStatusNumbers;
  bid: BidCodec;
  /**
   * The BU flag bit carrying O (RFC 5648 §4.2), or null when O travels in each BID
   * sub-option (draft-04 §4.2.1).
   */
  buOverwriteFlag: number | null;
  rules: McoaRules;
  /** Mobility option types of RFC 6089's Flow Summary (44) and Flow Identification (45) options. */
  flowOptionTypes: Readonly<{ summary: number; identification: number }>;
}

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

export interface WireProfile {
  name: string;
  /** Mobility option type of the BID sub-option. */
  bidOptionType: number;
  status: McoaStatusNumbers;
  bid: BidCodec;
}

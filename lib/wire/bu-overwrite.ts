// RFC 5648 §4.2 moved the O (overwrite) flag from each BID sub-option into the Binding
// Update's flags. The codec keeps one model for both profiles: a decoded BU under such a
// profile has `flags.o` and every BID option's `o` set from that bit, and an encoded one
// sets the bit when `flags.o` or any BID option's `o` is set. draft-04 leaves the bit alone.
import type { WireProfile } from './profile.js';
import type { BidOption, BindingUpdate } from './types.js';
import { readU16, writeU16 } from './fields.js';

/** Offset of the BU's 16-bit flags field from the start of the Mobility Header. */
const BU_FLAGS_OFFSET = 8;

/** After decoding `buf` as `bu`: O from the BU's flags onto the BU and its BID options. */
export function readBuOverwrite(bu: BindingUpdate, buf: Uint8Array, profile: WireProfile): BindingUpdate {
  const bit = profile.buOverwriteFlag;
  if (bit === null) return bu;
  const o = (readU16(buf, BU_FLAGS_OFFSET) & bit) !== 0;
  bu.flags.o = o;
  if (o) for (const opt of bu.options) if (opt.kind === 'bid') (opt as BidOption).o = true;
  return bu;
}

/** After the BU's fixed part is written at buf[base]: the O bit, when the profile has one. */
export function writeBuOverwrite(bu: BindingUpdate, buf: Uint8Array, base: number, profile: WireProfile): void {
  const bit = profile.buOverwriteFlag;
  if (bit === null) return;
  const o = bu.flags.o === true || bu.options.some((opt) => opt.kind === 'bid' && opt.o);
  if (o) writeU16(buf, base + BU_FLAGS_OFFSET, readU16(buf, base + BU_FLAGS_OFFSET) | bit);
}

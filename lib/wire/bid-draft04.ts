// The Binding Unique Identifier sub-option as draft-ietf-monami6-multiplecoa-04 §4.2.1
// describes it (the draft's Figure 1 is missing from its text; this is the layout the
// field descriptions give, in this order, all multi-octet fields in network byte order):
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |     Type      |    Length     |  Binding Unique ID (BID)      |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |    Status     |C|O|H|Reserved |                               |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
//   |            Care-of Address (128 bits, only when C is set)     |
//   +                                                               +
//   |                                                               |
//   +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                               |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Length is 4 without and 20 with the care-of address. The 5 reserved bits are zero on send
// and ignored on receive. Alignment: the care-of address sits 6 octets after the Type octet,
// so Type at 8n+2 puts it on an 8-octet boundary (RFC 5648 states 8n+2 for its IPv6 CoA
// form too); without an address only the 16-bit BID needs 2n.
import type { BidCodec } from './profile.js';
import type { BidOption } from './types.js';
import { checkBytes, checkUint, copyBytes, flag, readU16, writeU16 } from './fields.js';
import { optionError } from './options/option-result.js';

export const BID_FLAG_C = 0x80;
export const BID_FLAG_O = 0x40;
export const BID_FLAG_H = 0x20;
export const BID_LENGTH_WITHOUT_COA = 4;
export const BID_LENGTH_WITH_COA = 20;

const ALIGN_WITH_COA = Object.freeze({ x: 8, y: 2 });
const ALIGN_WITHOUT_COA = Object.freeze({ x: 2, y: 0 });

function checkBid(opt: BidOption): void {
  if (checkUint(opt.bid, 0xffff, 'BID') === 0) throw new RangeError('BID: 0 is reserved');
  checkUint(opt.status, 0xff, 'BID status');
  if (opt.c) checkBytes(opt.coa, 16, 'BID care-of address');
  else if (opt.coa !== undefined) {
    throw new TypeError('BID sub-option: care-of address given but C flag is clear');
  }
  // draft-04 has neither an IPv4 care-of address nor BID-PRI (both are RFC 5648 / 6089).
  if (opt.coa4 !== undefined) throw new TypeError('BID sub-option: draft-04 cannot carry an IPv4 care-of address');
  if (opt.pri) throw new RangeError('BID sub-option: draft-04 has no BID-PRI field');
}

export const draft04BidCodec: BidCodec = {
  align(opt) {
    return opt.c ? ALIGN_WITH_COA : ALIGN_WITHOUT_COA;
  },

  bodyLength(opt) {
    return opt.c ? BID_LENGTH_WITH_COA : BID_LENGTH_WITHOUT_COA;
  },

  encodeBody(opt, buf, offset) {
    checkBid(opt);
    writeU16(buf, offset, opt.bid);
    buf[offset + 2] = opt.status;
    buf[offset + 3] = flag(opt.c, BID_FLAG_C) | flag(opt.o, BID_FLAG_O) | flag(opt.h, BID_FLAG_H);
    if (!opt.c) return BID_LENGTH_WITHOUT_COA;
    buf.set(opt.coa!, offset + 4);
    return BID_LENGTH_WITH_COA;
  },

  decodeBody(buf, offset, length, optionOffset) {
    if (length !== BID_LENGTH_WITHOUT_COA && length !== BID_LENGTH_WITH_COA) {
      return optionError('BID_BAD_LENGTH', optionOffset + 1, `BID sub-option length ${length}, expected 4 or 20`);
    }
    if (offset + length > buf.length) {
      return optionError('OPTION_OVERRUN', optionOffset, 'BID sub-option runs past the end of the message');
    }
    const flags = buf[offset + 3]!;
    const c = (flags & BID_FLAG_C) !== 0;
    if (c && length === BID_LENGTH_WITHOUT_COA) {
      return optionError('BID_C_WITHOUT_COA', optionOffset + 5, 'BID sub-option has the C flag but no care-of address');
    }
    if (!c && length === BID_LENGTH_WITH_COA) {
      return optionError('BID_BAD_LENGTH', optionOffset + 1, 'BID sub-option length 20 without the C flag');
    }
    const bid = readU16(buf, offset);
    if (bid === 0) return optionError('BID_ZERO', optionOffset + 2, 'BID 0 is reserved');
    const status = buf[offset + 2]!;
    const o = (flags & BID_FLAG_O) !== 0;
    const h = (flags & BID_FLAG_H) !== 0;
    // One literal per shape, rather than adding `coa` afterwards, keeps hidden classes stable.
    const value: BidOption = c
      ? { kind: 'bid', bid, status, c, o, h, coa: copyBytes(buf, offset + 4, 16) }
      : { kind: 'bid', bid, status, c, o, h };
    return { ok: true, value };
  },
};

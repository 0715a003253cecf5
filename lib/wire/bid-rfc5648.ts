// The Binding Identifier mobility option as RFC 5648 §4.3 defines it (type 35), with the
// seven bits after H named BID-PRI by RFC 6089 §5.1. Multi-octet fields in network byte order.
//
//                                   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//                                   |   Type = 35   |     Length    |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |       Binding ID (BID)        |     Status    |H|   BID-PRI   |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   :            IPv4 or IPv6 care-of address (CoA), optional       :
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// There is no C or O bit: the length says what follows (4 nothing, 8 an IPv4 care-of
// address, 20 an IPv6 one; any other length is MCOA MALFORMED), and O moved into the Binding
// Update's flags (§4.2, handled by bu-overwrite.ts). Alignment (§4.3): 8n+2 with an IPv6
// care-of address, so the address starts on an 8-octet boundary; 4n+2 puts an IPv4 one on
// a 4-octet boundary; 2n for the 16-bit BID alone.
import type { BidCodec } from './profile.js';
import type { BidOption } from './types.js';
import { checkBytes, checkUint, copyBytes, flag, readU16, writeU16 } from './fields.js';
import { optionError } from './options/option-result.js';

export const RFC5648_BID_FLAG_H = 0x80;
export const RFC5648_BID_PRI_MASK = 0x7f;
export const RFC5648_LENGTH_NO_COA = 4;
export const RFC5648_LENGTH_IPV4_COA = 8;
export const RFC5648_LENGTH_IPV6_COA = 20;

const ALIGN_IPV6 = Object.freeze({ x: 8, y: 2 });
const ALIGN_IPV4 = Object.freeze({ x: 4, y: 2 });
const ALIGN_NONE = Object.freeze({ x: 2, y: 0 });

function checkBid(opt: BidOption): void {
  if (checkUint(opt.bid, 0xffff, 'BID') === 0) throw new RangeError('BID: 0 is reserved');
  checkUint(opt.status, 0xff, 'BID status');
  checkUint(opt.pri ?? 0, RFC5648_BID_PRI_MASK, 'BID-PRI');
  if (opt.c) checkBytes(opt.coa, 16, 'BID care-of address');
  else if (opt.coa !== undefined) throw new TypeError('BID option: care-of address given but C is clear');
  if (opt.coa4 !== undefined) {
    checkBytes(opt.coa4, 4, 'BID IPv4 care-of address');
    if (opt.c) throw new TypeError('BID option: both an IPv6 and an IPv4 care-of address');
  }
}

export const rfc5648BidCodec: BidCodec = {
  align(opt) {
    if (opt.c) return ALIGN_IPV6;
    return opt.coa4 ? ALIGN_IPV4 : ALIGN_NONE;
  },

  bodyLength(opt) {
    if (opt.c) return RFC5648_LENGTH_IPV6_COA;
    return opt.coa4 ? RFC5648_LENGTH_IPV4_COA : RFC5648_LENGTH_NO_COA;
  },

  encodeBody(opt, buf, offset) {
    checkBid(opt);
    writeU16(buf, offset, opt.bid);
    buf[offset + 2] = opt.status;
    buf[offset + 3] = flag(opt.h, RFC5648_BID_FLAG_H) | (opt.pri ?? 0);
    if (opt.c) {
      buf.set(opt.coa!, offset + 4);
      return RFC5648_LENGTH_IPV6_COA;
    }
    if (opt.coa4) {
      buf.set(opt.coa4, offset + 4);
      return RFC5648_LENGTH_IPV4_COA;
    }
    return RFC5648_LENGTH_NO_COA;
  },

  decodeBody(buf, offset, length, optionOffset) {
    if (length !== RFC5648_LENGTH_NO_COA && length !== RFC5648_LENGTH_IPV4_COA && length !== RFC5648_LENGTH_IPV6_COA) {
      return optionError('BID_BAD_LENGTH', optionOffset + 1, `Binding Identifier option length ${length}, expected 4, 8 or 20`);
    }
    if (offset + length > buf.length) {
      return optionError('OPTION_OVERRUN', optionOffset, 'Binding Identifier option runs past the end of the message');
    }
    const bid = readU16(buf, offset);
    if (bid === 0) return optionError('BID_ZERO', optionOffset + 2, 'BID 0 is reserved');
    const status = buf[offset + 2]!;
    const bits = buf[offset + 3]!;
    const h = (bits & RFC5648_BID_FLAG_H) !== 0;
    const pri = bits & RFC5648_BID_PRI_MASK;
    // One literal per shape keeps hidden classes stable; O is filled in from the BU's flags.
    let value: BidOption;
    if (length === RFC5648_LENGTH_IPV6_COA) {
      value = { kind: 'bid', bid, status, c: true, o: false, h, coa: copyBytes(buf, offset + 4, 16), pri };
    } else if (length === RFC5648_LENGTH_IPV4_COA) {
      value = { kind: 'bid', bid, status, c: false, o: false, h, coa4: copyBytes(buf, offset + 4, 4), pri };
    } else {
      value = { kind: 'bid', bid, status, c: false, o: false, h, pri };
    }
    return { ok: true, value };
  },
};

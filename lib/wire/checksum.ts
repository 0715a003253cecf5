// The Mobility Header checksum (RFC 6275 §6.1.1): the Internet checksum (RFC 1071) over
// the IPv6 pseudo-header of RFC 8200 §8.1 followed by the whole Mobility Header, with the
// Checksum field (octets 4-5 of the MH, network byte order) taken as zero.
//
//   pseudo-header: Source Address (128) | Destination Address (128)
//                  | Upper-Layer Packet Length (32) | zero (24) | Next Header (8) = 135
//
// With a Home Address option the source is the home address; with a type 2 routing header
// the destination is the home address in it (the final destination).
import { IPPROTO_MH } from './types.js';
import { checkBytes } from './fields.js';

const MH_CHECKSUM_OFFSET = 4;

/** Adds 16-bit big-endian words of bytes[from..to) to `sum`, optionally skipping one word. */
function addWords(sum: number, bytes: Uint8Array, from: number, to: number, skip: number): number {
  let i = from;
  for (; i + 1 < to; i += 2) {
    if (i !== skip) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  }
  if (i < to) sum += bytes[i]! << 8; // odd length: pad with a zero octet
  return sum;
}

function fold(sum: number): number {
  // sum stays far below 2^53 for any IPv6 payload, so plain arithmetic is exact.
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/**
 * Ones'-complement sum over the pseudo-header and `payload` (not complemented), skipping
 * the 16-bit word at `skipOffset` (-1 skips nothing).
 */
export function ip6PseudoHeaderSum(
  src: Uint8Array,
  dst: Uint8Array,
  nextHeader: number,
  payload: Uint8Array,
  skipOffset: number,
): number {
  checkBytes(src, 16, 'source address');
  checkBytes(dst, 16, 'destination address');
  const len = payload.length;
  let sum = addWords(0, src, 0, 16, -1);
  sum = addWords(sum, dst, 0, 16, -1);
  sum += Math.floor(len / 0x10000) + (len & 0xffff) + nextHeader;
  sum = addWords(sum, payload, 0, len, skipOffset);
  return fold(sum);
}

/** Internet checksum of an upper-layer payload whose checksum field is at `checksumOffset`. */
export function ip6UpperLayerChecksum(
  src: Uint8Array,
  dst: Uint8Array,
  nextHeader: number,
  payload: Uint8Array,
  checksumOffset: number,
): number {
  return ~ip6PseudoHeaderSum(src, dst, nextHeader, payload, checksumOffset) & 0xffff;
}

/** The checksum `mh` should carry, its own Checksum field taken as zero. */
export function mhChecksum(src: Uint8Array, dst: Uint8Array, mh: Uint8Array): number {
  return ip6UpperLayerChecksum(src, dst, IPPROTO_MH, mh, MH_CHECKSUM_OFFSET);
}

/** Computes the checksum and writes it into octets 4-5 of `mh` (network order); returns it. */
export function writeMhChecksum(mh: Uint8Array, src: Uint8Array, dst: Uint8Array): number {
  if (mh.length < 6) throw new RangeError(`Mobility Header of ${mh.length} octets has no Checksum field`);
  const c = mhChecksum(src, dst, mh);
  mh[MH_CHECKSUM_OFFSET] = c >>> 8;
  mh[MH_CHECKSUM_OFFSET + 1] = c & 0xff;
  return c;
}

/** True when the Checksum field of `mh` is correct for these addresses (RFC 1071 check). */
export function verifyMhChecksum(src: Uint8Array, dst: Uint8Array, mh: Uint8Array): boolean {
  if (mh.length < 6) return false;
  return ip6PseudoHeaderSum(src, dst, IPPROTO_MH, mh, -1) === 0xffff;
}

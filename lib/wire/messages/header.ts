// The Mobility Header's common part (RFC 6275 §6.1.1). Multi-octet fields in network
// byte order.
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   | Payload Proto |  Header Len   |   MH Type     |   Reserved    |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |           Checksum            |                               |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               |
//   .                                                               .
//   .                       Message Data                            .
//   |                                                               |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Header Len counts 8-octet units after the first 8, so the MH is 8..2048 octets and a
// multiple of 8. Reserved is zero on send and ignored on receive.
import { IPPROTO_NONE, type WireError } from '../types.js';
import { checkUint, readU16, writeU16 } from '../fields.js';

export const MH_PAYLOAD_PROTO_OFFSET = 0;
export const MH_HEADER_LEN_OFFSET = 1;
export const MH_TYPE_OFFSET = 2;
export const MH_CHECKSUM_OFFSET = 4;
/** Octets before the Message Data. */
export const MH_COMMON_LENGTH = 6;
export const MH_MIN_LENGTH = 8;
export const MH_MAX_LENGTH = (255 + 1) * 8;

/** Checks the common header against the buffer; null when it is well formed. */
export function checkHeader(buf: Uint8Array): WireError | null {
  const len = buf.length;
  if (len < MH_MIN_LENGTH) {
    return { code: 'TRUNCATED', offset: len, message: `${len} octets cannot hold a Mobility Header (8 at least)` };
  }
  if (buf[MH_PAYLOAD_PROTO_OFFSET] !== IPPROTO_NONE) {
    return {
      code: 'BAD_PAYLOAD_PROTO',
      offset: MH_PAYLOAD_PROTO_OFFSET,
      message: `Payload Proto ${buf[MH_PAYLOAD_PROTO_OFFSET]}, expected ${IPPROTO_NONE}`,
    };
  }
  const declared = (buf[MH_HEADER_LEN_OFFSET]! + 1) * 8;
  if (len % 8 !== 0) {
    return {
      code: 'BAD_HEADER_LENGTH',
      offset: MH_HEADER_LEN_OFFSET,
      message: `Mobility Header of ${len} octets is not a multiple of 8`,
    };
  }
  if (declared !== len) {
    return {
      code: 'BAD_HEADER_LENGTH',
      offset: MH_HEADER_LEN_OFFSET,
      message: `Header Len says ${declared} octets, the message has ${len}`,
    };
  }
  return null;
}

export function readMhType(buf: Uint8Array): number {
  return buf[MH_TYPE_OFFSET]!;
}

export function readChecksum(buf: Uint8Array): number {
  return readU16(buf, MH_CHECKSUM_OFFSET);
}

/** Writes the common header at buf[base]; `totalLength` is a multiple of 8 in 8..2048. */
export function writeHeader(buf: Uint8Array, base: number, totalLength: number, mhType: number, checksum: number): void {
  buf[base + MH_PAYLOAD_PROTO_OFFSET] = IPPROTO_NONE;
  buf[base + MH_HEADER_LEN_OFFSET] = totalLength / 8 - 1;
  buf[base + MH_TYPE_OFFSET] = mhType;
  buf[base + 3] = 0; // Reserved
  writeU16(buf, base + MH_CHECKSUM_OFFSET, checkUint(checksum, 0xffff, 'checksum'));
}

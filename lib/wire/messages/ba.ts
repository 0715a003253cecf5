// Binding Acknowledgement, MH Type 6 (RFC 6275 §6.1.8; R flag RFC 3963 §4.2, P flag
// RFC 5213 §8.2). Sequence and Lifetime in network byte order; Lifetime in 4-second units
// on the wire, seconds at the API (rounding rule in ../lifetime.ts).
//
//                                   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//                                   |    Status     |K|R|P|Reserved |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |           Sequence #          |           Lifetime            |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   .                        Mobility options                       .
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
import { IPPROTO_NONE, MhType, type BaFlags, type BindingAck, type MobilityOption } from '../types.js';
import { checkUint, flag, readU16, writeU16 } from '../fields.js';
import { secondsToUnits, unitsToSeconds } from '../lifetime.js';

export const BA_TYPE = MhType.BA;
export const BA_FIXED_LENGTH = 12;

export const BA_FLAG_K = 0x80;
export const BA_FLAG_R = 0x40;
export const BA_FLAG_P = 0x20;

export function decodeBa(buf: Uint8Array, checksum: number, options: MobilityOption[]): BindingAck {
  const f = buf[7]!;
  return {
    kind: 'ba',
    payloadProto: IPPROTO_NONE,
    checksum,
    status: buf[6]!,
    flags: { k: (f & BA_FLAG_K) !== 0, r: (f & BA_FLAG_R) !== 0, p: (f & BA_FLAG_P) !== 0 },
    sequence: readU16(buf, 8),
    lifetimeSeconds: unitsToSeconds(readU16(buf, 10)),
    options,
  };
}

export function baFlagBits(f: BaFlags): number {
  return flag(f.k, BA_FLAG_K) | flag(f.r, BA_FLAG_R) | flag(f.p, BA_FLAG_P);
}

export function encodeBaFixed(msg: BindingAck, buf: Uint8Array, base: number): void {
  buf[base + 6] = checkUint(msg.status, 0xff, 'BA status');
  buf[base + 7] = baFlagBits(msg.flags);
  writeU16(buf, base + 8, checkUint(msg.sequence, 0xffff, 'BA sequence'));
  writeU16(buf, base + 10, secondsToUnits(msg.lifetimeSeconds, 'BA lifetime'));
}

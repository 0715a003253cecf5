// Binding Update, MH Type 5 (RFC 6275 §6.1.7; R flag RFC 3963 §4.1, P flag RFC 5213 §8.1).
// Sequence, flags and Lifetime in network byte order; Lifetime in 4-second units on the
// wire, seconds at the API (rounding rule in ../lifetime.ts). Reserved bits zero on send,
// ignored on receive.
//
//                                   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//                                   |          Sequence #           |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |A|H|L|K|M|R|P|    Reserved     |           Lifetime            |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   .                        Mobility options                       .
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
import { IPPROTO_NONE, MhType, type BindingUpdate, type BuFlags, type MobilityOption } from '../types.js';
import { checkUint, flag, readU16, writeU16 } from '../fields.js';
import { secondsToUnits, unitsToSeconds } from '../lifetime.js';

export const BU_TYPE = MhType.BU;
export const BU_FIXED_LENGTH = 12;

export const BU_FLAG_A = 0x8000;
export const BU_FLAG_H = 0x4000;
export const BU_FLAG_L = 0x2000;
export const BU_FLAG_K = 0x1000;
export const BU_FLAG_M = 0x0800;
export const BU_FLAG_R = 0x0400;
export const BU_FLAG_P = 0x0200;

export function decodeBu(buf: Uint8Array, checksum: number, options: MobilityOption[]): BindingUpdate {
  const f = readU16(buf, 8);
  return {
    kind: 'bu',
    payloadProto: IPPROTO_NONE,
    checksum,
    sequence: readU16(buf, 6),
    flags: {
      a: (f & BU_FLAG_A) !== 0,
      h: (f & BU_FLAG_H) !== 0,
      l: (f & BU_FLAG_L) !== 0,
      k: (f & BU_FLAG_K) !== 0,
      m: (f & BU_FLAG_M) !== 0,
      r: (f & BU_FLAG_R) !== 0,
      p: (f & BU_FLAG_P) !== 0,
    },
    lifetimeSeconds: unitsToSeconds(readU16(buf, 10)),
    options,
  };
}

export function buFlagBits(f: BuFlags): number {
  return (
    flag(f.a, BU_FLAG_A) |
    flag(f.h, BU_FLAG_H) |
    flag(f.l, BU_FLAG_L) |
    flag(f.k, BU_FLAG_K) |
    flag(f.m, BU_FLAG_M) |
    flag(f.r, BU_FLAG_R) |
    flag(f.p, BU_FLAG_P)
  );
}

export function encodeBuFixed(msg: BindingUpdate, buf: Uint8Array, base: number): void {
  writeU16(buf, base + 6, checkUint(msg.sequence, 0xffff, 'BU sequence'));
  writeU16(buf, base + 8, buFlagBits(msg.flags));
  writeU16(buf, base + 10, secondsToUnits(msg.lifetimeSeconds, 'BU lifetime'));
}

// Home Test Init, MH Type 1, and Care-of Test Init, MH Type 2 (RFC 6275 §6.1.3, §6.1.4):
// the same layout, one module.
//
//                                   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//                                   |           Reserved            |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                                                               |
//   +               Home (Care-of) Init Cookie (64)                 +
//   |                                                               |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   .                        Mobility Options                       .
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
import { IPPROTO_NONE, MhType, type CareOfTestInit, type HomeTestInit, type MobilityOption } from '../types.js';
import { checkBytes, copyBytes } from '../fields.js';

export const HOTI_TYPE = MhType.HoTI;
export const COTI_TYPE = MhType.CoTI;
export const TEST_INIT_FIXED_LENGTH = 16;

export function decodeTestInit(
  kind: 'hoti' | 'coti',
  buf: Uint8Array,
  checksum: number,
  options: MobilityOption[],
): HomeTestInit | CareOfTestInit {
  return { kind, payloadProto: IPPROTO_NONE, checksum, cookie: copyBytes(buf, 8, 8), options };
}

export function encodeTestInitFixed(msg: HomeTestInit | CareOfTestInit, buf: Uint8Array, base: number): void {
  buf[base + 6] = 0; // Reserved
  buf[base + 7] = 0;
  buf.set(checkBytes(msg.cookie, 8, `${msg.kind} init cookie`), base + 8);
}

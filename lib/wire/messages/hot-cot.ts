// Home Test, MH Type 3, and Care-of Test, MH Type 4 (RFC 6275 §6.1.5, §6.1.6): the same
// layout, one module. Nonce Index in network byte order.
//
//                                   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//                                   |   Home (Care-of) Nonce Index  |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                                                               |
//   +               Home (Care-of) Init Cookie (64)                 +
//   |                                                               |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                                                               |
//   +               Home (Care-of) Keygen Token (64)                +
//   |                                                               |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   .                        Mobility options                       .
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
import { IPPROTO_NONE, MhType, type CareOfTest, type HomeTest, type MobilityOption } from '../types.js';
import { checkBytes, checkUint, copyBytes, readU16, writeU16 } from '../fields.js';

export const HOT_TYPE = MhType.HoT;
export const COT_TYPE = MhType.CoT;
export const TEST_FIXED_LENGTH = 24;

export function decodeTest(
  kind: 'hot' | 'cot',
  buf: Uint8Array,
  checksum: number,
  options: MobilityOption[],
): HomeTest | CareOfTest {
  return {
    kind,
    payloadProto: IPPROTO_NONE,
    checksum,
    nonceIndex: readU16(buf, 6),
    cookie: copyBytes(buf, 8, 8),
    keygenToken: copyBytes(buf, 16, 8),
    options,
  };
}

export function encodeTestFixed(msg: HomeTest | CareOfTest, buf: Uint8Array, base: number): void {
  writeU16(buf, base + 6, checkUint(msg.nonceIndex, 0xffff, `${msg.kind} nonce index`));
  buf.set(checkBytes(msg.cookie, 8, `${msg.kind} init cookie`), base + 8);
  buf.set(checkBytes(msg.keygenToken, 8, `${msg.kind} keygen token`), base + 16);
}

// Alternate Care-of Address (RFC 6275 §6.2.5). Alignment 8n+6, so the address is
// 8-octet aligned.
//
//                                   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//                                   |   Type = 3    |  Length = 16  |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                                                               |
//   +                  Alternate Care-of Address (128)              +
//   |                                                               |
//   +                                                               +
//   |                                                               |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
import { OptType } from '../types.js';
import { checkBytes, copyBytes } from '../fields.js';
import { badLength, type OptionResult } from './option-result.js';
import type { OptionLayout } from './option-layout.js';

/** Type, Length octet and alignment rule x*n + y of the Type octet. */
export const ALTERNATE_COA: OptionLayout = { type: OptType.AlternateCoa, length: 16, x: 8, y: 6 };

export function decodeAlternateCoa(buf: Uint8Array, body: number, length: number, optionOffset: number): OptionResult {
  if (length !== ALTERNATE_COA.length) return badLength('Alternate Care-of Address', length, 16, optionOffset);
  return { ok: true, value: { kind: 'alternateCoa', address: copyBytes(buf, body, 16) } };
}

export function encodeAlternateCoa(address: Uint8Array, buf: Uint8Array, body: number): void {
  buf.set(checkBytes(address, 16, 'Alternate Care-of Address'), body);
}

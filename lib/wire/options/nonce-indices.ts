// Nonce Indices (RFC 6275 §6.2.6). Alignment 2n; both indices in network byte order.
//
//                                   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//                                   |   Type = 4    |   Length = 4  |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |         Home Nonce Index      |     Care-of Nonce Index       |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
import { OptType } from '../types.js';
import { checkUint, readU16, writeU16 } from '../fields.js';
import { badLength, type OptionResult } from './option-result.js';
import type { OptionLayout } from './option-layout.js';

/** Type, Length octet and alignment rule x*n + y of the Type octet. */
export const NONCE_INDICES: OptionLayout = { type: OptType.NonceIndices, length: 4, x: 2, y: 0 };

export function decodeNonceIndices(buf: Uint8Array, body: number, length: number, optionOffset: number): OptionResult {
  if (length !== NONCE_INDICES.length) return badLength('Nonce Indices', length, 4, optionOffset);
  return {
    ok: true,
    value: { kind: 'nonceIndices', homeNonceIndex: readU16(buf, body), careOfNonceIndex: readU16(buf, body + 2) },
  };
}

export function encodeNonceIndices(home: number, careOf: number, buf: Uint8Array, body: number): void {
  writeU16(buf, body, checkUint(home, 0xffff, 'Home Nonce Index'));
  writeU16(buf, body + 2, checkUint(careOf, 0xffff, 'Care-of Nonce Index'));
}

// Mobile Network Prefix (RFC 3963 §4.3). Alignment 8n+4, so the prefix is 8-octet aligned.
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//                                   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//                                   |   Type = 6    |  Length = 18  |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |   Reserved    | Prefix Length |                               |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
//   |                   Mobile Network Prefix (128)                 |
//   +                                                               +
//   |                                                               |
//   +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                               |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
import { OptType } from '../types.js';
import { checkBytes, checkUint, copyBytes } from '../fields.js';
import { badLength, optionError, type OptionResult } from './option-result.js';
import type { OptionLayout } from './option-layout.js';

/** Type, Length octet and alignment rule x*n + y of the Type octet. */
export const NETWORK_PREFIX: OptionLayout = { type: OptType.MobileNetworkPrefix, length: 18, x: 8, y: 4 };

export function decodeNetworkPrefix(buf: Uint8Array, body: number, length: number, optionOffset: number): OptionResult {
  if (length !== NETWORK_PREFIX.length) return badLength('Mobile Network Prefix', length, 18, optionOffset);
  const prefixLength = buf[body + 1]!;
  if (prefixLength > 128) {
    return optionError('BAD_OPTION_VALUE', body + 1, `Mobile Network Prefix length ${prefixLength} exceeds 128`);
  }
  return { ok: true, value: { kind: 'mobileNetworkPrefix', prefixLength, prefix: copyBytes(buf, body + 2, 16) } };
}

export function encodeNetworkPrefix(prefixLength: number, prefix: Uint8Array, buf: Uint8Array, body: number): void {
  buf[body] = 0; // Reserved
  buf[body + 1] = checkUint(prefixLength, 128, 'Mobile Network Prefix length');
  buf.set(checkBytes(prefix, 16, 'Mobile Network Prefix'), body + 2);
}

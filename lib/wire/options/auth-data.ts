// Binding Authorization Data (RFC 6275 §6.2.7). Alignment 8n+2. The authenticator is
// 96 bits here (First(96, HMAC_SHA1(...)), §5.2.6). MUST be the last option in a message;
// the option list decoder enforces that (BAD_NOT_LAST).
//
//                                   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//                                   |   Type = 5    | Option Length |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                                                               |
//   +                         Authenticator (96)                    +
//   |                                                               |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
import { OptType } from '../types.js';
import { checkBytes, copyBytes } from '../fields.js';
import { badLength, type OptionResult } from './option-result.js';
import type { OptionLayout } from './option-layout.js';

/** Type, Length octet and alignment rule x*n + y of the Type octet. */
export const AUTH_DATA: OptionLayout = { type: OptType.BindingAuthData, length: 12, x: 8, y: 2 };

export function decodeAuthData(buf: Uint8Array, body: number, length: number, optionOffset: number): OptionResult {
  if (length !== AUTH_DATA.length) return badLength('Binding Authorization Data', length, 12, optionOffset);
  return { ok: true, value: { kind: 'bindingAuthData', authenticator: copyBytes(buf, body, 12) } };
}

export function encodeAuthData(authenticator: Uint8Array, buf: Uint8Array, body: number): void {
  buf.set(checkBytes(authenticator, 12, 'Binding Authorization Data authenticator'), body);
}

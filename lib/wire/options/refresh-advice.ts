// Binding Refresh Advice (RFC 6275 §6.2.4). Alignment 2n. Refresh Interval in 4-second
// units, network byte order; seconds at the API (rounding rule in ../lifetime.ts).
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//                                   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//                                   |   Type = 2    |   Length = 2  |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |              Refresh Interval                 |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
import { OptType } from '../types.js';
import { readU16, writeU16 } from '../fields.js';
import { secondsToUnits, unitsToSeconds } from '../lifetime.js';
import { badLength, type OptionResult } from './option-result.js';
import type { OptionLayout } from './option-layout.js';

/** Type, Length octet and alignment rule x*n + y of the Type octet. */
export const REFRESH_ADVICE: OptionLayout = { type: OptType.BindingRefreshAdvice, length: 2, x: 2, y: 0 };

export function decodeRefreshAdvice(buf: Uint8Array, body: number, length: number, optionOffset: number): OptionResult {
  if (length !== REFRESH_ADVICE.length) return badLength('Binding Refresh Advice', length, 2, optionOffset);
  return { ok: true, value: { kind: 'bindingRefreshAdvice', intervalSeconds: unitsToSeconds(readU16(buf, body)) } };
}

export function encodeRefreshAdvice(intervalSeconds: number, buf: Uint8Array, body: number): void {
  writeU16(buf, body, secondsToUnits(intervalSeconds, 'Binding Refresh Advice interval'));
}

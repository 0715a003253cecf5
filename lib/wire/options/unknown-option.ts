// Any mobility option this build does not know: Type, Length, then Length octets kept as
// raw bytes so it can be shown, logged and re-encoded unchanged. No alignment is known for
// it, so the encoder places it wherever it falls.
//
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+- - - - - - - - -
//   |  Option Type  | Option Length |  Option Data...
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+- - - - - - - - -
import { checkUint, copyBytes } from '../fields.js';
import type { OptionResult } from './option-result.js';

export function decodeUnknownOption(buf: Uint8Array, optionType: number, body: number, length: number): OptionResult {
  return { ok: true, value: { kind: 'unknown', optionType, data: copyBytes(buf, body, length) } };
}

export function checkUnknownOption(optionType: number, data: Uint8Array): void {
  checkUint(optionType, 0xff, 'unknown option type');
  if (!(data instanceof Uint8Array)) throw new TypeError('unknown option data: expected a Uint8Array');
  if (data.length > 255) throw new RangeError(`unknown option data: ${data.length} octets, at most 255 fit`);
}

export function encodeUnknownOption(data: Uint8Array, buf: Uint8Array, body: number): void {
  buf.set(data, body);
}

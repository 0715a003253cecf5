// A Mobility Header whose MH Type this build does not know (RFC 6275 §9.2 answers it with a
// Binding Error, status 2). The common header is checked as for any message; the Message
// Data (everything after the Checksum) is kept raw, since where its options begin is unknown.
//
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   | Payload Proto |  Header Len   |   MH Type     |   Reserved    |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |           Checksum            |   Message Data (raw) ...      .
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
import { IPPROTO_NONE, type UnknownMessage } from '../types.js';
import { checkUint, copyBytes } from '../fields.js';
import { MH_COMMON_LENGTH, MH_MAX_LENGTH } from './header.js';

/** MH Types with a decoder of their own: 0..7 (RFC 6275) and 12 (RFC 5142). */
export const HIGHEST_KNOWN_MH_TYPE = 7;
const HAS_MH_TYPE = 12;

export function decodeUnknownMessage(buf: Uint8Array, mhType: number, checksum: number): UnknownMessage {
  return {
    kind: 'unknown',
    payloadProto: IPPROTO_NONE,
    checksum,
    mhType,
    body: copyBytes(buf, MH_COMMON_LENGTH, buf.length - MH_COMMON_LENGTH),
    options: [],
  };
}

/** Checks what only an unknown message can get wrong; returns the encoded length. */
export function unknownMessageLength(msg: UnknownMessage): number {
  const type = checkUint(msg.mhType, 0xff, 'unknown message MH type');
  if (type <= HIGHEST_KNOWN_MH_TYPE || type === HAS_MH_TYPE) {
    throw new RangeError(`unknown message: MH type ${type} is a known type; use its own kind`);
  }
  if (!(msg.body instanceof Uint8Array)) throw new TypeError('unknown message body: expected a Uint8Array');
  if (msg.options.length !== 0) {
    throw new TypeError('unknown message: options cannot be encoded (the body is raw); put them in the body');
  }
  const length = MH_COMMON_LENGTH + msg.body.length;
  if (length % 8 !== 0 || length > MH_MAX_LENGTH) {
    throw new RangeError(`unknown message: 6 + body (${msg.body.length} octets) must be a multiple of 8 up to ${MH_MAX_LENGTH}`);
  }
  return length;
}

export function encodeUnknownBody(msg: UnknownMessage, buf: Uint8Array, base: number): void {
  buf.set(msg.body, base + MH_COMMON_LENGTH);
}

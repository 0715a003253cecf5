// Dynamic Home Agent Address Discovery messages (RFC 6275 §6.5, §6.6; the R flag of RFC 3963
// §4.2, §4.3). Pure functions; multi-octet fields are in network byte order. The Checksum is
// left zero on encode: the kernel fills it on a raw ICMPv6 socket.
//
//   Request (144): Type (8) | Code 0 (8) | Checksum (16) | Identifier (16) | R Reserved (1+15)
//   Reply   (145): Type (8) | Code 0 (8) | Checksum (16) | Identifier (16) | R Reserved (1+15)
//                  | Home Agent Addresses (16 octets each, zero or more)
import { checkBytes, checkUint, readU16, writeU16 } from '../../wire/fields.js';

export const ICMP6_DHAAD_REQUEST = 144;
export const ICMP6_DHAAD_REPLY = 145;

const FIXED_LENGTH = 8;
const ADDRESS_LENGTH = 16;
/** R: the sender is a mobile router (RFC 3963 §4.2), the top bit after the Identifier. */
const FLAG_MOBILE_ROUTER = 0x80;

export interface DhaadRequest {
  kind: 'dhaadRequest';
  identifier: number;
  mobileRouter: boolean;
}

export interface DhaadReply {
  kind: 'dhaadReply';
  identifier: number;
  mobileRouter: boolean;
  /** Global addresses of the home agents, most preferred first (16 octets each). */
  homeAgents: Uint8Array[];
}

export type DhaadMessage = DhaadRequest | DhaadReply;

export type DhaadErrorCode = 'DHAAD_TRUNCATED' | 'DHAAD_NOT_DHAAD' | 'DHAAD_BAD_CODE' | 'DHAAD_BAD_LENGTH';
export interface DhaadError {
  code: DhaadErrorCode;
  offset: number;
  message: string;
}
export type DhaadDecode = { ok: true; value: DhaadMessage } | { ok: false; error: DhaadError };

const bad = (code: DhaadErrorCode, offset: number, message: string): DhaadDecode => ({
  ok: false,
  error: { code, offset, message },
});

export function dhaadEncodedLength(m: DhaadMessage): number {
  return FIXED_LENGTH + (m.kind === 'dhaadReply' ? m.homeAgents.length * ADDRESS_LENGTH : 0);
}

export function encodeDhaad(m: DhaadMessage): Uint8Array {
  const b = new Uint8Array(dhaadEncodedLength(m));
  b[0] = m.kind === 'dhaadRequest' ? ICMP6_DHAAD_REQUEST : ICMP6_DHAAD_REPLY;
  writeU16(b, 4, checkUint(m.identifier, 0xffff, 'identifier'));
  b[6] = m.mobileRouter ? FLAG_MOBILE_ROUTER : 0;
  if (m.kind === 'dhaadReply') {
    m.homeAgents.forEach((a, i) => b.set(checkBytes(a, ADDRESS_LENGTH, `home agent address ${i}`), FIXED_LENGTH + i * ADDRESS_LENGTH));
  }
  return b;
}

/**
 * Decodes an ICMPv6 DHAAD Request or Reply (the ICMPv6 message only, as a raw ICMPv6 socket
 * gives it). Octets after a Request's fixed part are ignored (RFC 4443 §2.1 lets messages grow);
 * a Reply's address list must be whole addresses.
 */
export function decodeDhaad(b: Uint8Array): DhaadDecode {
  if (b.length < FIXED_LENGTH) return bad('DHAAD_TRUNCATED', 0, `DHAAD message of ${b.length} octets, at least 8 needed`);
  const type = b[0]!;
  if (type !== ICMP6_DHAAD_REQUEST && type !== ICMP6_DHAAD_REPLY) return bad('DHAAD_NOT_DHAAD', 0, `ICMPv6 type ${type}`);
  if (b[1] !== 0) return bad('DHAAD_BAD_CODE', 1, `ICMPv6 code ${b[1]!}`);
  const identifier = readU16(b, 4);
  const mobileRouter = (b[6]! & FLAG_MOBILE_ROUTER) !== 0;
  if (type === ICMP6_DHAAD_REQUEST) return { ok: true, value: { kind: 'dhaadRequest', identifier, mobileRouter } };
  const listLength = b.length - FIXED_LENGTH;
  if (listLength % ADDRESS_LENGTH !== 0) {
    return bad('DHAAD_BAD_LENGTH', FIXED_LENGTH, `home agent address list of ${listLength} octets is not a multiple of 16`);
  }
  const homeAgents: Uint8Array[] = [];
  for (let p = FIXED_LENGTH; p < b.length; p += ADDRESS_LENGTH) homeAgents.push(b.slice(p, p + ADDRESS_LENGTH));
  return { ok: true, value: { kind: 'dhaadReply', identifier, mobileRouter, homeAgents } };
}

// Binding Error, MH Type 7 (RFC 6275 §6.1.9).
//
//                                   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//                                   |     Status    |   Reserved    |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                                                               |
//   +                                                               +
//   |                          Home Address (128)                   |
//   +                                                               +
//   |                                                               |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   .                        Mobility Options                       .
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
import { IPPROTO_NONE, MhType, type BindingError, type MobilityOption } from '../types.js';
import { checkBytes, checkUint, copyBytes } from '../fields.js';

export const BE_TYPE = MhType.BE;
export const BE_FIXED_LENGTH = 24;

export function decodeBe(buf: Uint8Array, checksum: number, options: MobilityOption[]): BindingError {
  return {
    kind: 'be',
    payloadProto: IPPROTO_NONE,
    checksum,
    status: buf[6]!,
    homeAddress: copyBytes(buf, 8, 16),
    options,
  };
}

export function encodeBeFixed(msg: BindingError, buf: Uint8Array, base: number): void {
  buf[base + 6] = checkUint(msg.status, 0xff, 'BE status');
  buf[base + 7] = 0; // Reserved
  buf.set(checkBytes(msg.homeAddress, 16, 'BE home address'), base + 8);
}

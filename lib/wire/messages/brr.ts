// Binding Refresh Request, MH Type 0 (RFC 6275 §6.1.2).
//
//                                   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//                                   |          Reserved             |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   .                        Mobility options                       .
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
import { IPPROTO_NONE, MhType, type BindingRefreshRequest, type MobilityOption } from '../types.js';

export const BRR_TYPE = MhType.BRR;
export const BRR_FIXED_LENGTH = 8;

export function decodeBrr(_buf: Uint8Array, checksum: number, options: MobilityOption[]): BindingRefreshRequest {
  return { kind: 'brr', payloadProto: IPPROTO_NONE, checksum, options };
}

export function encodeBrrFixed(_msg: BindingRefreshRequest, buf: Uint8Array, base: number): void {
  buf[base + 6] = 0; // Reserved
  buf[base + 7] = 0;
}

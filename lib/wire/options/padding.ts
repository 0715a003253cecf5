// Pad1 and PadN (RFC 6275 §6.2.2, §6.2.3). The decoder consumes them; the encoder
// regenerates them so that each option meets its alignment rule.
//
//   Pad1:  +-+-+-+-+-+-+-+-+
//          |   Type = 0    |
//          +-+-+-+-+-+-+-+-+
//
//   PadN:  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+- - - - - - - - -
//          |   Type = 1    | Option Length | Option Data (zeros)
//          +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+- - - - - - - - -
import { OptType } from '../types.js';

/** Octets of padding needed so that `position` becomes x*n + y. */
export function paddingFor(position: number, x: number, y: number): number {
  return (((y - position) % x) + x) % x;
}

/** Writes `n` octets of padding at `offset`: one Pad1 for n = 1, a PadN for n >= 2. */
export function writePadding(buf: Uint8Array, offset: number, n: number): void {
  if (n === 0) return;
  if (n === 1) {
    buf[offset] = OptType.Pad1;
    return;
  }
  buf[offset] = OptType.PadN;
  buf[offset + 1] = n - 2;
  buf.fill(0, offset + 2, offset + n);
}

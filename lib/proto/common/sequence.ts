// Binding Update sequence numbers compare modulo 2^16 (RFC 6275 §9.5.1): a is newer than b
// when (a - b) mod 2^16 lies in 1..32767. "Last received and the preceding 32768 values"
// are old, so exactly half of the space minus one value is newer.
export const SEQUENCE_MODULUS = 0x10000;

export function sequenceNewer(a: number, b: number): boolean {
  const d = (a - b) & 0xffff;
  return d >= 1 && d <= 0x7fff;
}

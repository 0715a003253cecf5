// Lifetimes and refresh intervals are seconds at the API and 4-second units on the wire
// (RFC 6275 §6.1.7, §6.1.8, §6.2.4).
//
// Rounding rule when encoding (seconds -> units):
//   - floor(seconds / 4), so the peer never believes a binding lives longer than asked;
//   - except that a non-zero value under 4 s encodes as 1 unit: a lifetime of 0 means
//     de-registration, and a short registration must never turn into one;
//   - values above 65535 units (262140 s) clamp to 65535.
// Decoding multiplies by 4, so decode(encode(s)) === s exactly when s is a multiple of 4
// within range.
export const MAX_LIFETIME_UNITS = 0xffff;
export const LIFETIME_UNIT_SECONDS = 4;

/** Seconds -> 4-second units, by the rule above. Throws on negative or non-finite input. */
export function secondsToUnits(seconds: number, field: string): number {
  if (typeof seconds !== 'number' || Number.isNaN(seconds) || seconds < 0) {
    throw new RangeError(`${field}: ${String(seconds)} is not a non-negative number of seconds`);
  }
  if (seconds === 0) return 0;
  const units = Math.floor(seconds / LIFETIME_UNIT_SECONDS);
  if (units === 0) return 1;
  return units > MAX_LIFETIME_UNITS ? MAX_LIFETIME_UNITS : units;
}

/** 4-second units (a 16-bit wire field) -> seconds. */
export function unitsToSeconds(units: number): number {
  return units * LIFETIME_UNIT_SECONDS;
}

// Base-protocol constants the mobile node's timers follow (RFC 6275 §12) and the
// sequence-number arithmetic of RFC 6275 §9.5.1 (comparison modulo 2^16).

/** Retransmission timeout of a Binding Update other than the first home registration. */
export const INITIAL_BINDACK_TIMEOUT_MS = 1000;
/** The first home registration waits longer: the home agent runs DAD first. */
export const INITIAL_BINDACK_TIMEOUT_FIRST_REG_MS = 1500;
/** The retransmission timeout doubles up to this, then stays there. */
export const MAX_BINDACK_TIMEOUT_MS = 32000;
/** At most this many Binding Updates per second to one peer (MAX_UPDATE_RATE). */
export const MAX_UPDATE_RATE = 3;
export const UPDATE_RATE_WINDOW_MS = 1000;
/** A keygen token may be used this long after it arrived. */
export const MAX_TOKEN_LIFETIME_MS = 210_000;
/** Longest lifetime of a binding authorised by return routability. */
export const MAX_RR_BINDING_LIFETIME_S = 420;
/** Largest lifetime the 16-bit field carries (65535 units of 4 s). */
export const MAX_LIFETIME_S = 262_140;

export const SEQUENCE_MODULUS = 0x10000;

/** True when `a` is newer than `b`: (a - b) mod 2^16 lies in 1..32767 (RFC 6275 §9.5.1). */
export function seqNewer(a: number, b: number): boolean {
  const d = (((a - b) % SEQUENCE_MODULUS) + SEQUENCE_MODULUS) % SEQUENCE_MODULUS;
  return d >= 1 && d <= 0x7fff;
}

export function seqAdd(a: number, n: number): number {
  return (((a + n) % SEQUENCE_MODULUS) + SEQUENCE_MODULUS) % SEQUENCE_MODULUS;
}

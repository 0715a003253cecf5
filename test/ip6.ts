// Tests write addresses as text; this checks and canonicalises them into the one address type.
import { mustIp6, type Ip6 } from '../lib/inet/ip6.js';

/** `ip6('2001:db8::1')`: the Ip6 of a literal (throws for anything that is not an IPv6 address). */
export function ip6(text: string): Ip6 {
  return mustIp6(text, 'test address');
}

/**
 * Text that is deliberately not a canonical address, typed as one: for the tests that check
 * a checked edge (journal load, core configuration) refuses what the type system would.
 */
export function notIp6(text: string): Ip6 {
  return text as unknown as Ip6;
}

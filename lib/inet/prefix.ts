// Address and prefix helpers the protocol core needs beyond lib/inet/ip6.ts: which
// addresses may stand as a home or care-of address, prefix text, and link-local forms.
import { formatIp6, ip6InPrefix, mustIp6, parseIp6, type Ip6 } from './ip6.js';

/** A parsed 'address/length' prefix with its host bits cleared. */
export interface Prefix {
  readonly bytes: Uint8Array;
  readonly length: number;
  /** Canonical text 'addr/len' (RFC 5952 address, host bits zero). */
  readonly text: string;
}

/** Clears every bit past `length` (returns a copy). */
export function maskPrefix(addr: Uint8Array, length: number): Uint8Array {
  const out = Uint8Array.from(addr);
  for (let i = 0; i < 16; i++) {
    const keep = Math.max(0, Math.min(8, length - 8 * i));
    out[i] = out[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}

export function makePrefix(addr: Uint8Array, length: number): Prefix {
  const bytes = maskPrefix(addr, length);
  return { bytes, length, text: `${formatIp6(bytes)}/${length}` };
}

/** Parses 'addr/len' (len 0..128); null when malformed. */
export function parsePrefix(text: string): Prefix | null {
  const slash = text.lastIndexOf('/');
  if (slash < 0) return null;
  const addr = parseIp6(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  if (!addr || !/^\d{1,3}$/.test(lenText)) return null;
  const length = Number(lenText);
  return length <= 128 ? makePrefix(addr, length) : null;
}

export function prefixContains(outer: Prefix, addr: Uint8Array): boolean {
  return ip6InPrefix(addr, outer.bytes, outer.length);
}

/** True when `inner` lies inside `outer` (equal counts as inside). */
export function prefixCovers(outer: Prefix, inner: Prefix): boolean {
  return inner.length >= outer.length && ip6InPrefix(inner.bytes, outer.bytes, outer.length);
}

function isZero(b: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (b[i] !== 0) return false;
  return true;
}

/**
 * A unicast routable address (RFC 6275 §9.5.1 asks this of a home address, §6.2.5 of a
 * care-of address): not unspecified, loopback, multicast, link-local or IPv4-mapped.
 */
export function isUnicastRoutable(b: Uint8Array): boolean {
  if (b.length !== 16) return false;
  if (b[0] === 0xff) return false; // multicast ff00::/8
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return false; // link-local fe80::/10
  if (isZero(b, 0, 15) && (b[15] === 0 || b[15] === 1)) return false; // :: and ::1
  if (isZero(b, 0, 10) && b[10] === 0xff && b[11] === 0xff) return false; // ::ffff:0:0/96
  return true;
}

/** fe80::<interface identifier of addr> (RFC 6275 §10.3.1, L flag). */
export function linkLocalOf(addr: Uint8Array): Ip6 {
  const ll = new Uint8Array(16);
  ll[0] = 0xfe;
  ll[1] = 0x80;
  ll.set(addr.subarray(8, 16), 8);
  return formatIp6(ll);
}

/**
 * The address and length of a route's prefix text, 'addr/len' or a bare address (/128), as
 * the planners key routes (Prefix.text, or a canonical address); throws for anything else.
 */
export function routePrefixParts(text: string): { address: Ip6; length: number } {
  const slash = text.lastIndexOf('/');
  if (slash < 0) return { address: mustIp6(text, 'route prefix'), length: 128 };
  const length = Number(text.slice(slash + 1));
  if (!Number.isInteger(length) || length < 0 || length > 128) throw new TypeError(`route prefix: bad length in ${JSON.stringify(text)}`);
  return { address: mustIp6(text.slice(0, slash), 'route prefix'), length };
}

// The one IPv6 address type: `Ip6`, the RFC 5952 canonical text of 16 octets, branded so
// that only this folder can make one (from octets, or by checking text at an edge). Being a
// string keeps Map keys, equality and logging free; the octets are one call away
// (ip6Octets in ip6-write.ts, allocation-free for the canonical form).
import ipaddr from 'ipaddr.js';

declare const ip6Brand: unique symbol;
/** A canonical (RFC 5952) IPv6 address; made only by formatIp6, canonicalIp6 and mustIp6. */
export type Ip6 = string & { readonly [ip6Brand]: true };

const HEX = Array.from({ length: 65536 }, (_, i) => i.toString(16));

/** RFC 5952 canonical text: lower case, longest run (>1) of zero groups as "::", first on ties. */
export function formatIp6(b: Uint8Array, offset = 0): Ip6 {
  const g = new Array<number>(8);
  for (let i = 0; i < 8; i++) g[i] = (b[offset + 2 * i]! << 8) | b[offset + 2 * i + 1]!;
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  // IPv4-mapped addresses keep the dotted quad (RFC 5952 §5).
  if (bestStart === 0 && bestLen === 5 && g[5] === 0xffff) {
    return `::ffff:${b[offset + 12]}.${b[offset + 13]}.${b[offset + 14]}.${b[offset + 15]}` as Ip6;
  }
  if (bestStart < 0) {
    return `${HEX[g[0]!]}:${HEX[g[1]!]}:${HEX[g[2]!]}:${HEX[g[3]!]}:${HEX[g[4]!]}:${HEX[g[5]!]}:${HEX[g[6]!]}:${HEX[g[7]!]}` as Ip6;
  }
  let s = '';
  for (let i = 0; i < bestStart; i++) s += (i ? ':' : '') + HEX[g[i]!];
  s += '::';
  for (let i = bestStart + bestLen; i < 8; i++) s += (i > bestStart + bestLen ? ':' : '') + HEX[g[i]!];
  return s as Ip6;
}

/** Parses IPv6 text (any valid form) to its octets; null when it is not an IPv6 address. */
export function parseIp6(text: string): Uint8Array | null {
  if (!ipaddr.IPv6.isValid(text)) return null;
  return Uint8Array.from(ipaddr.IPv6.parse(text).toByteArray());
}

/** Parses IPv6 text to octets and throws a TypeError naming `what` when it is not one. */
export function mustParseIp6(text: string, what = 'address'): Uint8Array {
  const b = parseIp6(text);
  if (!b) throw new TypeError(`${what}: not an IPv6 address: ${JSON.stringify(text)}`);
  return b;
}

/** The edge parser: IPv6 text in any valid form to its canonical Ip6, or null when invalid. */
export function canonicalIp6(text: string): Ip6 | null {
  const b = parseIp6(text);
  return b ? formatIp6(b) : null;
}

/** canonicalIp6 that throws a TypeError naming `what` for invalid text. */
export function mustIp6(text: string, what = 'address'): Ip6 {
  return formatIp6(mustParseIp6(text, what));
}

/** True when `v` is already an Ip6 (a string in canonical form): for checked decoders. */
export function isIp6(v: unknown): v is Ip6 {
  return typeof v === 'string' && canonicalIp6(v) === v;
}

export function ip6Equal(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** True when `addr` lies inside prefix/len (both 16-octet arrays). */
export function ip6InPrefix(addr: Uint8Array, prefix: Uint8Array, len: number): boolean {
  let bits = len;
  for (let i = 0; i < 16 && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((addr[i]! & mask) !== (prefix[i]! & mask)) return false;
  }
  return true;
}

/** `::`, the unspecified address (a wildcard selector or SA source). */
export const IP6_UNSPECIFIED: Ip6 = formatIp6(new Uint8Array(16));

/** Object.entries of a record keyed by address, keeping the key type (a record of Ip6 keys holds no others). */
export function ip6Entries<T>(r: Readonly<Record<Ip6, T>>): [Ip6, T][] {
  return Object.entries(r) as [Ip6, T][];
}

/** Object.keys of a record keyed by address. */
export function ip6Keys(r: Readonly<Record<Ip6, unknown>>): Ip6[] {
  return Object.keys(r) as Ip6[];
}

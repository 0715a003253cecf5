// The Mobile IPv6 Home-Agents anycast address of a home prefix (RFC 6275 §10.5, §11.4.1):
// the reserved subnet anycast address of RFC 2526 §2 with anycast ID 0x7e (RFC 2526 §3).
// For a 64-bit interface identifier in EUI-64 format the identifier is
// fdff:ffff:ffff:ff80 | ID (the universal/local bit, 0x02 of the first octet, is clear):
// so 2001:db8:1::/64 gives 2001:db8:1:0:fdff:ffff:ffff:fffe. For any other prefix length
// every bit after the prefix is one but the low 7, which hold the ID.
import { formatIp6, type Ip6 } from './ip6.js';
import type { Prefix } from './prefix.js';

export const MIPV6_HOME_AGENTS_ANYCAST_ID = 0x7e;

export function homeAgentsAnycast(prefix: Prefix): Ip6 {
  if (prefix.length > 121) throw new RangeError(`prefix /${prefix.length}: RFC 2526 needs at least 7 bits of interface identifier`);
  const a = Uint8Array.from(prefix.bytes);
  for (let bit = prefix.length; bit < 121; bit++) a[bit >> 3]! |= 0x80 >> (bit & 7);
  if (prefix.length === 64) a[8] = 0xfd;
  a[15] = (a[15]! & 0x80) | MIPV6_HOME_AGENTS_ANYCAST_ID;
  return formatIp6(a);
}

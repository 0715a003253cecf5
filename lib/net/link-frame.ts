// Sending IPv6 packets as link-layer frames through an AF_PACKET SOCK_DGRAM socket: the
// kernel adds the Ethernet header for the address given here, and the IPv6 stack is not
// involved (no source address selection, no multicast loopback) — what a DAD probe from
// the unspecified address needs.
//
//   struct sockaddr_ll (20 octets): sll_family u16 @0 (host order) | sll_protocol be16 @2
//   | sll_ifindex int32 @4 | sll_hatype u16 @8 | sll_pkttype u8 @10 | sll_halen u8 @11
//   | sll_addr 8 octets @12

/** AF_PACKET (linux/socket.h). */
export const AF_PACKET = 17;
/** ETH_P_IPV6 (linux/if_ether.h). */
export const ETH_P_IPV6 = 0x86dd;
const SOCKADDR_LL_SIZE = 20;

export function encodeSockaddrLl(ifindex: number, protocol: number, linkAddress: Uint8Array): Uint8Array {
  if (linkAddress.length > 8) throw new RangeError('sockaddr_ll: link address longer than 8 octets');
  const b = new Uint8Array(SOCKADDR_LL_SIZE);
  const v = new DataView(b.buffer);
  v.setUint16(0, AF_PACKET, true);
  v.setUint16(2, protocol, false);
  v.setInt32(4, ifindex, true);
  b[11] = linkAddress.length;
  b.set(linkAddress, 12);
  return b;
}

/** Ethernet address of an IPv6 multicast group (RFC 2464 §7): 33:33 and the group's last 32 bits. */
export function ethernetMulticastAddress(group: Uint8Array): Uint8Array {
  if (group.length !== 16 || group[0] !== 0xff) throw new RangeError('not an IPv6 multicast address');
  return Uint8Array.from([0x33, 0x33, group[12]!, group[13]!, group[14]!, group[15]!]);
}

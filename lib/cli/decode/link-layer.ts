// From a captured frame to its IPv6 packet, per pcap link type
// (https://www.tcpdump.org/linktypes.html). Multi-octet fields in network byte order.
//
//   Ethernet (1):      dst(48) src(48) [802.1Q/802.1ad tag(32)]* EtherType(16)
//   Linux SLL (113):   packet type(16) ARPHRD(16) addr len(16) addr(64) protocol(16)
//   Linux SLL2 (276):  protocol(16) reserved(16) ifindex(32) ARPHRD(16) packet type(8)
//                      addr len(8) addr(64)
//   Raw (101), IPv6 (229): the IP packet itself (101 may also hold IPv4).
import { LINKTYPE_ETHERNET, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_RAW } from './pcap.js';

const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;

export const SUPPORTED_LINK_TYPES: ReadonlyMap<number, string> = new Map([
  [LINKTYPE_ETHERNET, 'Ethernet'],
  [LINKTYPE_RAW, 'raw IP'],
  [LINKTYPE_LINUX_SLL, 'Linux cooked (SLL)'],
  [LINKTYPE_IPV6, 'raw IPv6'],
  [LINKTYPE_LINUX_SLL2, 'Linux cooked v2 (SLL2)'],
]);

function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

/** The IPv6 packet inside `frame`, or null when the frame carries something else. */
export function ip6Payload(linkType: number, frame: Uint8Array): Uint8Array | null {
  switch (linkType) {
    case LINKTYPE_RAW:
    case LINKTYPE_IPV6:
      return frame.length > 0 && frame[0]! >> 4 === 6 ? frame : null;
    case LINKTYPE_ETHERNET: {
      let p = 12;
      while (p + 2 <= frame.length && (u16(frame, p) === ETHERTYPE_VLAN || u16(frame, p) === ETHERTYPE_QINQ)) p += 4;
      return p + 2 <= frame.length && u16(frame, p) === ETHERTYPE_IPV6 ? frame.subarray(p + 2) : null;
    }
    case LINKTYPE_LINUX_SLL:
      return frame.length >= 16 && u16(frame, 14) === ETHERTYPE_IPV6 ? frame.subarray(16) : null;
    case LINKTYPE_LINUX_SLL2:
      return frame.length >= 20 && u16(frame, 0) === ETHERTYPE_IPV6 ? frame.subarray(20) : null;
    default:
      return null;
  }
}

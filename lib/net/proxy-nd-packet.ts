// What a frame from the proxy ND packet socket (proxy-nd-socket.ts) means, decided without
// I/O: a sockaddr_ll peer address and the IPv6 packet of a Neighbour Solicitation, read
// without trusting any length, checksummed (a packet socket sees frames before the IPv6
// stack has checked anything), and decoded by nd-codec.ts.
//
//   struct sockaddr_ll (20 octets): sll_family u16 @0 | sll_protocol be16 @2 | sll_ifindex
//   int32 @4 | sll_hatype u16 @8 | sll_pkttype u8 @10 | sll_halen u8 @11 | sll_addr @12
//   IPv6 header (RFC 8200 §3, 40 octets): Version 4 | Traffic Class 8 | Flow Label 20 |
//   Payload Length be16 @4 | Next Header @6 | Hop Limit @7 | Source @8 | Destination @24
import { formatIp6, type Ip6 } from '../inet/ip6.js';
import { IPPROTO_ICMPV6 } from '../platform/sys/socket.js';
import { ip6PseudoHeaderSum } from '../wire/checksum.js';
import { decodeNd, type NeighborSolicitation } from './nd-codec.js';

const SOCKADDR_LL_MIN = 12;
const IP6_HEADER = 40;

/** sll_pkttype (linux/if_packet.h). */
export const PACKET_HOST = 0;
export const PACKET_BROADCAST = 1;
export const PACKET_MULTICAST = 2;
export const PACKET_OTHERHOST = 3;
export const PACKET_OUTGOING = 4;

export interface ReceivedNs {
  ifindex: number;
  /** sll_pkttype: to us (HOST), to a group (MULTICAST), or someone else's (OTHERHOST). */
  pktType: number;
  src: Ip6;
  dst: Ip6;
  hopLimit: number;
  ns: NeighborSolicitation;
}

export type NsDropCode = 'LL_ADDRESS' | 'IP6_TRUNCATED' | 'IP6_VERSION' | 'NOT_ICMPV6' | 'CHECKSUM' | 'NOT_NS' | 'ND_INVALID';
export type NsRead = { ok: true; value: ReceivedNs } | { ok: false; code: NsDropCode; message: string };

const drop = (code: NsDropCode, message: string): NsRead => ({ ok: false, code, message });

/** Reads one received packet (`packet`, from the IPv6 header on) and its sockaddr_ll `name`. */
export function readSolicitation(packet: Uint8Array, name: Uint8Array): NsRead {
  if (name.length < SOCKADDR_LL_MIN) return drop('LL_ADDRESS', `sockaddr_ll of ${name.length} octets`);
  const ll = new DataView(name.buffer, name.byteOffset, name.length);
  const ifindex = ll.getInt32(4, true);
  const pktType = name[10]!;
  if (packet.length < IP6_HEADER) return drop('IP6_TRUNCATED', `IPv6 packet of ${packet.length} octets`);
  if (packet[0]! >> 4 !== 6) return drop('IP6_VERSION', `IP version ${packet[0]! >> 4}`);
  const payloadLength = (packet[4]! << 8) | packet[5]!;
  // Ethernet pads short frames: the payload is what Payload Length says, never more than arrived.
  if (IP6_HEADER + payloadLength > packet.length) return drop('IP6_TRUNCATED', `payload length ${payloadLength} runs past the ${packet.length} octets received`);
  if (packet[6] !== IPPROTO_ICMPV6) return drop('NOT_ICMPV6', `next header ${packet[6]!}`);
  const src = packet.subarray(8, 24);
  const dst = packet.subarray(24, 40);
  const icmp = packet.subarray(IP6_HEADER, IP6_HEADER + payloadLength);
  if (ip6PseudoHeaderSum(src, dst, IPPROTO_ICMPV6, icmp, -1) !== 0xffff) return drop('CHECKSUM', 'ICMPv6 checksum mismatch');
  const d = decodeNd(icmp);
  if (!d.ok) return drop(d.error.code === 'ND_NOT_ND' ? 'NOT_NS' : 'ND_INVALID', d.error.message);
  if (d.value.kind !== 'ns') return drop('NOT_NS', 'a Neighbour Advertisement');
  return { ok: true, value: { ifindex, pktType, src: formatIp6(src), dst: formatIp6(dst), hopLimit: packet[7]!, ns: d.value } };
}

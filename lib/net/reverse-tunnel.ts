// Reverse tunnelling of one Mobility Header or ICMPv6 message (RFC 6275 §5.2.5, §11.6.1): the mobile
// node's Home Test Init leaves from the home address *inside* an IPv6-in-IPv6 packet from
// a care-of address to the home agent, which decapsulates and forwards it. The inner
// header is built here and handed to a raw IPPROTO_IPV6 (41) socket; the kernel adds the
// outer header (source and interface from IPV6_PKTINFO). Unlike sending through the
// node's tunnel devices, this does not depend on which prefixes are routed over them.
// The socket is opened per message and closed at once: HoTIs are rare, and an open
// protocol-41 raw socket would receive a copy of every tunnelled packet.
import { KernelError } from '../platform/kernel-errors.js';
import { encodeCmsgs, MsgIo } from '../platform/sys/msghdr.js';
import { AF_INET6, IPPROTO_ICMPV6, IPPROTO_IPV6, IPV6_PKTINFO, SOCK_RAW, closeFd, encodeSockaddrIn6, openSocket } from '../platform/sys/socket.js';
import { ip6UpperLayerChecksum, writeMhChecksum } from '../wire/checksum.js';
import { buildIp6Packet } from '../wire/ip6-packet.js';
import type { Ip6 } from '../inet/ip6.js';
import { ip6Octets } from '../inet/ip6-write.js';
import { encodePktinfo } from './ancillary.js';
import { IPPROTO_MH } from './socket-constants.js';

const IP6_HEADER_OCTETS = 40;
const HOP_LIMIT = 64;
const ICMP6_CHECKSUM_OFFSET = 2;

/**
 * The inner packet: an IPv6 header (version 6, next header 135) and the MH with its
 * checksum computed over this header's addresses (network byte order throughout).
 *   | 6 | traffic class 0 | flow label 0 | payload length 16 | next header 8 | hop limit 8 |
 *   | source 128 | destination 128 | Mobility Header ... |
 */
export function encapsulatedMh(mh: Uint8Array, src: Uint8Array, dst: Uint8Array, hopLimit = HOP_LIMIT): Uint8Array {
  if (mh.length > 0xffff) throw new RangeError(`Mobility Header of ${mh.length} octets does not fit an IPv6 payload`);
  const out = new Uint8Array(IP6_HEADER_OCTETS + mh.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, 6 << 28);
  v.setUint16(4, mh.length);
  out[6] = IPPROTO_MH;
  out[7] = hopLimit;
  out.set(src, 8);
  out.set(dst, 24);
  const body = out.subarray(IP6_HEADER_OCTETS);
  body.set(mh);
  writeMhChecksum(body, src, dst);
  return out;
}

export interface ReverseTunnelRequest {
  /** The encoded Mobility Header (its checksum is filled in here). */
  mh: Uint8Array;
  /** Inner source and destination: home address -> correspondent. */
  innerSrc: Ip6;
  innerDst: Ip6;
  /** Outer source and destination: a care-of address the home agent accepted -> the home agent. */
  outerSrc: Ip6;
  outerDst: Ip6;
  /** The care-of address's interface. */
  ifindex?: number;
  netns?: string;
}

/** Sends one reverse-tunnelled MH; returns the octets sent. Throws KernelError / SyscallError. */
export function sendReverseTunnelled(req: ReverseTunnelRequest): number {
  const packet = encapsulatedMh(req.mh, ip6Octets(req.innerSrc), ip6Octets(req.innerDst));
  return sendIp6ip6(packet, req, `inner ${req.innerSrc} -> ${req.innerDst}`);
}

/**
 * The inner packet of a reverse-tunnelled ICMPv6 message (RFC 6275 §11.4.2's Mobile Prefix
 * Solicitation): IPv6 header, next header 58, the message with its checksum computed here
 * over the inner addresses (the kernel fills only the outer header).
 */
export function encapsulatedIcmp6(icmp: Uint8Array, src: Uint8Array, dst: Uint8Array, hopLimit = HOP_LIMIT): Uint8Array {
  const body = icmp.slice();
  const sum = ip6UpperLayerChecksum(src, dst, IPPROTO_ICMPV6, body, ICMP6_CHECKSUM_OFFSET);
  body[ICMP6_CHECKSUM_OFFSET] = sum >>> 8;
  body[ICMP6_CHECKSUM_OFFSET + 1] = sum & 0xff;
  return buildIp6Packet({ src, dst, nextHeader: IPPROTO_ICMPV6, payload: body, hopLimit });
}

/** Sends an inner IPv6 packet inside IPv6 from `outerSrc` to `outerDst`; returns the octets sent. */
export function sendIp6ip6(packet: Uint8Array, req: Pick<ReverseTunnelRequest, 'outerSrc' | 'outerDst' | 'ifindex' | 'netns'>, what: string): number {
  const fd = openSocket(AF_INET6, SOCK_RAW, IPPROTO_IPV6, req.netns === undefined ? {} : { netns: req.netns });
  try {
    const io = new MsgIo({ bufferSize: 1 });
    const control = encodeCmsgs([{ level: IPPROTO_IPV6, type: IPV6_PKTINFO, data: encodePktinfo(ip6Octets(req.outerSrc), req.ifindex) }]);
    const name = encodeSockaddrIn6({ address: ip6Octets(req.outerDst), port: 0, scopeId: 0 });
    const n = io.sendmsg(fd, [packet], { name, control });
    if (n < 0) throw new KernelError(-n, `sendmsg ip6ip6 to ${req.outerDst} (${what})`);
    return n;
  } finally {
    closeFd(fd);
  }
}

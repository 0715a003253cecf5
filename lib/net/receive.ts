// What a received datagram means, decided without I/O: the sockets hand over the octets,
// peer address, control data and flags recvmsg gave, and get back either the message to
// deliver or the reason to drop it. Nothing here trusts a length it has not checked.
import { decodeCmsgs } from '../platform/sys/msghdr.js';
import { decodeSockaddrIn6, MSG_CTRUNC } from '../platform/sys/socket.js';
import { verifyMhChecksum } from '../wire/checksum.js';
import { formatIp6, type Ip6 } from '../inet/ip6.js';
import { decodeReceivedAncillary, type ReceivedAncillary } from './ancillary.js';
import { ND_HOP_LIMIT } from './socket-constants.js';
import { decodeNd, type NdMessage } from './nd-codec.js';

export interface RawDatagram {
  data: Uint8Array;
  /** msg_name: the peer's sockaddr_in6. */
  name: Uint8Array;
  /** msg_control, msg_controllen octets. */
  control: Uint8Array;
  /** msg_flags. */
  flags: number;
}

export interface MhReceived {
  /** The Mobility Header's octets (a copy). */
  data: Uint8Array;
  /** IPv6 source as delivered: after a Home Address option swap, the home address. */
  src: Ip6;
  /** IPv6 destination as delivered: after type 2 routing header processing, the home address. */
  dst: Ip6;
  ifindex: number;
  /** Address in the Home Address option after the swap: the care-of address. */
  homeAddressOption?: Ip6;
  /** Address in the type 2 routing header after processing: the care-of address. */
  routingHeader?: Ip6;
  hopLimit?: number;
}

/** A valid NS or NA as received (RFC 4861 §7.1 checks passed). */
export interface NdObserved {
  message: NdMessage;
  src: Ip6;
  dst: Ip6;
  ifindex: number;
}

export type DropReason = 'ancillary' | 'address' | 'checksum' | 'invalid';

export interface Drop {
  reason: DropReason;
  code: string;
  message: string;
}

export type ReadResult<T> = { ok: true; value: T } | { ok: false; error: Drop };

const drop = (reason: DropReason, code: string, message: string): { ok: false; error: Drop } => ({
  ok: false,
  error: { reason, code, message },
});

export interface Envelope {
  src: Uint8Array;
  dst: Uint8Array;
  ifindex: number;
  anc: ReceivedAncillary;
}

/** Source, destination and IPv6 control messages, or why they cannot be trusted. */
export function readEnvelope(d: RawDatagram): ReadResult<Envelope> {
  // MSG_CTRUNC: some control data did not fit, and a lost Home Address option would
  // make the packet look as if it came from the care-of address.
  if (d.flags & MSG_CTRUNC) return drop('ancillary', 'MSG_CTRUNC', 'control data truncated by the kernel');
  const raw = decodeCmsgs(d.control);
  if (raw.error) return drop('ancillary', raw.error.code, `control message at offset ${raw.error.offset}`);
  const anc = decodeReceivedAncillary(raw.cmsgs);
  if (!anc.ok) return drop('ancillary', anc.error.code, anc.error.message);
  const pktinfo = anc.value.pktinfo;
  if (!pktinfo) return drop('ancillary', 'NO_PKTINFO', 'no IPV6_PKTINFO control message');
  const from = decodeSockaddrIn6(d.name);
  if (!from) return drop('address', 'BAD_SOCKADDR', `source address of ${d.name.length} octets`);
  return { ok: true, value: { src: from.address, dst: pktinfo.address, ifindex: pktinfo.ifindex, anc: anc.value } };
}

/** A Mobility Header packet; with `verifyChecksum` (user checksum mode) a wrong checksum drops it. */
export function readMhDatagram(d: RawDatagram, verifyChecksum: boolean): ReadResult<MhReceived> {
  const env = readEnvelope(d);
  if (!env.ok) return env;
  const { src, dst, ifindex, anc } = env.value;
  // RFC 6275 §6.1.1: the pseudo-header holds the addresses as delivered (home addresses).
  if (verifyChecksum && !verifyMhChecksum(src, dst, d.data)) {
    return drop('checksum', 'BAD_CHECKSUM', `Mobility Header from ${formatIp6(src)}`);
  }
  const msg: MhReceived = { data: d.data.slice(), src: formatIp6(src), dst: formatIp6(dst), ifindex };
  if (anc.homeAddressOption) msg.homeAddressOption = formatIp6(anc.homeAddressOption);
  if (anc.routingHeader?.address) msg.routingHeader = formatIp6(anc.routingHeader.address);
  if (anc.hopLimit !== undefined) msg.hopLimit = anc.hopLimit;
  return { ok: true, value: msg };
}

/** An NS or NA; RFC 4861 §7.1.1/§7.1.2: hop limit 255 and a well-formed message, else dropped. */
export function readNdDatagram(d: RawDatagram): ReadResult<NdObserved> {
  const env = readEnvelope(d);
  if (!env.ok) return env;
  const { src, dst, ifindex, anc } = env.value;
  if (anc.hopLimit === undefined) return drop('ancillary', 'NO_HOPLIMIT', 'no IPV6_HOPLIMIT control message');
  if (anc.hopLimit !== ND_HOP_LIMIT) return drop('invalid', 'ND_BAD_HOP_LIMIT', `hop limit ${anc.hopLimit}`);
  const nd = decodeNd(d.data);
  if (!nd.ok) return drop('invalid', nd.error.code, nd.error.message);
  return { ok: true, value: { message: nd.value, src: formatIp6(src), dst: formatIp6(dst), ifindex } };
}

/** An ICMPv6 message as received on a raw ICMPv6 socket, before any decoding. */
export interface Icmp6Received {
  /** The ICMPv6 message's octets (a copy). */
  data: Uint8Array;
  src: Ip6;
  dst: Ip6;
  ifindex: number;
  hopLimit: number;
}

/** Any ICMPv6 message with its addresses, interface and hop limit (which ND-style checks need). */
export function readIcmp6Datagram(d: RawDatagram): ReadResult<Icmp6Received> {
  const env = readEnvelope(d);
  if (!env.ok) return env;
  const { src, dst, ifindex, anc } = env.value;
  if (anc.hopLimit === undefined) return drop('ancillary', 'NO_HOPLIMIT', 'no IPV6_HOPLIMIT control message');
  return { ok: true, value: { data: d.data.slice(), src: formatIp6(src), dst: formatIp6(dst), ifindex, hopLimit: anc.hopLimit } };
}

// Ancillary data (control messages) of IPv6 raw sockets: the structures sendmsg takes and
// recvmsg gives (RFC 3542 §6-§8, Linux x86_64). Pure functions; decoders check every length
// against the octets actually present and return typed errors instead of throwing.
//
//   in6_pktinfo (20 octets): ipi6_addr (16) | ipi6_ifindex (int32, host order)
//   hop limit (IPV6_HOPLIMIT): int32, host order
//   Destination Options header (RFC 8200 §4.6), delivered and sent whole:
//     Next Header (8) | Hdr Ext Len (8, 8-octet units after the first 8) | options (TLV)
//   Home Address option (RFC 6275 §6.3), alignment 8n+6:
//     Option Type 201 (8) | Option Length 16 (8) | Home Address (128)
//   Type 2 Routing Header (RFC 6275 §6.4), 24 octets:
//     Next Header (8) | Hdr Ext Len 2 (8) | Routing Type 2 (8) | Segments Left 1 (8)
//     | Reserved (32) | Home Address (128)
import type { Cmsg } from '../platform/sys/msghdr.js';
import { IPPROTO_IPV6, IPV6_DSTOPTS, IPV6_HOPLIMIT, IPV6_PKTINFO, IPV6_RTHDR } from '../platform/sys/socket.js';
import { IPV6_SRCRT_TYPE_2, IPV6_TLV_HAO, IPV6_TLV_PAD1, IPV6_TLV_PADN } from './socket-constants.js';

export const IN6_PKTINFO_SIZE = 20;
const HAO_LENGTH = 16;
const RTHDR2_SIZE = 24;

export type AncillaryErrorCode =
  | 'ANC_BAD_LENGTH' // a structure of fixed size with another size
  | 'ANC_TRUNCATED' // an extension header whose own length runs past the data
  | 'ANC_OPTION_OVERRUN' // a TLV option running past its header
  | 'ANC_BAD_HAO_LENGTH' // a Home Address option whose length is not 16
  | 'ANC_DUPLICATE'; // two Home Address options, or two of a once-only control message

export interface AncillaryError {
  code: AncillaryErrorCode;
  /** Octet offset inside the control message's data. */
  offset: number;
  message: string;
}

export type AncillaryResult<T> = { ok: true; value: T } | { ok: false; error: AncillaryError };

const fail = (code: AncillaryErrorCode, offset: number, message: string): { ok: false; error: AncillaryError } => ({
  ok: false,
  error: { code, offset, message },
});

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** in6_pktinfo for sendmsg: source address (:: lets the kernel choose) and outgoing interface (0: any). */
export function encodePktinfo(address: Uint8Array | undefined, ifindex = 0): Uint8Array {
  const b = new Uint8Array(IN6_PKTINFO_SIZE);
  if (address) {
    if (address.length !== 16) throw new RangeError('in6_pktinfo: address must be 16 octets');
    b.set(address, 0);
  }
  view(b).setUint32(16, ifindex >>> 0, true);
  return b;
}

export interface Pktinfo {
  /** Destination address of the received packet (after any routing header processing). */
  address: Uint8Array;
  ifindex: number;
}

export function decodePktinfo(data: Uint8Array): AncillaryResult<Pktinfo> {
  if (data.length !== IN6_PKTINFO_SIZE) {
    return fail('ANC_BAD_LENGTH', 0, `in6_pktinfo of ${data.length} octets, expected ${IN6_PKTINFO_SIZE}`);
  }
  return { ok: true, value: { address: data.slice(0, 16), ifindex: view(data).getUint32(16, true) } };
}

export function decodeHopLimit(data: Uint8Array): AncillaryResult<number> {
  if (data.length !== 4) return fail('ANC_BAD_LENGTH', 0, `hop limit of ${data.length} octets, expected 4`);
  return { ok: true, value: view(data).getInt32(0, true) };
}

/** Destination Options header holding only a Home Address option: PadN (2 data octets) puts it at 8n+6. */
export function encodeHomeAddressDstopts(homeAddress: Uint8Array): Uint8Array {
  if (homeAddress.length !== 16) throw new RangeError('Home Address option: address must be 16 octets');
  const b = new Uint8Array(24);
  b[0] = 0; // Next Header: the kernel fills it in
  b[1] = 24 / 8 - 1;
  b[2] = IPV6_TLV_PADN;
  b[3] = 2;
  b[6] = IPV6_TLV_HAO;
  b[7] = HAO_LENGTH;
  b.set(homeAddress, 8);
  return b;
}

/** The address in a Destination Options header's Home Address option, undefined when it has none. */
export function findHomeAddressOption(data: Uint8Array): AncillaryResult<Uint8Array | undefined> {
  if (data.length < 2) return fail('ANC_TRUNCATED', 0, `destination options header of ${data.length} octets`);
  const end = (data[1]! + 1) * 8;
  if (end > data.length) {
    return fail('ANC_TRUNCATED', 1, `destination options header says ${end} octets, ${data.length} present`);
  }
  let found: Uint8Array | undefined;
  let p = 2;
  while (p < end) {
    const type = data[p]!;
    if (type === IPV6_TLV_PAD1) {
      p += 1;
      continue;
    }
    if (p + 2 > end || p + 2 + data[p + 1]! > end) {
      return fail('ANC_OPTION_OVERRUN', p, `option ${type} at ${p} runs past the header's ${end} octets`);
    }
    const len = data[p + 1]!;
    if (type === IPV6_TLV_HAO) {
      if (len !== HAO_LENGTH) return fail('ANC_BAD_HAO_LENGTH', p + 1, `Home Address option of length ${len}`);
      if (found) return fail('ANC_DUPLICATE', p, 'two Home Address options');
      found = data.slice(p + 2, p + 2 + HAO_LENGTH);
    }
    p += 2 + len;
  }
  return { ok: true, value: found };
}

/** Type 2 Routing Header for sendmsg (IPV6_RTHDR): Segments Left 1, carrying `address`. */
export function encodeType2Rthdr(address: Uint8Array): Uint8Array {
  if (address.length !== 16) throw new RangeError('type 2 routing header: address must be 16 octets');
  const b = new Uint8Array(RTHDR2_SIZE);
  b[1] = RTHDR2_SIZE / 8 - 1;
  b[2] = IPV6_SRCRT_TYPE_2;
  b[3] = 1;
  b.set(address, 8);
  return b;
}

export interface RoutingHeader {
  routingType: number;
  segmentsLeft: number;
  /** The address of a well-formed type 2 header; absent for other types. */
  address?: Uint8Array;
}

export function decodeRoutingHeader(data: Uint8Array): AncillaryResult<RoutingHeader> {
  if (data.length < 4) return fail('ANC_TRUNCATED', 0, `routing header of ${data.length} octets`);
  const len = (data[1]! + 1) * 8;
  if (len > data.length) return fail('ANC_TRUNCATED', 1, `routing header says ${len} octets, ${data.length} present`);
  const routingType = data[2]!;
  const segmentsLeft = data[3]!;
  if (routingType !== IPV6_SRCRT_TYPE_2) return { ok: true, value: { routingType, segmentsLeft } };
  if (len !== RTHDR2_SIZE) return fail('ANC_BAD_LENGTH', 1, `type 2 routing header of ${len} octets, expected 24`);
  return { ok: true, value: { routingType, segmentsLeft, address: data.slice(8, 24) } };
}

/** What the IPv6 control messages of one received packet said. */
export interface ReceivedAncillary {
  pktinfo?: Pktinfo;
  hopLimit?: number;
  /** From a Home Address option: after the kernel's swap this is the care-of address. */
  homeAddressOption?: Uint8Array;
  /** From a type 2 routing header: after the kernel processed it, the care-of address. */
  routingHeader?: RoutingHeader;
}

/**
 * Reads the IPV6_PKTINFO, IPV6_HOPLIMIT, IPV6_DSTOPTS and IPV6_RTHDR control messages;
 * others are ignored. Any malformed one fails the whole packet: a half-read header could
 * change what the packet means (a Home Address option missed makes the source look wrong).
 */
export function decodeReceivedAncillary(cmsgs: readonly Cmsg[]): AncillaryResult<ReceivedAncillary> {
  const out: ReceivedAncillary = {};
  for (const c of cmsgs) {
    if (c.level !== IPPROTO_IPV6) continue;
    switch (c.type) {
      case IPV6_PKTINFO: {
        if (out.pktinfo) return fail('ANC_DUPLICATE', 0, 'two IPV6_PKTINFO control messages');
        const r = decodePktinfo(c.data);
        if (!r.ok) return r;
        out.pktinfo = r.value;
        continue;
      }
      case IPV6_HOPLIMIT: {
        const r = decodeHopLimit(c.data);
        if (!r.ok) return r;
        out.hopLimit = r.value;
        continue;
      }
      case IPV6_DSTOPTS: {
        const r = findHomeAddressOption(c.data);
        if (!r.ok) return r;
        if (r.value && out.homeAddressOption) return fail('ANC_DUPLICATE', 0, 'Home Address options in two headers');
        if (r.value) out.homeAddressOption = r.value;
        continue;
      }
      case IPV6_RTHDR: {
        if (out.routingHeader) return fail('ANC_DUPLICATE', 0, 'two routing headers');
        const r = decodeRoutingHeader(c.data);
        if (!r.ok) return r;
        out.routingHeader = r.value;
        continue;
      }
      default:
        continue;
    }
  }
  return { ok: true, value: out };
}

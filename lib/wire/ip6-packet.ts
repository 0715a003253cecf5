// Finding the Mobility Header in a captured IPv6 packet (RFC 8200 §4): walks the extension
// header chain, noting the Home Address destination option (RFC 6275 §6.3) and the type 2
// routing header (RFC 6275 §6.4), and descends into IPv6-in-IPv6 (next header 41). Every
// length is checked against the captured octets before it is used. buildIp6Packet does the
// reverse for tests and tools.
//
//   IPv6 header (40 octets): Version(4) Traffic Class(8) Flow Label(20) | Payload Length(16)
//   Next Header(8) Hop Limit(8) | Source Address(128) | Destination Address(128)
//   Extension header: Next Header(8) | Hdr Ext Len(8, 8-octet units after the first 8) | ...
//   Fragment header: Next Header(8) Reserved(8) | Fragment Offset(13) Res(2) M(1) | Id(32)
//   AH: Next Header(8) | Payload Len(8, 4-octet units minus 2) | ...
import { IPPROTO_MH } from './types.js';
import { copyBytes, readU16, writeU16 } from './fields.js';

export const IPPROTO_HOPOPTS = 0;
export const IPPROTO_IPV6 = 41;
export const IPPROTO_ROUTING = 43;
export const IPPROTO_FRAGMENT = 44;
export const IPPROTO_ESP = 50;
export const IPPROTO_AH = 51;
export const IPPROTO_NONE_NH = 59;
export const IPPROTO_DSTOPTS = 60;
export const IP6OPT_HOME_ADDRESS = 201;
export const IPV6_RTHDR_TYPE_2 = 2;
const IP6_HEADER_LENGTH = 40;
const MAX_TUNNEL_DEPTH = 8;

export type Ip6Upper =
  | { kind: 'mh'; mh: Uint8Array } // a view into the packet, exactly the MH's octets
  | { kind: 'encrypted' } // ESP: nothing further can be read
  | { kind: 'fragment'; first: boolean; nextHeader: number } // a fragment: not reassembled
  | { kind: 'other'; nextHeader: number }
  | { kind: 'malformed'; message: string };

export interface Ip6Walk {
  /** Addresses of the innermost IPv6 header (the one carrying the upper layer). */
  src: Uint8Array;
  dst: Uint8Array;
  /** Home Address destination option of the innermost packet, when present. */
  homeAddress?: Uint8Array;
  /** Address in the innermost packet's type 2 routing header, when present. */
  routingAddress?: Uint8Array;
  /** Segments Left of that header: 1 on the wire, before the mobile node processed it. */
  routingSegmentsLeft?: number;
  /** Outer headers of IPv6-in-IPv6 tunnels, outermost first. */
  tunnels: { src: Uint8Array; dst: Uint8Array }[];
  /** True when fewer octets were captured than the Payload Length announces. */
  truncated: boolean;
  upper: Ip6Upper;
}

/** Walks one IPv6 packet; null when `pkt` does not even hold an IPv6 header. */
export function walkIp6(pkt: Uint8Array): Ip6Walk | null {
  if (!holdsIp6Header(pkt, 0, pkt.length)) return null;
  const tunnels: { src: Uint8Array; dst: Uint8Array }[] = [];
  let start = 0;
  let limit = pkt.length;
  let truncated = false;
  for (let depth = 0; ; depth++) {
    const end = start + IP6_HEADER_LENGTH + readU16(pkt, start + 4);
    truncated ||= end > limit;
    limit = Math.min(end, limit);
    const walk: Ip6Walk = {
      src: copyBytes(pkt, start + 8, 16),
      dst: copyBytes(pkt, start + 24, 16),
      tunnels,
      truncated,
      upper: { kind: 'other', nextHeader: pkt[start + 6]! },
    };
    const inner = walkChain(pkt, start + IP6_HEADER_LENGTH, limit, pkt[start + 6]!, walk);
    if (inner === null) return walk;
    if (!holdsIp6Header(pkt, inner, limit)) return malformedWalk(walk, 'IPv6-in-IPv6 payload is not an IPv6 packet');
    if (depth === MAX_TUNNEL_DEPTH) return malformedWalk(walk, `more than ${MAX_TUNNEL_DEPTH} nested tunnels`);
    // The walks share `tunnels`; the innermost one is returned, so it lists all outer headers.
    tunnels.push({ src: walk.src, dst: walk.dst });
    start = inner;
  }
}

function holdsIp6Header(pkt: Uint8Array, start: number, limit: number): boolean {
  return limit - start >= IP6_HEADER_LENGTH && pkt[start]! >> 4 === 6;
}

function malformedWalk(walk: Ip6Walk, message: string): Ip6Walk {
  walk.upper = { kind: 'malformed', message };
  return walk;
}

/** Fills walk.upper and the HAO/RH2 fields; returns the inner packet's offset for IPv6-in-IPv6. */
function walkChain(pkt: Uint8Array, at: number, end: number, nextHeader: number, walk: Ip6Walk): number | null {
  let p = at;
  let nh = nextHeader;
  for (;;) {
    switch (nh) {
      case IPPROTO_MH:
        walk.upper = { kind: 'mh', mh: pkt.subarray(p, end) };
        return null;
      case IPPROTO_IPV6:
        return p;
      case IPPROTO_ESP:
        walk.upper = { kind: 'encrypted' };
        return null;
      case IPPROTO_HOPOPTS:
      case IPPROTO_DSTOPTS:
      case IPPROTO_ROUTING:
      case IPPROTO_AH: {
        if (end - p < 2) return malformed(walk, `extension header ${nh} truncated`);
        const len = nh === IPPROTO_AH ? (pkt[p + 1]! + 2) * 4 : (pkt[p + 1]! + 1) * 8;
        if (end - p < len) return malformed(walk, `extension header ${nh} of ${len} octets runs past the packet`);
        if (nh === IPPROTO_DSTOPTS) findHomeAddress(pkt, p + 2, p + len, walk);
        if (nh === IPPROTO_ROUTING && pkt[p + 2] === IPV6_RTHDR_TYPE_2 && len === 24) {
          walk.routingAddress = copyBytes(pkt, p + 8, 16);
          walk.routingSegmentsLeft = pkt[p + 3]!;
        }
        nh = pkt[p]!;
        p += len;
        break;
      }
      case IPPROTO_FRAGMENT: {
        if (end - p < 8) return malformed(walk, 'fragment header truncated');
        const offsetAndFlags = readU16(pkt, p + 2);
        const more = (offsetAndFlags & 1) !== 0;
        if (offsetAndFlags >> 3 !== 0 || more) {
          walk.upper = { kind: 'fragment', first: offsetAndFlags >> 3 === 0, nextHeader: pkt[p]! };
          return null;
        }
        nh = pkt[p]!; // an atomic fragment: the whole packet follows
        p += 8;
        break;
      }
      default:
        walk.upper = { kind: 'other', nextHeader: nh };
        return null;
    }
  }
}

function malformed(walk: Ip6Walk, message: string): null {
  walk.upper = { kind: 'malformed', message };
  return null;
}

/** Scans destination options in pkt[from..to) for the Home Address option (type 201, length 16). */
function findHomeAddress(pkt: Uint8Array, from: number, to: number, walk: Ip6Walk): void {
  let p = from;
  while (p < to) {
    const type = pkt[p]!;
    if (type === 0) {
      p += 1; // Pad1
      continue;
    }
    if (p + 2 > to) return;
    const len = pkt[p + 1]!;
    if (p + 2 + len > to) return;
    if (type === IP6OPT_HOME_ADDRESS && len === 16) walk.homeAddress = copyBytes(pkt, p + 2, 16);
    p += 2 + len;
  }
}

export interface Ip6Build {
  src: Uint8Array;
  dst: Uint8Array;
  /** Extension headers in order, each with its own Next Header octet left for the builder. */
  headers?: { type: number; bytes: Uint8Array }[];
  nextHeader: number;
  payload: Uint8Array;
  hopLimit?: number;
}

/** An IPv6 packet: header, chained extension headers, payload (for tests and tools). */
export function buildIp6Packet(b: Ip6Build): Uint8Array {
  const headers = b.headers ?? [];
  const extLength = headers.reduce((n, h) => n + h.bytes.length, 0);
  const pkt = new Uint8Array(IP6_HEADER_LENGTH + extLength + b.payload.length);
  pkt[0] = 0x60;
  writeU16(pkt, 4, extLength + b.payload.length);
  pkt[6] = headers[0]?.type ?? b.nextHeader;
  pkt[7] = b.hopLimit ?? 64;
  pkt.set(b.src, 8);
  pkt.set(b.dst, 24);
  let p = IP6_HEADER_LENGTH;
  headers.forEach((h, i) => {
    pkt.set(h.bytes, p);
    pkt[p] = headers[i + 1]?.type ?? b.nextHeader;
    p += h.bytes.length;
  });
  pkt.set(b.payload, p);
  return pkt;
}

/** Destination options header holding a Home Address option at 8n+6 (PadN of 2 first). */
export function homeAddressHeader(homeAddress: Uint8Array): { type: number; bytes: Uint8Array } {
  const bytes = new Uint8Array(24);
  bytes[1] = 2; // Hdr Ext Len: 24 octets
  bytes[2] = 1; // PadN with 2 data octets, so the option's type sits at 8n+6 ...
  bytes[3] = 2;
  bytes[6] = IP6OPT_HOME_ADDRESS;
  bytes[7] = 16;
  bytes.set(homeAddress, 8); // ... and the address on an 8-octet boundary (RFC 6275 §6.3)
  return { type: IPPROTO_DSTOPTS, bytes };
}

/** Type 2 routing header carrying `homeAddress` (Segments Left 1). */
export function type2RoutingHeader(homeAddress: Uint8Array): { type: number; bytes: Uint8Array } {
  const bytes = new Uint8Array(24);
  bytes[1] = 2;
  bytes[2] = IPV6_RTHDR_TYPE_2;
  bytes[3] = 1;
  bytes.set(homeAddress, 8);
  return { type: IPPROTO_ROUTING, bytes };
}

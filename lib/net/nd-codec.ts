// Neighbor Solicitation and Neighbor Advertisement (RFC 4861 §4.3, §4.4) with the options a
// home agent uses: link-layer addresses (§4.6.1) and the DAD nonce (RFC 7527 §4). Pure
// functions; multi-octet fields are in network byte order. The Checksum is left zero: the
// kernel fills it on a raw ICMPv6 socket, and dadProbePacket computes it itself.
//
//   NS: Type 135 (8) | Code 0 (8) | Checksum (16) | Reserved (32) | Target Address (128) | options
//   NA: Type 136 (8) | Code 0 (8) | Checksum (16) | R S O Reserved (3+29) | Target Address (128) | options
//   option: Type (8) | Length (8, in 8-octet units, including these two octets, never 0) | data
import { buildIp6Packet } from '../wire/ip6-packet.js';
import { ip6UpperLayerChecksum } from '../wire/checksum.js';
import { IPPROTO_ICMPV6 } from '../platform/sys/socket.js';
import {
  ND_HOP_LIMIT,
  ND_NEIGHBOR_ADVERT,
  ND_NEIGHBOR_SOLICIT,
  ND_OPT_NONCE,
  ND_OPT_SOURCE_LINKADDR,
  ND_OPT_TARGET_LINKADDR,
} from './socket-constants.js';

const ND_FIXED_LENGTH = 24;
const NA_FLAG_ROUTER = 0x80;
const NA_FLAG_SOLICITED = 0x40;
const NA_FLAG_OVERRIDE = 0x20;
const ICMP6_CHECKSUM_OFFSET = 2;

export interface NeighborSolicitation {
  kind: 'ns';
  target: Uint8Array;
  sourceLinkLayer?: Uint8Array;
  /** RFC 7527 nonce (6 octets here): tells a node its own looped-back DAD probe. */
  nonce?: Uint8Array;
}

export interface NeighborAdvertisement {
  kind: 'na';
  target: Uint8Array;
  router: boolean;
  solicited: boolean;
  override: boolean;
  targetLinkLayer?: Uint8Array;
}

export type NdMessage = NeighborSolicitation | NeighborAdvertisement;

export type NdErrorCode = 'ND_TRUNCATED' | 'ND_BAD_CODE' | 'ND_NOT_ND' | 'ND_BAD_OPTION_LENGTH' | 'ND_MULTICAST_TARGET';
export interface NdError {
  code: NdErrorCode;
  offset: number;
  message: string;
}
export type NdDecode = { ok: true; value: NdMessage } | { ok: false; error: NdError };

const bad = (code: NdErrorCode, offset: number, message: string): NdDecode => ({ ok: false, error: { code, offset, message } });

function option(type: number, data: Uint8Array): Uint8Array {
  const units = Math.ceil((data.length + 2) / 8);
  const b = new Uint8Array(units * 8);
  b[0] = type;
  b[1] = units;
  b.set(data, 2);
  return b;
}

function join(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function checkAddress(a: Uint8Array, what: string): void {
  if (a.length !== 16) throw new RangeError(`${what}: expected 16 octets, got ${a.length}`);
}

export function encodeNd(m: NdMessage): Uint8Array {
  checkAddress(m.target, 'target address');
  const fixed = new Uint8Array(ND_FIXED_LENGTH);
  fixed.set(m.target, 8);
  const opts: Uint8Array[] = [];
  if (m.kind === 'ns') {
    fixed[0] = ND_NEIGHBOR_SOLICIT;
    if (m.sourceLinkLayer) opts.push(option(ND_OPT_SOURCE_LINKADDR, m.sourceLinkLayer));
    if (m.nonce) opts.push(option(ND_OPT_NONCE, m.nonce));
  } else {
    fixed[0] = ND_NEIGHBOR_ADVERT;
    fixed[4] = (m.router ? NA_FLAG_ROUTER : 0) | (m.solicited ? NA_FLAG_SOLICITED : 0) | (m.override ? NA_FLAG_OVERRIDE : 0);
    if (m.targetLinkLayer) opts.push(option(ND_OPT_TARGET_LINKADDR, m.targetLinkLayer));
  }
  return join([fixed, ...opts]);
}

/**
 * Decodes an ICMPv6 NS or NA (the ICMPv6 message only, as a raw ICMPv6 socket gives it) and
 * applies the content checks of RFC 4861 §7.1.1/§7.1.2 that need no IPv6 header: code 0,
 * length, option lengths, target not multicast. The hop limit check is the caller's.
 */
export function decodeNd(b: Uint8Array): NdDecode {
  if (b.length < ND_FIXED_LENGTH) return bad('ND_TRUNCATED', 0, `ND message of ${b.length} octets, at least 24 needed`);
  const type = b[0]!;
  if (type !== ND_NEIGHBOR_SOLICIT && type !== ND_NEIGHBOR_ADVERT) return bad('ND_NOT_ND', 0, `ICMPv6 type ${type}`);
  if (b[1] !== 0) return bad('ND_BAD_CODE', 1, `ICMPv6 code ${b[1]!}`);
  const target = b.slice(8, 24);
  if (target[0] === 0xff) return bad('ND_MULTICAST_TARGET', 8, 'target address is multicast');
  const found = new Map<number, Uint8Array>();
  for (let p = ND_FIXED_LENGTH; p < b.length; ) {
    if (p + 2 > b.length) return bad('ND_TRUNCATED', p, 'option header cut short');
    const len = b[p + 1]! * 8;
    if (len === 0) return bad('ND_BAD_OPTION_LENGTH', p + 1, `option ${b[p]!} has length 0`);
    if (p + len > b.length) return bad('ND_TRUNCATED', p + 1, `option ${b[p]!} of ${len} octets runs past the message`);
    if (!found.has(b[p]!)) found.set(b[p]!, b.slice(p + 2, p + len));
    p += len;
  }
  if (type === ND_NEIGHBOR_SOLICIT) {
    const sll = found.get(ND_OPT_SOURCE_LINKADDR);
    const nonce = found.get(ND_OPT_NONCE);
    return { ok: true, value: { kind: 'ns', target, ...(sll ? { sourceLinkLayer: sll } : {}), ...(nonce ? { nonce } : {}) } };
  }
  const flags = b[4]!;
  const tll = found.get(ND_OPT_TARGET_LINKADDR);
  return {
    ok: true,
    value: {
      kind: 'na',
      target,
      router: (flags & NA_FLAG_ROUTER) !== 0,
      solicited: (flags & NA_FLAG_SOLICITED) !== 0,
      override: (flags & NA_FLAG_OVERRIDE) !== 0,
      ...(tll ? { targetLinkLayer: tll } : {}),
    },
  };
}

/** Solicited-node multicast address of `a` (RFC 4291 §2.7.1): ff02::1:ffXX:XXXX. */
export function solicitedNodeAddress(a: Uint8Array): Uint8Array {
  checkAddress(a, 'address');
  const s = new Uint8Array(16);
  s[0] = 0xff;
  s[1] = 0x02;
  s[11] = 0x01;
  s[12] = 0xff;
  s.set(a.subarray(13, 16), 13);
  return s;
}

/**
 * The whole IPv6 packet of a DAD probe (RFC 4862 §5.4.2): NS from the unspecified address to
 * the target's solicited-node address, hop limit 255, no source link-layer option, checksum
 * computed here (the packet goes out as a link-layer frame, see link-frame.ts).
 */
export function dadProbePacket(target: Uint8Array, nonce?: Uint8Array): Uint8Array {
  const src = new Uint8Array(16);
  const dst = solicitedNodeAddress(target);
  const ns = encodeNd({ kind: 'ns', target, ...(nonce ? { nonce } : {}) });
  const sum = ip6UpperLayerChecksum(src, dst, IPPROTO_ICMPV6, ns, ICMP6_CHECKSUM_OFFSET);
  ns[ICMP6_CHECKSUM_OFFSET] = sum >>> 8;
  ns[ICMP6_CHECKSUM_OFFSET + 1] = sum & 0xff;
  return buildIp6Packet({ src, dst, nextHeader: IPPROTO_ICMPV6, payload: ns, hopLimit: ND_HOP_LIMIT });
}

/** "02:00:5e:10:00:01" -> 6 octets; throws a TypeError naming the text when it is not a MAC-48. */
export function parseMac(text: string): Uint8Array {
  const parts = text.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new TypeError(`not a link-layer address: ${JSON.stringify(text)}`);
  }
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

export function formatMac(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
}

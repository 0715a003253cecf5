// The XFRM structs shared by policies, states and reports, with their layouts.
// Addresses are 16 octets (xfrm_address_t); ports and SPIs are big-endian
// (__be16/__be32); everything else is host order.
import { formatIp6, IP6_UNSPECIFIED, type Ip6 } from '../../inet/ip6.js';
import { AttrSet, need, rdBe16, rdI32, rdU16, rdU32, rdU64 } from '../netlink/parse.js';
import type { NlWriter } from '../netlink/writer.js';
import { AF_INET6, IPPROTO_MH, XFRMA_MARK, XFRM_LIFETIME_CFG_SIZE, XFRM_SELECTOR_SIZE } from './xfrm-constants.js';

/**
 * struct xfrm_selector (56): daddr @0, saddr @16, dport be16 @32, dport_mask @34,
 * sport be16 @36, sport_mask @38, family u16 @40, prefixlen_d u8 @42,
 * prefixlen_s u8 @43, proto u8 @44, ifindex i32 @48, user u32 @52.
 */
export interface XfrmSelector {
  src: Ip6;
  srcLen: number;
  dst: Ip6;
  dstLen: number;
  /** Upper-layer protocol; 0 = any. */
  proto: number;
  sport?: number;
  sportMask?: number;
  dport?: number;
  dportMask?: number;
  /** With proto 135 (Mobility Header) the kernel carries the MH type in sport. */
  mhType?: number;
  ifindex?: number;
}

/** A selector matching everything (::/0 to ::/0, any protocol). */
export const ANY_SELECTOR: XfrmSelector = { src: IP6_UNSPECIFIED, srcLen: 0, dst: IP6_UNSPECIFIED, dstLen: 0, proto: 0 };

export function writeSelector(w: NlWriter, s: XfrmSelector): void {
  const sport = s.mhType ?? s.sport ?? 0;
  const sportMask = s.mhType !== undefined ? 0xffff : (s.sportMask ?? (s.sport ? 0xffff : 0));
  w.ip6(s.dst)
    .ip6(s.src)
    .be16(s.dport ?? 0)
    .be16(s.dportMask ?? (s.dport ? 0xffff : 0))
    .be16(sport)
    .be16(sportMask)
    .u16(AF_INET6)
    .u8(s.dstLen)
    .u8(s.srcLen)
    .u8(s.proto)
    .zeros(3)
    .i32(s.ifindex ?? 0)
    .u32(0);
}

export function readSelector(b: Uint8Array, off: number): XfrmSelector {
  need(b, off, XFRM_SELECTOR_SIZE, 'xfrm_selector');
  const s: XfrmSelector = {
    dst: formatIp6(b, off),
    src: formatIp6(b, off + 16),
    dstLen: b[off + 42]!,
    srcLen: b[off + 43]!,
    proto: b[off + 44]!,
  };
  const dport = rdBe16(b, off + 32);
  const dportMask = rdBe16(b, off + 34);
  const sport = rdBe16(b, off + 36);
  const sportMask = rdBe16(b, off + 38);
  if (s.proto === IPPROTO_MH && sportMask === 0xffff) s.mhType = sport;
  else if (sport || sportMask) {
    s.sport = sport;
    s.sportMask = sportMask;
  }
  if (dport || dportMask) {
    s.dport = dport;
    s.dportMask = dportMask;
  }
  const ifindex = rdI32(b, off + 48);
  if (ifindex) s.ifindex = ifindex;
  return s;
}

/** Selector family (u16 @40), for callers that must skip non-IPv6 objects. */
export function selectorFamily(b: Uint8Array, off: number): number {
  need(b, off, XFRM_SELECTOR_SIZE, 'xfrm_selector');
  return rdU16(b, off + 40);
}

/**
 * struct xfrm_lifetime_cfg (64): soft/hard byte and packet limits (u64), then
 * soft/hard add and use expiry seconds (u64). No limit is XFRM_INF (all ones);
 * a zero byte or packet limit would expire a state at once.
 */
export function writeLifetimeCfgInfinite(w: NlWriter): void {
  w.u64('inf').u64('inf').u64('inf').u64('inf').zeros(XFRM_LIFETIME_CFG_SIZE - 32);
}

/** struct xfrm_lifetime_cur (32): bytes, packets, add_time, use_time (u64). */
export interface XfrmLifetimeCur {
  bytes: number;
  packets: number;
  addTime: number;
  useTime: number;
}

export function readLifetimeCur(b: Uint8Array, off: number): XfrmLifetimeCur {
  need(b, off, 32, 'xfrm_lifetime_cur');
  return { bytes: rdU64(b, off), packets: rdU64(b, off + 8), addTime: rdU64(b, off + 16), useTime: rdU64(b, off + 24) };
}

/** struct xfrm_mark (8): v u32, m u32. */
export interface XfrmMark {
  value: number;
  mask: number;
}

export function writeMark(w: NlWriter, mark: XfrmMark | undefined): void {
  if (mark) w.attrBytes(XFRMA_MARK, markBytes(mark));
}

function markBytes(m: XfrmMark): Uint8Array {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setUint32(0, m.value >>> 0, true);
  v.setUint32(4, m.mask >>> 0, true);
  return b;
}

export function readMark(a: AttrSet): XfrmMark | undefined {
  const v = a.bytes(XFRMA_MARK);
  if (!v) return undefined;
  need(v, 0, 8, 'xfrm_mark');
  return { value: rdU32(v, 0), mask: rdU32(v, 4) };
}

/** NUL-padded fixed-size name field (char alg_name[64]). */
export function writeName(w: NlWriter, name: string, size: number): void {
  const b = Buffer.from(name, 'utf8');
  if (b.length >= size) throw new RangeError(`name "${name}" longer than ${size - 1} octets`);
  w.bytes(b).zeros(size - b.length);
}

export function readName(b: Uint8Array, off: number, size: number): string {
  need(b, off, size, 'name');
  const field = b.subarray(off, off + size);
  const nul = field.indexOf(0);
  return Buffer.from(field.buffer, field.byteOffset, nul < 0 ? size : nul).toString('utf8');
}

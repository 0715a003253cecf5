// The reverse-tunnel pair check: one flower filter per (care-of address, home
// address) on the external tunnel's ingress, `enc_src_ip COA src_ip HOA action pass`.
// Every filter uses the same keys with full /128 masks, so flower keeps them in one
// hash table and classifies a packet with one lookup however many pairs there are;
// a key with another mask (a prefix, an extra field) would add a second table.
import type { Ip6 } from '../../inet/ip6.js';
import { NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE } from '../netlink/netlink-constants.js';
import { AttrSet, rdBe16 } from '../netlink/parse.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import { NlWriter } from '../netlink/writer.js';
import { decodeActionList, writeGactList, type ActionStats, type GactVerdict } from './gact.js';
import {
  ETH_P_IPV6,
  RTM_NEWTFILTER,
  TCA_CLS_FLAGS_SKIP_HW,
  TCA_FLOWER_ACT,
  TCA_FLOWER_FLAGS,
  TCA_FLOWER_KEY_ENC_IPV6_SRC,
  TCA_FLOWER_KEY_ENC_IPV6_SRC_MASK,
  TCA_FLOWER_KEY_ETH_TYPE,
  TCA_FLOWER_KEY_IPV6_SRC,
  TCA_FLOWER_KEY_IPV6_SRC_MASK,
  TCA_KIND,
  TCA_OPTIONS,
  TC_PARENT_INGRESS,
} from './tc-constants.js';
import { writeTcmsg, type TcHeader } from './tcmsg.js';
import { decodeFlowerMatch, type FlowerMatch } from './flower-flow.js';

export interface FlowerPairFilter {
  ifindex: number;
  /** Default: the clsact ingress (ffff:fff2). */
  parent?: number;
  prio: number;
  /** Chosen by the caller (not 0), so the filter can be replaced and deleted by it. */
  handle: number;
  /** Outer source address: the care-of address. */
  encSrc: Ip6;
  /** Inner source address: the home address, or a mobile network prefix (RFC 3963). */
  src: Ip6;
  /** Prefix length of `src`; default 128. Each length in use is one more mask, so one more hash lookup. */
  srcLen?: number;
  verdict: GactVerdict;
}

/** A flower filter as dumped; masks are reported as prefix lengths. */
export interface FlowerFilterInfo {
  kind: 'flower';
  header: TcHeader;
  /** The chain it is on (TCA_CHAIN; 0 when absent). */
  chain: number;
  /** The inner-packet keys (flower-flow.ts). */
  match: FlowerMatch;
  encSrc?: Ip6;
  encSrcMaskLen?: number;
  src?: Ip6;
  srcMaskLen?: number;
  ethType?: number;
  /** TCA_CLS_FLAGS_* as the kernel reports them (NOT_IN_HW set for software filters). */
  flags: number;
  actions: ActionStats[];
}

const FULL_MASK = new Uint8Array(16).fill(0xff);

/** The IPv6 mask of a prefix length (0..128). */
function prefixMask(len: number): Uint8Array {
  if (!Number.isInteger(len) || len < 0 || len > 128) throw new RangeError(`flower pair filter: prefix length ${len}`);
  const m = new Uint8Array(16);
  for (let i = 0; i < 16; i++) m[i] = len >= (i + 1) * 8 ? 0xff : len > i * 8 ? (0xff << (8 - (len - i * 8))) & 0xff : 0;
  return m;
}
const w = new NlWriter();

function header(f: FlowerPairFilter): TcHeader {
  if (f.handle === 0) throw new RangeError('flower pair filter: handle 0 would let the kernel choose one');
  return { ifindex: f.ifindex, handle: f.handle >>> 0, parent: f.parent ?? TC_PARENT_INGRESS, prio: f.prio, protocol: ETH_P_IPV6 };
}

/** Default flags replace an existing filter with the same handle (the kernel swaps it in). */
export function encodeFlowerPairNew(f: FlowerPairFilter, flags = NLM_F_CREATE | NLM_F_REPLACE): Uint8Array {
  writeTcmsg(w.begin(RTM_NEWTFILTER, flags), header(f));
  w.attrString(TCA_KIND, 'flower');
  const o = w.beginNest(TCA_OPTIONS);
  w.attrBytes(TCA_FLOWER_KEY_ETH_TYPE, Uint8Array.of(ETH_P_IPV6 >> 8, ETH_P_IPV6 & 0xff))
    .attrIp6(TCA_FLOWER_KEY_ENC_IPV6_SRC, f.encSrc)
    .attrBytes(TCA_FLOWER_KEY_ENC_IPV6_SRC_MASK, FULL_MASK)
    .attrIp6(TCA_FLOWER_KEY_IPV6_SRC, f.src)
    .attrBytes(TCA_FLOWER_KEY_IPV6_SRC_MASK, f.srcLen === undefined || f.srcLen === 128 ? FULL_MASK : prefixMask(f.srcLen))
    .attrU32(TCA_FLOWER_FLAGS, TCA_CLS_FLAGS_SKIP_HW);
  writeGactList(w, TCA_FLOWER_ACT, f.verdict);
  w.endNest(o);
  return w.finish();
}

/** Create only: EEXIST when the handle is taken. */
export function encodeFlowerPairCreate(f: FlowerPairFilter): Uint8Array {
  return encodeFlowerPairNew(f, NLM_F_CREATE | NLM_F_EXCL);
}

/** Leading one bits of a mask (a non-contiguous mask counts up to its first zero). */
function maskLen(m: Uint8Array | undefined): number | undefined {
  if (!m) return undefined;
  let n = 0;
  for (const b of m) {
    if (b === 0xff) {
      n += 8;
      continue;
    }
    n += Math.clz32(~b & 0xff) - 24;
    break;
  }
  return n;
}

/** Decodes the TCA_OPTIONS of a flower filter. */
export function decodeFlowerOptions(h: TcHeader, o: AttrSet, chain = 0): FlowerFilterInfo {
  const f: FlowerFilterInfo = { kind: 'flower', header: h, chain, match: decodeFlowerMatch(o), flags: o.u32(TCA_FLOWER_FLAGS) ?? 0, actions: decodeActionList(o.nested(TCA_FLOWER_ACT)) };
  const et = o.bytes(TCA_FLOWER_KEY_ETH_TYPE);
  if (et && et.length >= 2) f.ethType = rdBe16(et, 0);
  const enc = o.ip6(TCA_FLOWER_KEY_ENC_IPV6_SRC);
  if (enc !== undefined) {
    f.encSrc = enc;
    f.encSrcMaskLen = maskLen(o.bytes(TCA_FLOWER_KEY_ENC_IPV6_SRC_MASK)) ?? 128;
  }
  const src = o.ip6(TCA_FLOWER_KEY_IPV6_SRC);
  if (src !== undefined) {
    f.src = src;
    f.srcMaskLen = maskLen(o.bytes(TCA_FLOWER_KEY_IPV6_SRC_MASK)) ?? 128;
  }
  return f;
}

/** `tc filter replace dev DEV ingress prio P handle H protocol ipv6 flower skip_hw enc_src_ip COA src_ip HOA[/LEN] action pass` */
export function flowerPairReplace(sock: NetlinkSocket, f: FlowerPairFilter): Promise<void> {
  return sock.request(encodeFlowerPairNew(f), { op: () => `RTM_NEWTFILTER flower handle ${f.handle} enc_src_ip ${f.encSrc} src_ip ${f.src}/${f.srcLen ?? 128}` });
}

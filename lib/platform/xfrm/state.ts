// XFRM states (NEWSA / UPDSA / DELSA / GETSA): ESP in transport or tunnel mode,
// and the route-optimisation states of Mobile IPv6 (mode ro, proto hao/route2,
// XFRMA_COADDR, flag wildrecv).
import type { Ip6 } from '../../inet/ip6.js';
import { formatIp6 } from '../../inet/ip6.js';
import { AttrSet, need, rdBe32, rdU16, rdU32, type NlMsg } from '../netlink/parse.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import { NlWriter } from '../netlink/writer.js';
import {
  AF_INET6,
  XFRMA_ALG_AEAD,
  XFRMA_ALG_AUTH_TRUNC,
  XFRMA_ALG_CRYPT,
  XFRMA_COADDR,
  XFRMA_SRCADDR,
  XFRM_ALGO_AEAD_SIZE,
  XFRM_ALGO_AUTH_SIZE,
  XFRM_ALGO_SIZE,
  XFRM_MSG_DELSA,
  XFRM_MSG_GETSA,
  XFRM_MSG_NEWSA,
  XFRM_MSG_UPDSA,
  XFRM_USERSA_INFO_SIZE,
} from './xfrm-constants.js';
import {
  ANY_SELECTOR,
  readLifetimeCur,
  readMark,
  readName,
  readSelector,
  writeLifetimeCfgInfinite,
  writeMark,
  writeName,
  writeSelector,
  type XfrmLifetimeCur,
  type XfrmMark,
  type XfrmSelector,
} from './structs.js';

export interface XfrmAlgo {
  /** Kernel crypto name, e.g. 'cbc(aes)', 'hmac(sha256)', 'rfc4106(gcm(aes))'. */
  name: string;
  key: Uint8Array;
}
export interface XfrmAead extends XfrmAlgo {
  icvBits: number;
}
export interface XfrmAuth extends XfrmAlgo {
  truncBits: number;
}

export interface XfrmState {
  src: Ip6;
  dst: Ip6;
  /** IPPROTO_ESP 50, IPPROTO_DSTOPTS 60 (hao), IPPROTO_ROUTING 43 (route2). */
  proto: number;
  spi: number;
  /** XFRM_MODE_*. */
  mode: number;
  reqid: number;
  replayWindow?: number;
  /** XFRM_STATE_* (WILDRECV 8 for a wildcard RO state). */
  flags?: number;
  /** ::/0 to ::/0 when not given. */
  selector?: XfrmSelector;
  aead?: XfrmAead;
  crypt?: XfrmAlgo;
  auth?: XfrmAuth;
  /** Care-of address of a route-optimisation state (XFRMA_COADDR). */
  coaddr?: Ip6;
  mark?: XfrmMark;
  /** Decoded only: current lifetime counters. */
  current?: XfrmLifetimeCur;
}

/** What identifies a state for delete: dst, spi, proto, plus src (needed for RO states). */
export type XfrmStateKey = Pick<XfrmState, 'dst' | 'spi' | 'proto'> & { src?: Ip6; mark?: XfrmMark };

const w = new NlWriter(2048);

function keyLen(a: XfrmAlgo): number {
  return a.key.length * 8;
}

/* struct xfrm_usersa_info (224): sel @0, id { daddr @56, spi be32 @72, proto @76 },
   saddr @80, lft @96, curlft @160, stats @192, seq @204, reqid @208, family u16 @212,
   mode u8 @214, replay_window u8 @215, flags u8 @216. */
export function encodeState(s: XfrmState, update: boolean): Uint8Array {
  w.begin(update ? XFRM_MSG_UPDSA : XFRM_MSG_NEWSA);
  writeSelector(w, s.selector ?? ANY_SELECTOR);
  w.ip6(s.dst).be32(s.spi).u8(s.proto).zeros(3).ip6(s.src);
  writeLifetimeCfgInfinite(w);
  w.zeros(32) // curlft
    .zeros(12) // stats
    .u32(0) // seq
    .u32(s.reqid)
    .u16(AF_INET6)
    .u8(s.mode)
    .u8(s.replayWindow ?? 0)
    .u8(s.flags ?? 0)
    .zeros(7);
  if (s.aead) {
    const at = w.beginNest(XFRMA_ALG_AEAD, false);
    writeName(w, s.aead.name, 64);
    w.u32(keyLen(s.aead)).u32(s.aead.icvBits).bytes(s.aead.key);
    w.endNest(at);
  }
  if (s.crypt) {
    const at = w.beginNest(XFRMA_ALG_CRYPT, false);
    writeName(w, s.crypt.name, 64);
    w.u32(keyLen(s.crypt)).bytes(s.crypt.key);
    w.endNest(at);
  }
  if (s.auth) {
    const at = w.beginNest(XFRMA_ALG_AUTH_TRUNC, false);
    writeName(w, s.auth.name, 64);
    w.u32(keyLen(s.auth)).u32(s.auth.truncBits).bytes(s.auth.key);
    w.endNest(at);
  }
  if (s.coaddr !== undefined) w.attrIp6(XFRMA_COADDR, s.coaddr);
  writeMark(w, s.mark);
  return w.finish();
}

/* struct xfrm_usersa_id (24): daddr @0, spi be32 @16, family u16 @20, proto u8 @22.
   States of protocols without SPIs (hao, route2) are found by address, which needs
   XFRMA_SRCADDR as well. */
export function encodeStateDel(k: XfrmStateKey): Uint8Array {
  w.begin(XFRM_MSG_DELSA).ip6(k.dst).be32(k.spi).u16(AF_INET6).u8(k.proto).u8(0);
  if (k.src !== undefined) w.attrIp6(XFRMA_SRCADDR, k.src);
  writeMark(w, k.mark);
  return w.finish();
}

export function encodeStateDump(): Uint8Array {
  return w.begin(XFRM_MSG_GETSA).finish();
}

function readAlgo(v: Uint8Array | undefined, head: number): { name: string; bits: number; extra: number; key: Uint8Array } | undefined {
  if (!v) return undefined;
  need(v, 0, head, 'xfrm_algo');
  const bits = rdU32(v, 64);
  const extra = head > 68 ? rdU32(v, 68) : 0;
  const keyLen = Math.ceil(bits / 8);
  need(v, head, keyLen, 'xfrm_algo key');
  return { name: readName(v, 0, 64), bits, extra, key: v.slice(head, head + keyLen) };
}

/** Decodes a NEWSA/UPDSA message; undefined for non-IPv6 states. */
export function decodeState(m: NlMsg): XfrmState | undefined {
  const b = m.payload;
  need(b, 0, XFRM_USERSA_INFO_SIZE, 'xfrm_usersa_info');
  if (rdU16(b, 212) !== AF_INET6) return undefined;
  const a = new AttrSet(b, XFRM_USERSA_INFO_SIZE);
  const s: XfrmState = {
    selector: readSelector(b, 0),
    dst: formatIp6(b, 56),
    spi: rdBe32(b, 72),
    proto: b[76]!,
    src: formatIp6(b, 80),
    current: readLifetimeCur(b, 160),
    reqid: rdU32(b, 208),
    mode: b[214]!,
    replayWindow: b[215]!,
    flags: b[216]!,
  };
  const aead = readAlgo(a.bytes(XFRMA_ALG_AEAD), XFRM_ALGO_AEAD_SIZE);
  if (aead) s.aead = { name: aead.name, key: aead.key, icvBits: aead.extra };
  const crypt = readAlgo(a.bytes(XFRMA_ALG_CRYPT), XFRM_ALGO_SIZE);
  if (crypt) s.crypt = { name: crypt.name, key: crypt.key };
  const auth = readAlgo(a.bytes(XFRMA_ALG_AUTH_TRUNC), XFRM_ALGO_AUTH_SIZE);
  if (auth) s.auth = { name: auth.name, key: auth.key, truncBits: auth.extra };
  const coa = a.ip6(XFRMA_COADDR);
  if (coa !== undefined) s.coaddr = coa;
  const mark = readMark(a);
  if (mark) s.mark = mark;
  return s;
}

const label = (verb: string, k: XfrmStateKey) => (): string =>
  `${verb}${k.src !== undefined ? ` src ${k.src}` : ''} dst ${k.dst} proto ${k.proto} spi 0x${k.spi.toString(16)}`;

/**
 * `ip xfrm state add src S dst D proto esp spi X reqid R mode transport aead ... sel ...`
 * or, route optimisation, `ip xfrm state add src S dst D proto hao spi 0 mode ro coa C [flag wildrecv]`.
 */
export function stateAdd(sock: NetlinkSocket, s: XfrmState): Promise<void> {
  return sock.request(encodeState(s, false), { op: label('XFRM_MSG_NEWSA', s) });
}

/** `ip xfrm state update ...` (ESRCH when the state is not there: UPDSA never creates). */
export function stateUpdate(sock: NetlinkSocket, s: XfrmState): Promise<void> {
  return sock.request(encodeState(s, true), { op: label('XFRM_MSG_UPDSA', s) });
}

/** `ip xfrm state delete src S dst D proto P spi X` (ESRCH when absent). */
export function stateDelete(sock: NetlinkSocket, k: XfrmStateKey): Promise<void> {
  return sock.request(encodeStateDel(k), { op: label('XFRM_MSG_DELSA', k) });
}

/** `ip xfrm state list` (IPv6 states only). */
export function stateDump(sock: NetlinkSocket): Promise<XfrmState[]> {
  return sock.dump(encodeStateDump(), (m) => (m.type === XFRM_MSG_NEWSA ? decodeState(m) : undefined), 'XFRM_MSG_GETSA dump');
}

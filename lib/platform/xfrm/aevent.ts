// XFRM async events: a state's replay (sequence number) counters. The kernel multicasts
// XFRM_MSG_NEWAE on XFRMNLGRP_AEVENTS, while someone listens there, when an SA's output or
// input sequence number moved by at least its replay threshold since the last event
// (replay_maxdiff, from net.core.xfrm_aevent_rseqth at creation; flags XFRM_AE_CR) or when
// its timer (replay_maxage, net.core.xfrm_aevent_etime × 100 ms) finds a change not yet
// reported (XFRM_AE_CE). The first change after a quiet timer period is reported at once.
// XFRM_MSG_GETAE reads the same message for one state; XFRM_MSG_NEWAE with NLM_F_REPLACE
// sets the counters (the kernel's xfrm_new_ae copies XFRMA_REPLAY_VAL into both the state's
// replay and its last-reported copy).
//   equivalent: ip -s xfrm state get ... (oseq), ip xfrm monitor aevent
import { formatIp6, type Ip6 } from '../../inet/ip6.js';
import { NLM_F_REPLACE } from '../netlink/netlink-constants.js';
import { AttrSet, NetlinkParseError, need, rdBe32, rdU16, rdU32, type NlMsg } from '../netlink/parse.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import { NlWriter } from '../netlink/writer.js';
import { readMark, writeMark, type XfrmMark } from './structs.js';
import {
  AF_INET6,
  XFRMA_ETIMER_THRESH,
  XFRMA_REPLAY_ESN_VAL,
  XFRMA_REPLAY_THRESH,
  XFRMA_REPLAY_VAL,
  XFRM_AEVENT_ID_SIZE,
  XFRM_MSG_GETAE,
  XFRM_MSG_NEWAE,
  XFRM_REPLAY_STATE_ESN_SIZE,
  XFRM_REPLAY_STATE_SIZE,
} from './xfrm-constants.js';

/** A state's identity in an event: destination, SPI, protocol (and source, reqid, mark as the kernel gives them). */
export interface XfrmAeventSa {
  dst: Ip6;
  spi: number;
  proto: number;
  src: Ip6;
  reqid: number;
  mark?: XfrmMark;
}

/** struct xfrm_replay_state, or the ESN one's counters (oseqHi/seqHi 0 without ESN). */
export interface XfrmReplay {
  /** Last sequence number sent (outbound SA). */
  oseq: number;
  /** Highest sequence number received (inbound SA). */
  seq: number;
  /** Legacy 32-bit window bitmap (absent for ESN states). */
  bitmap?: number;
  oseqHi: number;
  seqHi: number;
  esn: boolean;
}

export interface XfrmAevent {
  sa: XfrmAeventSa;
  /** XFRM_AE_* bits: why it was sent (CR replay update, CE timer, CU set by someone). */
  flags: number;
  replay: XfrmReplay;
  /** replay_maxdiff (packets), present when asked for with XFRM_AE_RTHR. */
  replayThresh?: number;
  /** replay_maxage (100 ms units), present when asked for with XFRM_AE_ETHR. */
  etimerThresh?: number;
}

/*
 * struct xfrm_aevent_id (48):
 *   sa_id: struct xfrm_usersa_id { daddr @0 (16), spi be32 @16, family u16 @20, proto u8 @22 }
 *   saddr @24 (16), flags u32 @40, reqid u32 @44           (host order unless be)
 * then attributes: XFRMA_REPLAY_VAL  struct xfrm_replay_state { oseq, seq, bitmap } (12)
 *              or  XFRMA_REPLAY_ESN_VAL struct xfrm_replay_state_esn { bmp_len, oseq, seq,
 *                    oseq_hi, seq_hi, replay_window, bmp[bmp_len] } (24 + 4·bmp_len)
 *                  XFRMA_LTIME_VAL, XFRMA_REPLAY_THRESH u32, XFRMA_ETIMER_THRESH u32, XFRMA_MARK.
 * Returns undefined for a state of another family; a message without either replay
 * attribute, or with one shorter than its struct, is a NetlinkParseError.
 */
export function decodeAevent(m: NlMsg): XfrmAevent | undefined {
  const b = m.payload;
  need(b, 0, XFRM_AEVENT_ID_SIZE, 'xfrm_aevent_id');
  if (rdU16(b, 20) !== AF_INET6) return undefined;
  const sa: XfrmAeventSa = { dst: formatIp6(b, 0), spi: rdBe32(b, 16), proto: b[22]!, src: formatIp6(b, 24), reqid: rdU32(b, 44) };
  const a = new AttrSet(b, XFRM_AEVENT_ID_SIZE);
  const mark = readMark(a);
  if (mark) sa.mark = mark;
  const ev: XfrmAevent = { sa, flags: rdU32(b, 40), replay: readReplay(a) };
  const rt = a.u32(XFRMA_REPLAY_THRESH);
  if (rt !== undefined) ev.replayThresh = rt;
  const et = a.u32(XFRMA_ETIMER_THRESH);
  if (et !== undefined) ev.etimerThresh = et;
  return ev;
}

function readReplay(a: AttrSet): XfrmReplay {
  const esn = a.bytes(XFRMA_REPLAY_ESN_VAL);
  if (esn) {
    need(esn, 0, XFRM_REPLAY_STATE_ESN_SIZE, 'xfrm_replay_state_esn');
    // bmp_len counts u32 words; the attribute must hold them (never read past it, never trust it).
    const bmpLen = rdU32(esn, 0);
    if (bmpLen > (esn.length - XFRM_REPLAY_STATE_ESN_SIZE) / 4) throw new NetlinkParseError('ATTR_BAD_SIZE', 0, `xfrm_replay_state_esn bmp_len ${bmpLen} past ${esn.length} octets`);
    return { oseq: rdU32(esn, 4), seq: rdU32(esn, 8), oseqHi: rdU32(esn, 12), seqHi: rdU32(esn, 16), esn: true };
  }
  const r = a.bytes(XFRMA_REPLAY_VAL);
  if (!r) throw new NetlinkParseError('BAD_VALUE', XFRM_AEVENT_ID_SIZE, 'xfrm_aevent_id without XFRMA_REPLAY_VAL or XFRMA_REPLAY_ESN_VAL');
  need(r, 0, XFRM_REPLAY_STATE_SIZE, 'xfrm_replay_state');
  return { oseq: rdU32(r, 0), seq: rdU32(r, 4), bitmap: rdU32(r, 8), oseqHi: 0, seqHi: 0, esn: false };
}

/** What identifies the state a GETAE/NEWAE is about: dst, SPI, protocol (and its mark). */
export type XfrmAeKey = Pick<XfrmAeventSa, 'dst' | 'spi' | 'proto' | 'mark'>;

const w = new NlWriter(256);

function writeId(k: XfrmAeKey, flags: number): void {
  w.ip6(k.dst).be32(k.spi).u16(AF_INET6).u8(k.proto).u8(0);
  w.zeros(16) // saddr: not used to find the state
    .u32(flags)
    .u32(0); // reqid
}

/** XFRM_MSG_GETAE; `flags` XFRM_AE_RTHR / XFRM_AE_ETHR ask for the thresholds too. */
export function encodeGetAe(k: XfrmAeKey, flags = 0): Uint8Array {
  w.begin(XFRM_MSG_GETAE);
  writeId(k, flags);
  writeMark(w, k.mark);
  return w.finish();
}

/**
 * XFRM_MSG_NEWAE | NLM_F_REPLACE with XFRMA_REPLAY_VAL: the legacy (non-ESN) counters. The
 * kernel takes all three words, so pass the input side (seq, bitmap) as read, or an inbound
 * window is reset.
 */
export function encodeSetReplay(k: XfrmAeKey, r: { oseq: number; seq: number; bitmap: number }): Uint8Array {
  w.begin(XFRM_MSG_NEWAE, NLM_F_REPLACE);
  writeId(k, 0);
  const v = new Uint8Array(XFRM_REPLAY_STATE_SIZE);
  const dv = new DataView(v.buffer);
  dv.setUint32(0, r.oseq >>> 0, true);
  dv.setUint32(4, r.seq >>> 0, true);
  dv.setUint32(8, r.bitmap >>> 0, true);
  w.attrBytes(XFRMA_REPLAY_VAL, v);
  writeMark(w, k.mark);
  return w.finish();
}

const label = (verb: string, k: XfrmAeKey) => (): string => `${verb} dst ${k.dst} proto ${k.proto} spi 0x${k.spi.toString(16)}`;

/** The state's counters now (ESRCH when it is not there); `ip -s xfrm state get ...`. */
export async function getAevent(sock: NetlinkSocket, k: XfrmAeKey, flags = 0): Promise<XfrmAevent | undefined> {
  return sock.get(encodeGetAe(k, flags), (m) => (m.type === XFRM_MSG_NEWAE ? decodeAevent(m) : undefined), label('XFRM_MSG_GETAE', k));
}

/** Sets a legacy state's replay counters. `ip` has no equivalent (strongSwan uses it to restore a state's sequence numbers). */
export function setReplay(sock: NetlinkSocket, k: XfrmAeKey, r: { oseq: number; seq: number; bitmap: number }): Promise<void> {
  return sock.request(encodeSetReplay(k, r), { op: label(`XFRM_MSG_NEWAE oseq ${r.oseq}`, k) });
}

// Acknowledgements: NLMSG_ERROR (error 0 is a plain ACK) and the error code a
// dump's NLMSG_DONE may carry, with the extended-ack TLVs (NETLINK_EXT_ACK).
import { NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS, NLMSG_HDRLEN, NLM_F_ACK_TLVS, NLM_F_CAPPED, nlAlign } from './netlink-constants.js';
import { AttrSet, NetlinkParseError, need, rdI32, rdU32, type NlMsg } from './parse.js';

export interface AckInfo {
  /** Positive errno; 0 for success. */
  errno: number;
  extack?: string;
  extackOffset?: number;
}

function tlvs(payload: Uint8Array, start: number, into: AckInfo): AckInfo {
  if (start >= payload.length) return into;
  const a = new AttrSet(payload, start);
  const msg = a.string(NLMSGERR_ATTR_MSG);
  if (msg) into.extack = msg;
  const off = a.u32(NLMSGERR_ATTR_OFFS);
  // The kernel counts the offset from the start of the request's nlmsghdr.
  if (off !== undefined) into.extackOffset = off;
  return into;
}

/* NLMSG_ERROR payload: struct nlmsgerr { int error @0; struct nlmsghdr msg @4; }
   followed by the rest of the request unless capped, then TLVs if NLM_F_ACK_TLVS. */
export function parseAck(m: NlMsg): AckInfo {
  const p = m.payload;
  need(p, 0, 4 + NLMSG_HDRLEN, 'nlmsgerr');
  const error = rdI32(p, 0);
  if (error > 0) throw new NetlinkParseError('BAD_VALUE', 0, `nlmsgerr.error ${error} > 0`);
  const info: AckInfo = { errno: error === 0 ? 0 : -error };
  if (!(m.flags & NLM_F_ACK_TLVS)) return info;
  // Without NLM_F_CAPPED the whole request is echoed; its nlmsg_len says how long.
  let start = 4 + NLMSG_HDRLEN;
  if (!(m.flags & NLM_F_CAPPED)) {
    const origLen = rdU32(p, 4);
    if (origLen < NLMSG_HDRLEN || 4 + origLen > p.length) throw new NetlinkParseError('MSG_BAD_LENGTH', 4, 'echoed request');
    start = 4 + nlAlign(origLen);
  }
  return tlvs(p, start, info);
}

/* NLMSG_DONE payload: int error (0, or a negative errno when the dump failed part
   way), then TLVs if NLM_F_ACK_TLVS. An empty payload means success. */
export function parseDone(m: NlMsg): AckInfo {
  const p = m.payload;
  if (p.length < 4) return { errno: 0 };
  const error = rdI32(p, 0);
  const info: AckInfo = { errno: error < 0 ? -error : 0 };
  return m.flags & NLM_F_ACK_TLVS ? tlvs(p, 4, info) : info;
}

// struct tcmsg, the fixed header of every qdisc and filter message.
import { need, rdI32, rdU32, type NlMsg } from '../netlink/parse.js';
import type { NlWriter } from '../netlink/writer.js';
import { AF_UNSPEC } from '../rtnl/rtnl-constants.js';
import { TCMSG_SIZE } from './tc-constants.js';

export interface TcHeader {
  ifindex: number;
  handle: number;
  parent: number;
  /** Filters: priority (1..65535); qdiscs: 0. */
  prio: number;
  /** Filters: ETH_P_* in host order; qdiscs: 0. */
  protocol: number;
}

const swap16 = (v: number): number => ((v & 0xff) << 8) | ((v >>> 8) & 0xff);

/** Appends the tcmsg to a message begun on `w`. tcm_info carries the protocol in network order. */
export function writeTcmsg(w: NlWriter, h: TcHeader): NlWriter {
  return w
    .u8(AF_UNSPEC)
    .u8(0)
    .u16(0)
    .i32(h.ifindex)
    .u32(h.handle)
    .u32(h.parent)
    .u32(((h.prio & 0xffff) << 16 | swap16(h.protocol)) >>> 0);
}

export function readTcmsg(m: NlMsg): TcHeader {
  const p = m.payload;
  need(p, 0, TCMSG_SIZE, 'tcmsg');
  const ifindex = rdI32(p, 4);
  const info = rdU32(p, 16);
  return { ifindex, handle: rdU32(p, 8), parent: rdU32(p, 12), prio: info >>> 16, protocol: swap16(info & 0xffff) };
}

// Filters of any kind on one hook: delete one by (prio, protocol, handle), and dump
// them all with their counters, decoded by kind (flower, matchall; others kept by name).
import { AttrSet, type NlMsg } from '../netlink/parse.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import { NlWriter } from '../netlink/writer.js';
import { decodeFlowerOptions, type FlowerFilterInfo } from './flower.js';
import { decodeMatchallOptions, type MatchallFilterInfo } from './matchall.js';
import { RTM_DELTFILTER, RTM_GETTFILTER, RTM_NEWTFILTER, TCA_CHAIN, TCA_KIND, TCA_OPTIONS, TCMSG_SIZE, TC_PARENT_INGRESS } from './tc-constants.js';
import { readTcmsg, writeTcmsg, type TcHeader } from './tcmsg.js';

export interface OtherFilterInfo {
  kind: string;
  header: TcHeader;
}

export type TcFilterInfo = FlowerFilterInfo | MatchallFilterInfo | OtherFilterInfo;

export interface FilterRef {
  ifindex: number;
  parent?: number;
  prio: number;
  /** ETH_P_* in host order. */
  protocol: number;
  kind: string;
  handle: number;
  /** Default 0. */
  chain?: number;
}

const w = new NlWriter();

/** A handle is required: without one the kernel deletes every filter of the priority. */
export function encodeFilterDel(f: FilterRef): Uint8Array {
  if (f.handle === 0) throw new RangeError('filter delete without a handle would remove the whole priority');
  writeTcmsg(w.begin(RTM_DELTFILTER), { ifindex: f.ifindex, handle: f.handle >>> 0, parent: f.parent ?? TC_PARENT_INGRESS, prio: f.prio, protocol: f.protocol });
  w.attrString(TCA_KIND, f.kind);
  if (f.chain !== undefined && f.chain !== 0) w.attrU32(TCA_CHAIN, f.chain);
  return w.finish();
}

/**
 * `prio` other than 0: the kernel walks that priority's classifier only (tcf_chain_dump skips
 * the others). `chain`: that chain only; without it, every chain of the hook.
 */
export function encodeFilterDump(ifindex: number, parent = TC_PARENT_INGRESS, prio = 0, chain?: number): Uint8Array {
  writeTcmsg(w.begin(RTM_GETTFILTER), { ifindex, handle: 0, parent, prio, protocol: 0 });
  if (chain !== undefined) w.attrU32(TCA_CHAIN, chain);
  return w.finish();
}

/** Decodes one filter; undefined for the per-priority head entry (handle 0, no options). */
export function decodeFilter(m: NlMsg): TcFilterInfo | undefined {
  const h = readTcmsg(m);
  const a = new AttrSet(m.payload, TCMSG_SIZE);
  const o = a.nested(TCA_OPTIONS);
  if (h.handle === 0 || !o) return undefined;
  const kind = a.string(TCA_KIND) ?? '';
  if (kind === 'flower') return decodeFlowerOptions(h, o, a.u32(TCA_CHAIN) ?? 0);
  if (kind === 'matchall') return decodeMatchallOptions(h, o);
  return { kind, header: h };
}

/** `tc filter del dev DEV ingress prio P handle H protocol PROTO KIND` (ENOENT when absent). */
export function filterDelete(sock: NetlinkSocket, f: FilterRef): Promise<void> {
  return sock.request(encodeFilterDel(f), { op: () => `RTM_DELTFILTER ${f.kind} prio ${f.prio} handle ${f.handle}` });
}

/** `tc -s filter show dev DEV ingress|egress [chain C] [prio P]` */
export function filterDump(sock: NetlinkSocket, ifindex: number, parent = TC_PARENT_INGRESS, prio = 0, chain?: number): Promise<TcFilterInfo[]> {
  return sock.dump(
    encodeFilterDump(ifindex, parent, prio, chain),
    (m) => (m.type === RTM_NEWTFILTER ? decodeFilter(m) : undefined),
    `RTM_GETTFILTER dump ifindex ${ifindex}${chain === undefined ? '' : ` chain ${chain}`}${prio === 0 ? '' : ` prio ${prio}`}`,
  );
}

// The default verdict after the pair filters: `matchall action drop` at a later
// priority, so a reverse-tunnelled packet no pair filter passed is dropped, and
// counted by the action (and by the classifier's own hit counter).
import { NLM_F_CREATE, NLM_F_REPLACE } from '../netlink/netlink-constants.js';
import { AttrSet, NetlinkParseError, rdU64 } from '../netlink/parse.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import { NlWriter } from '../netlink/writer.js';
import { decodeActionList, writeGactList, type ActionStats, type GactVerdict } from './gact.js';
import { ETH_P_ALL, RTM_NEWTFILTER, TCA_CLS_FLAGS_SKIP_HW, TCA_KIND, TCA_MATCHALL_ACT, TCA_MATCHALL_FLAGS, TCA_MATCHALL_PCNT, TCA_OPTIONS, TC_PARENT_INGRESS } from './tc-constants.js';
import { writeTcmsg, type TcHeader } from './tcmsg.js';

export interface MatchallFilter {
  ifindex: number;
  parent?: number;
  prio: number;
  /** Not 0 (matchall has one filter per priority; the handle names it). */
  handle: number;
  /** ETH_P_* in host order; default ETH_P_ALL. */
  protocol?: number;
  verdict: GactVerdict;
}

export interface MatchallFilterInfo {
  kind: 'matchall';
  header: TcHeader;
  flags: number;
  /** Packets the classifier matched (struct tc_matchall_pcnt). */
  hits?: number;
  actions: ActionStats[];
}

const w = new NlWriter();

export function encodeMatchallNew(f: MatchallFilter, flags = NLM_F_CREATE | NLM_F_REPLACE): Uint8Array {
  if (f.handle === 0) throw new RangeError('matchall filter: handle 0 would let the kernel choose one');
  writeTcmsg(w.begin(RTM_NEWTFILTER, flags), {
    ifindex: f.ifindex,
    handle: f.handle >>> 0,
    parent: f.parent ?? TC_PARENT_INGRESS,
    prio: f.prio,
    protocol: f.protocol ?? ETH_P_ALL,
  });
  w.attrString(TCA_KIND, 'matchall');
  const o = w.beginNest(TCA_OPTIONS);
  w.attrU32(TCA_MATCHALL_FLAGS, TCA_CLS_FLAGS_SKIP_HW);
  writeGactList(w, TCA_MATCHALL_ACT, f.verdict);
  w.endNest(o);
  return w.finish();
}

export function decodeMatchallOptions(h: TcHeader, o: AttrSet): MatchallFilterInfo {
  const f: MatchallFilterInfo = { kind: 'matchall', header: h, flags: o.u32(TCA_MATCHALL_FLAGS) ?? 0, actions: decodeActionList(o.nested(TCA_MATCHALL_ACT)) };
  const pcnt = o.bytes(TCA_MATCHALL_PCNT);
  if (pcnt) {
    if (pcnt.length < 8) throw new NetlinkParseError('ATTR_BAD_SIZE', 0, `tc_matchall_pcnt of ${pcnt.length} octets`);
    f.hits = rdU64(pcnt, 0);
  }
  return f;
}

/** `tc filter replace dev DEV ingress prio P handle H protocol all matchall skip_hw action drop` */
export function matchallReplace(sock: NetlinkSocket, f: MatchallFilter): Promise<void> {
  return sock.request(encodeMatchallNew(f), { op: () => `RTM_NEWTFILTER matchall prio ${f.prio} action ${f.verdict}` });
}

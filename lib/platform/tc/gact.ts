// The generic action (gact) as the one action of a classifier: pass (TC_ACT_OK), drop
// (TC_ACT_SHOT) or goto chain, and the counters of any action list read back from a dump
// (tunnel_key's addresses too: tunnel-key.ts writes that one).
import { AttrSet, NetlinkParseError, rdI32, rdU32, rdU64 } from '../netlink/parse.js';
import type { NlWriter } from '../netlink/writer.js';
import {
  GNET_STATS_BASIC_MIN,
  GNET_STATS_QUEUE_SIZE,
  TCA_ACT_INDEX,
  TCA_ACT_KIND,
  TCA_ACT_OPTIONS,
  TCA_ACT_STATS,
  TCA_GACT_PARMS,
  TCA_STATS_BASIC,
  TCA_STATS_PKT64,
  TCA_STATS_QUEUE,
  TCA_MIRRED_PARMS,
  TC_MIRRED_SIZE,
  TCA_TUNNEL_KEY_ENC_IPV6_DST,
  TCA_TUNNEL_KEY_ENC_IPV6_SRC,
  TC_ACT_EXT_VAL_MASK,
  TC_ACT_GOTO_CHAIN,
  TC_ACT_OK,
  TC_ACT_SHOT,
  TC_GACT_SIZE,
} from './tc-constants.js';
import type { Ip6 } from '../../inet/ip6.js';

export type GactVerdict = 'pass' | 'drop';

export interface ActionStats {
  kind: string;
  /** gact only: the verdict. */
  verdict?: GactVerdict;
  /** gact goto chain: the chain classification continues in. */
  gotoChain?: number;
  /** mirred: the device it redirects to (struct tc_mirred's ifindex). */
  redirectIfindex?: number;
  /** tunnel_key set: the outer source and destination it sets. */
  tunnelSrc?: Ip6;
  tunnelDst?: Ip6;
  /** The action's index in the namespace's table of its kind. */
  index?: number;
  packets: number;
  bytes: number;
  drops: number;
}

const verdictCode = (v: GactVerdict): number => (v === 'pass' ? TC_ACT_OK : TC_ACT_SHOT);

/** Writes `nestType { 1 { kind "gact", options { parms } } }`, the action list with one gact. */
export function writeGactList(w: NlWriter, nestType: number, verdict: GactVerdict): void {
  writeGactCodeList(w, nestType, verdictCode(verdict));
}

/** `action goto chain N`: a gact whose verdict is TC_ACT_GOTO_CHAIN | N. */
export function writeGotoChainList(w: NlWriter, nestType: number, chain: number): void {
  if (!Number.isInteger(chain) || chain < 0 || chain > TC_ACT_EXT_VAL_MASK) throw new RangeError(`goto chain ${chain}`);
  writeGactCodeList(w, nestType, (TC_ACT_GOTO_CHAIN | chain) >>> 0);
}

function writeGactCodeList(w: NlWriter, nestType: number, code: number): void {
  const list = w.beginNest(nestType);
  const one = w.beginNest(1);
  w.attrString(TCA_ACT_KIND, 'gact');
  const opts = w.beginNest(TCA_ACT_OPTIONS);
  const parms = new Uint8Array(TC_GACT_SIZE);
  new DataView(parms.buffer).setInt32(8, code | 0, true); // index 0: the kernel picks one
  w.attrBytes(TCA_GACT_PARMS, parms);
  w.endNest(opts).endNest(one).endNest(list);
}

function decodeStats(s: AttrSet | undefined): { packets: number; bytes: number; drops: number } {
  let packets = 0;
  let bytes = 0;
  let drops = 0;
  const basic = s?.bytes(TCA_STATS_BASIC);
  if (basic) {
    if (basic.length < GNET_STATS_BASIC_MIN) throw new NetlinkParseError('ATTR_BAD_SIZE', 0, `gnet_stats_basic of ${basic.length} octets`);
    bytes = rdU64(basic, 0);
    packets = rdU32(basic, 8);
  }
  const p64 = s?.u64(TCA_STATS_PKT64);
  if (p64 !== undefined) packets = p64;
  const q = s?.bytes(TCA_STATS_QUEUE);
  if (q) {
    if (q.length < GNET_STATS_QUEUE_SIZE) throw new NetlinkParseError('ATTR_BAD_SIZE', 0, `gnet_stats_queue of ${q.length} octets`);
    drops = rdU32(q, 8);
  }
  return { packets, bytes, drops };
}

/** Decodes an action list (TCA_FLOWER_ACT, TCA_MATCHALL_ACT), in order. */
export function decodeActionList(list: AttrSet | undefined): ActionStats[] {
  if (!list) return [];
  const out: ActionStats[] = [];
  for (const order of list.types.sort((x, y) => x - y)) {
    const a = list.nested(order)!;
    const kind = a.string(TCA_ACT_KIND) ?? '';
    const st: ActionStats = { kind, ...decodeStats(a.nested(TCA_ACT_STATS)) };
    const index = a.u32(TCA_ACT_INDEX);
    if (index !== undefined) st.index = index;
    if (kind === 'gact') {
      const parms = a.nested(TCA_ACT_OPTIONS)?.bytes(TCA_GACT_PARMS);
      if (parms && parms.length >= TC_GACT_SIZE) {
        const code = rdI32(parms, 8);
        if (code === TC_ACT_OK) st.verdict = 'pass';
        else if (code === TC_ACT_SHOT) st.verdict = 'drop';
        else if ((code & ~TC_ACT_EXT_VAL_MASK) === TC_ACT_GOTO_CHAIN) st.gotoChain = code & TC_ACT_EXT_VAL_MASK;
        st.index ??= rdU32(parms, 0);
      }
    } else if (kind === 'mirred') {
      const parms = a.nested(TCA_ACT_OPTIONS)?.bytes(TCA_MIRRED_PARMS);
      if (parms && parms.length >= TC_MIRRED_SIZE) st.redirectIfindex = rdU32(parms, 24);
    } else if (kind === 'tunnel_key') {
      const o = a.nested(TCA_ACT_OPTIONS);
      const src = o?.ip6(TCA_TUNNEL_KEY_ENC_IPV6_SRC);
      const dst = o?.ip6(TCA_TUNNEL_KEY_ENC_IPV6_DST);
      if (src !== undefined) st.tunnelSrc = src;
      if (dst !== undefined) st.tunnelDst = dst;
    }
    out.push(st);
  }
  return out;
}

// Encoders and decoders of the shared-tunnel data plane: external ip6tnl, encap
// nexthops and resilient groups, clsact, flower pair filters, matchall, and the
// kernel's dump layout of their counters. Each NEW message decodes back to what was
// encoded (the kernel answers dumps in the same layout); malformed ones fail typed.
import { ip6 } from '../../ip6.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE } from '../../../lib/platform/netlink/netlink-constants.js';
import { AttrSet, NetlinkParseError, parseMessages, type NlMsg } from '../../../lib/platform/netlink/parse.js';
import { NlWriter } from '../../../lib/platform/netlink/writer.js';
import { IFLA_IPTUN_COLLECT_METADATA, LWTUNNEL_ENCAP_IP6, NHA_ENCAP_TYPE } from '../../../lib/platform/rtnl/dataplane-constants.js';
import { decodeIp6TnlExternalLink, encodeIp6TnlExternalCreate } from '../../../lib/platform/rtnl/ip6tnl-external.js';
import { decodeEncapNexthop, encodeEncapNexthopNew, encodeResilientGroupNew } from '../../../lib/platform/rtnl/nexthop-encap.js';
import { decodeFilter, encodeFilterDel, encodeFilterDump } from '../../../lib/platform/tc/filter.js';
import { encodeFlowerPairCreate, encodeFlowerPairNew, type FlowerFilterInfo } from '../../../lib/platform/tc/flower.js';
import { encodeMatchallNew, type MatchallFilterInfo } from '../../../lib/platform/tc/matchall.js';
import { decodeQdisc, encodeClsactAdd } from '../../../lib/platform/tc/qdisc.js';
import {
  ETH_P_ALL,
  ETH_P_IPV6,
  RTM_NEWTFILTER,
  TCA_ACT_STATS,
  TCA_MATCHALL_ACT,
  TCA_MATCHALL_PCNT,
  TCA_OPTIONS,
  TCA_STATS_BASIC,
  TCA_STATS_QUEUE,
  TCMSG_SIZE,
  TC_PARENT_INGRESS,
} from '../../../lib/platform/tc/tc-constants.js';
import { readTcmsg } from '../../../lib/platform/tc/tcmsg.js';

const one = (b: Uint8Array): NlMsg => {
  const ms = parseMessages(b);
  assert.equal(ms.length, 1);
  return ms[0]!;
};
const isParseError = (code: string) => (e: unknown): boolean => e instanceof NetlinkParseError && e.code === code;

test('ip6tnl external: create carries the collect_md flag and proto 41, and decodes back', () => {
  const m = one(encodeIp6TnlExternalCreate({ name: 'mcoa0', up: true, mtu: 1452 }));
  assert.equal(m.type, 16);
  assert.equal(m.flags & (NLM_F_CREATE | NLM_F_EXCL), NLM_F_CREATE | NLM_F_EXCL);
  const l = decodeIp6TnlExternalLink(m)!;
  assert.deepEqual({ name: l.name, external: l.external, proto: l.proto, ifindex: l.ifindex }, { name: 'mcoa0', external: true, proto: 41, ifindex: 0 });
  // The flag is a zero-length attribute of type 19 inside IFLA_INFO_DATA.
  const hex = Buffer.from(m.payload).toString('hex');
  assert.ok(hex.includes(`0400${IFLA_IPTUN_COLLECT_METADATA.toString(16).padStart(2, '0')}00`), hex);
  assert.throws(() => decodeIp6TnlExternalLink({ ...m, payload: m.payload.subarray(0, 10) }), isParseError('STRUCT_TRUNCATED'));
});

test('encap nexthop: LWTUNNEL_ENCAP_IP6 with dst, src, hop limit round-trips', () => {
  const nh = { id: 7, protocol: 16, oif: 9, encap: { dst: ip6('2001:db8:f1::2'), src: ip6('2001:db8:aa::1'), hopLimit: 64 } };
  const m = one(encodeEncapNexthopNew(nh));
  assert.equal(m.type, 104);
  assert.equal(m.payload[0], 10, 'family AF_INET6');
  const d = decodeEncapNexthop(m);
  assert.deepEqual({ id: d.id, protocol: d.protocol, oif: d.oif, encap: d.encap }, nh);
  const a = new AttrSet(m.payload, 8);
  assert.equal(a.u16(NHA_ENCAP_TYPE), LWTUNNEL_ENCAP_IP6);
  assert.deepEqual(decodeEncapNexthop(one(encodeEncapNexthopNew({ ...nh, encap: { dst: ip6('2001:db8:f2::2') } }))).encap, { dst: ip6('2001:db8:f2::2') });
});

test('resilient group: members, type 1, buckets and timers in clock ticks; bounds', () => {
  const m = one(encodeResilientGroupNew({ id: 11, protocol: 16, members: [{ id: 1, weight: 1 }, { id: 2, weight: 3 }], buckets: 64, idleTimerS: 0, unbalancedTimerS: 2.5 }));
  assert.equal(m.flags & (NLM_F_CREATE | NLM_F_REPLACE), NLM_F_CREATE | NLM_F_REPLACE);
  assert.equal(m.payload[0], 0, 'groups are AF_UNSPEC');
  const d = decodeEncapNexthop(m);
  assert.deepEqual(d.group, [{ id: 1, weight: 1 }, { id: 2, weight: 3 }]);
  assert.equal(d.groupType, 1);
  assert.deepEqual(d.resilient, { buckets: 64, idleTimerS: 0, unbalancedTimerS: 2.5 });
  assert.throws(() => encodeResilientGroupNew({ id: 1, protocol: 0, members: [], buckets: 0 }), RangeError);
  assert.throws(() => encodeResilientGroupNew({ id: 1, protocol: 0, members: [{ id: 2, weight: 257 }], buckets: 8 }), RangeError);
});

test('clsact: qdisc at ffff:0 under ffff:fff1', () => {
  const q = decodeQdisc(one(encodeClsactAdd(5)));
  assert.deepEqual(q, { ifindex: 5, handle: 0xffff0000, parent: 0xfffffff1, kind: 'clsact' });
});

test('flower pair filter: tcm_info holds prio and ETH_P_IPV6 in network order; keys with full masks decode back', () => {
  const f = { ifindex: 4, prio: 1, handle: 0x1234, encSrc: ip6('2001:db8:f1::2'), src: ip6('2001:db8:aa::100'), verdict: 'pass' as const };
  const m = one(encodeFlowerPairNew(f));
  assert.equal(m.type, RTM_NEWTFILTER);
  assert.deepEqual([...m.payload.subarray(16, 20)], [0x86, 0xdd, 1, 0], 'tcm_info: protocol be16 in the low half, prio in the high half');
  const d = decodeFilter(m) as FlowerFilterInfo;
  assert.deepEqual(d.header, { ifindex: 4, handle: 0x1234, parent: TC_PARENT_INGRESS, prio: 1, protocol: ETH_P_IPV6 });
  assert.deepEqual([d.encSrc, d.encSrcMaskLen, d.src, d.srcMaskLen, d.ethType], [f.encSrc, 128, f.src, 128, ETH_P_IPV6]);
  assert.equal(d.actions.length, 1);
  assert.deepEqual({ kind: d.actions[0]!.kind, verdict: d.actions[0]!.verdict }, { kind: 'gact', verdict: 'pass' });
  assert.equal(one(encodeFlowerPairCreate(f)).flags & NLM_F_EXCL, NLM_F_EXCL);
  assert.throws(() => encodeFlowerPairNew({ ...f, handle: 0 }), RangeError);
});

test('flower pair filter for a mobile network prefix (RFC 3963): the source mask is the prefix length, read back as such', () => {
  const f = { ifindex: 4, prio: 1, handle: 0x1235, encSrc: ip6('2001:db8:f1::2'), src: ip6('2001:db8:99::'), verdict: 'pass' as const };
  for (const srcLen of [0, 1, 48, 57, 64, 127, 128]) {
    const d = decodeFilter(one(encodeFlowerPairNew({ ...f, srcLen }))) as FlowerFilterInfo;
    assert.deepEqual([d.encSrcMaskLen, d.src, d.srcMaskLen], [128, f.src, srcLen], `/${srcLen}`);
  }
  for (const srcLen of [-1, 129, 64.5]) assert.throws(() => encodeFlowerPairNew({ ...f, srcLen }), RangeError);
});

test('matchall drop, and its counters as the kernel dumps them (pcnt, basic, queue stats)', () => {
  const m = one(encodeMatchallNew({ ifindex: 4, prio: 2, handle: 1, verdict: 'drop' }));
  const d = decodeFilter(m) as MatchallFilterInfo;
  assert.equal(d.header.protocol, ETH_P_ALL);
  assert.equal(d.actions[0]!.verdict, 'drop');
  // A dump entry: same header, options with TCA_MATCHALL_PCNT and the action's stats.
  const w = new NlWriter();
  w.begin(RTM_NEWTFILTER).bytes(m.payload.subarray(0, TCMSG_SIZE)).attrString(1, 'matchall');
  const o = w.beginNest(TCA_OPTIONS);
  const pcnt = new Uint8Array(8);
  pcnt[0] = 7;
  w.attrBytes(TCA_MATCHALL_PCNT, pcnt);
  const list = w.beginNest(TCA_MATCHALL_ACT);
  const act = w.beginNest(1, false);
  w.attrString(1, 'gact');
  const st = w.beginNest(TCA_ACT_STATS);
  const basic = new Uint8Array(16);
  const bv = new DataView(basic.buffer);
  bv.setBigUint64(0, 560n, true);
  bv.setUint32(8, 7, true);
  w.attrBytes(TCA_STATS_BASIC, basic);
  const queue = new Uint8Array(20);
  new DataView(queue.buffer).setUint32(8, 7, true);
  w.attrBytes(TCA_STATS_QUEUE, queue);
  w.endNest(st).endNest(act).endNest(list).endNest(o);
  const dumped = decodeFilter(one(w.finish())) as MatchallFilterInfo;
  assert.equal(dumped.hits, 7);
  assert.deepEqual(
    { packets: dumped.actions[0]!.packets, bytes: dumped.actions[0]!.bytes, drops: dumped.actions[0]!.drops },
    { packets: 7, bytes: 560, drops: 7 },
  );
});

test('filter: the per-priority head entry (handle 0) is skipped; malformed stats fail typed; delete needs a handle', () => {
  const head = one(encodeFilterDump(4));
  assert.equal(decodeFilter(head), undefined);
  assert.deepEqual(readTcmsg(head), { ifindex: 4, handle: 0, parent: TC_PARENT_INGRESS, prio: 0, protocol: 0 });
  assert.deepEqual(readTcmsg(one(encodeFilterDump(4, TC_PARENT_INGRESS, 2))), { ifindex: 4, handle: 0, parent: TC_PARENT_INGRESS, prio: 2, protocol: 0 });
  assert.throws(() => encodeFilterDel({ ifindex: 4, prio: 1, protocol: ETH_P_IPV6, kind: 'flower', handle: 0 }), RangeError);
  const del = one(encodeFilterDel({ ifindex: 4, prio: 1, protocol: ETH_P_IPV6, kind: 'flower', handle: 9 }));
  assert.deepEqual(readTcmsg(del), { ifindex: 4, handle: 9, parent: TC_PARENT_INGRESS, prio: 1, protocol: ETH_P_IPV6 });
  const w = new NlWriter();
  w.begin(RTM_NEWTFILTER).bytes(del.payload.subarray(0, TCMSG_SIZE)).attrString(1, 'matchall');
  const o = w.beginNest(TCA_OPTIONS);
  w.attrBytes(TCA_MATCHALL_PCNT, new Uint8Array(4));
  w.endNest(o);
  assert.throws(() => decodeFilter(one(w.finish())), isParseError('ATTR_BAD_SIZE'));
  assert.throws(() => readTcmsg({ type: RTM_NEWTFILTER, flags: 0, seq: 0, pid: 0, payload: new Uint8Array(12) }), isParseError('STRUCT_TRUNCATED'));
});

test('flower flow filter: chain, inner keys (exact and range ports, prefixes, tos) and each action decode back as written', async () => {
  const { encodeFlowerFlowNew, flowerActionText, flowerMatchText } = await import('../../../lib/platform/tc/flower-flow.js');
  const { TC_PARENT_EGRESS } = await import('../../../lib/platform/tc/tc-constants.js');
  const matches = [
    { ipProto: 17, dstPort: { min: 5004, max: 5004 } },
    { ipProto: 6, src: { addr: ip6('2001:db8:c::'), len: 64 }, srcPort: { min: 1000, max: 2000 } },
    { ipProto: 132, dstPort: { min: 9, max: 9 }, tos: { value: 0xb8, mask: 0xfc } },
    { dst: { addr: ip6('2001:db8:aa::100'), len: 128 } },
  ];
  const actions = [
    { kind: 'tunnel-key' as const, src: ip6('2001:db8:aa::1'), dst: ip6('2001:db8:f1::2') },
    { kind: 'drop' as const },
    { kind: 'goto' as const, chain: 0x4d0001 },
    { kind: 'redirect' as const, ifindex: 7 },
  ];
  for (const match of matches) {
    for (const action of actions) {
      const d = decodeFilter(one(encodeFlowerFlowNew({ ifindex: 3, chain: 0x4d0002, prio: 11, handle: 0x105, match, action }))) as FlowerFilterInfo;
      assert.equal(d.chain, 0x4d0002);
      assert.deepEqual(d.header, { ifindex: 3, handle: 0x105, parent: TC_PARENT_EGRESS, prio: 11, protocol: ETH_P_IPV6 });
      assert.equal(flowerMatchText(d.match), flowerMatchText(match));
      assert.deepEqual(d.match, match);
      const a = d.actions[0]!;
      const back =
        a.kind === 'tunnel_key' ? { kind: 'tunnel-key' as const, src: a.tunnelSrc!, dst: a.tunnelDst! }
        : a.kind === 'mirred' ? { kind: 'redirect' as const, ifindex: a.redirectIfindex! }
        : a.gotoChain !== undefined ? { kind: 'goto' as const, chain: a.gotoChain } : { kind: 'drop' as const };
      assert.equal(flowerActionText(back), flowerActionText(action));
    }
  }
  assert.throws(() => encodeFlowerFlowNew({ ifindex: 3, chain: 1, prio: 1, handle: 1, match: { dstPort: { min: 1, max: 1 } }, action: { kind: 'drop' } }), RangeError, 'ports without a next header');
  assert.throws(() => encodeFlowerFlowNew({ ifindex: 3, chain: 1, prio: 1, handle: 1, match: {}, action: { kind: 'goto', chain: 0x10000000 } }), RangeError, 'a chain past 28 bits');
});

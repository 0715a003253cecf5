// Route optimisation's XFRM objects (lib/plan/common/ro-xfrm.ts): what the correspondent and
// the mobile node ask the kernel for, one row per rule.
import type { Ip6 } from '../../../../lib/inet/ip6.js';
import { ip6 } from '../../../ip6.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  RO_POLICY_PRIORITY_OFFSET, RO_REQID_OFFSET, correspondentBindingXfrm, correspondentStaticXfrm, lowestBidCareOf, mobileNodeBindingXfrm, mobileNodeInboundXfrm,
} from '../../../../lib/plan/common/ro-xfrm.js';
import { DEFAULT_XFRM_BANDS } from '../../../../lib/plan/common/xfrm-objects.js';

const B = DEFAULT_XFRM_BANDS;
const CN = ip6('2001:db8:c::10');
const HOA = ip6('2001:db8:aa::100');
const [C1, C2, C3] = [ip6('2001:db8:f1::10'), ip6('2001:db8:f2::10'), ip6('2001:db8:f3::10')] as const;
const ROUTING = 43;
const DSTOPTS = 60;
const MH = 135;
const RO = 2;

test('lowest BID wins, whatever the order; none without bindings', () => {
  const rows: [string, { bid: number; coa: Ip6 }[], string | null][] = [
    ['empty', [], null],
    ['one', [{ bid: 7, coa: C2 }], C2],
    ['lowest first', [{ bid: 1, coa: C1 }, { bid: 2, coa: C2 }], C1],
    ['lowest last', [{ bid: 3, coa: C3 }, { bid: 2, coa: C2 }, { bid: 1, coa: C1 }], C1],
    ['regular binding (BID 0) beats BIDs', [{ bid: 4, coa: C2 }, { bid: 0, coa: C3 }], C3],
  ];
  for (const [name, list, want] of rows) assert.equal(lowestBidCareOf(list), want, name);
});

test('correspondent per home address: route2 state with the care-of address, data policy naming it, MH bypass first', () => {
  const o = correspondentBindingXfrm(CN, HOA, C2, B);
  assert.equal(o.states.length, 1);
  const s = o.states[0]!;
  assert.deepEqual([s.src, s.dst, s.proto, s.spi, s.mode, s.coaddr], [CN, HOA, ROUTING, 0, RO, C2]);
  assert.equal(s.reqid, B.reqidBase + RO_REQID_OFFSET);
  assert.equal(s.flags ?? 0, 0, 'an outbound state must not be wildrecv (the kernel skips those on output)');
  const [bypass, data] = o.policies;
  assert.deepEqual(bypass!.selector, { src: CN, srcLen: 128, dst: HOA, dstLen: 128, proto: MH });
  assert.deepEqual(bypass!.templates, [], 'HoT and BAs leave with their own headers');
  assert.deepEqual(data!.selector, { src: CN, srcLen: 128, dst: HOA, dstLen: 128, proto: 0 });
  assert.equal(data!.dir, 'out');
  // The kernel finds the state by the template's reqid: they must agree.
  assert.deepEqual(data!.templates, [{ proto: ROUTING, mode: RO, reqid: s.reqid }]);
  assert.ok(bypass!.priority < data!.priority, 'lower priority value wins: the bypass must');
  for (const p of o.policies) assert.ok(p.priority >= B.priorityBase && p.priority < B.priorityBase + B.priorityCount, 'inside our band (adopted after a restart)');
});

test('§9.3.1 correspondent always: wildcard hao state and an optional inbound template for Mobility Header packets to its address', () => {
  const o = correspondentStaticXfrm(CN, B);
  assert.equal(o.states[0]!.flags, 8, 'wildrecv');
  assert.equal(o.states[0]!.proto, DSTOPTS);
  const p = o.policies[0]!;
  assert.deepEqual([p.dir, p.selector.dst, p.selector.dstLen, p.selector.srcLen, p.selector.proto], ['in', CN, 128, 0, MH]);
  assert.deepEqual(p.templates, [{ proto: DSTOPTS, mode: RO, optional: true }]);
  assert.equal(p.priority, B.priorityBase + RO_POLICY_PRIORITY_OFFSET.inbound);
});

test('mobile node: hao state from the home address to the correspondent, inbound route2 per correspondent', () => {
  const o = mobileNodeBindingXfrm(HOA, CN, C1, B);
  const s = o.states[0]!;
  assert.deepEqual([s.src, s.dst, s.proto, s.mode, s.coaddr], [HOA, CN, DSTOPTS, RO, C1]);
  assert.deepEqual(o.policies[1]!.templates, [{ proto: DSTOPTS, mode: RO, reqid: s.reqid }]);
  assert.equal(o.policies[0]!.selector.proto, MH);
  const cn2 = ip6('2001:db8:c::20');
  const inbound = mobileNodeInboundXfrm(HOA, [CN, cn2], B);
  assert.deepEqual(inbound.states, []);
  assert.deepEqual(inbound.policies.map((p) => `${p.dir} ${p.selector.src}/${p.selector.srcLen}>${p.selector.dst}/${p.selector.dstLen} p${p.selector.proto}`), [
    `in ${CN}/128>${HOA}/128 p0`,
    `in ${cn2}/128>${HOA}/128 p0`,
  ]);
  for (const p of inbound.policies) assert.deepEqual(p.templates, [{ proto: ROUTING, mode: RO, optional: true }]);
});

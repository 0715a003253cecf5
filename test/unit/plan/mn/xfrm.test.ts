// The mobile node's whole XFRM set (lib/plan/mn/xfrm.ts): the wildcard route2 objects always,
// then signalling ESP, route optimisation and payload ESP when present; one row per case.
import { ip6 } from '../../../ip6.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HoaIpsecSas } from '../../../../lib/config/daemon-config.js';
import { mobileNodeXfrm, routingHeaderXfrm } from '../../../../lib/plan/mn/xfrm.js';
import { MN_POLICY_PRIORITY_OFFSET, mobileNodeIpsecXfrm } from '../../../../lib/plan/mn/signalling-ipsec.js';
import { mobileNodeBindingXfrm } from '../../../../lib/plan/common/ro-xfrm.js';
import { mobileNodePayloadXfrm } from '../../../../lib/plan/mn/payload-ipsec.js';
import { DEFAULT_XFRM_BANDS as BANDS, mergeXfrm, stateKey, type XfrmObjects } from '../../../../lib/plan/common/xfrm-objects.js';

const HOA = ip6('2001:db8:1::a');
const HA = ip6('2001:db8:1::1');
const CN = ip6('2001:db8:c::10');
const COA = ip6('2001:db8:f1::10');
const aead = { name: 'rfc4106(gcm(aes))', key: new Uint8Array(20).fill(3), icvBits: 128 };
const SAS: HoaIpsecSas = { spiIn: 0x1002, spiOut: 0x1001, aead, payload: { spiIn: 0x2002, spiOut: 0x2001, aead } };
const RH = routingHeaderXfrm(BANDS);
const ESP = mobileNodeIpsecXfrm(SAS, HOA, HA, BANDS);
const RO = mobileNodeBindingXfrm(HOA, CN, COA, BANDS);
const PAY = mobileNodePayloadXfrm(SAS.payload!, HA, [COA], BANDS.reqidBase + 0xfe00, BANDS);
const base = { bands: BANDS, homeAddress: HOA, homeAgent: HA };

const ROWS: [string, Parameters<typeof mobileNodeXfrm>[0], XfrmObjects][] = [
  ['nothing configured: the route2 objects that let BAs with a type 2 routing header in', base, RH],
  ['RFC 3776 §4.1: with mobile_node.ipsec, the ESP objects after them', { ...base, sas: SAS }, mergeXfrm([RH, ESP])],
  ['RFC 6275 §11.3.1: route optimisation\'s objects next', { ...base, sas: SAS, ro: RO }, mergeXfrm([RH, ESP, RO])],
  ['MCoA §8.3.2: payload ESP last', { ...base, sas: SAS, ro: RO, payload: PAY }, mergeXfrm([RH, ESP, RO, PAY])],
  ['route optimisation without ESP', { ...base, ro: RO }, mergeXfrm([RH, RO])],
];

for (const [name, parts, want] of ROWS) test(name, () => assert.deepEqual(mobileNodeXfrm(parts), want));

test('route2: one wildcard state, and an inbound MH policy below the ESP BA policy in precedence', () => {
  assert.deepEqual(RH.states.map((s) => [s.src, s.dst, s.proto, s.mode, s.flags, s.reqid]), [['::', '::', 43, 2, 8, BANDS.reqidBase]]);
  const p = RH.policies[0]!;
  assert.deepEqual([p.dir, p.selector.proto, p.selector.srcLen, p.selector.dstLen, p.templates], ['in', 135, 0, 0, [{ proto: 43, mode: 2, optional: true }]]);
  assert.equal(p.priority, BANDS.priorityBase + MN_POLICY_PRIORITY_OFFSET.routingHeader);
  assert.ok(ESP.policies.every((q) => q.priority < p.priority));
  const all = mobileNodeXfrm({ ...base, sas: SAS, ro: RO, payload: PAY });
  assert.equal(new Set(all.states.map(stateKey)).size, all.states.length, 'no two objects share a kernel identity');
});

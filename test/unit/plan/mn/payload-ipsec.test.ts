// The mobile node's payload ESP (lib/plan/mn/payload-ipsec.ts): the mirror image of the home
// agent's objects for the same configuration (keys, SPIs, selectors agree), which care-of
// addresses are protected as the Binding Update List changes, and the K-bit move's
// XFRM_MSG_MIGRATE step.
import type { Ip6 } from '../../../../lib/inet/ip6.js';
import { ip6 } from '../../../ip6.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HoaIpsecSas } from '../../../../lib/config/daemon-config.js';
import type { BulView } from '../../../../lib/proto/mn/index.js';
import {
  MN_PAYLOAD_REQID_OFFSET, mobileNodePayloadMigration, mobileNodePayloadReqid, mobileNodePayloadXfrm, planMobileNodePayload,
} from '../../../../lib/plan/mn/payload-ipsec.js';
import { PAYLOAD_PRIORITY_OFFSET, payloadIpsecXfrm } from '../../../../lib/plan/ha/payload-ipsec.js';
import type { XfrmObjects } from '../../../../lib/plan/common/xfrm-objects.js';
import { DEFAULT_XFRM_BANDS as BANDS, stateKey } from '../../../../lib/plan/common/xfrm-objects.js';

const HA = ip6('2001:db8:aa::1');
const HOA = ip6('2001:db8:aa::100');
const A = ip6('2001:db8:f1::10');
const B = ip6('2001:db8:f2::10');
const C = ip6('2001:db8:f2::99');
const aead = { name: 'rfc4106(gcm(aes))', key: new Uint8Array(20).fill(9), icvBits: 128 };
/** The home agent's view, and the mobile node's (directions swapped). */
const HA_SAS: HoaIpsecSas = { spiIn: 0x1001, spiOut: 0x1002, aead, payload: { spiIn: 0x2001, spiOut: 0x2002, aead } };
const MN_SAS: HoaIpsecSas = { spiIn: 0x1002, spiOut: 0x1001, aead, payload: { spiIn: 0x2002, spiOut: 0x2001, aead } };
const R = BANDS.reqidBase + MN_PAYLOAD_REQID_OFFSET;

const entry = (iface: string, careOf: Ip6 | null, state: BulView['state'], more: Partial<BulView> = {}): BulView => ({
  peer: HA, role: 'ha', bid: Number(iface.slice(-1)), iface, careOf, homeBinding: false, state,
  sequence: 1, lifetimeSeconds: 300, expiresAtMs: null, failedStatus: null, ...more,
});

test('MCoA §8.3.2: the mobile node\'s objects mirror the home agent\'s for the same SAs and care-of addresses', () => {
  const mn = mobileNodePayloadXfrm(MN_SAS.payload!, HA, [A, B], R, BANDS);
  const ha = payloadIpsecXfrm(HA, [{ local: HA, remote: A }, { local: HA, remote: B }], HA_SAS.payload!, BANDS.reqidBase + 1, BANDS);
  // Same SA identities (source, destination, SPI) at both ends, same keys; the reqid is each end's own.
  const ids = (o: XfrmObjects): string[] => o.states.map((s) => `${stateKey(s)} ${s.aead?.name} ${Buffer.from(s.aead!.key).toString('hex')}`).sort();
  assert.deepEqual(ids(mn), ids(ha));
  // Each home agent policy has its opposite at the mobile node, proto 41, ESP required: the
  // home agent's outbound ones are the node's inbound ones; the node's one outbound policy
  // (any source) covers every inbound one of the home agent, and a care-of address not yet
  // accepted too, so a moved tunnel never sends in clear.
  const sel = (o: XfrmObjects, dir: 'in' | 'out'): string[] =>
    o.policies.filter((p) => p.dir === dir).map((p) => `${p.selector.src}/${p.selector.srcLen}>${p.selector.dst}/${p.selector.dstLen} ${p.selector.proto}`).sort();
  assert.deepEqual(sel(mn, 'in'), sel(ha, 'out'));
  assert.deepEqual(sel(mn, 'out'), [`::/0>${HA}/128 41`]);
  assert.deepEqual(sel(ha, 'in'), [`${A}/128>${HA}/128 41`, `${B}/128>${HA}/128 41`].sort());
  for (const p of mn.policies) {
    assert.equal(p.priority, BANDS.priorityBase + PAYLOAD_PRIORITY_OFFSET);
    assert.deepEqual(p.templates, [{ proto: 50, mode: 0, reqid: R }]);
  }
  assert.ok(mn.states.every((s) => s.reqid === R && s.mode === 0 && s.proto === 50));
  assert.deepEqual(mn.states[0], { proto: 50, mode: 0, reqid: R, aead, src: '::', dst: HA, spi: 0x2001 }, 'one outbound SA for every care-of address');
  assert.deepEqual(mobileNodePayloadXfrm(MN_SAS.payload!, HA, [], R, BANDS), { states: [], policies: [] }, 'no care-of address: nothing');
});

test('the payload reqid is not the signalling reqid (the kernel picks outbound SAs to HA by reqid)', () => {
  assert.equal(mobileNodePayloadReqid(MN_SAS, HOA, BANDS), R);
  assert.notEqual(mobileNodePayloadReqid(MN_SAS, HOA, BANDS), BANDS.reqidBase + 1);
  assert.equal(mobileNodePayloadReqid({ ...MN_SAS, reqid: R }, HOA, BANDS), R + 1);
});

test('plan: accepted care-of addresses protected; a pending new address keeps the old one until its BA; then a move', () => {
  const p1 = planMobileNodePayload(new Map(), [entry('mn1', A, 'registered'), entry('mn2', B, 'registered'), entry('mn3', null, 'pending')], [A, B]);
  assert.deepEqual(p1.coas, [A, B]);
  assert.deepEqual(p1.moves, []);
  // mn2's address changes to C: BU sent, awaiting the BA: B stays.
  const p2 = planMobileNodePayload(p1.current, [entry('mn1', A, 'registered'), entry('mn2', C, 'pending')], [A]);
  assert.deepEqual(p2.coas, [A, B]);
  assert.deepEqual(p2.moves, []);
  // The BA: C accepted, a move B -> C.
  const p3 = planMobileNodePayload(p2.current, [entry('mn1', A, 'registered'), entry('mn2', C, 'registered')], [A, C]);
  assert.deepEqual(p3.coas, [A, C]);
  assert.deepEqual(p3.moves, [{ iface: 'mn2', bid: 2, from: B, to: C }]);
  // Refused (failed) or gone: dropped, no move.
  assert.deepEqual(planMobileNodePayload(p2.current, [entry('mn1', A, 'registered'), entry('mn2', C, 'failed')], [A]).coas, [A]);
  // Registered but the interface no longer holds it (not in accepted): dropped.
  assert.deepEqual(planMobileNodePayload(p1.current, [entry('mn1', A, 'registered'), entry('mn2', B, 'registered')], [A]).coas, [A]);
});

test('plan: no move when the old address is still used by another binding, or the new one was already protected; others ignored', () => {
  const prev = new Map([['mn1', A], ['mn2', B]]);
  // mn2 moves to A, which mn1 had: no move (A's SA exists).
  assert.deepEqual(planMobileNodePayload(prev, [entry('mn1', A, 'registered'), entry('mn2', A, 'registered')], [A]).moves, []);
  // mn1 moves to B while mn2 keeps B: the old A is free but B was protected: no move.
  assert.deepEqual(planMobileNodePayload(prev, [entry('mn1', B, 'registered'), entry('mn2', B, 'registered')], [B]).moves, []);
  // Correspondent entries and the home binding are not tunnels.
  const other = [entry('mn1', A, 'registered', { role: 'cn', peer: ip6('2001:db8:c::10') }), entry('mn2', HOA, 'registered', { homeBinding: true })];
  assert.deepEqual(planMobileNodePayload(new Map(), other, [A, HOA]).coas, []);
});

test('K-bit migration: through the old inbound policy, the inbound SA from (HA, old) to (HA, new)', () => {
  const m = mobileNodePayloadMigration(HA, { iface: 'mn2', bid: 2, from: B, to: C }, R, BANDS);
  assert.deepEqual(m.policy, { selector: { src: HA, srcLen: 128, dst: B, dstLen: 128, proto: 41 }, dir: 'in' });
  assert.deepEqual(m.entry, { oldSrc: HA, oldDst: B, newSrc: HA, newDst: C, proto: 50, mode: 0, reqid: R });
});

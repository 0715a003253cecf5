// Payload ESP objects (MCoA §8.3.2) and K-bit moves (§8.1), pure: one row per rule.
import type { Ip6 } from '../../../../lib/inet/ip6.js';
import { ip6 } from '../../../ip6.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HoaIpsecSas } from '../../../../lib/config/daemon-config.js';
import type { Binding } from '../../../../lib/proto/common/binding.js';
import type { CacheEvent } from '../../../../lib/proto/common/outcome.js';
import { POLICY_PRIORITY_OFFSET } from '../../../../lib/plan/ha/signalling-ipsec.js';
import {
  PAYLOAD_PRIORITY_OFFSET, payloadIpsecXfrm, payloadMigration, payloadMoves, payloadSpiClashes,
} from '../../../../lib/plan/ha/payload-ipsec.js';
import { DEFAULT_XFRM_BANDS as BANDS, policyKey, stateKey } from '../../../../lib/reconcile/drivers/xfrm.js';

const HA = ip6('2001:db8:aa::1');
const A = ip6('2001:db8:1::10');
const B = ip6('2001:db8:1::11');
const C = ip6('2001:db8:1::12');
const R = BANDS.reqidBase + 7;
const aead = { name: 'rfc4106(gcm(aes))', key: new Uint8Array(20).fill(7), icvBits: 128 };
const PAYLOAD = { spiIn: 0x2001, spiOut: 0x2002, aead };

test('§8.3.2: per tunnel an outbound SA to the care-of address and proto-41 policies both ways; one inbound SA', () => {
  const o = payloadIpsecXfrm(HA, [{ local: HA, remote: A }, { local: HA, remote: B }], PAYLOAD, R, BANDS);
  assert.deepEqual(o.states.map((s) => `${s.src}>${s.dst} spi ${s.spi.toString(16)} p${s.proto} mode ${s.mode} reqid ${s.reqid} ${s.aead?.name}`), [
    `::>${HA} spi 2001 p50 mode 0 reqid ${R} rfc4106(gcm(aes))`,
    `${HA}>${A} spi 2002 p50 mode 0 reqid ${R} rfc4106(gcm(aes))`,
    `${HA}>${B} spi 2002 p50 mode 0 reqid ${R} rfc4106(gcm(aes))`,
  ]);
  assert.deepEqual(o.policies.map((p) => `${p.dir} ${p.selector.src}/${p.selector.srcLen}>${p.selector.dst}/${p.selector.dstLen} p${p.selector.proto}`), [
    `out ${HA}/128>${A}/128 p41`, `in ${A}/128>${HA}/128 p41`, `out ${HA}/128>${B}/128 p41`, `in ${B}/128>${HA}/128 p41`,
  ]);
  for (const p of o.policies) {
    assert.deepEqual(p.templates, [{ proto: 50, mode: 0, reqid: R }], 'ESP transport, required (not optional)');
    assert.equal(p.priority, BANDS.priorityBase + PAYLOAD_PRIORITY_OFFSET);
  }
  // Every key distinct: the reconciler holds them side by side.
  assert.equal(new Set(o.states.map(stateKey)).size, 3);
  assert.equal(new Set(o.policies.map(policyKey)).size, 4);
});

test('no tunnels (no binding, or only a home binding): no payload objects at all', () => {
  assert.deepEqual(payloadIpsecXfrm(HA, [], PAYLOAD, R, BANDS), { states: [], policies: [] });
});

test('payload policies sit in the band, after the signalling ones and before the Home Address option policy', () => {
  assert.ok(PAYLOAD_PRIORITY_OFFSET > POLICY_PRIORITY_OFFSET.ipsec);
  assert.ok(PAYLOAD_PRIORITY_OFFSET < POLICY_PRIORITY_OFFSET.homeAddressOption);
});

const sas = (spiIn: number, payloadSpiIn?: number): HoaIpsecSas => ({
  spiIn, spiOut: spiIn + 1, aead, ...(payloadSpiIn === undefined ? {} : { payload: { ...PAYLOAD, spiIn: payloadSpiIn } }),
});

test('a payload spi_in another home address uses for an inbound SA (signalling or payload) is a clash', () => {
  assert.deepEqual([...payloadSpiClashes({ [ip6('2001:db8:aa::1')]: sas(0x100, 0x200), [ip6('2001:db8:aa::2')]: sas(0x300, 0x400) })], []);
  assert.deepEqual([...payloadSpiClashes({ [ip6('2001:db8:aa::1')]: sas(0x100, 0x300), [ip6('2001:db8:aa::2')]: sas(0x300) })], [[ip6('2001:db8:aa::1'), ip6('2001:db8:aa::2')]]);
  assert.deepEqual([...payloadSpiClashes({ [ip6('2001:db8:aa::1')]: sas(0x100, 0x500), [ip6('2001:db8:aa::2')]: sas(0x300, 0x500) })].sort(), [[ip6('2001:db8:aa::1'), ip6('2001:db8:aa::2')], [ip6('2001:db8:aa::2'), ip6('2001:db8:aa::1')]]);
});

function binding(bid: number, coa: Ip6): Binding {
  return { hoa: ip6('2001:db8:aa::1'), bid, coa } as unknown as Binding;
}
const moved = (bid: number, from: Ip6, to: Ip6): CacheEvent => ({ type: 'updated', binding: binding(bid, to), previous: binding(bid, from), reason: 'bu' } as unknown as CacheEvent);

const MOVE_ROWS: { name: string; events: CacheEvent[]; before: Ip6[]; after: Ip6[]; expect: string[] }[] = [
  { name: '§8.1: BID 1 from A to B moves its SA', events: [moved(1, A, B)], before: [A], after: [B], expect: [`1 ${A}>${B}`] },
  { name: 'A still used by another BID: its SA stays, B gets a new one', events: [moved(1, A, B)], before: [A], after: [A, B], expect: [] },
  { name: 'B already had an SA (another BID): nothing moves', events: [moved(1, A, B)], before: [A, B], after: [B], expect: [] },
  { name: 'a refresh from the same address is no move', events: [moved(1, A, A)], before: [A], after: [A], expect: [] },
  { name: 'two BIDs swap addresses: both SAs stay', events: [moved(1, A, B), moved(2, B, A)], before: [A, B], after: [A, B], expect: [] },
  { name: 'bulk: two BIDs move to two new addresses', events: [moved(1, A, B), moved(2, C, ip6('2001:db8:1::13'))], before: [A, C], after: [B, ip6('2001:db8:1::13')],
    expect: [`1 ${A}>${B}`, `2 ${C}>2001:db8:1::13`] },
  { name: 'two BIDs from A to B (one SA): moved once', events: [moved(1, A, B), moved(2, A, B)], before: [A], after: [B], expect: [`1 ${A}>${B}`] },
  { name: 'to the home link (no tunnel): nothing to move to', events: [moved(1, A, ip6('2001:db8:aa::1'))], before: [A], after: [], expect: [] },
  { name: 'added and removed bindings are no moves', events: [{ type: 'added', binding: binding(1, B), reason: 'bu' } as unknown as CacheEvent], before: [], after: [B], expect: [] },
];

for (const row of MOVE_ROWS) {
  test(`care-of moves: ${row.name}`, () => {
    const got = payloadMoves(row.events, new Set(row.before), new Set(row.after));
    assert.deepEqual(got.map((m) => `${m.bid} ${m.from}>${m.to}`), row.expect);
  });
}

test('§8.1 migrate step: the old outbound policy, and its ESP transport SA from (HA, old) to (HA, new) with the reqid', () => {
  const m = payloadMigration(HA, { hoa: ip6(ip6('2001:db8:aa::1')), bid: 1, from: A, to: B }, R, BANDS);
  assert.deepEqual(m.policy, { selector: { src: HA, srcLen: 128, dst: A, dstLen: 128, proto: 41 }, dir: 'out' });
  assert.deepEqual(m.entry, { oldSrc: HA, oldDst: A, newSrc: HA, newDst: B, proto: 50, mode: 0, reqid: R });
  // The policy it names is the one payloadIpsecXfrm installed for A.
  const installed = payloadIpsecXfrm(HA, [{ local: HA, remote: A }], PAYLOAD, R, BANDS).policies[0]!;
  assert.equal(policyKey({ ...m.policy }), policyKey(installed));
});

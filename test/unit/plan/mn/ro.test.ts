// The mobile node's route optimisation objects from its Binding Update List (lib/plan/mn/ro.ts).
import type { Ip6 } from '../../../../lib/inet/ip6.js';
import { ip6 } from '../../../ip6.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BulView } from '../../../../lib/proto/mn/index.js';
import { correspondentBindings, mobileNodeRoObjects } from '../../../../lib/plan/mn/ro.js';
import { DEFAULT_XFRM_BANDS } from '../../../../lib/plan/common/xfrm-objects.js';

const B = DEFAULT_XFRM_BANDS;
const CN = ip6('2001:db8:c::10');
const HOA = ip6('2001:db8:aa::100');
const [C1, C2, C3] = [ip6('2001:db8:f1::10'), ip6('2001:db8:f2::10'), ip6('2001:db8:f3::10')] as const;

test('Binding Update List -> hao state per correspondent at the lowest registered BID its interface still holds', () => {
  const HA = ip6('2001:db8:aa::1');
  const cn2 = ip6('2001:db8:c::20');
  const e = (peer: Ip6, role: 'ha' | 'cn', bid: number | null, iface: string, careOf: Ip6, state: 'registered' | 'pending' = 'registered') =>
    ({ peer, role, bid, iface, careOf, homeBinding: false, state, sequence: 1, lifetimeSeconds: 420, expiresAtMs: 0, failedStatus: null });
  const bul = [
    e(HA, 'ha', 1, 'mn1', C1), // home agent entries make no RO state
    e(CN, 'cn', 2, 'mn2', C2),
    e(CN, 'cn', 1, 'mn1', C1),
    e(CN, 'cn', 3, 'mn3', C3),
    e(cn2, 'cn', 1, 'mn1', C1, 'pending'), // not registered yet
    e(cn2, 'cn', null, 'mn3', C3), // a regular binding (no BID)
  ];
  const hao = (holds: (i: string, c: string) => boolean): string[] =>
    mobileNodeRoObjects(bul, holds, HOA, [CN, cn2], B).states.map((s) => `${s.dst} ${s.coaddr}`).sort();
  assert.deepEqual(hao(() => true), [`${CN} ${C1}`, `${cn2} ${C3}`]);
  // mn1 lost its address: the correspondent's state moves to BID 2 at once, before the list catches up.
  assert.deepEqual(hao((i) => i !== 'mn1'), [`${CN} ${C2}`, `${cn2} ${C3}`]);
  assert.equal(mobileNodeRoObjects([], () => true, HOA, [CN], B).policies.length, 1, 'only the inbound policy without bindings');
});

const entry = (peer: Ip6, role: 'ha' | 'cn', bid: number | null, iface: string | null, careOf: Ip6 | null, state: BulView['state'] = 'registered'): BulView =>
  ({ peer, role, bid, iface, careOf, homeBinding: false, state, sequence: 1, lifetimeSeconds: 420, expiresAtMs: 0, failedStatus: null });

const CN_ROWS: [string, BulView[], string[]][] = [
  ['a registered correspondent binding counts', [entry(CN, 'cn', 1, 'mn1', C1)], [`${CN}: 1 ${C1} mn1`]],
  ['home agent entries are not route optimisation', [entry(CN, 'ha', 1, 'mn1', C1)], []],
  ['a binding still waiting for its BA does not count yet', [entry(CN, 'cn', 1, 'mn1', C1, 'pending')], []],
  ['no care-of address or no interface: nothing', [entry(CN, 'cn', 1, null, C1), entry(CN, 'cn', 2, 'mn2', null)], []],
  ['the interface no longer holds the care-of address: left out at once', [entry(CN, 'cn', 1, 'gone', C1), entry(CN, 'cn', 2, 'mn2', C2)], [`${CN}: 2 ${C2} mn2`]],
  ['a regular binding (no BID) counts as BID 0; list order kept', [entry(CN, 'cn', 3, 'mn3', C3), entry(CN, 'cn', null, 'mn1', C1)], [`${CN}: 3 ${C3} mn3, 0 ${C1} mn1`]],
];

for (const [name, bul, want] of CN_ROWS) {
  test(`correspondent bindings: ${name}`, () => {
    const got = [...correspondentBindings(bul, (iface) => iface !== 'gone')].map(([cn, list]) => `${cn}: ${list.map((b) => `${b.bid} ${b.coa} ${b.iface}`).join(', ')}`);
    assert.deepEqual(got, want);
  });
}

// The correspondent node's route optimisation objects from its binding cache
// (lib/plan/cn/ro.ts): one row per rule of RFC 6275 §9.3 (Home Address option in) and §6.4
// (type 2 routing header out), at the lowest BID's care-of address per home address.
import type { Ip6 } from '../../../../lib/inet/ip6.js';
import { ip6 } from '../../../ip6.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bindingFlags, NO_PREFIXES, type Binding } from '../../../../lib/proto/common/binding.js';
import { BindingCache } from '../../../../lib/proto/common/cache.js';
import { correspondentXfrm } from '../../../../lib/plan/cn/ro.js';
import { correspondentStaticXfrm } from '../../../../lib/plan/common/ro-xfrm.js';
import { DEFAULT_XFRM_BANDS, policyKey, stateKey } from '../../../../lib/plan/common/xfrm-objects.js';

const B = DEFAULT_XFRM_BANDS;
const CN = ip6('2001:db8:c::10');
const HOA = ip6('2001:db8:aa::100');
const OTHER = ip6('2001:db8:aa::200');
const [C1, C2, C3] = [ip6('2001:db8:f1::10'), ip6('2001:db8:f2::10'), ip6('2001:db8:f3::10')] as const;
const ROUTING = 43;
const RO = 2;

function binding(hoa: Ip6, bid: number, coa: Ip6): Binding {
  return { hoa, bid, coa, registeredAtMs: 0, expiresAtMs: 420_000, lifetimeSeconds: 420, lastSequence: 1, flags: bindingFlags(false, false, false, false), mobileNetworkPrefixes: NO_PREFIXES, homeBinding: false };
}

const route2 = (cache: BindingCache): string[] =>
  correspondentXfrm(CN, cache, B).states.filter((s) => s.proto === ROUTING).map((s) => `${s.src}>${s.dst} coa ${s.coaddr}`).sort();

const ROWS: [string, [Ip6, number, Ip6][], string[]][] = [
  ['§9.3: no bindings: only the static objects (wildcard hao state, inbound policy)', [], []],
  ['§6.4: one binding: a route2 state from the correspondent to the home address via its care-of address', [[HOA, 0, C1]], [`${CN}>${HOA} coa ${C1}`]],
  ['MCoA: several BIDs: the lowest BID\'s care-of address, whatever the order', [[HOA, 2, C2], [HOA, 1, C1], [HOA, 3, C3]], [`${CN}>${HOA} coa ${C1}`]],
  ['one state per home address', [[HOA, 2, C2], [OTHER, 0, C3]], [`${CN}>${HOA} coa ${C2}`, `${CN}>${OTHER} coa ${C3}`]],
];

for (const [name, bindings, want] of ROWS) {
  test(name, () => {
    const cache = new BindingCache();
    for (const [hoa, bid, coa] of bindings) cache.put(binding(hoa, bid, coa));
    assert.deepEqual(route2(cache), want);
    const all = correspondentXfrm(CN, cache, B);
    assert.deepEqual(all.states[0], correspondentStaticXfrm(CN, B).states[0], 'the static objects first');
    for (const s of all.states.filter((x) => x.proto === ROUTING)) assert.equal(s.mode, RO);
  });
}

test('correspondent cache -> objects: one route2 state per home address at its lowest BID, switching when it goes', () => {
  const cache = new BindingCache();
  cache.put(binding(HOA, 2, C2));
  cache.put(binding(HOA, 1, C1));
  cache.put(binding(HOA, 3, C3));
  cache.put(binding(OTHER, 0, C3));
  const route2 = (): string[] => correspondentXfrm(CN, cache, B).states.filter((s) => s.proto === ROUTING).map((s) => `${s.dst} ${s.coaddr}`).sort();
  assert.deepEqual(route2(), [`${HOA} ${C1}`, `${OTHER} ${C3}`]);
  cache.remove(HOA, 1);
  assert.deepEqual(route2(), [`${HOA} ${C2}`, `${OTHER} ${C3}`], 'the next lowest BID takes over');
  cache.removeAll(HOA);
  assert.deepEqual(route2(), [`${OTHER} ${C3}`]);
  const all = correspondentXfrm(CN, cache, B);
  // Keys are unique, so the reconciler holds each object once.
  assert.equal(new Set(all.states.map(stateKey)).size, all.states.length);
  assert.equal(new Set(all.policies.map(policyKey)).size, all.policies.length);
  assert.deepEqual(correspondentXfrm(CN, new BindingCache(), B), correspondentStaticXfrm(CN, B), 'no bindings: only the static objects');
});

// The correspondent's inbound Home Address option check (lib/plan/cn/hao-inbound.ts), one
// row per rule of RFC 6275 §9.3.1: which care-of addresses a home address's packets may come from.
import type { Ip6 } from '../../../../lib/inet/ip6.js';
import { ip6 } from '../../../ip6.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bindingFlags, NO_PREFIXES, type Binding } from '../../../../lib/proto/common/binding.js';
import { BindingCache } from '../../../../lib/proto/common/cache.js';
import { CN_HAO_IN_REQID_OFFSET, correspondentHaoInbound } from '../../../../lib/plan/cn/hao-inbound.js';
import { correspondentXfrm } from '../../../../lib/plan/cn/ro.js';
import { RO_POLICY_PRIORITY_OFFSET, wildcardRoState } from '../../../../lib/plan/common/ro-xfrm.js';
import { DEFAULT_XFRM_BANDS, policyKey, stateKey } from '../../../../lib/plan/common/xfrm-objects.js';

const B = DEFAULT_XFRM_BANDS;
const CN = ip6('2001:db8:c::10');
const HOA = ip6('2001:db8:aa::100');
const OTHER = ip6('2001:db8:aa::200');
const [C1, C2, C3] = [ip6('2001:db8:f1::10'), ip6('2001:db8:f2::10'), ip6('2001:db8:f3::10')] as const;
const DSTOPTS = 60;
const MH = 135;
const RO = 2;

function binding(hoa: Ip6, bid: number, coa: Ip6): Binding {
  return { hoa, bid, coa, registeredAtMs: 0, expiresAtMs: 420_000, lifetimeSeconds: 420, lastSequence: 1, flags: bindingFlags(false, false, false, false), mobileNetworkPrefixes: NO_PREFIXES, homeBinding: false };
}

function cacheOf(bindings: readonly [Ip6, number, Ip6][]): BindingCache {
  const cache = new BindingCache();
  for (const [hoa, bid, coa] of bindings) cache.put(binding(hoa, bid, coa));
  return cache;
}

/** Per home address, the care-of address its packets may come from (the exact state's), and whether a policy asks for it. */
function allowed(cache: BindingCache): string[] {
  const o = correspondentHaoInbound(CN, cache, B);
  return o.states.map((s) => {
    const p = o.policies.find((x) => x.selector.src === s.src);
    const asks = p?.templates.length === 1 && p.templates[0]!.reqid === s.reqid;
    return `${s.src}: ${s.coaddr}${asks ? '' : ' (no policy asks for it)'}`;
  }).sort();
}

const ROWS: [string, [Ip6, number, Ip6][], string[]][] = [
  ['§9.3.1 no bindings: no home address may send with the option (no policy: the kernel reports it)', [], []],
  ['§9.3.1 one binding: its care-of address only', [[HOA, 0, C1]], [`${HOA}: ${C1}`]],
  ['MCoA: the lowest BID\'s care-of address, the one route optimisation uses both ways', [[HOA, 3, C3], [HOA, 2, C2], [HOA, 1, C1]], [`${HOA}: ${C1}`]],
  ['§9.3.1 per home address: a care-of address bound to another home address does not count', [[HOA, 1, C1], [OTHER, 1, C2]], [`${HOA}: ${C1}`, `${OTHER}: ${C2}`]],
  ['one care-of address bound to two home addresses: a state for each', [[HOA, 1, C1], [OTHER, 1, C1]], [`${HOA}: ${C1}`, `${OTHER}: ${C1}`]],
];

for (const [name, bindings, want] of ROWS) {
  test(name, () => assert.deepEqual(allowed(cacheOf(bindings)), want));
}

test('§9.3.1 the kernel objects: an exact hao state (home address to correspondent, care-of address), an optional template asking for its reqid', () => {
  const o = correspondentHaoInbound(CN, cacheOf([[HOA, 1, C1]]), B);
  const p = o.policies[0]!;
  const s = o.states[0]!;
  assert.deepEqual([p.dir, p.selector.src, p.selector.srcLen, p.selector.dst, p.selector.dstLen, p.selector.proto], ['in', HOA, 128, CN, 128, 0]);
  assert.deepEqual(p.templates, [{ proto: DSTOPTS, mode: RO, reqid: B.reqidBase + CN_HAO_IN_REQID_OFFSET, optional: true }]);
  // The kernel looks the state up by (destination, home address) and checks its coa against the packet's source.
  assert.deepEqual([s.src, s.dst, s.proto, s.mode, s.coaddr, s.flags ?? 0, s.reqid], [HOA, CN, DSTOPTS, RO, C1, 0, B.reqidBase + CN_HAO_IN_REQID_OFFSET], 'an exact state, not wildrecv');
  assert.notEqual(s.reqid, wildcardRoState(DSTOPTS, B).reqid, 'the wildcard state cannot satisfy the template');
  assert.ok(s.reqid < B.reqidBase + B.reqidCount, 'inside our reqid band');
});

test('a BU from a new care-of address still gets in: the Mobility Header policy wins over the home address policy', () => {
  const all = correspondentXfrm(CN, cacheOf([[HOA, 1, C1]]), B);
  const inbound = all.policies.filter((p) => p.dir === 'in');
  const mh = inbound.find((p) => p.selector.proto === MH)!;
  const hoa = inbound.find((p) => p.selector.src === HOA)!;
  assert.ok(mh.priority < hoa.priority, 'lower priority value wins');
  assert.equal(hoa.priority, B.priorityBase + RO_POLICY_PRIORITY_OFFSET.homeAddressInbound);
  assert.deepEqual(mh.templates, [{ proto: DSTOPTS, mode: RO, optional: true }], 'any care-of address');
  for (const p of all.policies) assert.ok(p.priority >= B.priorityBase && p.priority < B.priorityBase + B.priorityCount, 'inside our band');
  assert.equal(new Set(all.states.map(stateKey)).size, all.states.length, 'state keys unique');
  assert.equal(new Set(all.policies.map(policyKey)).size, all.policies.length, 'policy keys unique');
});

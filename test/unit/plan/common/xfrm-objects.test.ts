// What the XFRM planners share (lib/plan/common/xfrm-objects.ts, stable.ts): the kernel's
// identity of states and policies, merging and keying sets, and keeping unchanged objects.
import { ip6 } from '../../../ip6.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { XfrmPolicy } from '../../../../lib/platform/xfrm/policy.js';
import type { XfrmState } from '../../../../lib/platform/xfrm/state.js';
import { keyedXfrm, mergeXfrm, NO_XFRM_OBJECTS, policyKey, stateKey } from '../../../../lib/plan/common/xfrm-objects.js';
import { keepUnchanged } from '../../../../lib/plan/common/stable.js';

const A = ip6('2001:db8::a');
const B = ip6('2001:db8::b');
const state = (over: Partial<XfrmState> = {}): XfrmState => ({ src: A, dst: B, proto: 50, spi: 0x100, mode: 0, reqid: 1, ...over });
const policy = (over: Partial<XfrmPolicy> = {}): XfrmPolicy => ({ selector: { src: A, srcLen: 128, dst: B, dstLen: 128, proto: 41 }, dir: 'out', priority: 10, templates: [], ...over });

const KEY_ROWS: [string, boolean, () => [string, string]][] = [
  // [rule, same key?, the two keys]
  ['state: (proto, src, dst, spi) identify it', false, () => [stateKey(state()), stateKey(state({ spi: 0x101 }))]],
  ['state: the reqid, mode and keys are not part of its identity', true, () => [stateKey(state()), stateKey(state({ reqid: 9, mode: 2 }))]],
  ['state: route-optimisation states differ by source', false, () => [stateKey(state({ proto: 60, spi: 0 })), stateKey(state({ proto: 60, spi: 0, src: ip6('::') }))]],
  ['policy: direction is part of its identity', false, () => [policyKey(policy()), policyKey(policy({ dir: 'in' }))]],
  ['policy: the MH type of the selector is part of it', false, () => [policyKey(policy({ selector: { ...policy().selector, proto: 135, mhType: 5 } })), policyKey(policy({ selector: { ...policy().selector, proto: 135, mhType: 6 } }))]],
  ['policy: priority and templates are not (XFRM_MSG_UPDPOLICY replaces them)', true, () => [policyKey(policy()), policyKey(policy({ priority: 99, templates: [{ proto: 50, mode: 0, reqid: 1 }] }))]],
  ['policy: main and sub types differ', false, () => [policyKey(policy()), policyKey(policy({ type: 'sub' }))]],
];

for (const [name, same, keys] of KEY_ROWS) {
  test(name, () => {
    const [a, b] = keys();
    assert.equal(a === b, same, `${a} / ${b}`);
  });
}

test('merge: states with states, policies with policies, in order; keyed by identity', () => {
  const s1 = state();
  const s2 = state({ spi: 0x200 });
  const p1 = policy();
  const merged = mergeXfrm([{ states: [s1], policies: [] }, NO_XFRM_OBJECTS, { states: [s2], policies: [p1] }]);
  assert.deepEqual(merged, { states: [s1, s2], policies: [p1] });
  const keyed = keyedXfrm(merged);
  assert.deepEqual([...keyed.states.keys()], [stateKey(s1), stateKey(s2)]);
  assert.equal(keyed.policies.get(policyKey(p1)), p1);
});

test('keepUnchanged: an equal object keeps its old identity; a changed or new one is the new object', () => {
  const old = new Map([['a', { x: 1 }], ['b', { x: 2 }], ['gone', { x: 3 }]]);
  const next = new Map([['a', { x: 1 }], ['b', { x: 20 }], ['new', { x: 4 }]]);
  const a = old.get('a');
  const kept = keepUnchanged(old, next);
  assert.equal(kept.get('a'), a);
  assert.deepEqual(kept.get('b'), { x: 20 });
  assert.notEqual(kept.get('b'), old.get('b'));
  assert.deepEqual([...kept.keys()], ['a', 'b', 'new'], 'the keys are the new set\'s');
  assert.equal(keepUnchanged(undefined, next), next, 'nothing before: the new set as it is');
});

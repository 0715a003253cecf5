// The home agent's incremental desired set (lib/plan/ha/desired-index.ts): each home address's
// objects recomputed alone, an object shared by several home addresses kept while any wants
// it; one row per case, as the puts the last update makes and the set it leaves.
import { ip6 } from '../../../ip6.js';
import type { Ip6 } from '../../../../lib/inet/ip6.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bindingFlags, NO_PREFIXES, type Binding } from '../../../../lib/proto/common/binding.js';
import { BindingCache } from '../../../../lib/proto/common/cache.js';
import { desiredForHomeAddress, desiredState } from '../../../../lib/plan/ha/desired.js';
import { DesiredIndex } from '../../../../lib/plan/ha/desired-index.js';
import { KIND_ORDER, kernelWants } from '../../../../lib/plan/ha/kernel-wants.js';
import { RecordingSink } from '../recording-sink.js';

const HA = ip6('2001:db8:1::1');
const IF = 'eth0';
const CFG = { homeAgentAddress: HA, homeLinkInterface: IF };
const H1 = ip6('2001:db8:1::a');
const H2 = ip6('2001:db8:1::b');
const H3 = ip6('2001:db8:1::c');
const C1 = ip6('2001:db8:a::1');
const C2 = ip6('2001:db8:b::2');

/** One update: the home address and the (bid, care-of address) of all its bindings now. */
type Step = [hoa: Ip6, bindings: [number, Ip6][]];

function binding(hoa: Ip6, bid: number, coa: Ip6): Binding {
  return { hoa, bid, coa, registeredAtMs: 0, expiresAtMs: 1, lifetimeSeconds: 1, lastSequence: 1, flags: bindingFlags(true, false, false, false), mobileNetworkPrefixes: NO_PREFIXES, homeBinding: false };
}

function run(steps: Step[]) {
  const cache = new BindingCache();
  const sink = new RecordingSink();
  const index = new DesiredIndex(sink);
  for (const [hoa, bindings] of steps) {
    cache.removeAll(hoa);
    for (const [bid, coa] of bindings) cache.put(binding(hoa, bid, coa));
    sink.take();
    index.update(hoa, desiredForHomeAddress(cache, hoa, CFG));
  }
  return { cache, sink, index };
}

const T1 = `${HA}|${C1}`;
const T2 = `${HA}|${C2}`;

const ROWS: [string, Step[], string[]][] = [
  ['a first binding: its tunnel, next hop, route and proxy entry are written', [[H1, [[1, C1]]]], [
    `set tunnel ${T1}`, `set nexthop t|${T1}`, `set route ${H1}/128`, `set proxy ${IF}|${H1}`,
  ]],
  ['a second BID at another care-of address: a group replaces the single next hop', [[H1, [[1, C1]]], [H1, [[1, C1], [2, C2]]]], [
    `set tunnel ${T1}`, `set tunnel ${T2}`, `set nexthop t|${T1}`, `set nexthop t|${T2}`,
    `set group t|${T1}*1;t|${T2}*1`, `set route ${H1}/128`, `set proxy ${IF}|${H1}`,
  ]],
  ['a care-of address given up: its tunnel and next hop cleared, the group gone', [[H1, [[1, C1], [2, C2]]], [H1, [[1, C1]]]], [
    `clear tunnel ${T2}`, `set tunnel ${T1}`, `clear nexthop t|${T2}`, `set nexthop t|${T1}`,
    `clear group t|${T1}*1;t|${T2}*1`, `set route ${H1}/128`, `set proxy ${IF}|${H1}`,
  ]],
  ['a tunnel shared with another home address: kept (rewritten with the other\'s object) when one leaves', [[H1, [[1, C1]]], [H2, [[1, C1]]], [H1, []]], [
    `set tunnel ${T1}`, `set nexthop t|${T1}`, `clear route ${H1}/128`, `clear proxy ${IF}|${H1}`,
  ]],
  ['the last owner leaving: cleared', [[H1, [[1, C1]]], [H2, [[1, C1]]], [H1, []], [H2, []]], [
    `clear tunnel ${T1}`, `clear nexthop t|${T1}`, `clear route ${H2}/128`, `clear proxy ${IF}|${H2}`,
  ]],
  ['three owners, two leave, the last still holds it; then it leaves too: cleared', [[H1, [[1, C1]]], [H2, [[1, C1]]], [H3, [[1, C1]]], [H2, []], [H1, []], [H3, []]], [
    `clear tunnel ${T1}`, `clear nexthop t|${T1}`, `clear route ${H3}/128`, `clear proxy ${IF}|${H3}`,
  ]],
  ['a shared object back to one owner, which re-registers: kept', [[H1, [[1, C1]]], [H2, [[1, C1]]], [H1, []], [H2, [[1, C1]]]], [
    `set tunnel ${T1}`, `set nexthop t|${T1}`, `set route ${H2}/128`, `set proxy ${IF}|${H2}`,
  ]],
  ['the same bindings again: the same keys written (the reconciler compares with what the kernel holds)', [[H1, [[1, C1]]], [H1, [[1, C1]]]], [
    `set tunnel ${T1}`, `set nexthop t|${T1}`, `set route ${H1}/128`, `set proxy ${IF}|${H1}`,
  ]],
];

for (const [name, steps, puts] of ROWS) {
  test(name, () => {
    const { cache, sink } = run(steps);
    assert.deepEqual(sink.take(), puts);
    // Whatever the path, the set left is what the whole cache wants now.
    const whole = kernelWants(desiredState(cache, CFG));
    for (const kind of KIND_ORDER) assert.deepEqual(sink.keys(kind), [...whole[kind].keys()].sort(), kind);
  });
}

test('home addresses: those that want something, in update order', () => {
  const { index } = run([[H1, [[1, C1]]], [H2, [[1, C2]]], [H1, []]]);
  assert.deepEqual([...index.homeAddresses()], [H2]);
});

test('sink values are the wanted objects themselves', () => {
  const { sink } = run([[H1, [[1, C1]]]]);
  assert.deepEqual(sink.get('tunnel', T1), { local: HA, remote: C1 });
  assert.deepEqual(sink.get('route', `${H1}/128`), { dst: H1, dstLen: 128, via: { kind: 'nexthop', key: `t|${T1}` } });
  assert.deepEqual(sink.get('proxy', `${IF}|${H1}`), { dst: H1, interface: IF });
});

// RFC 6089 flows as kernel classification (lib/plan/ha/flow-steering.ts) and the shared data
// plane's flow filters (shared-dataplane.ts): one row per rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bindingFlags, NO_PREFIXES, type Binding } from '../../../../lib/proto/common/binding.js';
import { flowPrio, flowSteering, rangeToPrefixes, selectorMatches, MAX_FILTERS_PER_FLOW } from '../../../../lib/plan/ha/flow-steering.js';
import { sharedWantsFor } from '../../../../lib/plan/ha/shared-dataplane.js';
import { emptyDesired } from '../../../../lib/plan/ha/desired.js';
import type { FlowBinding } from '../../../../lib/proto/ha/flow-bindings.js';
import type { Ip6TrafficSelector } from '../../../../lib/wire/flow/flow-types.js';
import { ip6Octets } from '../../../../lib/inet/ip6-write.js';
import { ip6 } from '../../../ip6.js';
import type { Ip6 } from '../../../../lib/inet/ip6.js';

const HA = ip6('2001:db8:1::1');
const HOA = ip6('2001:db8:1::a');
const C1 = ip6('2001:db8:a::1');
const C2 = ip6('2001:db8:b::2');
const ts = (s: Omit<Ip6TrafficSelector, 'format'>): Ip6TrafficSelector => ({ format: 'ipv6', ...s });
const b = (bid: number, coa: Ip6, homeBinding = false): Binding => ({
  hoa: HOA, bid, coa, registeredAtMs: 0, expiresAtMs: 1, lifetimeSeconds: 1, lastSequence: 1, flags: bindingFlags(true, false, false, false), mobileNetworkPrefixes: NO_PREFIXES, homeBinding,
});
const flow = (fid: number, priority: number, selector: Ip6TrafficSelector, bids: number[], extra: Partial<FlowBinding> = {}): FlowBinding => ({
  hoa: HOA, fid, priority, action: bids.length === 0 ? 'discard' : 'forward', selector, bids, active: true, ...extra,
});

const rows: [string, Ip6TrafficSelector, unknown][] = [
  ['RFC 6088 §3.2 next header + destination port: one exact match', ts({ nextHeaderStart: 17, destinationPortStart: 5004 }), [{ ipProto: 17, dstPort: { min: 5004, max: 5004 } }]],
  ['port range: flower range keys', ts({ nextHeaderStart: 6, destinationPortStart: 80, destinationPortEnd: 90 }), [{ ipProto: 6, dstPort: { min: 80, max: 90 } }]],
  ['ports without next header: TCP, UDP and SCTP', ts({ sourcePortStart: 53 }), [6, 17, 132].map((p) => ({ ipProto: p, srcPort: { min: 53, max: 53 } }))],
  ['ports with a next header that has none: nothing matches', ts({ nextHeaderStart: 58, destinationPortStart: 1 }), []],
  ['source range aligned to a prefix: one /64', ts({ sourceAddressStart: ip6Octets(ip6('2001:db8:c::')), sourceAddressEnd: ip6Octets(ip6('2001:db8:c:0:ffff:ffff:ffff:ffff')) }), [{ src: { addr: '2001:db8:c::', len: 64 } }]],
  ['source range of three addresses: two prefixes', ts({ sourceAddressStart: ip6Octets(ip6('2001:db8:c::1')), sourceAddressEnd: ip6Octets(ip6('2001:db8:c::3')) }), [{ src: { addr: '2001:db8:c::1', len: 128 } }, { src: { addr: '2001:db8:c::2', len: 127 } }]],
  ['traffic class range 0xb8..0xbb: one value under mask 0xfc', ts({ trafficClassStart: 0xb8, trafficClassEnd: 0xbb }), [{ tos: { value: 0xb8, mask: 0xfc } }]],
  ['destination range without the home address: nothing to match here', ts({ destinationAddressStart: ip6Octets(ip6('2001:db8:9::1')) }), []],
  ['destination range holding the home address: no key (the dispatch selected it)', ts({ destinationAddressStart: ip6Octets(HOA), nextHeaderStart: 58 }), [{ ipProto: 58 }]],
];
for (const [name, selector, want] of rows) {
  test(`flow steering: ${name}`, () => {
    const m = selectorMatches(selector, HOA);
    assert.ok(m.ok);
    assert.deepEqual(m.matches, want);
  });
}

test('flow steering: SPI and flow label are refused with a reason; too many filters too', () => {
  for (const s of [ts({ spiStart: 1 }), ts({ flowLabelStart: 5 }), ts({ nextHeaderStart: 0, nextHeaderEnd: 200 })]) {
    const m = selectorMatches(s, HOA);
    assert.equal(m.ok, false);
  }
  assert.equal(rangeToPrefixes(1n, 2n ** 100n, 128, MAX_FILTERS_PER_FLOW), undefined);
});

test('flow steering: FID-PRI orders tc priorities (0 -> 1, 65535 -> 65535)', () => {
  assert.deepEqual([flowPrio(0), flowPrio(10), flowPrio(65534), flowPrio(65535)], [1, 11, 65535, 65535]);
});

test('flow steering: forward to the first registered BID of the reference (tunnel_key to its care-of address); discard drops; inactive and home-binding-only flows are not steered', () => {
  const sel = ts({ nextHeaderStart: 17 });
  const s = flowSteering(HOA, [flow(1, 10, sel, [3, 2]), flow(2, 20, sel, []), flow(3, 30, sel, [1], { active: false }), flow(4, 40, sel, [4])], [b(2, C1), b(3, C2), b(4, HOA, true)], HA);
  assert.deepEqual(s.steers.map((x) => [x.fid, x.prio, x.target]), [
    [1, 11, { kind: 'tunnel', src: HA, dst: C2 }],
    [2, 21, { kind: 'drop' }],
  ]);
  const t = flowSteering(HOA, [flow(1, 10, sel, [3, 2])], [b(2, C1)], HA);
  assert.deepEqual(t.steers[0]!.target, { kind: 'tunnel', src: HA, dst: C1 }, 'the next BID of the reference takes over');
});

test('shared plan: flows become filters keyed HOA|FID|index and one dispatch filter per home address', () => {
  const d = emptyDesired();
  d.flows = flowSteering(HOA, [flow(7, 5, ts({ sourcePortStart: 53 }), [2])], [b(2, C1)], HA).steers;
  const w = sharedWantsFor(HOA, d, { device: 'dev' });
  assert.deepEqual([...w['flow-filter'].keys()], [`${HOA}|7|1`, `${HOA}|7|2`, `${HOA}|7|3`]);
  assert.deepEqual(w['flow-filter'].get(`${HOA}|7|2`), { device: 'dev', hoa: HOA, fid: 7, index: 2, prio: 6, match: { ipProto: 17, srcPort: { min: 53, max: 53 } }, target: { kind: 'tunnel', src: HA, dst: C1 } });
  assert.deepEqual([...w['flow-dispatch'].entries()], [[HOA, { device: 'dev', hoa: HOA }]]);
  assert.equal(sharedWantsFor(HOA, emptyDesired(), { device: 'dev' })['flow-dispatch'].size, 0, 'no flows: no dispatch filter');
});

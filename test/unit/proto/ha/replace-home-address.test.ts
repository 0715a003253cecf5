// Cluster mode: a home address's record from the shared store replaces what the core holds
// for it (HomeAgent.replaceHomeAddress), with one event per binding that changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HomeAgent } from '../../../../lib/proto/ha/home-agent.js';
import { bindingFlags, type Binding } from '../../../../lib/proto/common/binding.js';
import { COA1, COA2, HOA, bid, haConfig, makeBu, received } from '../fixtures.js';

const NOW = 1_000_000;

function binding(b: number, coa: string, over: Partial<Binding> = {}): Binding {
  return {
    hoa: HOA, bid: b, coa: coa as Binding['coa'], registeredAtMs: NOW, expiresAtMs: NOW + 400_000, lifetimeSeconds: 400, lastSequence: 7,
    flags: bindingFlags(true, false, false, false), mobileNetworkPrefixes: [], homeBinding: false, ...over,
  };
}

const events = (ha: HomeAgent, list: Binding[], seq = 7): string[] => ha.replaceHomeAddress(HOA, list, seq, NOW).map((e) => `${e.type} ${e.binding.bid} ${e.reason}`);

test('replaceHomeAddress: added, unchanged, moved and removed bindings; the sequence number follows the record', () => {
  const ha = new HomeAgent(haConfig());
  assert.deepEqual(events(ha, [binding(1, COA1), binding(2, COA2)]), ['added 1 replicated', 'added 2 replicated']);
  assert.equal(ha.cache.lastSequence(HOA), 7);
  assert.deepEqual(events(ha, [binding(1, COA1), binding(2, COA2)]), [], 'the same record changes nothing');
  assert.deepEqual(events(ha, [binding(1, COA2, { lastSequence: 9 })], 9), ['removed 2 replicated', 'updated 1 replicated']);
  assert.equal(ha.cache.lookupExact(HOA, 1)?.coa, COA2);
  assert.equal(ha.cache.lastSequence(HOA), 9);
  assert.deepEqual(events(ha, []), ['removed 1 replicated'], 'an absent record removes the home address');
  assert.equal(ha.cache.record(HOA), undefined);
});

test('replaceHomeAddress: bindings already expired are left out', () => {
  const ha = new HomeAgent(haConfig());
  assert.deepEqual(events(ha, [binding(1, COA1, { expiresAtMs: NOW }), binding(2, COA2)]), ['added 2 replicated']);
});

test('replaceHomeAddress: a DAD in progress for the home address ends, its held BA dropped; the next BU is decided on the record (RFC 6275 §9.5.1 sequence)', () => {
  const ha = new HomeAgent(haConfig());
  const o = ha.processBu(received(makeBu({ seq: 3, options: [bid(1, { coa: COA1 })] }), { nowMs: NOW }));
  assert.ok(o.dad, 'the first binding of the home address starts DAD');
  ha.replaceHomeAddress(HOA, [binding(1, COA2, { lastSequence: 20 })], 20, NOW);
  assert.equal(ha.cache.isDadPending(HOA), false);
  assert.equal(ha.dadResult(HOA, true).ba, null, 'no held BA left to send');
  const old = ha.processBu(received(makeBu({ seq: 15, options: [bid(1, { coa: COA1 })] }), { nowMs: NOW }));
  assert.ok(old.statuses.every((s) => s.status >= 128), 'a sequence number not above the record\'s is refused');
  const next = ha.processBu(received(makeBu({ seq: 21, options: [bid(1, { coa: COA1 })] }), { nowMs: NOW }));
  assert.ok(next.statuses.every((s) => s.status < 128), 'the next one is accepted');
});

test('shares: a BU records the service address it was sent to; the record\'s address replaces it, a change alone updates every binding', () => {
  const A = '2001:db8:1::a' as Binding['coa'];
  const B = '2001:db8:1::b' as Binding['coa'];
  const ha = new HomeAgent(haConfig());
  assert.equal(ha.serviceOf(HOA), haConfig().homeAgentAddress, 'no binding: the configured home agent address');
  const o = ha.processBu({ ...received(makeBu({ seq: 3, options: [bid(1, { coa: COA1 })] }), { nowMs: NOW, dst: A }), serviceAddress: A });
  assert.ok(o.statuses.every((s) => s.status < 128));
  assert.equal(ha.serviceOf(HOA), A);
  assert.equal(o.dad ? ha.dadResult(HOA, true).ba?.src : o.ba?.src, A, 'the BA comes from the address the BU was sent to');
  const list = [binding(1, COA1), binding(2, COA2)];
  ha.replaceHomeAddress(HOA, list, 7, NOW, A);
  assert.deepEqual(ha.replaceHomeAddress(HOA, list, 7, NOW, A).length, 0, 'same bindings, same address: nothing');
  assert.deepEqual(ha.replaceHomeAddress(HOA, list, 7, NOW, B).map((e) => `${e.type} ${e.binding.bid}`), ['updated 1', 'updated 2'], 'moved to B: its tunnels must follow');
  assert.equal(ha.serviceOf(HOA), B);
  ha.replaceHomeAddress(HOA, list, 7, NOW);
  assert.equal(ha.serviceOf(HOA), haConfig().homeAgentAddress, 'a record without an address: home_agent.address');
  const brr = ha.pollRefreshRequests(NOW + 400_000 - 1);
  assert.ok(brr.requests.length > 0 && brr.requests.every((r) => r.src === haConfig().homeAgentAddress));
  ha.replaceHomeAddress(HOA, list.map((b) => ({ ...b, expiresAtMs: b.expiresAtMs + 1 })), 7, NOW, B);
  const moved = ha.pollRefreshRequests(NOW + 400_000);
  assert.ok(moved.requests.length > 0 && moved.requests.every((r) => r.src === B), 'refresh requests come from the service address');
});

test('a single home agent (no serviceAddress in the BU): the configured address, whatever the destination', () => {
  const ha = new HomeAgent(haConfig());
  ha.processBu(received(makeBu({ seq: 3, options: [bid(1, { coa: COA1 })] }), { nowMs: NOW, dst: '2001:db8:1::a' }));
  assert.equal(ha.serviceOf(HOA), haConfig().homeAgentAddress);
  assert.equal(ha.cache.record(HOA)?.serviceAddress, undefined);
});

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

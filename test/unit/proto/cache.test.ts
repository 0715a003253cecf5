// Binding cache, lazy expiry heap and sequence number comparison.
import { ip6 } from '../../ip6.js';
import type { Ip6 } from '../../../lib/inet/ip6.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BindingCache } from '../../../lib/proto/common/cache.js';
import { LazyMinHeap } from '../../../lib/proto/common/heap.js';
import { bindingFlags, NO_PREFIXES, type Binding } from '../../../lib/proto/common/binding.js';
import { sequenceNewer } from '../../../lib/proto/common/sequence.js';
import { COA1, COA2, HOA, HOA2 } from './fixtures.js';

function b(hoa: Ip6, bid: number, expiresAtMs: number, coa = COA1, seq = 1): Binding {
  return {
    hoa,
    bid,
    coa,
    registeredAtMs: 0,
    expiresAtMs,
    lifetimeSeconds: expiresAtMs / 1000,
    lastSequence: seq,
    flags: bindingFlags(true, false, false, false),
    mobileNetworkPrefixes: NO_PREFIXES,
    homeBinding: false,
  };
}

const seqRows: [number, number, boolean][] = [
  [16, 15, true],
  [15, 15, false],
  [0, 15, false],
  [32782, 15, true],
  [32783, 15, false],
  [65535, 15, false],
  [2, 65535, true],
  [0, 65535, true],
  [32767, 0, true],
  [32768, 0, false],
];
for (const [a, last, newer] of seqRows) {
  test(`RFC 6275 §9.5.1 sequence ${a} after ${last}: ${newer ? 'newer' : 'not newer'}`, () => {
    assert.equal(sequenceNewer(a, last), newer);
  });
}

test('heap pops in key order and skips stale entries', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 1000 }), fc.boolean()), { maxLength: 200 }), (items) => {
      const live = new Set<number>();
      const objs = items.map(([k, alive], i) => ({ k, i, alive }));
      const h = new LazyMinHeap<{ k: number; i: number; alive: boolean }>((o) => o.k, (o) => o.alive);
      for (const o of objs) {
        h.push(o);
        if (o.alive) live.add(o.i);
      }
      const out: number[] = [];
      for (let o = h.popIfAtMost(Infinity); o; o = h.popIfAtMost(Infinity)) out.push(o.k);
      assert.deepEqual(out, objs.filter((o) => o.alive).map((o) => o.k).sort((x, y) => x - y));
      assert.equal(out.length, live.size);
    }),
  );
});

test('cache: put replaces the same (hoa, bid); lookups; removeAll', () => {
  const c = new BindingCache();
  assert.equal(c.put(b(HOA, 1, 1000)), undefined);
  const old = c.lookupExact(HOA, 1)!;
  assert.equal(c.put(b(HOA, 1, 2000, COA2)), old);
  c.put(b(HOA, 2, 3000));
  c.put(b(HOA2, 0, 4000));
  assert.equal(c.size, 3);
  assert.equal(c.homeAddressCount, 2);
  assert.equal(c.lookupExact(HOA, 1)?.coa, COA2);
  assert.equal(c.lookup(HOA2, 7)?.bid, 0, 'fallback to the home address alone');
  assert.deepEqual(c.removeAll(HOA).map((x) => x.bid), [1, 2]);
  assert.equal(c.size, 1);
  assert.equal(c.record(HOA), undefined);
});

test('cache: one sequence per home address, forgotten with its last binding (RFC 6275 §9.5.1)', () => {
  const c = new BindingCache();
  c.put(b(HOA, 1, 1000, COA1, 7));
  assert.equal(c.lastSequence(HOA), 7);
  c.put(b(HOA, 2, 1000, COA2, 9));
  c.setLastSequence(HOA, 9);
  assert.equal(c.lastSequence(HOA), 9);
  c.remove(HOA, 1);
  c.remove(HOA, 2);
  assert.equal(c.lastSequence(HOA), undefined);
  c.setLastSequence(HOA, 3);
  assert.equal(c.lastSequence(HOA), undefined, 'no record is created by a sequence alone');
});

test('cache: stale heap entries stay bounded under constant refreshes', () => {
  const c = new BindingCache();
  for (let i = 0; i < 100; i++) c.put(b(ip6(`2001:db8:1::${i.toString(16)}`), 1, 1_000_000));
  for (let round = 1; round <= 100; round++) {
    for (let i = 0; i < 100; i++) c.put(b(ip6(`2001:db8:1::${i.toString(16)}`), 1, 1_000_000 + round));
  }
  // 10,100 pushes for 100 live bindings: compaction keeps the heap near 2 x live + slack.
  const heapLength = (c as unknown as { expiry: { length: number } }).expiry.length;
  assert.ok(heapLength <= 2 * 100 + 1024 + 1, `heap holds ${heapLength}`);
  assert.equal(c.expire(1_000_099).length, 0);
  assert.equal(c.expire(1_000_100).length, 100);
});

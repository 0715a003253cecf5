// The replicated binding store against a real etcd: compare-and-swap keeps every acknowledged
// write when two nodes update one home address at once, refreshes within the bounds cost no
// write (the key's mod revision does not move), and a removal deletes the key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterKeys } from '../../../lib/cluster/keys.js';
import { ReplicatedBindingStore } from '../../../lib/cluster/replicated-store.js';
import type { BindingRecord } from '../../../lib/cluster/binding-record.js';
import { decodeRecord } from '../../../lib/cluster/binding-record.js';
import type { StoredBinding } from '../../../lib/store/records.js';
import { ip6 } from '../../ip6.js';
import { hoaOf, stored } from '../store/fixtures.js';
import { skip, useEtcd } from './etcd-fixture.js';

const etcd = useEtcd();
const keys = new ClusterKeys('/t-store/');
const BOUNDS = { expiryLagMs: 120_000, sequenceLag: 16 };

/** A change that adds (or replaces) one binding and takes the sequence number one up. */
function add(b: StoredBinding) {
  return (cur: BindingRecord | null) => ({
    sequence: ((cur?.sequence ?? 0) + 1) & 0xffff,
    bindings: [...(cur?.bindings ?? []).filter((x) => x.bid !== b.bid), b],
  });
}

async function storedRecord(hoa: ReturnType<typeof hoaOf>): Promise<{ record: BindingRecord | null; modRevision: number }> {
  const r = await etcd.client().get(keys.binding(hoa)).exec();
  const kv = r.kvs[0];
  if (!kv) return { record: null, modRevision: 0 };
  const d = decodeRecord(hoa, kv.value.toString('utf8'));
  assert.ok(d.ok, d.ok ? '' : d.error);
  return { record: d.record, modRevision: Number(kv.mod_revision) };
}

test('two nodes write one home address from the same stale revision: the loser re-reads and re-applies, both bindings stay', { skip }, async () => {
  const hoa = hoaOf(1);
  const a = new ReplicatedBindingStore(etcd.client(), keys, 'ha1', BOUNDS);
  const b = new ReplicatedBindingStore(etcd.client(), keys, 'ha2', BOUNDS);
  await a.read(hoa);
  await b.read(hoa);
  const ra = await a.update(hoa, add(stored(1, { bid: 1 })));
  const rb = await b.update(hoa, add(stored(1, { bid: 2, coa: ip6('2001:db8:b::2') })));
  assert.ok(ra.written && rb.written);
  assert.equal(rb.attempts, 2, 'b wrote on a stale revision first');
  assert.equal(b.stats.conflicts, 1);
  const s = await storedRecord(hoa);
  assert.deepEqual(s.record?.bindings.map((x) => x.bid).sort(), [1, 2]);
  assert.equal(s.record?.sequence, 2, 'both sequence steps applied, one on top of the other');
  assert.equal(s.record?.writer, 'ha2');
});

test('concurrent updates of one home address from two clients never lose an acknowledged write', { skip }, async () => {
  const hoa = hoaOf(2);
  const nodes = [new ReplicatedBindingStore(etcd.client(), keys, 'ha1', BOUNDS), new ReplicatedBindingStore(etcd.client(), keys, 'ha2', BOUNDS)];
  const acked: number[] = [];
  const per = 40;
  await Promise.all(nodes.map(async (store, n) => {
    for (let i = 0; i < per; i++) {
      const bid = n * 1000 + i + 1;
      const r = await store.update(hoa, add(stored(2, { bid, coa: ip6(`2001:db8:${n + 10}::${i + 1}`) })));
      assert.ok(r.written);
      acked.push(bid);
    }
  }));
  const s = await storedRecord(hoa);
  const bids = new Set(s.record?.bindings.map((x) => x.bid));
  assert.equal(acked.length, 2 * per);
  for (const bid of acked) assert.ok(bids.has(bid), `acknowledged BID ${bid} lost`);
  assert.equal(s.record?.sequence, 2 * per, 'every update applied exactly once');
  const conflicts = nodes[0]!.stats.conflicts + nodes[1]!.stats.conflicts;
  console.log(`# concurrent CAS: ${2 * per} acknowledged updates, ${conflicts} lost rounds re-applied`);
});

test('refreshes within the bounds are not written (mod revision unchanged); past the sequence bound one is', { skip }, async () => {
  const hoa = hoaOf(3);
  const store = new ReplicatedBindingStore(etcd.client(), keys, 'ha1', BOUNDS);
  const first = stored(3, { bid: 1, lastSequence: 1 });
  await store.update(hoa, () => ({ sequence: 1, bindings: [first] }));
  const at = (await storedRecord(hoa)).modRevision;
  let written = 0;
  for (let seq = 2; seq <= 1 + BOUNDS.sequenceLag; seq++) {
    const r = await store.update(hoa, () => ({ sequence: seq, bindings: [{ ...first, lastSequence: seq, expiresAtWallMs: first.expiresAtWallMs + seq * 1000 }] }));
    if (r.written) written++;
  }
  assert.equal(written, 0);
  assert.equal((await storedRecord(hoa)).modRevision, at, 'no write reached etcd');
  const over = 2 + BOUNDS.sequenceLag;
  const r = await store.update(hoa, () => ({ sequence: over, bindings: [{ ...first, lastSequence: over }] }));
  assert.ok(r.written && /sequence lag/.test(r.reason));
  assert.equal((await storedRecord(hoa)).record?.sequence, over);
  assert.equal(store.stats.skipped, BOUNDS.sequenceLag);
});

test('removing the last binding deletes the key; the next registration creates it again', { skip }, async () => {
  const hoa = hoaOf(4);
  const store = new ReplicatedBindingStore(etcd.client(), keys, 'ha1', BOUNDS);
  await store.update(hoa, add(stored(4, { bid: 1 })));
  const r = await store.update(hoa, () => ({ sequence: 2, bindings: [] }));
  assert.ok(r.written && r.reason === 'removed');
  assert.equal((await storedRecord(hoa)).record, null);
  const again = await store.update(hoa, add(stored(4, { bid: 1 })));
  assert.ok(again.written && again.reason === 'created');
});

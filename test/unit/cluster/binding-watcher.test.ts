// The watcher against a real etcd: a restarted watcher replays exactly what changed since its
// last revision (no full read), a watcher survives etcd restarting mid-stream without a
// reload or a duplicate, and one whose revision was compacted away falls back to a full load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BindingWatcher } from '../../../lib/cluster/binding-watcher.js';
import { ClusterKeys } from '../../../lib/cluster/keys.js';
import { ReplicatedBindingStore } from '../../../lib/cluster/replicated-store.js';
import type { Ip6 } from '../../../lib/inet/ip6.js';
import { hoaOf, stored } from '../store/fixtures.js';
import { skip, until, useEtcd } from './etcd-fixture.js';

const etcd = useEtcd();
const BOUNDS = { expiryLagMs: 120_000, sequenceLag: 16 };

/** Writes n's binding with BID `bid` (a change: always written); returns the store revision. */
async function put(w: ReplicatedBindingStore, n: number, bid: number): Promise<number> {
  const r = await w.update(hoaOf(n), (cur) => ({ sequence: ((cur?.sequence ?? 0) + 1) & 0xffff, bindings: [...(cur?.bindings ?? []), stored(n, { bid })] }));
  assert.ok(r.written);
  return r.revision;
}

async function remove(w: ReplicatedBindingStore, n: number): Promise<number> {
  const r = await w.update(hoaOf(n), () => ({ sequence: 0, bindings: [] }));
  assert.ok(r.written);
  return r.revision;
}

/** What the reader holds, as home address -> BIDs, for comparison with a fresh full read. */
function view(store: ReplicatedBindingStore, hoas: Ip6[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const h of hoas) {
    const k = store.cached(h);
    if (k?.record) out[h] = k.record.bindings.map((b) => b.bid);
  }
  return out;
}

test('a restarted watcher replays only what changed since its last revision', { skip }, async () => {
  const keys = new ClusterKeys('/t-resume/');
  const writer = new ReplicatedBindingStore(etcd.client(), keys, 'ha1', BOUNDS);
  for (const n of [0, 1, 2]) await put(writer, n, 1);
  const reader = new ReplicatedBindingStore(etcd.client(), keys, 'ha2', BOUNDS);
  const seen: string[] = [];
  const first = new BindingWatcher(etcd.client(), keys, reader, (hoa) => seen.push(hoa));
  await first.start();
  assert.equal(first.stats.fullLoads, 1);
  assert.equal(seen.length, 3);
  const from = first.lastRevision;
  await first.stop();
  // Changes while no watcher runs: a new BID, a removal, a new home address.
  let last = await put(writer, 0, 2);
  last = await remove(writer, 1);
  last = await put(writer, 3, 1);
  seen.length = 0;
  const second = new BindingWatcher(etcd.client(), keys, reader, (hoa) => seen.push(hoa));
  await second.start(from);
  await until('the three changes', () => second.lastRevision >= last);
  assert.equal(second.stats.fullLoads, 0, 'resumed, not reloaded');
  assert.deepEqual(seen, [hoaOf(0), hoaOf(1), hoaOf(3)]);
  assert.equal(second.stats.events, 3);
  const all = [0, 1, 2, 3].map(hoaOf);
  const fresh = new ReplicatedBindingStore(etcd.client(), keys, 'check', BOUNDS);
  for (const h of all) await fresh.read(h);
  assert.deepEqual(view(reader, all), view(fresh, all));
  assert.deepEqual(view(reader, all), { [hoaOf(0)]: [1, 2], [hoaOf(2)]: [1], [hoaOf(3)]: [1] });
  await second.stop();
});

test('etcd restarts mid-stream: the watcher resumes from its revision, no reload, no duplicate, nothing missed', { skip }, async () => {
  const keys = new ClusterKeys('/t-restart/');
  const writer = new ReplicatedBindingStore(etcd.client(), keys, 'ha1', BOUNDS);
  const reader = new ReplicatedBindingStore(etcd.client(), keys, 'ha2', BOUNDS);
  const revisions: number[] = [];
  const watcher = new BindingWatcher(etcd.client(), keys, reader, (_hoa, known) => revisions.push(known.asOf));
  await watcher.start();
  let last = 0;
  for (let i = 0; i < 5; i++) last = await put(writer, 10 + i, 1);
  await until('the first writes', () => watcher.lastRevision >= last);
  await etcd.server().stop();
  await etcd.server().run();
  // The writer's client reconnects on its own; each write is a change, so each is an event.
  for (let i = 0; i < 5; i++) last = await put(writer, 10 + i, 2);
  await until('the writes after the restart', () => watcher.lastRevision >= last);
  assert.equal(watcher.stats.fullLoads, 1, 'only the first load');
  assert.equal(watcher.stats.events, 10);
  assert.deepEqual(revisions, [...revisions].sort((a, b) => a - b), 'applied in revision order');
  assert.equal(new Set(revisions).size, 10, 'no change applied twice');
  for (let i = 0; i < 5; i++) assert.deepEqual(reader.cached(hoaOf(10 + i))?.record?.bindings.map((b) => b.bid), [1, 2]);
  console.log(`# watcher across an etcd restart: ${watcher.stats.disconnects} disconnect(s), resumed at revision ${watcher.lastRevision}`);
  await watcher.stop();
});

test('a revision compacted away: the watcher falls back to a full load', { skip }, async () => {
  const keys = new ClusterKeys('/t-compact/');
  const writer = new ReplicatedBindingStore(etcd.client(), keys, 'ha1', BOUNDS);
  const from = await put(writer, 20, 1);
  await put(writer, 21, 1);
  const last = await put(writer, 21, 2);
  await etcd.client().kv.compact({ revision: String(last) });
  const reader = new ReplicatedBindingStore(etcd.client(), keys, 'ha2', BOUNDS);
  const watcher = new BindingWatcher(etcd.client(), keys, reader, () => {});
  await watcher.start(from);
  await until('the full load', () => watcher.stats.fullLoads === 1);
  await until('both home addresses', () => reader.cached(hoaOf(20))?.record !== undefined && reader.cached(hoaOf(21))?.record !== undefined);
  await watcher.stop();
});

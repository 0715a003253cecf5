// Persisting what the home agent core holds and putting it back after a restart: the
// restored cache equals the original, and a replayed old BU is still refused (RFC 6275
// §9.5.1 sequence check) because the per-home-address sequence number came back too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HomeAgent } from '../../../lib/proto/ha/home-agent.js';
import { BindingStore, recordsForEvents, restoreInto } from '../../../lib/store/index.js';
import type { BuOutcome } from '../../../lib/proto/common/outcome.js';
import { BaStatus } from '../../../lib/wire/types.js';
import { COA1, COA2, HOA, bid, haConfig, makeBu, received } from '../proto/fixtures.js';
import { tempDir } from './fixtures.js';

const T0 = 5_000; // the core's clock (monotonic, say)
const WALL_OFFSET = 1_700_000_000_000; // wall clock minus the core's clock

test('a restored home agent holds the same bindings and refuses a replayed old BU', async () => {
  const t = tempDir();
  try {
    const store = await BindingStore.open(t.dir);
    const ha = new HomeAgent(haConfig());
    const persist = async (o: BuOutcome) => {
      store.append(recordsForEvents(o.events, ha.cache, WALL_OFFSET, HOA));
      await store.commit();
    };
    const first = ha.processBu(received(makeBu({ seq: 10, options: [bid(1, { coa: COA1 }), bid(2, { coa: COA2 })] }), { nowMs: T0 }));
    await persist(first);
    await persist(ha.dadResult(HOA, true));
    const refresh = ha.processBu(received(makeBu({ seq: 11, lifetime: 200, options: [bid(2, { coa: COA2 })] }), { nowMs: T0 + 1000 }));
    assert.equal(refresh.ba?.message.status, 0);
    await persist(refresh);
    await store.close();

    // Restart: a new process, a new clock origin.
    const reopened = await BindingStore.open(t.dir);
    const restarted = new HomeAgent(haConfig());
    const newOffset = WALL_OFFSET + 60_000;
    restoreInto(restarted.cache, reopened.loadAll(), newOffset);
    const view = (h: HomeAgent, offset: number) =>
      [...h.cache].map((b) => ({ ...b, registeredAtMs: b.registeredAtMs + offset, expiresAtMs: b.expiresAtMs + offset }));
    assert.deepEqual(view(restarted, newOffset), view(ha, WALL_OFFSET));
    assert.equal(restarted.cache.lastSequence(HOA), 11);

    const replay = restarted.processBu(received(makeBu({ seq: 10, options: [bid(1, { coa: COA2 })] }), { nowMs: T0 }));
    assert.equal(replay.ba?.message.status, BaStatus.SEQUENCE_OUT_OF_WINDOW);
    assert.equal(replay.ba?.message.sequence, 11, 'the BA tells the node the last accepted sequence');
    assert.equal(restarted.cache.lookupExact(HOA, 1)?.coa, COA1, 'the replay changed nothing');
    await reopened.close();
  } finally {
    t.cleanup();
  }
});

test('a de-registration persists as deletes, and the home address is gone after reload', async () => {
  const t = tempDir();
  try {
    const store = await BindingStore.open(t.dir);
    const ha = new HomeAgent(haConfig());
    const o1 = ha.processBu(received(makeBu({ seq: 1, options: [bid(1, { coa: COA1 })] }), { nowMs: T0 }));
    store.append(recordsForEvents(o1.events, ha.cache, WALL_OFFSET, HOA));
    const o2 = ha.processBu(received(makeBu({ seq: 2, lifetime: 0, options: [bid(1, { coa: COA1 })] }), { nowMs: T0 + 1 }));
    assert.equal(ha.cache.size, 0);
    store.append(recordsForEvents(o2.events, ha.cache, WALL_OFFSET, HOA));
    await store.commit();
    assert.deepEqual(store.loadAll(), { bindings: [], sequences: new Map(), flows: new Map(), replica: null });
    await store.close();
  } finally {
    t.cleanup();
  }
});

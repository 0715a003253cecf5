// Cluster mode's records in the journal (store/replicated-records.ts): a home address's
// replicated record and the revision applied survive a reopen and a compaction; a deletion
// removes the record but keeps the revision; malformed records are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BindingStore, checkRecord } from '../../../lib/store/index.js';
import { replicatedRecord } from '../../../lib/store/replicated-records.js';
import { hoaOf, tempDir } from './fixtures.js';

async function withStore(fn: (dir: string) => Promise<void>): Promise<void> {
  const t = tempDir();
  try {
    await fn(t.dir);
  } finally {
    t.cleanup();
  }
}

test('journal: nothing saved is no resume point', () =>
  withStore(async (dir) => {
    const s = await BindingStore.open(dir);
    assert.equal(s.loadAll().replica, null);
    await s.close();
  }));

test('journal: replicated records and the revision survive a reopen and a compaction; a deletion keeps the revision', () =>
  withStore(async (dir) => {
    const s = await BindingStore.open(dir, { compactAfterRecords: 10 });
    for (let i = 0; i < 30; i++) s.append([replicatedRecord(hoaOf(i % 5), `{"n":${i}}`, 100 + i, 100 + i, 100 + i)]);
    s.append([replicatedRecord(hoaOf(4), null, 0, 130, 130)]);
    await s.commit();
    await s.close();
    assert.ok(s.stats.compactions >= 1, 'compacted at least once');
    const r = await BindingStore.open(dir);
    const saved = r.loadAll().replica!;
    assert.equal(saved.revision, 130);
    assert.deepEqual([...saved.records.keys()], [0, 1, 2, 3].map(hoaOf));
    assert.deepEqual(saved.records.get(hoaOf(3)), { value: '{"n":28}', modRevision: 128, asOf: 128 });
    await r.close();
  }));

const BAD: [string, Record<string, unknown>][] = [
  ['address not canonical', { hoa: '2001:DB8::1', value: null, modRevision: 0, asOf: 1, revision: 1 }],
  ['value a number', { hoa: hoaOf(0), value: 5, modRevision: 1, asOf: 1, revision: 1 }],
  ['revision negative', { hoa: hoaOf(0), value: '{}', modRevision: 1, asOf: 1, revision: -1 }],
  ['mod revision missing', { hoa: hoaOf(0), value: '{}', asOf: 1, revision: 1 }],
];
for (const [name, body] of BAD) {
  test(`replicated record refused: ${name}`, () => assert.equal(checkRecord({ op: 'replicated', ...body }).ok, false));
}

// The binding store: round trip, group commit, torn tails, corruption, compaction and
// every crash point of a compaction.
import { ip6, notIp6 } from '../../ip6.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BindingStore, StoreError, delHoaRecord, delRecord, putRecord, seqRecord } from '../../../lib/store/index.js';
import { encodeLine } from '../../../lib/store/line-format.js';
import { crc32 } from '../../../lib/store/crc32.js';
import { hoaOf, stored, tempDir } from './fixtures.js';

async function withStore(fn: (dir: string) => Promise<void>): Promise<void> {
  const t = tempDir();
  try {
    await fn(t.dir);
  } finally {
    t.cleanup();
  }
}

test('crc32 matches the IEEE check value', () => {
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  assert.equal(crc32(Buffer.alloc(0)), 0);
});

test('round trip: puts, replacement in place, deletes and sequences survive a reopen', () =>
  withStore(async (dir) => {
    const s = await BindingStore.open(dir);
    assert.equal((statSync(dir).mode & 0o777).toString(8), '700');
    s.append([putRecord(stored(0)), putRecord(stored(0, { bid: 2, coa: ip6('2001:db8:b::1') })), seqRecord(hoaOf(0), 7)]);
    s.append([putRecord(stored(1)), putRecord(stored(2, { mobileNetworkPrefixes: ['2001:db8:100::/48'], flags: { homeRegistration: true, r: true, l: false, k: true } }))]);
    await s.commit();
    s.append([putRecord(stored(0, { coa: ip6('2001:db8:c::9'), lastSequence: 8 })), seqRecord(hoaOf(0), 8), delRecord(hoaOf(1), 1), delHoaRecord(hoaOf(3))]);
    await s.commit();
    const before = s.loadAll();
    await s.close();

    const r = await BindingStore.open(dir);
    const after = r.loadAll();
    assert.deepEqual(after, before);
    assert.deepEqual(
      after.bindings.map((b) => [b.hoa, b.bid, b.coa]),
      [
        [hoaOf(0), 1, '2001:db8:c::9'], // replaced in place: still first, as in BindingCache
        [hoaOf(0), 2, '2001:db8:b::1'],
        [hoaOf(2), 1, stored(2).coa],
      ],
    );
    assert.deepEqual([...after.sequences], [[hoaOf(0), 8], [hoaOf(2), 2]]);
    assert.deepEqual(after.bindings[2]!.mobileNetworkPrefixes, ['2001:db8:100::/48']);
    await r.close();
  }));

test("sequences follow BindingCache's rules: kept only while the home address has bindings", () =>
  withStore(async (dir) => {
    const s = await BindingStore.open(dir);
    s.append([seqRecord(hoaOf(5), 9)]); // no bindings: ignored, as cache.setLastSequence does
    s.append([putRecord(stored(6, { lastSequence: 3 }))]); // a new home address starts at the binding's sequence
    s.append([putRecord(stored(7)), seqRecord(hoaOf(7), 40), delRecord(hoaOf(7), 1)]); // last binding gone: sequence gone
    await s.commit();
    assert.deepEqual([...s.loadAll().sequences], [[hoaOf(6), 3]]);
    await s.close();
  }));

test('group commit: commits asked for in one turn share one write and one fdatasync', () =>
  withStore(async (dir) => {
    const s = await BindingStore.open(dir);
    const commits = Array.from({ length: 50 }, (_, i) => {
      s.append([putRecord(stored(i))]);
      return s.commit();
    });
    await Promise.all(commits);
    assert.equal(s.stats.commits, 1);
    assert.equal(s.size, 50);
    // Records queued while a write is in flight go into the next one.
    s.append([putRecord(stored(100))]);
    const first = s.commit();
    await new Promise((r) => setImmediate(r));
    s.append([putRecord(stored(101))]);
    const second = s.commit();
    s.append([putRecord(stored(102))]);
    const third = s.commit();
    await Promise.all([first, second, third]);
    assert.equal(s.stats.commits, 3);
    assert.equal(s.size, 53);
    await s.commit(); // nothing queued: resolves at once
    assert.equal(s.stats.commits, 3);
    await s.close();
    const lines = readFileSync(join(dir, 'journal.1'), 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 3, 'one journal line per commit');
  }));

test('torn tail: a partial last line is ignored and cut away, and appending continues', () =>
  withStore(async (dir) => {
    const s = await BindingStore.open(dir);
    s.append([putRecord(stored(0))]);
    await s.commit();
    await s.close();
    const journal = join(dir, 'journal.1');
    const good = statSync(journal).size;
    const torn = encodeLine([putRecord(stored(1))]);
    appendFileSync(journal, torn.subarray(0, torn.length - 20));

    const r = await BindingStore.open(dir);
    assert.equal(r.stats.truncatedAtOpen, torn.length - 20);
    assert.equal(statSync(journal).size, good);
    assert.deepEqual(r.loadAll().bindings.map((b) => b.hoa), [hoaOf(0)]);
    r.append([putRecord(stored(2))]);
    await r.commit();
    await r.close();
    const again = await BindingStore.open(dir);
    assert.deepEqual(again.loadAll().bindings.map((b) => b.hoa), [hoaOf(0), hoaOf(2)]);
    await again.close();
  }));

test('torn tail: a complete last line with a bad checksum (zero-filled block) is the torn commit', () =>
  withStore(async (dir) => {
    const s = await BindingStore.open(dir);
    s.append([putRecord(stored(0))]);
    await s.commit();
    await s.close();
    appendFileSync(join(dir, 'journal.1'), Buffer.concat([Buffer.alloc(300), Buffer.from('\n')]));
    const r = await BindingStore.open(dir);
    assert.equal(r.size, 1);
    assert.equal(r.stats.truncatedAtOpen, 301);
    await r.close();
  }));

test('corruption before a good record is an error naming the file and offset', () =>
  withStore(async (dir) => {
    const s = await BindingStore.open(dir);
    for (let i = 0; i < 3; i++) {
      s.append([putRecord(stored(i))]);
      await s.commit();
    }
    await s.close();
    const journal = join(dir, 'journal.1');
    const buf = readFileSync(journal);
    const second = buf.indexOf(0x0a) + 1;
    buf[second + 30] = buf[second + 30]! ^ 0x01; // one bit flipped inside the second commit
    writeFileSync(journal, buf);
    await assert.rejects(BindingStore.open(dir), (e: unknown) => {
      assert.ok(e instanceof StoreError);
      assert.equal(e.code, 'STORE_CORRUPT');
      assert.equal(e.offset, second);
      assert.match(e.message, new RegExp(`journal\\.1: corrupt record at offset ${second}: checksum mismatch`));
      return true;
    });
  }));

test('a checksummed line holding a bad record is corruption, not a torn tail', () =>
  withStore(async (dir) => {
    await (await BindingStore.open(dir)).close();
    writeFileSync(join(dir, 'journal.1'), encodeLine([{ op: 'put', binding: { ...stored(0), hoa: notIp6('2001:DB8::1') } }]));
    await assert.rejects(BindingStore.open(dir), /record at offset 0: binding address is not canonical IPv6 text/);
    writeFileSync(join(dir, 'journal.1'), encodeLine([{ op: 'rename', hoa: hoaOf(0) }]));
    await assert.rejects(BindingStore.open(dir), /unknown record op "rename"/);
  }));

test('compaction: snapshot replaces old journals, and a reopen sees the same state', () =>
  withStore(async (dir) => {
    const errors: Error[] = [];
    const s = await BindingStore.open(dir, { compactAfterRecords: 20, onCompactionError: (e) => errors.push(e) });
    for (let i = 0; i < 100; i++) {
      s.append([putRecord(stored(i % 30, { lastSequence: i })), seqRecord(hoaOf(i % 30), i)]);
      if (i % 7 === 0) s.append([delRecord(hoaOf((i + 3) % 30), 1)]);
      await s.commit();
    }
    const before = s.loadAll();
    await s.close();
    assert.deepEqual(errors, []);
    assert.ok(s.stats.compactions >= 3, `compactions: ${s.stats.compactions}`);
    const files = readdirSync(dir).sort();
    assert.deepEqual(files, [`journal.${s.stats.generation}`, 'snapshot']);
    const r = await BindingStore.open(dir);
    assert.deepEqual(r.loadAll(), before);
    await r.close();
  }));

test('compaction crash points: every intermediate directory state reopens to the same bindings', () =>
  withStore(async (dir) => {
    // State A in journal.1, then B in journal.2, as after compaction step 1 and a commit.
    const a = [putRecord(stored(0)), seqRecord(hoaOf(0), 5)];
    const b = [putRecord(stored(0, { coa: ip6('2001:db8:c::1'), lastSequence: 3 })), putRecord(stored(1))];
    const s = await BindingStore.open(dir);
    s.append(a);
    await s.commit();
    await s.close();
    writeFileSync(join(dir, 'journal.2'), encodeLine(b));
    writeFileSync(join(dir, 'snapshot.tmp'), 'half a snapsh'); // crash during step 3
    const crashedBeforeRename = await BindingStore.open(dir);
    const expected = crashedBeforeRename.loadAll();
    assert.deepEqual([...expected.sequences], [[hoaOf(0), 5], [hoaOf(1), 1]]);
    assert.equal(expected.bindings[0]!.coa, '2001:db8:c::1');
    assert.equal(crashedBeforeRename.stats.generation, 2);
    await crashedBeforeRename.close();
    assert.ok(!readdirSync(dir).includes('snapshot.tmp'), 'leftover temp snapshot removed');

    // Crash after step 4, before 5: the new snapshot plus a journal.1 it already holds.
    // journal.1 gets a record that would change the state if it were wrongly replayed.
    const { writeSnapshot } = await import('../../../lib/store/snapshot.js');
    await writeSnapshot(dir, [...a], 2);
    writeFileSync(join(dir, 'journal.1'), encodeLine([delHoaRecord(hoaOf(0))]));
    const crashedBeforeUnlink = await BindingStore.open(dir);
    assert.deepEqual(crashedBeforeUnlink.loadAll(), expected);
    await crashedBeforeUnlink.close();
    assert.deepEqual(readdirSync(dir).sort(), ['journal.2', 'snapshot']);
  }));

test('a torn line in a journal that is not the newest is corruption', () =>
  withStore(async (dir) => {
    await (await BindingStore.open(dir)).close();
    writeFileSync(join(dir, 'journal.1'), Buffer.concat([encodeLine([putRecord(stored(0))]), Buffer.from('0000')]));
    writeFileSync(join(dir, 'journal.2'), encodeLine([putRecord(stored(1))]));
    await assert.rejects(BindingStore.open(dir), (e: unknown) => e instanceof StoreError && e.code === 'STORE_CORRUPT' && /journal\.1/.test(e.message));
  }));

test('a corrupt snapshot is an error, never a silent reset', () =>
  withStore(async (dir) => {
    const s = await BindingStore.open(dir, { compactAfterRecords: 1 });
    s.append([putRecord(stored(0))]);
    await s.commit();
    await s.close();
    const snap = join(dir, 'snapshot');
    const buf = readFileSync(snap);
    writeFileSync(snap, buf.subarray(0, buf.length - 5));
    await assert.rejects(BindingStore.open(dir), (e: unknown) => e instanceof StoreError && e.code === 'STORE_CORRUPT' && /snapshot: corrupt/.test(e.message));
  }));

test('dropExpired queues deletes for bindings past their wall-clock expiry', () =>
  withStore(async (dir) => {
    const s = await BindingStore.open(dir);
    s.append([putRecord(stored(0, { expiresAtWallMs: 1000 })), putRecord(stored(1, { expiresAtWallMs: 3000 }))]);
    await s.commit();
    assert.deepEqual(s.dropExpired(2000).map((b) => b.hoa), [hoaOf(0)]);
    assert.equal(s.size, 2, 'not applied before the commit');
    await s.commit();
    assert.deepEqual(s.loadAll().bindings.map((b) => b.hoa), [hoaOf(1)]);
    await s.close();
    assert.throws(() => s.append([putRecord(stored(2))]), (e: unknown) => e instanceof StoreError && e.code === 'STORE_CLOSED');
  }));

test('a failed write fails that commit and every later one', () =>
  withStore(async (dir) => {
    const s = await BindingStore.open(dir);
    // Close the journal's descriptor underneath the store: the next write fails with EBADF.
    await (s as unknown as { journal: { close(): Promise<void> } }).journal.close();
    s.append([putRecord(stored(0))]);
    await assert.rejects(s.commit(), (e: unknown) => e instanceof StoreError && e.code === 'STORE_FAILED' && /EBADF/.test(e.message));
    s.append([putRecord(stored(1))]);
    await assert.rejects(s.commit(), (e: unknown) => e instanceof StoreError && e.code === 'STORE_FAILED');
    assert.equal(s.size, 0);
  }));

// perTurn / perTurnByKey: one read per synchronous run, a fresh one after a microtask
// checkpoint; a throw is not remembered.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { perTurn, perTurnByKey } from '../../../lib/platform/sys/per-turn.js';

const checkpoint = (): Promise<void> => new Promise((r) => setImmediate(r));

test('perTurn: the same value within a run, read again after the run ends', async () => {
  let reads = 0;
  const now = perTurn(() => ++reads);
  assert.deepEqual([now(), now(), now()], [1, 1, 1]);
  await checkpoint();
  assert.deepEqual([now(), now()], [2, 2]);
  await Promise.resolve();
  assert.equal(now(), 3);
  assert.equal(reads, 3);
});

test('perTurn: a read that throws is tried again on the next call', () => {
  let fail = true;
  const v = perTurn(() => {
    if (fail) throw new Error('ENODEV');
    return 7;
  });
  assert.throws(v, /ENODEV/);
  fail = false;
  assert.equal(v(), 7);
});

test('perTurnByKey: one read per key and run', async () => {
  const reads: string[] = [];
  const link = perTurnByKey((name: string) => {
    reads.push(name);
    return { name, index: reads.length };
  });
  assert.equal(link('home0').index, 1);
  assert.equal(link('home0').index, 1);
  assert.equal(link('eth1').index, 2);
  await checkpoint();
  assert.equal(link('home0').index, 3);
  assert.deepEqual(reads, ['home0', 'eth1', 'home0']);
});

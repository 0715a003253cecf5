// Whether etcd answers, and since when: the state changes on the first round trip that
// contradicts it and keeps its time while round trips agree (`show cluster`: "unreachable since").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdHealth } from '../../../lib/cluster/etcd-health.js';

test('etcd health: unreachable since the first unanswered round trip, reachable since the first answered one', () => {
  let now = 1000;
  const h = new EtcdHealth(() => now);
  assert.deepEqual(h.get(), { reachable: true, sinceMs: null, error: null });
  h.answered();
  assert.deepEqual(h.get(), { reachable: true, sinceMs: 1000, error: null });
  now = 2000;
  h.leaseRoundTrip('keepalive', 0.01, null);
  assert.equal(h.get().sinceMs, 1000, 'an answer while reachable keeps the time');
  now = 3000;
  h.leaseRoundTrip('keepalive', 0.6, 'deadline exceeded');
  assert.deepEqual(h.get(), { reachable: false, sinceMs: 3000, error: 'deadline exceeded' });
  now = 4000;
  h.leaseRoundTrip('grant', 0.1, 'connection refused');
  assert.deepEqual(h.get(), { reachable: false, sinceMs: 3000, error: 'connection refused' }, 'the first failure\'s time, the last failure\'s reason');
  now = 5000;
  h.storeWrite(0.002, 'conflict');
  assert.deepEqual(h.get(), { reachable: true, sinceMs: 5000, error: null }, 'a lost compare-and-swap round is an answer');
  h.storeWrite(0.5, 'failed');
  assert.equal(h.get().reachable, false);
});

// DueTimer: one timer at an absolute time; arming it later keeps a sooner timer, an earlier
// time replaces it, null cancels; an early firing leaves the owner to arm it again.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DueTimer } from '../../../../lib/daemon/service/due-timer.js';
import { FakeClock } from '../fake-host.js';

test('DueTimer: a later time keeps the sooner timer (one setTimeout), an earlier one replaces it, null cancels', () => {
  const clock = new FakeClock(1_000_000);
  const fired: number[] = [];
  let created = 0;
  const setTimeout = clock.setTimeout.bind(clock);
  clock.setTimeout = (fn, ms) => {
    created++;
    return setTimeout(fn, ms);
  };
  const t = new DueTimer(clock, () => fired.push(clock.now()));
  t.at(1_005_000);
  t.at(1_009_000);
  t.at(1_007_000);
  assert.equal(created, 1);
  assert.equal(clock.pending, 1);
  t.at(1_002_000);
  assert.equal(created, 2);
  assert.equal(clock.pending, 1);
  clock.advance(2_000);
  assert.deepEqual(fired, [1_002_000]);
  t.at(1_003_000);
  t.at(null);
  assert.equal(clock.pending, 0);
  clock.advance(10_000);
  assert.deepEqual(fired, [1_002_000]);
});

test('DueTimer: a time already past fires at once; stop() cancels and refuses later times', () => {
  const clock = new FakeClock(50_000);
  let fired = 0;
  const t = new DueTimer(clock, () => fired++);
  t.at(40_000);
  clock.advance(0);
  assert.equal(fired, 1);
  t.at(60_000);
  t.stop();
  t.at(55_000);
  assert.equal(clock.pending, 0);
  clock.advance(20_000);
  assert.equal(fired, 1);
});

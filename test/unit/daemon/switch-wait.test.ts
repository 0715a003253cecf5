// A drained address waits for its mobile nodes to de-register after a Home Agent Switch
// (lib/daemon/ha/switch-wait.ts): done at the last answered de-registration, resends to those
// still here, bounded, one timer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SwitchWait, SWITCH_SCHEDULE, type SwitchWaitOutcome } from '../../../lib/daemon/ha/switch-wait.js';
import type { Ip6 } from '../../../lib/inet/ip6.js';
import { FakeClock } from './fake-host.js';

const H1 = '2001:db8:aa::10' as Ip6;
const H2 = '2001:db8:aa::11' as Ip6;
const H3 = '2001:db8:aa::12' as Ip6;

function world(here: Ip6[]) {
  const clock = new FakeClock(0);
  const bound = new Set(here);
  const resent: Ip6[][] = [];
  let outcome: SwitchWaitOutcome | null = null;
  const make = (hoas: Ip6[]): SwitchWait => {
    const w = new SwitchWait(hoas, { stillHere: (h) => bound.has(h), resend: (l) => void resent.push(l), clock });
    void w.done.then((o) => (outcome = o));
    return w;
  };
  return { clock, bound, resent, make, outcome: () => outcome };
}

/** Lets the `done` promise's handlers run. */
const settled = (): Promise<void> => new Promise((r) => setImmediate(r));

test('done when the last mobile node de-registered here; no resend, no timer left', async () => {
  const w = world([H1, H2]);
  const wait = w.make([H1, H2]);
  w.bound.delete(H1);
  wait.changed([H1]);
  await settled();
  assert.equal(w.outcome(), null, 'H2 is still here');
  w.bound.delete(H2);
  wait.changed([H2]);
  await settled();
  assert.deepEqual(w.outcome(), { left: [H1, H2], stayed: [], resends: 0 });
  assert.equal(w.clock.pending, 0);
  assert.deepEqual(w.resent, []);
});

test('a BA for a home address still bound here (a refresh, not a de-registration) does not end the wait', async () => {
  const w = world([H1]);
  const wait = w.make([H1]);
  wait.changed([H1]);
  await settled();
  assert.equal(w.outcome(), null);
});

test('resends go to those still here, at 1 s then 2 s; gives up 2 s later naming who stayed', async () => {
  const w = world([H1, H2, H3]);
  w.make([H1, H2, H3]);
  w.bound.delete(H3); // expired meanwhile: no BA, seen at the next tick
  w.clock.advance(SWITCH_SCHEDULE.resendMs[0]!);
  assert.deepEqual(w.resent, [[H1, H2]]);
  w.bound.delete(H1);
  w.clock.advance(SWITCH_SCHEDULE.resendMs[1]!);
  assert.deepEqual(w.resent, [[H1, H2], [H2]]);
  w.clock.advance(SWITCH_SCHEDULE.giveUpMs - 1);
  await settled();
  assert.equal(w.outcome(), null);
  w.clock.advance(1);
  await settled();
  assert.deepEqual(w.outcome(), { left: [H1, H3], stayed: [H2], resends: 2 });
  assert.equal(w.clock.pending, 0);
});

test('nobody registered with the address: done at once; cancel ends a wait with who stayed', async () => {
  const none = world([]);
  none.make([H1]);
  await settled();
  assert.deepEqual(none.outcome(), { left: [H1], stayed: [], resends: 0 });
  assert.equal(none.clock.pending, 0);
  const w = world([H1]);
  const wait = w.make([H1]);
  wait.cancel();
  await settled();
  assert.deepEqual(w.outcome(), { left: [], stayed: [H1], resends: 0 });
  assert.equal(w.clock.pending, 0);
});

// When a mobile node with `home_agent: auto` gives up its home agent (RFC 6275 §11.4.1), one
// row per rule; and the core's count of Binding Updates sent without a BA.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_HA_CONSECUTIVE_RESENDS, REGISTRATION_TIMEOUT_MS, homeAgentVerdict } from '../../../../lib/proto/mn/home-agent-failover.js';
import type { BulView } from '../../../../lib/proto/mn/types.js';
import { COA1, Mn } from './harness.js';

const entry = (x: Partial<BulView>): BulView => ({
  peer: '2001:db8:1::1' as BulView['peer'], role: 'ha', bid: 1, iface: 'eth0', careOf: null, homeBinding: false,
  state: 'registered', sequence: 1, lifetimeSeconds: 600, expiresAtMs: 600_000, failedStatus: null, unansweredSends: 0, ...x,
});

const rows: [string, BulView[], number, number, boolean, RegExp | null][] = [
  ['registered and answered: stay', [entry({})], 100_000, 0, false, null],
  ['§11.4.1 a refusal: move at once', [entry({ state: 'failed', failedStatus: 129 })], 1, 0, true, /refused with status 129/],
  ['§11.4.1 still registered but the refresh went unanswered MAX+1 times: move, long before the lifetime ends', [entry({ unansweredSends: MAX_HA_CONSECUTIVE_RESENDS + 1 })], 40_000, 0, true, /6 binding updates unanswered/],
  ['MAX unanswered sends: one more retransmission first', [entry({ unansweredSends: MAX_HA_CONSECUTIVE_RESENDS })], 40_000, 0, false, null],
  ['a de-registration left unanswered is no reason to move', [entry({ state: 'deregistering', unansweredSends: 9 })], 1, 0, false, null],
  ['pending for less than REGISTRATION_TIMEOUT: stay', [entry({ state: 'pending', unansweredSends: 2 })], REGISTRATION_TIMEOUT_MS - 1, 0, false, null],
  ['pending for REGISTRATION_TIMEOUT: move', [entry({ state: 'pending', unansweredSends: 2 })], REGISTRATION_TIMEOUT_MS, 0, true, /no registration/],
  ['one of several bindings silent is enough', [entry({}), entry({ bid: 2, unansweredSends: 7 })], 1, 0, true, /7 binding updates unanswered/],
];
for (const [name, home, now, last, move, why] of rows) {
  test(name, () => {
    const v = homeAgentVerdict(home, now, last);
    assert.equal(v.move, move);
    if (v.move && why) assert.match(v.why, why);
  });
}

test('the core counts Binding Updates sent without a BA, retransmissions included, and a BA resets the count', () => {
  const mn = new Mn({ bulk: true });
  const bu = mn.oneBu(mn.start([['eth0', COA1]]));
  const sends = () => mn.core.bindingUpdateList().find((e) => e.role === 'ha')!.unansweredSends ?? 0;
  assert.equal(sends(), 1);
  mn.runUntil(20_000);
  assert.ok(sends() >= 4, `retransmissions counted: ${sends()}`);
  mn.ack(mn.bus(mn.all).at(-1)!);
  assert.equal(sends(), 0);
  assert.ok(bu);
});

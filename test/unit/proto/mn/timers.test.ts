// Timing of the mobile node core: retransmission with the RFC 6275 §12 timers, refresh
// before expiry, MAX_UPDATE_RATE, HoTI/CoTI retransmission, and the single timer it asks for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MnAction } from '../../../../lib/proto/mn/index.js';
import { CN, COA1, COA2, COA3, COA4, HOA, Mn, isBu, sends, summary } from './harness.js';
import { PeerSim } from './peer-sim.js';

/** [time, sequence] of each BU among the actions recorded since `from`. */
function buTimes(mn: Mn, record: { t: number; a: MnAction }[]): [number, number][] {
  return record.filter((r) => isBu(r.a)).map((r) => [r.t, isBu(r.a) ? r.a.message.sequence : -1]);
}

/** Runs ticks until `untilMs`, remembering when each action came out. */
function run(mn: Mn, untilMs: number): { t: number; a: MnAction }[] {
  const rec: { t: number; a: MnAction }[] = [];
  for (;;) {
    const next = mn.last.nextTickMs;
    if (next === null || next > untilMs) break;
    for (const a of mn.at(next)) rec.push({ t: next, a });
  }
  return rec;
}

test('RFC 6275 §11.8 first home registration: 1.5 s, doubling to 32 s, each retransmission a new sequence number', () => {
  const mn = new Mn();
  const first = mn.oneBu(mn.start([['eth0', COA1]]));
  const times = buTimes(mn, run(mn, 180_000));
  assert.deepEqual(times.map(([t]) => t), [1500, 4500, 10_500, 22_500, 46_500, 78_500, 110_500, 142_500, 174_500]);
  times.forEach(([, seq], i) => assert.equal(seq, (first.message.sequence + i + 1) % 0x10000));
});

test('RFC 6275 §11.8 later Binding Updates start at INITIAL_BINDACK_TIMEOUT (1 s)', () => {
  const mn = new Mn();
  mn.ack(mn.oneBu(mn.start([['eth0', COA1]])));
  mn.now = 10_000;
  mn.oneBu(mn.send({ kind: 'careOfAddress', iface: 'eth0', address: COA2 }));
  assert.deepEqual(buTimes(mn, run(mn, 50_000)).map(([t]) => t), [11_000, 13_000, 17_000, 25_000, 41_000]);
});

test('RFC 6275 §11.7.1 refresh at 85% of the granted lifetime, counted from when the BU was sent', () => {
  const mn = new Mn();
  const bu = mn.oneBu(mn.start([['eth0', COA1]]));
  mn.now = 400;
  mn.ack(bu, { lifetime: 1000 });
  assert.equal(mn.last.nextTickMs, 850_000);
  const rec = run(mn, 850_000);
  assert.deepEqual(buTimes(mn, rec).map(([t]) => t), [850_000]);
  assert.equal(mn.core.bindingUpdateList()[0]!.expiresAtMs, 1_000_000);
});

test('RFC 6275 §6.2.4 a Binding Refresh Advice shorter than the lifetime sets the refresh time', () => {
  const mn = new Mn();
  mn.ack(mn.oneBu(mn.start([['eth0', COA1]])), { lifetime: 1000, refreshAdvice: 100 });
  assert.equal(mn.last.nextTickMs, 100_000);
});

test('RFC 6275 §11.7.1 an unanswered refresh lets the binding expire; it stays in the list as pending', () => {
  const mn = new Mn();
  mn.ack(mn.oneBu(mn.start([['eth0', COA1]])), { lifetime: 100 });
  const rec = run(mn, 100_000);
  assert.ok(rec.some((r) => r.t === 100_000 && r.a.kind === 'log' && r.a.event === 'bindingExpired'));
  assert.equal(mn.core.bindingUpdateList()[0]!.state, 'pending');
});

test('RFC 6275 §11.8 MAX_UPDATE_RATE: no more than 3 Binding Updates per second to one peer', () => {
  const mn = new Mn({ bulk: false, bootstrapOverwrite: false });
  mn.start([['eth0', COA1], ['eth1', COA2], ['eth2', COA3], ['eth3', COA4], ['eth4', HOA.map((x, i) => (i === 0 ? 0x20 : i === 5 ? 0xee : x))]]);
  assert.equal(mn.bus().length, 3);
  assert.equal(mn.last.nextTickMs, 1000);
  const rec = run(mn, 1000);
  assert.deepEqual(buTimes(mn, rec).map(([t]) => t), [1000, 1000]);
});

test('coalesceMs: changes close together share one bulk Binding Update', () => {
  const mn = new Mn({ coalesceMs: 100 });
  mn.send({ kind: 'start' });
  mn.at(0, { kind: 'careOfAddress', iface: 'eth0', address: COA1 });
  assert.equal(mn.bus().length, 0);
  mn.at(50, { kind: 'careOfAddress', iface: 'eth1', address: COA2 });
  assert.equal(mn.last.nextTickMs, 100);
  const bu = mn.oneBu(mn.at(100));
  assert.deepEqual(summary(bu).bids.map((b) => b.bid), [1, 2]);
});

test('RFC 6275 §11.8 an unanswered de-registration is given up after the longest timeout', () => {
  const mn = new Mn();
  mn.ack(mn.oneBu(mn.start([['eth0', COA1], ['eth1', COA2]])));
  mn.now = 1000;
  mn.oneBu(mn.send({ kind: 'operator', command: { op: 'deregister', iface: 'eth1' } }));
  const rec = run(mn, 200_000);
  const dereg = rec.filter((r) => isBu(r.a) && r.a.message.lifetimeSeconds === 0).map((r) => r.t);
  // Sent at 1 s; the one at 32 s waits the longest timeout (32 s) and is the last.
  assert.deepEqual(dereg, [2000, 4000, 8000, 16_000, 32_000]);
  assert.ok(rec.some((r) => r.t === 64_000 && r.a.kind === 'log' && r.a.event === 'deregistrationAbandoned'));
  assert.deepEqual(mn.core.bindingUpdateList().map((e) => e.bid), [1]);
});

test('nextTickMs is null before start, and the earliest deadline after', () => {
  const mn = new Mn();
  assert.equal(mn.send({ kind: 'careOfAddress', iface: 'eth0', address: COA1 }).filter(isBu).length, 0);
  assert.equal(mn.last.nextTickMs, null);
  mn.send({ kind: 'start' });
  assert.equal(mn.last.nextTickMs, 1500);
});

test('RFC 6275 §11.8 HoTI and CoTI are retransmitted from 1 s, doubling, while a BU waits for them', () => {
  const mn = new Mn({ correspondents: [CN], correspondentFlush: false });
  const sim = new PeerSim();
  const out = mn.start([['eth0', COA1]]);
  // Only the home agent answers.
  for (const a of out) {
    const ev = sim.answer(a);
    if (ev && ev.kind === 'bindingAck') mn.send(ev);
  }
  const rec = run(mn, 20_000);
  const hotiTimes = rec.filter((r) => sends([r.a], 'hoti').length).map((r) => r.t);
  const cotiTimes = rec.filter((r) => sends([r.a], 'coti').length).map((r) => r.t);
  assert.deepEqual(cotiTimes, [1000, 3000, 7000, 15_000]);
  assert.deepEqual(hotiTimes, [1000, 3000, 7000, 15_000]);
});

// One row per rule for Binding Acknowledgements from the home agent (draft-04 §5.6, §5.9,
// RFC 6275 §11.7.3): which status applies to which BID, and what the mobile node sends next.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIp6 } from '../../../../lib/inet/ip6.js';
import { BaStatus } from '../../../../lib/wire/types.js';
import { COA1, COA2, Mn, S, registeredThree, summary } from './harness.js';

const coa = (b: Uint8Array) => formatIp6(b);

const rows: { name: string; run: () => void }[] = [
  {
    name: '§5.6 a non-zero sub-option status overrides the BA status for that BID',
    run: () => {
      const mn = new Mn();
      const bu = mn.oneBu(mn.start([['eth0', COA1], ['eth1', COA2]]));
      mn.ack(bu, { perBid: { 2: BaStatus.ADMINISTRATIVELY_PROHIBITED } });
      const bul = mn.core.bindingUpdateList();
      assert.deepEqual(bul.map((e) => [e.bid, e.state, e.failedStatus]), [[1, 'registered', null], [2, 'failed', 129]]);
    },
  },
  {
    name: '§5.6 a zero sub-option status means the BA status applies',
    run: () => {
      const mn = new Mn();
      mn.ack(mn.oneBu(mn.start([['eth0', COA1], ['eth1', COA2]])), { status: BaStatus.NOT_HOME_SUBNET });
      assert.deepEqual(mn.core.bindingUpdateList().map((e) => e.failedStatus), [132, 132]);
    },
  },
  {
    name: '§5.6 BA without BID sub-option -> stop using BIDs with that peer',
    run: () => {
      const mn = new Mn();
      const out = mn.ack(mn.oneBu(mn.start([['eth0', COA1], ['eth1', COA2]])), { withBids: false });
      const s = summary(mn.oneBu(out));
      assert.deepEqual([s.bids, s.lifetime > 0, s.from], [[], true, coa(COA1)]);
      assert.equal(mn.core.peers()[0]!.useBids, false);
    },
  },
  {
    name: '§5.6 MCOA PROHIBITED -> fall back to one regular binding',
    run: () => {
      const mn = new Mn();
      const out = mn.ack(mn.oneBu(mn.start([['eth0', COA1], ['eth1', COA2]])), { status: S.prohibited });
      assert.deepEqual(summary(mn.oneBu(out)).bids, []);
      assert.deepEqual(mn.core.bindingUpdateList().map((e) => e.bid), [null]);
    },
  },
  {
    name: '§5.6 BULK REGISTRATION NOT SUPPORTED -> register each BID in its own BU',
    run: () => {
      const mn = new Mn();
      const out = mn.ack(mn.oneBu(mn.start([['eth0', COA1], ['eth1', COA2]])), { status: S.bulkNotSupported });
      // The O flag still has to be accepted first; the second BID waits for it.
      const first = mn.oneBu(out);
      assert.deepEqual(summary(first).bids.map((b) => [b.bid, b.o]), [[1, true]]);
      const second = mn.oneBu(mn.ack(first));
      assert.deepEqual(summary(second).bids.map((b) => [b.bid, b.o]), [[2, false]]);
    },
  },
  {
    name: '§5.6 FLAG CONFLICTS -> resend with consistent flags, one BID per BU',
    run: () => {
      const mn = new Mn({ bootstrapOverwrite: false });
      const out = mn.ack(mn.oneBu(mn.start([['eth0', COA1], ['eth1', COA2]])), { status: S.flagConflicts });
      const again = mn.bus(out).map((b) => summary(b).bids);
      assert.deepEqual(again, [[{ bid: 1, c: true, o: false, h: false, coa: coa(COA1) }], [{ bid: 2, c: true, o: false, h: false, coa: coa(COA2) }]]);
    },
  },
  {
    name: '§5.6 BID CONFLICT -> resend with the O flag',
    run: () => {
      const mn = registeredThree();
      mn.now = 1000;
      const out = mn.send({ kind: 'careOfAddress', iface: 'eth0', address: COA1.map((x, i) => (i === 15 ? 9 : x)) });
      const again = mn.oneBu(mn.ack(mn.oneBu(out), { status: S.bidConflict }));
      assert.deepEqual(summary(again).bids.map((b) => [b.bid, b.o]), [[1, true], [2, true], [3, true]]);
    },
  },
  {
    name: '§5.6 BID CONFLICT with bidConflict=stop-bids -> regular Binding Update',
    run: () => {
      const mn = new Mn({ bidConflict: 'stop-bids' });
      const out = mn.ack(mn.oneBu(mn.start([['eth0', COA1]])), { status: S.bidConflict });
      assert.deepEqual(summary(mn.oneBu(out)).bids, []);
    },
  },
  {
    name: '§5.6 MCOA INCOMPLIANT -> the binding is marked failed and not resent',
    run: () => {
      const mn = new Mn();
      const out = mn.ack(mn.oneBu(mn.start([['eth0', COA1]])), { status: S.incompliant });
      assert.equal(mn.bus(out).length, 0);
      assert.equal(mn.core.bindingUpdateList()[0]!.state, 'failed');
      assert.equal(mn.runUntil(120_000).filter((a) => a.kind === 'send').length, 0);
    },
  },
  {
    name: 'RFC 6275 §11.7.3 134 DUPLICATE ADDRESS DETECTION FAILED -> failed, logged as an error',
    run: () => {
      const mn = new Mn();
      const out = mn.ack(mn.oneBu(mn.start([['eth0', COA1]])), { status: BaStatus.DAD_FAILED });
      assert.ok(out.some((a) => a.kind === 'log' && a.event === 'duplicateHomeAddress' && a.level === 'error'));
      assert.equal(mn.core.bindingUpdateList()[0]!.failedStatus, 134);
    },
  },
  {
    name: 'RFC 6275 §11.7.3 130 INSUFFICIENT RESOURCES -> tried again after the timeout',
    run: () => {
      const mn = new Mn();
      mn.ack(mn.oneBu(mn.start([['eth0', COA1]])), { status: BaStatus.INSUFFICIENT_RESOURCES });
      assert.equal(mn.last.nextTickMs, 3000);
      assert.equal(mn.bus(mn.runUntil(3000)).length, 1);
    },
  },
  {
    name: '§5.9 first registration carries the O flag, later ones do not',
    run: () => {
      const mn = registeredThree();
      const s = summary(mn.oneBu(mn.send({ kind: 'careOfAddress', iface: 'eth0', address: COA1.map((x, i) => (i === 15 ? 7 : x)) })));
      assert.deepEqual(s.bids.map((b) => b.o), [false]);
    },
  },
  {
    name: '§5.9 BA status 135 -> retry with the last accepted sequence number + 1',
    run: () => {
      const mn = new Mn();
      const bu = mn.oneBu(mn.start([['eth0', COA1]]));
      const accepted = (bu.message.sequence + 1000) % 0x10000;
      const retry = mn.oneBu(mn.ack(bu, { status: BaStatus.SEQUENCE_OUT_OF_WINDOW, sequence: accepted, withBids: false }));
      assert.equal(retry.message.sequence, (accepted + 1) % 0x10000);
      assert.deepEqual(summary(retry).bids.map((b) => [b.bid, b.o]), [[1, true]]);
    },
  },
  {
    name: 'RFC 6275 §11.7.3 a BA for another sequence number is ignored',
    run: () => {
      const mn = new Mn();
      const bu = mn.oneBu(mn.start([['eth0', COA1]]));
      mn.ack(bu, { sequence: (bu.message.sequence + 5) % 0x10000 });
      assert.equal(mn.core.bindingUpdateList()[0]!.state, 'pending');
    },
  },
  {
    name: 'RFC 6275 §11.7.3 a second BA for a BU already answered changes nothing',
    run: () => {
      const mn = new Mn({ bulk: false, bootstrapOverwrite: false });
      const [b1] = mn.bus(mn.start([['eth0', COA1], ['eth1', COA2]]));
      mn.ack(b1!, { status: BaStatus.NOT_HOME_SUBNET });
      mn.ack(b1!);
      assert.deepEqual(mn.core.bindingUpdateList().map((e) => [e.bid, e.state]), [[1, 'failed'], [2, 'pending']]);
    },
  },
  {
    name: '§5.9 after a 135 retry, later BUs follow the peer\'s numbering',
    run: () => {
      const mn = registeredThree();
      mn.now = 1000;
      const one = mn.oneBu(mn.send({ kind: 'operator', command: { op: 'deregister', iface: 'eth2' } }));
      const accepted = (one.message.sequence + 0x8000) % 0x10000;
      const retry = mn.oneBu(mn.ack(one, { status: BaStatus.SEQUENCE_OUT_OF_WINDOW, sequence: accepted }));
      assert.equal(retry.message.sequence, (accepted + 1) % 0x10000);
      mn.ack(retry);
      const next = mn.oneBu(mn.send({ kind: 'operator', command: { op: 'deregister', iface: 'eth1' } }));
      assert.equal(next.message.sequence, (accepted + 2) % 0x10000);
    },
  },
  {
    name: '§5.9 one O-flag BU at a time: a split registration sends O once, the rest after its BA',
    run: () => {
      // eth0 on the home link under the H-flag policy: its home binding cannot share a BU
      // with the foreign one (§5.4), and a second O-flag BU would wipe the first.
      const mn = new Mn({ homeLinkPolicy: 'h-flag' });
      const first = mn.oneBu(mn.send({ kind: 'homeLink', iface: 'eth0', attached: true }, { kind: 'careOfAddress', iface: 'eth1', address: COA2 }, { kind: 'start' }));
      assert.deepEqual(summary(first).bids.map((b) => [b.bid, b.o, b.h]), [[2, true, false]]);
      const second = mn.oneBu(mn.ack(first));
      assert.deepEqual(summary(second).bids.map((b) => [b.bid, b.o, b.h]), [[1, false, true]]);
    },
  },
];

for (const row of rows) test(row.name, row.run);

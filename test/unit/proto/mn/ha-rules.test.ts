// One row per mobile-node rule of draft-04 §5 (and RFC 6275 §11 where it applies) toward
// the home agent. Each row builds a mobile node in a known state, feeds events and checks
// the Binding Updates and list entries that come out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIp6 } from '../../../../lib/inet/ip6.js';
import { BaStatus } from '../../../../lib/wire/types.js';
import { COA1, COA2, COA3, HOA, Mn, bidsOf, registeredThree, summary } from './harness.js';

const coa = (b: Uint8Array) => formatIp6(b);

const rows: { name: string; run: () => void }[] = [
  {
    name: '§5.1 a BID per interface from 1, kept when its address changes',
    run: () => {
      const mn = new Mn({ bulk: false });
      mn.start([['eth0', COA1], ['eth1', COA2]]);
      assert.deepEqual([mn.core.bidOf('eth0'), mn.core.bidOf('eth1')], [1, 2]);
      for (const b of mn.bus()) mn.ack(b);
      const moved = mn.oneBu(mn.send({ kind: 'careOfAddress', iface: 'eth0', address: COA3 }));
      assert.deepEqual(summary(moved).bids, [{ bid: 1, c: true, o: false, h: false, coa: coa(COA3) }]);
      assert.equal(mn.core.bidOf('eth0'), 1);
    },
  },
  {
    name: '§5.1 an address that vanishes and comes back keeps its BID',
    run: () => {
      const mn = registeredThree();
      mn.send({ kind: 'careOfAddress', iface: 'eth1', address: null });
      const dereg = mn.oneBu();
      assert.equal(dereg.message.lifetimeSeconds, 0);
      assert.deepEqual(summary(dereg).bids.map((b) => b.bid), [2]);
      mn.ack(dereg);
      const back = mn.oneBu(mn.send({ kind: 'careOfAddress', iface: 'eth1', address: COA2 }));
      assert.deepEqual(summary(back).bids.map((b) => [b.bid, b.coa]), [[2, coa(COA2)]]);
    },
  },
  {
    name: '§5.1 a released BID is not handed out again at once',
    run: () => {
      const mn = registeredThree();
      mn.send({ kind: 'operator', command: { op: 'forgetInterface', iface: 'eth0' } });
      mn.send({ kind: 'careOfAddress', iface: 'wlan9', address: COA1 });
      assert.equal(mn.core.bidOf('eth0'), undefined);
      assert.equal(mn.core.bidOf('wlan9'), 4);
    },
  },
  {
    name: '§5.1 a lone care-of address is registered without BID when configured; a second brings BIDs and O',
    run: () => {
      const mn = new Mn({ bidForSingleCoa: false });
      const first = mn.oneBu(mn.start([['eth0', COA1]]));
      assert.deepEqual(summary(first).bids, []);
      assert.deepEqual(summary(first).altCoa, [coa(COA1)]);
      mn.ack(first);
      const both = mn.oneBu(mn.send({ kind: 'careOfAddress', iface: 'eth1', address: COA2 }));
      assert.deepEqual(summary(both).bids.map((b) => [b.bid, b.c, b.o]), [[1, true, true], [2, true, true]]);
    },
  },
  {
    name: '§5.3 with ESP the care-of address goes in the sub-option (C flag), no Alternate CoA option',
    run: () => {
      const mn = new Mn({ esp: true });
      const s = summary(mn.oneBu(mn.start([['eth0', COA1]])));
      assert.deepEqual(s.bids, [{ bid: 1, c: true, o: true, h: false, coa: coa(COA1) }]);
      assert.deepEqual(s.altCoa, []);
      assert.deepEqual([s.from, s.iface, s.hao, s.a, s.h], [coa(COA1), 'eth0', true, true, true]);
    },
  },
  {
    name: '§5.3 without ESP the BU comes from the care-of address with a BID sub-option and no C flag',
    run: () => {
      const mn = new Mn({ esp: false });
      const s = summary(mn.oneBu(mn.start([['eth0', COA1]])));
      assert.deepEqual(s.bids, [{ bid: 1, c: false, o: true, h: false, coa: null }]);
      assert.deepEqual([s.from, s.hao, s.altCoa], [coa(COA1), true, []]);
    },
  },
  {
    name: '§5.3 multipleCoa=false follows RFC 6275: one binding, no BID, Alternate CoA under ESP',
    run: () => {
      const mn = new Mn({ multipleCoa: false });
      const s = summary(mn.oneBu(mn.start([['eth0', COA1], ['eth1', COA2]])));
      assert.deepEqual([s.bids, s.altCoa, s.from], [[], [coa(COA1)], coa(COA1)]);
    },
  },
  {
    name: '§5.4 bulk registration: one BU, C flag and care-of address in every sub-option',
    run: () => {
      const mn = new Mn();
      const s = summary(mn.oneBu(mn.start([['eth0', COA1], ['eth1', COA2], ['eth2', COA3]])));
      assert.deepEqual(s.bids, [
        { bid: 1, c: true, o: true, h: false, coa: coa(COA1) },
        { bid: 2, c: true, o: true, h: false, coa: coa(COA2) },
        { bid: 3, c: true, o: true, h: false, coa: coa(COA3) },
      ]);
      assert.equal(s.from, coa(COA1));
    },
  },
  {
    name: '§5.4 bulk sequence number is newer than that of every bulked entry',
    run: () => {
      const mn = new Mn({ bulk: false });
      mn.start([['eth0', COA1], ['eth1', COA2]]);
      const seqs = mn.bus().map((b) => b.message.sequence);
      for (const b of mn.bus()) mn.ack(b);
      mn.send({ kind: 'operator', command: { op: 'setBulk', enabled: true } });
      mn.now = 5000;
      const bulk = mn.oneBu(mn.send({ kind: 'bindingRefreshRequest', from: mn.bus(mn.all)[0]!.destination, message: { kind: 'brr', payloadProto: 59, checksum: 0, options: [] } }));
      assert.equal(bidsOf(bulk.message).length, 2);
      for (const q of seqs) assert.ok(((bulk.message.sequence - q + 0x10000) % 0x10000) > 0 && ((bulk.message.sequence - q + 0x10000) % 0x10000) < 0x8000);
    },
  },
  {
    name: '§5.4 an entry whose sequence number is out of window gets its own BU',
    run: () => {
      const mn = registeredThree();
      mn.now = 1000;
      const brr = (bid?: number) => ({ kind: 'bindingRefreshRequest' as const, from: mn.bus(mn.all)[0]!.destination, message: { kind: 'brr' as const, payloadProto: 59, checksum: 0, options: bid ? [{ kind: 'bid' as const, bid, status: 0, c: false, o: false, h: false }] : [] } });
      const one = mn.oneBu(mn.send(brr(2)));
      const last = one.message.sequence;
      const floor = (last + 0x8000) % 0x10000;
      mn.now = 2000;
      const out = mn.send(
        { kind: 'bindingAck', from: one.destination, message: { kind: 'ba', payloadProto: 59, checksum: 0, status: BaStatus.SEQUENCE_OUT_OF_WINDOW, flags: { k: false, r: false, p: false }, sequence: floor, lifetimeSeconds: 0, options: [{ kind: 'bid', bid: 2, status: 0, c: false, o: false, h: false }] } },
        brr(),
      );
      const got = mn.bus(out).map((b) => [b.message.sequence, bidsOf(b.message).map((x) => x.bid)]);
      assert.deepEqual(got, [[(last + 1) % 0x10000, [1, 3]], [(floor + 1) % 0x10000, [2]]]);
    },
  },
  {
    name: '§5.5 de-registering one BID: lifetime 0, its BID sub-option, no care-of address',
    run: () => {
      const mn = registeredThree();
      const s = summary(mn.oneBu(mn.send({ kind: 'operator', command: { op: 'deregister', iface: 'eth1' } })));
      assert.deepEqual([s.lifetime, s.bids], [0, [{ bid: 2, c: false, o: false, h: false, coa: null }]]);
      assert.deepEqual([s.from, s.iface], [coa(COA2), 'eth1']);
    },
  },
  {
    name: '§5.5 bulk de-registration names the BIDs and omits the care-of addresses',
    run: () => {
      const mn = registeredThree();
      const s = summary(mn.oneBu(mn.send({ kind: 'operator', command: { op: 'deregister', iface: 'eth1' } }, { kind: 'operator', command: { op: 'deregister', iface: 'eth2' } })));
      assert.equal(s.lifetime, 0);
      assert.deepEqual(s.bids, [{ bid: 2, c: false, o: false, h: false, coa: null }, { bid: 3, c: false, o: false, h: false, coa: null }]);
    },
  },
  {
    name: '§5.5 de-registering everything: one regular BU, lifetime 0, no BID sub-option',
    run: () => {
      const mn = registeredThree();
      const bu = mn.oneBu(mn.send({ kind: 'operator', command: { op: 'deregisterAll' } }));
      assert.deepEqual([summary(bu).lifetime, summary(bu).bids], [0, []]);
      mn.ack(bu);
      assert.deepEqual(mn.core.bindingUpdateList(), []);
    },
  },
  {
    name: '§5.7 BRR with a BID sub-option refreshes only that binding, and the BU carries the BID',
    run: () => {
      const mn = registeredThree();
      mn.now = 10_000;
      const bu = mn.oneBu(mn.send({ kind: 'bindingRefreshRequest', from: mn.bus(mn.all)[0]!.destination, message: { kind: 'brr', payloadProto: 59, checksum: 0, options: [{ kind: 'bid', bid: 3, status: 0, c: false, o: false, h: false }] } }));
      assert.deepEqual(summary(bu).bids.map((b) => [b.bid, b.coa]), [[3, coa(COA3)]]);
    },
  },
  {
    name: '§5.7 BRR without a BID sub-option refreshes every binding in the list',
    run: () => {
      const mn = registeredThree();
      mn.now = 10_000;
      const bu = mn.oneBu(mn.send({ kind: 'bindingRefreshRequest', from: mn.bus(mn.all)[0]!.destination, message: { kind: 'brr', payloadProto: 59, checksum: 0, options: [] } }));
      assert.deepEqual(summary(bu).bids.map((b) => b.bid), [1, 2, 3]);
    },
  },
  {
    name: 'RFC 3963 a mobile router sets R and lists its prefixes in registrations only',
    run: () => {
      const mn = new Mn({ mobileRouter: { prefixes: [{ prefix: HOA.map((x, i) => (i > 7 ? 0 : x)), length: 64 }] } });
      const bu = mn.oneBu(mn.start([['eth0', COA1]]));
      assert.equal(bu.message.flags.r, true);
      assert.equal(bu.message.options.filter((o) => o.kind === 'mobileNetworkPrefix').length, 1);
      mn.ack(bu);
      const off = mn.oneBu(mn.send({ kind: 'operator', command: { op: 'deregisterAll' } }));
      assert.equal(off.message.options.filter((o) => o.kind === 'mobileNetworkPrefix').length, 0);
    },
  },
  {
    name: 'RFC 6275 §11.7.1 a registration lasts no longer than the home address stays valid (as Mobile Prefix Discovery learned it)',
    run: () => {
      const mn = new Mn({ bulk: true, homeLifetimeSeconds: 3600 });
      mn.send({ kind: 'homeAddressLifetime', validUntilMs: 1_000_000 });
      const bu = mn.oneBu(mn.start([['eth0', COA1]]));
      assert.equal(bu.message.lifetimeSeconds, 1000 - (1000 % 4), 'the remaining 1000 s, in 4 s units');
      mn.ack(bu);
      mn.now = 900_000;
      const refresh = mn.oneBu(mn.send({ kind: 'bindingRefreshRequest', from: bu.destination, message: { kind: 'brr', payloadProto: 59, checksum: 0, options: [] } }));
      assert.equal(refresh.message.lifetimeSeconds, 100, 'shrinks as the valid lifetime runs out');
      mn.ack(refresh);
      mn.send({ kind: 'homeAddressLifetime', validUntilMs: null });
      const unbounded = mn.oneBu(mn.send({ kind: 'bindingRefreshRequest', from: bu.destination, message: { kind: 'brr', payloadProto: 59, checksum: 0, options: [] } }));
      assert.equal(unbounded.message.lifetimeSeconds, 3600, 'an infinite lifetime: the configured one again');
    },
  },
  {
    name: 'RFC 6275 §11.7.1 a home address already invalid still registers for the shortest non-zero time, never a de-registration',
    run: () => {
      const mn = new Mn({ bulk: true, homeLifetimeSeconds: 3600 });
      mn.send({ kind: 'homeAddressLifetime', validUntilMs: 0 });
      mn.now = 5000;
      const bu = mn.oneBu(mn.start([['eth0', COA1]]));
      assert.equal(bu.message.lifetimeSeconds, 1, '1 s: one 4 s unit on the wire');
    },
  },
];

for (const row of rows) test(row.name, row.run);

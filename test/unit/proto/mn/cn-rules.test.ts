// One row per mobile-node rule toward correspondent nodes: return routability per care-of
// address (draft-04 §5.2), authorised Binding Updates with BIDs (§5.3), no bulk, the
// bootstrap flush (§5.9), and the RFC 6275 rules they sit on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIp6 } from '../../../../lib/inet/ip6.js';
import { encodeMessage } from '../../../../lib/wire/mh.js';
import { DRAFT04_PROFILE } from '../../../../lib/wire/profiles.js';
import { BaStatus, type BindingUpdate } from '../../../../lib/wire/types.js';
import { bindingManagementKey, verifyBindingAuthorization } from '../../../../lib/proto/common/rr-crypto.js';
import { sealBindingUpdate } from '../../../../lib/proto/mn/index.js';
import { CN, COA1, COA2, HOA, Mn, bidsOf, isBu, sends, summary, type BuSend } from './harness.js';
import { PeerSim } from './peer-sim.js';

const toCn = (mn: Mn): BuSend[] => mn.all.filter(isBu).filter((b) => formatIp6(b.destination) === formatIp6(CN));

/** Two care-of addresses, one correspondent, everybody answering. */
function settled(cfg: ConstructorParameters<typeof Mn>[0] = {}, sim = new PeerSim()): { mn: Mn; sim: PeerSim } {
  const mn = new Mn({ correspondents: [CN], correspondentFlush: false, ...cfg });
  sim.settle(mn, mn.start([['eth0', COA1], ['eth1', COA2]]));
  return { mn, sim };
}

const rows: { name: string; run: () => void }[] = [
  {
    name: '§5.2 one HoTI per home address, one CoTI per care-of address with a flagless BID sub-option',
    run: () => {
      const { mn } = settled();
      const hotis = sends(mn.all, 'hoti');
      assert.equal(hotis.length, 1);
      assert.deepEqual([formatIp6(hotis[0]!.source), hotis[0]!.reverseTunnel], [formatIp6(HOA), true]);
      const cotis = sends(mn.all, 'coti').map((c) => [formatIp6(c.source), c.iface, c.reverseTunnel, c.message.options]);
      assert.deepEqual(cotis, [
        [formatIp6(COA1), 'eth0', false, [{ kind: 'bid', bid: 1, status: 0, c: false, o: false, h: false }]],
        [formatIp6(COA2), 'eth1', false, [{ kind: 'bid', bid: 2, status: 0, c: false, o: false, h: false }]],
      ]);
    },
  },
  {
    name: '§5.3 correspondent BU: BID sub-option, Nonce Indices, Binding Authorization Data last; one BID per BU',
    run: () => {
      const { mn, sim } = settled();
      const bus = toCn(mn);
      assert.deepEqual(bus.map((b) => [formatIp6(b.source), b.homeAddressOption, bidsOf(b.message).map((x) => x.bid)]), [
        [formatIp6(COA1), true, [1]],
        [formatIp6(COA2), true, [2]],
      ]);
      for (const b of bus) {
        assert.deepEqual(b.message.options.map((o) => o.kind), ['bid', 'nonceIndices', 'bindingAuthData']);
        assert.deepEqual([b.message.flags.a, b.message.flags.h], [true, false]);
        assert.deepEqual(summary(b).bids[0], { bid: bidsOf(b.message)[0]!.bid, c: false, o: false, h: false, coa: null });
      }
      assert.equal(sim.badAuth, 0);
      assert.deepEqual(mn.core.bindingUpdateList().filter((e) => e.role === 'cn').map((e) => e.state), ['registered', 'registered']);
    },
  },
  {
    name: '§5.3 the authenticator covers the BID sub-option (a changed BID no longer verifies)',
    run: () => {
      const sim = new PeerSim();
      const { mn } = settled({}, sim);
      const b = toCn(mn)[0]!;
      const kbm = bindingManagementKey(sim.homeToken(), sim.careOfToken(COA1));
      const wire = sealBindingUpdate(encodeMessage(b.message, DRAFT04_PROFILE), b.authorization!);
      assert.ok(verifyBindingAuthorization(wire, kbm, COA1, CN));
      const tampered: BindingUpdate = { ...b.message, options: b.message.options.map((o) => (o.kind === 'bid' ? { ...o, bid: 9 } : o)) };
      const forged = encodeMessage(tampered, DRAFT04_PROFILE).slice();
      forged.set(wire.subarray(wire.length - 12), forged.length - 12);
      assert.equal(verifyBindingAuthorization(forged, kbm, COA1, CN), false);
    },
  },
  {
    name: '§5.2 CoT without BID sub-option -> no BID to that correspondent, its token kept for a regular BU',
    run: () => {
      const sim = new PeerSim();
      sim.cnMcoa = false;
      const { mn } = settled({}, sim);
      const bus = toCn(mn);
      assert.deepEqual(bus.map((b) => [bidsOf(b.message).length, formatIp6(b.source), b.message.lifetimeSeconds > 0]), [[0, formatIp6(COA1), true]]);
      assert.equal(sends(mn.all, 'coti').filter((c) => formatIp6(c.source) === formatIp6(COA1)).length, 1);
      assert.equal(sim.badAuth, 0);
      assert.equal(mn.core.peers().find((p) => p.role === 'cn')!.useBids, false);
    },
  },
  {
    name: '§5.9 bootstrap with a correspondent: a regular de-registration first, then the MCoA registrations',
    run: () => {
      const { mn, sim } = settled({ correspondentFlush: true });
      assert.deepEqual(toCn(mn).map((b) => [b.message.lifetimeSeconds, bidsOf(b.message).map((x) => x.bid)]), [
        [0, []],
        [420, [1]],
        [420, [2]],
      ]);
      assert.equal(sim.badAuth, 0);
    },
  },
  {
    name: 'RFC 6275 §11.7.3 a correspondent BA whose authenticator does not verify is ignored',
    run: () => {
      const mn = new Mn({ correspondents: [CN], correspondentFlush: false });
      const sim = new PeerSim();
      const out = mn.start([['eth0', COA1]]);
      // Answer everything but the correspondent's BA, which gets a corrupted authenticator.
      let pending = out;
      for (let i = 0; i < 10 && pending.length; i++) {
        const next = [];
        for (const a of pending) {
          const ev = sim.answer(a);
          if (!ev) continue;
          if (ev.kind === 'bindingAck' && ev.raw) ev.raw[ev.raw.length - 1]! ^= 1;
          next.push(...mn.send(ev));
        }
        pending = next;
      }
      assert.equal(toCn(mn).length, 1);
      assert.deepEqual(mn.core.bindingUpdateList().find((e) => e.role === 'cn')!.state, 'pending');
    },
  },
  {
    name: 'RFC 6275 §11.7.3 136 EXPIRED HOME NONCE INDEX -> a new HoTI, then the BU again',
    run: () => {
      const sim = new PeerSim();
      const { mn } = settled({}, sim);
      mn.now = 5000;
      const brr = mn.send({ kind: 'bindingRefreshRequest', from: CN, message: { kind: 'brr', payloadProto: 59, checksum: 0, options: [{ kind: 'bid', bid: 1, status: 0, c: false, o: false, h: false }] } });
      const bu = brr.filter(isBu)[0]!;
      const hotisBefore = sends(mn.all, 'hoti').length;
      const out = mn.send({ kind: 'bindingAck', from: CN, message: { kind: 'ba', payloadProto: 59, checksum: 0, status: BaStatus.EXPIRED_HOME_NONCE_INDEX, flags: { k: false, r: false, p: false }, sequence: bu.message.sequence, lifetimeSeconds: 0, options: [] } });
      assert.equal(sends(out, 'hoti').length, 1);
      assert.equal(out.filter(isBu).length, 0);
      sim.settle(mn, out);
      assert.equal(sends(mn.all, 'hoti').length, hotisBefore + 1);
      assert.deepEqual(toCn(mn).slice(2).map((b) => bidsOf(b.message)[0]!.bid), [1, 1]);
      assert.equal(mn.core.bindingUpdateList().find((e) => e.role === 'cn' && e.bid === 1)!.state, 'registered');
    },
  },
  {
    name: 'RFC 6275 §11.3.6 Binding Error status 2 from a correspondent -> no more route optimisation with it',
    run: () => {
      const { mn } = settled();
      mn.send({ kind: 'bindingError', from: CN, message: { kind: 'be', payloadProto: 59, checksum: 0, status: 2, homeAddress: HOA, options: [] } });
      assert.deepEqual(mn.core.bindingUpdateList().filter((e) => e.role === 'cn'), []);
      const later = mn.send({ kind: 'careOfAddress', iface: 'eth0', address: COA1.map((x, i) => (i === 15 ? 5 : x)) });
      assert.equal(later.filter((a) => a.kind === 'send' && formatIp6(a.destination) === formatIp6(CN)).length, 0);
    },
  },
  {
    name: 'RFC 6275 §5.2.5 correspondent lifetime at most MAX_RR_BINDING_LIFETIME (420 s)',
    run: () => {
      const { mn } = settled({ correspondentLifetimeSeconds: 3600 });
      assert.deepEqual(toCn(mn).map((b) => b.message.lifetimeSeconds), [420, 420]);
    },
  },
  {
    name: 'RFC 6275 §5.2.7 tokens older than MAX_TOKEN_LIFETIME are renewed before a refresh',
    run: () => {
      const sim = new PeerSim();
      const { mn } = settled({}, sim);
      const before = { hoti: sends(mn.all, 'hoti').length, coti: sends(mn.all, 'coti').length };
      // Refresh at 85% of 420 s; the tokens are 357 s old by then, past 210 s.
      const out = mn.runUntil(357_000);
      assert.equal(sends(out, 'hoti').length, 1);
      assert.equal(sends(out, 'coti').length, 2);
      assert.equal(out.filter(isBu).filter((b) => formatIp6(b.destination) === formatIp6(CN)).length, 0);
      sim.settle(mn, out);
      assert.equal(toCn(mn).length, 4);
      assert.ok(sends(mn.all, 'hoti').length === before.hoti + 1);
    },
  },
  {
    name: '§5.5 de-registering a BID at a correspondent from another interface; Kbm from the home token alone (RFC 6275 §5.2.5)',
    run: () => {
      const sim = new PeerSim();
      const { mn } = settled({}, sim);
      const out = mn.send({ kind: 'careOfAddress', iface: 'eth0', address: null });
      const d = out.filter(isBu).filter((b) => formatIp6(b.destination) === formatIp6(CN));
      assert.deepEqual(d.map((b) => [b.message.lifetimeSeconds, bidsOf(b.message).map((x) => x.bid), formatIp6(b.source), formatIp6(b.authorization!.careOfAddress)]), [[0, [1], formatIp6(COA2), formatIp6(COA2)]]);
      assert.deepEqual(d[0]!.authorization!.kbm, bindingManagementKey(sim.homeToken(), null));
      const ni = d[0]!.message.options.find((o) => o.kind === 'nonceIndices');
      assert.equal(ni?.kind === 'nonceIndices' ? ni.careOfNonceIndex : -1, 0, 'care-of nonce index unused');
      sim.settle(mn, out);
      assert.equal(sim.badAuth, 0);
      assert.deepEqual(mn.core.bindingUpdateList().filter((e) => e.role === 'cn').map((e) => e.bid), [2]);
    },
  },
  {
    name: 'removing a correspondent de-registers everything there, then forgets it',
    run: () => {
      const sim = new PeerSim();
      const { mn } = settled({}, sim);
      const out = mn.send({ kind: 'operator', command: { op: 'removeCorrespondent', address: CN } });
      const d = out.filter(isBu).filter((b) => formatIp6(b.destination) === formatIp6(CN));
      assert.deepEqual(d.map((b) => [b.message.lifetimeSeconds, bidsOf(b.message).length]), [[0, 0]]);
      sim.settle(mn, out);
      assert.deepEqual(mn.core.peers().map((p) => p.role), ['ha']);
    },
  },
  {
    name: 'RFC 6275 §11.7.1 a correspondent removed and added again continues its sequence numbers',
    run: () => {
      const { mn } = settled();
      const last = toCn(mn).at(-1)!.message.sequence;
      mn.send({ kind: 'operator', command: { op: 'removeCorrespondent', address: CN } });
      new PeerSim().settle(mn);
      mn.now = 5000;
      new PeerSim().settle(mn, mn.send({ kind: 'operator', command: { op: 'addCorrespondent', address: CN } }));
      const after = toCn(mn).map((b) => b.message.sequence);
      const i = after.indexOf(last);
      after.slice(i + 1).forEach((q, k) => assert.equal(q, (last + k + 1) % 0x10000));
      assert.ok(after.length > i + 2);
    },
  },
];

for (const row of rows) test(row.name, row.run);

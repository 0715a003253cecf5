// draft-04 Appendix A, Figures 6-9, and the H-flag alternative of §5.5, as sequences of
// mobile node events and the Binding Updates they produce. Peers answer through PeerSim.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIp6 } from '../../../../lib/inet/ip6.js';
import type { MnAction, MnConfig } from '../../../../lib/proto/mn/index.js';
import { CN, COA1, COA2, COA3, HA, HOA, Mn, bulState, isBu, sends, summary, type BuSend } from './harness.js';
import { PeerSim } from './peer-sim.js';

const t = formatIp6;
const to = (peer: Uint8Array, actions: MnAction[]): BuSend[] => actions.filter(isBu).filter((b) => t(b.destination) === t(peer));
const ifaceOps = (actions: MnAction[]) => actions.filter((a) => a.kind === 'interface').map((a) => (a.kind === 'interface' ? `${a.op} ${a.iface}` : ''));
const next = (seq: number, n = 1) => (seq + n) % 0x10000;

/** Figure 6: three interfaces on foreign links, registered with the home agent and a correspondent. */
function figure6(cfg: Partial<MnConfig> = {}): { mn: Mn; sim: PeerSim; haSeq: number } {
  const mn = new Mn({ correspondents: [CN], correspondentFlush: false, ...cfg });
  const sim = new PeerSim();
  sim.settle(mn, mn.start([['eth0', COA1], ['eth1', COA2], ['eth2', COA3]]));
  const ha = to(HA, mn.all);
  return { mn, sim, haSeq: ha[ha.length - 1]!.message.sequence };
}

test('Appendix A Figure 6: every interface registered with the home agent (bulk, O) and the correspondent (one BU per BID)', () => {
  const { mn, sim } = figure6();
  const ha = to(HA, mn.all).map(summary);
  assert.equal(ha.length, 1);
  assert.deepEqual({ ...ha[0]!, seq: 0 }, {
    to: t(HA), from: t(COA1), iface: 'eth0', hao: true, seq: 0, lifetime: 3600, a: true, h: true, altCoa: [],
    bids: [
      { bid: 1, c: true, o: true, h: false, coa: t(COA1) },
      { bid: 2, c: true, o: true, h: false, coa: t(COA2) },
      { bid: 3, c: true, o: true, h: false, coa: t(COA3) },
    ],
  });
  const cn = to(CN, mn.all).map(summary);
  assert.deepEqual(cn.map((s) => [s.from, s.lifetime, s.h, s.bids]), [
    [t(COA1), 420, false, [{ bid: 1, c: false, o: false, h: false, coa: null }]],
    [t(COA2), 420, false, [{ bid: 2, c: false, o: false, h: false, coa: null }]],
    [t(COA3), 420, false, [{ bid: 3, c: false, o: false, h: false, coa: null }]],
  ]);
  for (let i = 1; i < cn.length; i++) assert.equal(cn[i]!.seq, next(cn[i - 1]!.seq));
  assert.equal(sim.badAuth, 0);
  assert.deepEqual(bulState(mn), [
    ['cn', 1, t(COA1), 'registered'], ['cn', 2, t(COA2), 'registered'], ['cn', 3, t(COA3), 'registered'],
    ['ha', 1, t(COA1), 'registered'], ['ha', 2, t(COA2), 'registered'], ['ha', 3, t(COA3), 'registered'],
  ]);
});

test('Appendix A Figure 7: one interface returns home -> regular de-registration of all at the HA, the CN keeps BID2 and BID3', () => {
  const { mn, sim, haSeq } = figure6();
  mn.now = 10_000;
  const out = mn.send({ kind: 'homeLink', iface: 'eth0', attached: true }, { kind: 'careOfAddress', iface: 'eth0', address: null });
  const ha = to(HA, out).map(summary);
  assert.deepEqual(ha, [{ to: t(HA), from: t(HOA), iface: 'eth0', hao: false, seq: next(haSeq), lifetime: 0, a: true, h: true, bids: [], altCoa: [t(HOA)] }]);
  assert.deepEqual(to(CN, out).map((b) => [summary(b).from, summary(b).lifetime, summary(b).bids.map((x) => x.bid)]), [[t(COA2), 0, [1]]]);
  assert.deepEqual(ifaceOps(out), [], 'the home address waits for the BA');
  const answered: MnAction[] = [];
  for (const a of out) {
    const ev = sim.answer(a);
    if (ev) answered.push(...mn.send(ev));
  }
  assert.deepEqual(ifaceOps(answered), ['useHomeAddress eth0']);
  assert.deepEqual(bulState(mn), [['cn', 2, t(COA2), 'registered'], ['cn', 3, t(COA3), 'registered']]);
  // At home with no home binding, return routability goes straight from the home link.
  const later = mn.runUntil(360_000);
  const hoti = sends(later, 'hoti')[0]!;
  assert.deepEqual([hoti.iface, hoti.reverseTunnel, t(hoti.source)], ['eth0', false, t(HOA)]);
});

test('Appendix A Figure 8: the interface on the home link is disabled, and its BID de-registered from a foreign one', () => {
  const { mn, sim, haSeq } = figure6({ homeLinkPolicy: 'disable-home-interface' });
  mn.now = 10_000;
  const out = mn.send({ kind: 'homeLink', iface: 'eth2', attached: true }, { kind: 'careOfAddress', iface: 'eth2', address: null });
  const firstSend = out.findIndex((a) => a.kind === 'send');
  const disable = out.findIndex((a) => a.kind === 'interface' && a.op === 'disable' && a.iface === 'eth2');
  assert.ok(disable >= 0 && disable < firstSend, 'disable before any Binding Update');
  assert.deepEqual(to(HA, out).map(summary), [{ to: t(HA), from: t(COA1), iface: 'eth0', hao: true, seq: next(haSeq), lifetime: 0, a: true, h: true, bids: [{ bid: 3, c: false, o: false, h: false, coa: null }], altCoa: [] }]);
  assert.deepEqual(to(CN, out).map((b) => [summary(b).from, summary(b).lifetime, summary(b).bids.map((x) => x.bid)]), [[t(COA1), 0, [3]]]);
  sim.settle(mn, out);
  assert.deepEqual(bulState(mn), [
    ['cn', 1, t(COA1), 'registered'], ['cn', 2, t(COA2), 'registered'],
    ['ha', 1, t(COA1), 'registered'], ['ha', 2, t(COA2), 'registered'],
  ]);
  assert.ok(!ifaceOps(mn.all).includes('useHomeAddress eth2'));
  // With no foreign interface left, staying away is impossible: enable it and return home.
  const gone = mn.send({ kind: 'careOfAddress', iface: 'eth0', address: null }, { kind: 'careOfAddress', iface: 'eth1', address: null });
  assert.deepEqual(ifaceOps(gone), ['enable eth2']);
  assert.deepEqual(to(HA, gone).map((b) => [summary(b).from, summary(b).lifetime, summary(b).bids]), [[t(HOA), 0, []]]);
});

test('Appendix A Figure 9: two interfaces on the home link -> home agent flushed, the CN keeps only BID2', () => {
  const { mn, sim, haSeq } = figure6();
  mn.now = 10_000;
  const out = mn.send(
    { kind: 'homeLink', iface: 'eth0', attached: true },
    { kind: 'careOfAddress', iface: 'eth0', address: null },
    { kind: 'homeLink', iface: 'eth2', attached: true },
    { kind: 'careOfAddress', iface: 'eth2', address: null },
  );
  assert.deepEqual(to(HA, out).map((b) => [summary(b).from, summary(b).iface, summary(b).seq, summary(b).lifetime, summary(b).bids]), [[t(HOA), 'eth0', next(haSeq), 0, []]]);
  assert.deepEqual(to(CN, out).map((b) => [summary(b).from, summary(b).lifetime, summary(b).bids.map((x) => x.bid)]), [[t(COA2), 0, [1]], [t(COA2), 0, [3]]]);
  sim.settle(mn, out);
  assert.deepEqual(bulState(mn), [['cn', 2, t(COA2), 'registered']]);
  assert.deepEqual(ifaceOps(mn.all), ['useHomeAddress eth0', 'useHomeAddress eth2']);
});

test('§5.5 H flag: home and foreign interfaces together; the home binding in its own BU, the foreign ones kept', () => {
  const { mn, sim, haSeq } = figure6({ homeLinkPolicy: 'h-flag' });
  mn.now = 10_000;
  const out = mn.send({ kind: 'homeLink', iface: 'eth0', attached: true }, { kind: 'careOfAddress', iface: 'eth0', address: null });
  // All sub-options of one BU carry the same flags (§5.4), so the H binding goes alone,
  // from the home link with the home address as source.
  assert.deepEqual(to(HA, out).map(summary), [
    { to: t(HA), from: t(HOA), iface: 'eth0', hao: false, seq: next(haSeq), lifetime: 3600, a: true, h: true, altCoa: [],
      bids: [{ bid: 1, c: true, o: false, h: true, coa: t(HOA) }] },
  ]);
  assert.deepEqual(to(CN, out).map((b) => [summary(b).lifetime, summary(b).bids.map((x) => x.bid)]), [[0, [1]]]);
  sim.settle(mn, out);
  assert.deepEqual(ifaceOps(mn.all), ['useHomeAddress eth0']);
  assert.deepEqual(bulState(mn), [
    ['cn', 2, t(COA2), 'registered'], ['cn', 3, t(COA3), 'registered'],
    ['ha', 1, t(HOA), 'registered'], ['ha', 2, t(COA2), 'registered'], ['ha', 3, t(COA3), 'registered'],
  ]);
  // Leaving the home link turns the home binding back into a normal one (§5.5 last paragraph).
  mn.now = 20_000;
  const left = mn.send({ kind: 'homeLink', iface: 'eth0', attached: false }, { kind: 'careOfAddress', iface: 'eth0', address: COA1 });
  assert.deepEqual(ifaceOps(left), ['releaseHomeAddress eth0']);
  assert.deepEqual(to(HA, left).map((b) => [summary(b).from, summary(b).bids]), [[t(COA1), [{ bid: 1, c: true, o: false, h: false, coa: t(COA1) }]]]);
  assert.deepEqual(to(CN, left).map((b) => [summary(b).from, summary(b).lifetime, summary(b).bids.map((x) => x.bid)]), [[t(COA1), 420, [1]]]);
});

// Invariants of the mobile node core over random event sequences (fast-check): interface
// and address changes, home-link moves, operator commands, BAs with any status, BRRs,
// Binding Errors, HoT/CoT answers, and time passing. After every step, over everything sent:
//  - BIDs are 1..65535, one per interface, never two interfaces with one BID, stable
//    until the interface is forgotten; a registration names the BID of its interface;
//  - sequence numbers to a peer strictly increase (mod 2^16), except the retry after a
//    status-135 BA, which is exactly the number that BA carried + 1; the same per BID
//    until such a retry, after which the peer's numbering rules;
//  - no bulk and no C/O/H flags toward a correspondent; one BU's sub-options share flags;
//    de-registrations carry no care-of address;
//  - one O-flag BU at a time, and no other registration while it is unanswered;
//  - at most MAX_UPDATE_RATE (3) Binding Updates per second per peer;
//  - the next tick is in the future.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatIp6, ip6Equal } from '../../../../lib/inet/ip6.js';
import { BaStatus } from '../../../../lib/wire/types.js';
import type { MnAction, MnEvent, HomeLinkPolicy } from '../../../../lib/proto/mn/index.js';
import { CN, HA, HOA, Mn, S, bidsOf, isBu, type BuSend } from './harness.js';
import { PeerSim } from './peer-sim.js';

const IFACES = ['eth0', 'eth1', 'eth2', 'eth3'];
const addr = (iface: number, variant: number) => Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0xa0 + iface, ...new Array<number>(9).fill(0), variant + 1]);
const STATUSES = [0, 0, 0, 1, 128, 129, 130, 133, 134, 135, 136, 137, 138, S.incompliant, S.bidConflict, S.prohibited, S.bulkNotSupported, S.flagConflicts];
const POLICIES: HomeLinkPolicy[] = ['return-home', 'disable-home-interface', 'h-flag'];

type Cmd =
  | { k: 'coa'; i: number; v: number | null }
  | { k: 'home'; i: number; on: boolean }
  | { k: 'time'; ms: number }
  | { k: 'tickNext' }
  | { k: 'ba'; pick: number; status: number; withBids: boolean; perBid: number | null; seqDelta: number }
  | { k: 'rr'; pick: number; echo: boolean }
  | { k: 'brr'; toHa: boolean; bid: number | null }
  | { k: 'be'; status: 1 | 2 }
  | { k: 'answerAll' }
  | { k: 'op'; n: number; i: number; b: boolean };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ k: fc.constant('coa' as const), i: fc.nat(3), v: fc.option(fc.nat(2), { nil: null }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('home' as const), i: fc.nat(3), on: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('time' as const), ms: fc.integer({ min: 0, max: 40_000 }) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('tickNext' as const) }) },
  { weight: 4, arbitrary: fc.record({
    k: fc.constant('ba' as const),
    pick: fc.nat(),
    status: fc.constantFrom(...STATUSES),
    withBids: fc.boolean(),
    perBid: fc.option(fc.constantFrom(...STATUSES), { nil: null }),
    seqDelta: fc.integer({ min: -40_000, max: 40_000 }),
  }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('rr' as const), pick: fc.nat(), echo: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('brr' as const), toHa: fc.boolean(), bid: fc.option(fc.integer({ min: 1, max: 6 }), { nil: null }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('be' as const), status: fc.constantFrom(1 as const, 2 as const) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('op' as const), n: fc.nat(8), i: fc.nat(3), b: fc.boolean() }) },
  { weight: 4, arbitrary: fc.constant({ k: 'answerAll' as const }) },
);

function operator(c: { n: number; i: number; b: boolean }): MnEvent {
  const iface = IFACES[c.i]!;
  const commands = [
    { op: 'deregister' as const, iface },
    { op: 'register' as const, iface },
    { op: c.b ? ('deregisterAll' as const) : ('resume' as const) },
    { op: 'setBulk' as const, enabled: c.b },
    { op: 'setHomeLinkPolicy' as const, policy: POLICIES[c.i % 3]! },
    { op: 'forgetInterface' as const, iface },
    { op: c.b ? ('removeCorrespondent' as const) : ('addCorrespondent' as const), address: CN },
    { op: 'resume' as const },
    { op: 'register' as const, iface },
  ];
  return { kind: 'operator', command: commands[c.n % commands.length]! };
}

class Checker {
  bidOfIface = new Map<string, number>();
  lastSeq = new Map<string, number>();
  lastSeqPerBid = new Map<string, number>();
  floors = new Map<string, Set<number>>();
  sendTimes = new Map<string, number[]>();
  atHome = new Set<string>();
  answered = new Set<MnAction>();
  /** Sequence number of an O-flag BU to the home agent not answered yet. */
  overwritePending: number | null = null;
  overwriteThisStep = false;

  delivered(ev: MnEvent): void {
    if (ev.kind === 'bindingAck' && ip6Equal(ev.from, HA) && ev.message.sequence === this.overwritePending) this.overwritePending = null;
  }

  forget(iface: string): void {
    this.bidOfIface.delete(iface);
  }

  noted135(peer: string, seq: number): void {
    const f = this.floors.get(peer) ?? new Set<number>();
    f.add(seq);
    this.floors.set(peer, f);
  }

  checkBids(mn: Mn): void {
    const seen = new Map<number, string>();
    for (const iface of IFACES) {
      const bid = mn.core.bidOf(iface);
      if (bid === undefined) continue;
      assert.ok(bid >= 1 && bid <= 0xffff, `BID ${bid} out of range`);
      assert.equal(seen.get(bid), undefined, `BID ${bid} on two interfaces`);
      seen.set(bid, iface);
      const before = this.bidOfIface.get(iface);
      if (before !== undefined) assert.equal(bid, before, `${iface} changed BID`);
      this.bidOfIface.set(iface, bid);
    }
  }

  checkSend(mn: Mn, a: BuSend): void {
    const peer = formatIp6(a.destination);
    const bu = a.message;
    const subs = bidsOf(bu);
    const toCn = ip6Equal(a.destination, CN);
    for (const s of subs) assert.ok(s.bid >= 1 && s.bid <= 0xffff, 'BID out of range on the wire');
    if (toCn) {
      assert.ok(subs.length <= 1, 'bulk to a correspondent');
      assert.ok(subs.every((s) => !s.c && !s.o && !s.h), 'C/O/H toward a correspondent');
      assert.equal(bu.flags.h, false);
      assert.ok(a.authorization !== null);
    } else {
      assert.ok(ip6Equal(a.destination, HA));
      assert.deepEqual([bu.flags.a, bu.flags.h], [true, true]);
      // The O flag wipes every binding the BU does not name: one such BU at a time, and
      // no other registration while it is unanswered (a retransmission would wipe it).
      if (subs.some((s) => s.o)) {
        assert.ok(!this.overwriteThisStep, 'two O-flag BUs in one output');
        this.overwriteThisStep = true;
        this.overwritePending = bu.sequence;
      } else if (bu.lifetimeSeconds > 0 && subs.length > 0) {
        assert.equal(this.overwritePending, null, 'registration without O while an O-flag BU is unanswered');
      }
    }
    for (const s of subs) assert.deepEqual([s.c, s.o, s.h], [subs[0]!.c, subs[0]!.o, subs[0]!.h], 'mixed flags in one BU');
    if (bu.lifetimeSeconds === 0) assert.ok(subs.every((s) => !s.c), 'care-of address in a de-registration');
    // A registration names the BID of the interface holding that care-of address.
    // A home binding (H) names the BID of an interface on the home link.
    if (bu.lifetimeSeconds > 0) {
      for (const s of subs) {
        const coa = s.coa ?? (a.homeAddressOption ? a.source : HOA);
        if (ip6Equal(coa, HOA)) {
          assert.ok(s.h, `BID ${s.bid} registers the home address without H`);
          const homeBids = [...this.atHome].map((i) => mn.core.bidOf(i));
          assert.ok(homeBids.includes(s.bid), `home binding BID ${s.bid} not of a home-link interface`);
          continue;
        }
        const owner = IFACES.find((_, i) => [0, 1, 2].some((v) => ip6Equal(addr(i, v), coa)));
        assert.equal(s.bid, mn.core.bidOf(owner!), `BID ${s.bid} for ${formatIp6(coa)} of ${owner}`);
      }
    }
    this.checkSeq(peer, bu.sequence, peer);
    // A retry after 135 adopts the peer's numbering: per-BID history before it is void.
    if (this.floors.get(peer)?.has((bu.sequence + 0xffff) % 0x10000)) {
      for (const k of [...this.lastSeqPerBid.keys()]) if (k.startsWith(`${peer}#`)) this.lastSeqPerBid.delete(k);
    }
    for (const s of subs) this.checkSeq(peer, bu.sequence, `${peer}#${s.bid}`, this.lastSeqPerBid);
    const times = (this.sendTimes.get(peer) ?? []).filter((t) => t > mn.now - 1000);
    times.push(mn.now);
    assert.ok(times.length <= 3, `${times.length} BUs within one second to ${peer}`);
    this.sendTimes.set(peer, times);
  }

  private checkSeq(peer: string, seq: number, key: string, table = this.lastSeq): void {
    const prev = table.get(key);
    if (prev !== undefined) {
      const d = (seq - prev + 0x10000) % 0x10000;
      const newer = d >= 1 && d <= 0x7fff;
      const retry = this.floors.get(peer)?.has((seq + 0xffff) % 0x10000) ?? false;
      assert.ok(newer || retry, `sequence ${seq} after ${prev} to ${key}`);
    }
    table.set(key, seq);
  }
}

/** Feeds one event (or a tick at `atMs`) and checks every BU it produces, in order. */
function feed(mn: Mn, chk: Checker, ev: MnEvent | null, atMs?: number): MnAction[] {
  if (ev) chk.delivered(ev);
  chk.overwriteThisStep = false;
  const out = atMs === undefined ? mn.send(ev!) : mn.at(atMs);
  for (const a of out) if (isBu(a)) chk.checkSend(mn, a);
  return out;
}

function step(mn: Mn, sim: PeerSim, chk: Checker, c: Cmd): void {
  const outstanding = mn.all.filter((a) => a.kind === 'send');
  const pick = <T>(xs: T[], n: number): T | undefined => (xs.length ? xs[n % xs.length] : undefined);
  switch (c.k) {
    case 'coa':
      feed(mn, chk, { kind: 'careOfAddress', iface: IFACES[c.i]!, address: c.v === null ? null : addr(c.i, c.v) });
      return;
    case 'home':
      if (c.on) chk.atHome.add(IFACES[c.i]!);
      else chk.atHome.delete(IFACES[c.i]!);
      feed(mn, chk, { kind: 'homeLink', iface: IFACES[c.i]!, attached: c.on });
      return;
    case 'time':
      feed(mn, chk, null, mn.now + c.ms);
      return;
    case 'tickNext':
      if (mn.last.nextTickMs !== null) feed(mn, chk, null, mn.last.nextTickMs);
      return;
    case 'ba': {
      const bu = pick(outstanding.filter(isBu), c.pick);
      if (!bu) return;
      const subs = bidsOf(bu.message);
      const sequence = c.status === BaStatus.SEQUENCE_OUT_OF_WINDOW ? (bu.message.sequence + c.seqDelta + 0x10000) % 0x10000 : bu.message.sequence;
      const perBid = c.perBid !== null && subs[0] ? { [subs[0].bid]: c.perBid } : undefined;
      const ev = sim.answer(bu, { status: c.status, withBids: c.withBids, sequence, ...(perBid ? { perBid } : {}) });
      if (!ev) return;
      if (c.status === BaStatus.SEQUENCE_OUT_OF_WINDOW) chk.noted135(formatIp6(bu.destination), sequence);
      feed(mn, chk, ev);
      return;
    }
    case 'rr': {
      const init = pick(outstanding.filter((a) => a.kind === 'send' && (a.message.kind === 'hoti' || a.message.kind === 'coti')), c.pick);
      if (!init) return;
      sim.cnMcoa = c.echo;
      const ev = sim.answer(init);
      sim.cnMcoa = true;
      if (ev) feed(mn, chk, ev);
      return;
    }
    case 'brr':
      feed(mn, chk, { kind: 'bindingRefreshRequest', from: c.toHa ? HA : CN, message: { kind: 'brr', payloadProto: 59, checksum: 0, options: c.bid === null ? [] : [{ kind: 'bid', bid: c.bid, status: 0, c: false, o: false, h: false }] } });
      return;
    case 'be':
      feed(mn, chk, { kind: 'bindingError', from: CN, message: { kind: 'be', payloadProto: 59, checksum: 0, status: c.status, homeAddress: HOA, options: [] } });
      return;
    case 'answerAll': {
      // The network delivers everything not answered yet and peers accept it (3 rounds).
      for (let round = 0; round < 3; round++) {
        const todo = mn.all.filter((a) => a.kind === 'send' && !chk.answered.has(a));
        for (const a of todo) {
          chk.answered.add(a);
          const ev = sim.answer(a);
          if (ev) feed(mn, chk, ev);
        }
      }
      return;
    }
    case 'op': {
      const ev = operator(c);
      if (ev.kind === 'operator' && ev.command.op === 'forgetInterface') {
        chk.forget(ev.command.iface);
        chk.atHome.delete(ev.command.iface);
      }
      feed(mn, chk, ev);
    }
  }
}

test('properties: BIDs, sequence numbers, no bulk to a correspondent, rate limit, over random event sequences', () => {
  fc.assert(
    fc.property(fc.boolean(), fc.boolean(), fc.constantFrom(...POLICIES), fc.array(cmd, { minLength: 1, maxLength: 60 }), (bulk, esp, homeLinkPolicy, cmds) => {
      const mn = new Mn({ correspondents: [CN], bulk, esp, homeLinkPolicy });
      const sim = new PeerSim();
      const chk = new Checker();
      const first = mn.start([['eth0', addr(0, 0)], ['eth1', addr(1, 0)]]);
      for (const a of first) if (isBu(a)) chk.checkSend(mn, a);
      for (const c of cmds) {
        step(mn, sim, chk, c);
        chk.checkBids(mn);
        const next = mn.last.nextTickMs;
        assert.ok(next === null || next > mn.now, `next tick ${next} not after ${mn.now}`);
      }
    }),
    { numRuns: 400, includeErrorInReport: true },
  );
});

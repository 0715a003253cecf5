// The home agent's caps (proto/ha/limits.ts): each one hit answers 130 (RFC 6275 §6.1.8,
// insufficient resources) and changes nothing; refreshes, moves and de-registrations are
// never refused; the pure decision is table-driven on counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BaStatus } from '../../../lib/wire/types.js';
import { HomeAgent } from '../../../lib/proto/ha/home-agent.js';
import { DEFAULT_LIMITS, limitHit, type HomeAgentLimits, type LimitCounts, type LimitRequest } from '../../../lib/proto/ha/limits.js';
import { bid, COA1, COA2, COA3, haConfig, HOA, HOA2, makeBu, received } from './fixtures.js';
import { ip6 } from '../../ip6.js';
import type { Ip6 } from '../../../lib/inet/ip6.js';

const CAPS: HomeAgentLimits = { maxBindings: 4, maxBindingsPerHomeAddress: 2, maxPendingDad: 1, maxHeldAcks: 1, maxJournalBacklog: 8 };
const counts = (c: Partial<LimitCounts> = {}): LimitCounts => ({ bindings: 0, bindingsOfHoa: 0, pendingDad: 0, heldAcks: 0, ...c });
const req = (r: Partial<LimitRequest> = {}): LimitRequest => ({ bindingsOfHoaAfter: 1, startsDad: false, holdsAck: false, ...r });

const rows: { name: string; c: LimitCounts; r: LimitRequest; hit: ReturnType<typeof limitHit> }[] = [
  { name: 'room everywhere -> none', c: counts(), r: req(), hit: null },
  { name: 'a new binding past max_bindings -> bindings', c: counts({ bindings: 4 }), r: req(), hit: 'bindings' },
  { name: 'a refresh at max_bindings (no growth) -> none', c: counts({ bindings: 4, bindingsOfHoa: 1 }), r: req(), hit: null },
  { name: 'a third BID of one home address -> bindings-per-home-address', c: counts({ bindings: 2, bindingsOfHoa: 2 }), r: req({ bindingsOfHoaAfter: 3 }), hit: 'bindings-per-home-address' },
  { name: 'over the per-address cap but shrinking (cap lowered by a reload) -> none', c: counts({ bindings: 3, bindingsOfHoa: 3 }), r: req({ bindingsOfHoaAfter: 3 }), hit: null },
  { name: 'a second DAD while one runs -> pending-dad', c: counts({ pendingDad: 1 }), r: req({ startsDad: true }), hit: 'pending-dad' },
  { name: 'a BA to hold while one is held -> held-acks', c: counts({ heldAcks: 1 }), r: req({ holdsAck: true }), hit: 'held-acks' },
];

for (const row of rows) {
  test(`limits: ${row.name}`, () => assert.equal(limitHit(row.c, row.r, CAPS), row.hit));
}

test('the defaults are documented numbers', () => {
  assert.deepEqual({ ...DEFAULT_LIMITS }, { maxBindings: 100_000, maxBindingsPerHomeAddress: 16, maxPendingDad: 4096, maxHeldAcks: 4096, maxJournalBacklog: 4096 });
});

/** A home agent with CAPS whose DADs all succeed at once. */
function agent(caps: Partial<HomeAgentLimits> = {}, dadDone = true) {
  const ha = new HomeAgent(haConfig({ limits: { ...CAPS, maxPendingDad: 100, maxHeldAcks: 100, ...caps } }));
  const bu = (hoa: Ip6, seq: number, opts: Parameters<typeof makeBu>[0]['options'] = [], lifetime = 400) => {
    const o = ha.processBu(received(makeBu({ seq, lifetime, options: opts }), { hoa }));
    if (o.dad && dadDone) return { first: o, final: ha.dadResult(hoa, true) };
    return { first: o, final: o };
  };
  return { ha, bu };
}

const HOA3 = ip6('2001:db8:1::33');

test('RFC 6275 §6.1.8 max_bindings: the binding past the cap gets 130 and nothing changes; refreshes and moves still pass', () => {
  const { ha, bu } = agent({ maxBindings: 2 });
  assert.equal(bu(HOA, 1).final.status, BaStatus.ACCEPTED);
  assert.equal(bu(HOA2, 1).final.status, BaStatus.ACCEPTED);
  const o = bu(HOA3, 1).first;
  assert.equal(o.status, BaStatus.INSUFFICIENT_RESOURCES);
  assert.equal(o.ba?.message.status, BaStatus.INSUFFICIENT_RESOURCES);
  assert.equal(o.limit, 'bindings');
  assert.equal(o.dad, null, 'no DAD started for a refused home address');
  assert.equal(ha.cache.size, 2);
  assert.equal(bu(HOA, 2).final.status, BaStatus.ACCEPTED, 'a refresh at the cap');
  const moved = bu(HOA2, 2, [bid(1, { coa: COA2 })]).final;
  // MCOA BID CONFLICT: the regular binding was replaced (no growth), not refused by a cap.
  assert.equal(moved.limit, undefined);
  assert.deepEqual(ha.cache.bindingsOf(HOA2).map((b) => b.bid), [1]);
  assert.equal(bu(HOA, 3, [], 0).final.status, BaStatus.ACCEPTED, 'a de-registration');
  assert.equal(bu(HOA3, 2).final.status, BaStatus.ACCEPTED, 'room again after it');
});

test('draft-04 §6.3 max_bindings_per_home_address: a bulk BU with one BID too many gets 130 for all of it', () => {
  const { ha, bu } = agent({ maxBindingsPerHomeAddress: 2 });
  assert.equal(bu(HOA, 1, [bid(1, { coa: COA1 }), bid(2, { coa: COA2 })]).final.status, BaStatus.ACCEPTED);
  const o = bu(HOA, 2, [bid(3, { coa: COA3 })]).first;
  assert.equal(o.status, BaStatus.INSUFFICIENT_RESOURCES);
  assert.equal(o.limit, 'bindings-per-home-address');
  assert.deepEqual(ha.cache.bindingsOf(HOA).map((b) => b.bid), [1, 2]);
  // With O the BU's bindings replace all: two BIDs fit.
  assert.equal(bu(HOA, 3, [bid(2, { coa: COA2, o: true }), bid(3, { coa: COA3, o: true })]).final.status, BaStatus.ACCEPTED);
  assert.deepEqual(ha.cache.bindingsOf(HOA).map((b) => b.bid).sort(), [2, 3]);
});

test('RFC 6275 §10.3.1 max_pending_dad: a new home address while the cap of DADs runs gets 130; one DAD ending makes room', () => {
  const { ha, bu } = agent({ maxPendingDad: 1 }, false);
  assert.ok(bu(HOA, 1).first.dad);
  assert.equal(ha.cache.dadPendingCount, 1);
  const o = bu(HOA2, 1).first;
  assert.equal(o.status, BaStatus.INSUFFICIENT_RESOURCES);
  assert.equal(o.limit, 'pending-dad');
  assert.equal(ha.cache.record(HOA2), undefined);
  ha.dadResult(HOA, true);
  assert.equal(ha.cache.dadPendingCount, 0);
  assert.ok(bu(HOA2, 2).first.dad);
});

test('RFC 6275 §10.3.1 max_held_acknowledgements: a second BA to hold for DAD gets 130; a retransmission for the same address is no new hold', () => {
  const { bu } = agent({ maxHeldAcks: 1 }, false);
  assert.equal(bu(HOA, 1).first.baDeferred, true);
  assert.equal(bu(HOA, 2).first.baDeferred, true, 'the retransmitted BU replaces the held BA');
  const o = bu(HOA2, 1).first;
  assert.equal(o.status, BaStatus.INSUFFICIENT_RESOURCES);
  assert.equal(o.limit, 'held-acks');
});

test('the DAD-pending count follows removal, expiry and failure', () => {
  const { ha, bu } = agent({}, false);
  bu(HOA, 1);
  bu(HOA2, 1, [], 4);
  assert.equal(ha.cache.dadPendingCount, 2);
  ha.removeByOperator(HOA);
  assert.equal(ha.cache.dadPendingCount, 1);
  ha.expire(10_000);
  assert.equal(ha.cache.dadPendingCount, 0);
  bu(HOA3, 1);
  ha.dadResult(HOA3, false);
  assert.equal(ha.cache.dadPendingCount, 0);
});

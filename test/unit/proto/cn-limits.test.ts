// The correspondent's binding-cache cap (proto/cn/limits.ts): a BU that would add a
// binding past max_bindings gets 130 (RFC 6275 §6.1.8) with an authenticated BA and changes
// nothing; what adds no binding (refresh, move, BID replacing the regular binding, regular
// replacing the BIDs, de-registration) is never refused; an unauthenticated BU is dropped
// before the cap is looked at. And a flood of 50,000 home addresses stops at the cap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BaStatus } from '../../../lib/wire/types.js';
import { correspondentCapHit, DEFAULT_CN_LIMITS, type CorrespondentLimits } from '../../../lib/proto/cn/limits.js';
import type { CorrespondentNode } from '../../../lib/proto/cn/correspondent.js';
import { formatIp6, mustParseIp6 } from '../../../lib/inet/ip6.js';
import { bid, cacheLines, COA1, COA2, HOA } from './fixtures.js';
import { newCn, sealedBu, type CnBuSpec } from './cn-fixtures.js';

const CAP: CorrespondentLimits = { maxBindings: 2, maxJournalBacklog: 8 };
const HOA2 = '2001:db8:1::22';
const HOA3 = '2001:db8:1::33';

const capRows: { name: string; bindings: number; growth: number; hit: boolean }[] = [
  { name: 'room for one more -> none', bindings: 1, growth: 1, hit: false },
  { name: 'a new binding at the cap -> hit', bindings: 2, growth: 1, hit: true },
  { name: 'no growth at the cap (refresh, move) -> none', bindings: 2, growth: 0, hit: false },
  { name: 'over the cap after a reload lowered it, no growth -> none', bindings: 5, growth: 0, hit: false },
];
for (const r of capRows) test(`CN cap: ${r.name}`, () => assert.equal(correspondentCapHit(r.bindings, r.growth, CAP), r.hit));

test('CN cap: the defaults are the documented numbers', () => {
  assert.deepEqual({ ...DEFAULT_CN_LIMITS }, { maxBindings: 100_000, maxJournalBacklog: 4096 });
  assert.deepEqual(newCn().limits, DEFAULT_CN_LIMITS);
});

/** A correspondent at its cap of 2: HOA with BID 1 at COA1, HOA2 regular. */
function full(): CorrespondentNode {
  const cn = newCn({ limits: CAP });
  assert.equal(cn.processBu(sealedBu(cn, { seq: 1, options: [bid(1)] })).status, BaStatus.ACCEPTED);
  assert.equal(cn.processBu(sealedBu(cn, { seq: 1, hoa: HOA2 })).status, BaStatus.ACCEPTED);
  assert.equal(cn.cache.size, 2);
  return cn;
}

const atCap: { name: string; step: CnBuSpec; status: number; limit?: 'bindings'; cache: string[] }[] = [
  { name: 'RFC 6275 §6.1.8 CN: a new home address past max_bindings -> 130, nothing changes', step: { seq: 1, hoa: HOA3 }, status: BaStatus.INSUFFICIENT_RESOURCES, limit: 'bindings', cache: [`${HOA} ${COA1} BID1`, `${HOA2} ${COA1} BID0`] },
  { name: 'RFC 6275 §6.1.8 CN: a second BID of a home address past max_bindings -> 130', step: { seq: 2, options: [bid(2)], coa: COA2 }, status: BaStatus.INSUFFICIENT_RESOURCES, limit: 'bindings', cache: [`${HOA} ${COA1} BID1`, `${HOA2} ${COA1} BID0`] },
  { name: 'CN at the cap: a refresh passes', step: { seq: 2, options: [bid(1)] }, status: BaStatus.ACCEPTED, cache: [`${HOA} ${COA1} BID1`, `${HOA2} ${COA1} BID0`] },
  { name: 'CN at the cap: a move to another care-of address passes', step: { seq: 2, options: [bid(1)], coa: COA2 }, status: BaStatus.ACCEPTED, cache: [`${HOA} ${COA2} BID1`, `${HOA2} ${COA1} BID0`] },
  { name: 'CN at the cap: a regular BU replacing the BID bindings passes', step: { seq: 2 }, status: BaStatus.ACCEPTED, cache: [`${HOA} ${COA1} BID0`, `${HOA2} ${COA1} BID0`] },
  { name: 'CN at the cap: §6.3 a BID replacing the regular binding passes (BID conflict)', step: { seq: 2, hoa: HOA2, options: [bid(4)] }, status: -1, cache: [`${HOA} ${COA1} BID1`, `${HOA2} ${COA1} BID4`] },
  { name: 'CN at the cap: a de-registration passes', step: { seq: 2, lifetime: 0 }, status: BaStatus.ACCEPTED, cache: [`${HOA2} ${COA1} BID0`] },
];

for (const row of atCap) {
  test(row.name, () => {
    const cn = full();
    const o = cn.processBu(sealedBu(cn, row.step));
    if (row.status >= 0) assert.equal(o.status, row.status);
    else assert.equal(o.status, cn.config.profile.status.bidConflict);
    assert.equal(o.limit, row.limit);
    if (row.limit) {
      assert.equal(o.ba?.message.status, BaStatus.INSUFFICIENT_RESOURCES);
      assert.ok(o.ba?.authorization, 'the 130 is authenticated (the node passed return routability)');
      assert.deepEqual(o.events, []);
    }
    assert.deepEqual(cacheLines(cn.cache), row.cache);
  });
}

test('CN at the cap: an unauthenticated BU is dropped as before, not answered 130', () => {
  const cn = full();
  const o = cn.processBu(sealedBu(cn, { seq: 1, hoa: HOA3, tamper: (mh) => void (mh[mh.length - 1]! ^= 1) }));
  assert.equal(o.ba, null);
  assert.equal(o.refusal?.reason, 'authenticator-mismatch');
  assert.equal(o.limit, undefined);
});

test('CN cap lowered (reload): existing bindings stay and refresh; growth is refused', () => {
  const cn = full();
  cn.limits = { ...CAP, maxBindings: 1 };
  assert.equal(cn.processBu(sealedBu(cn, { seq: 2, options: [bid(1)] })).status, BaStatus.ACCEPTED);
  assert.equal(cn.processBu(sealedBu(cn, { seq: 2, hoa: HOA2 })).status, BaStatus.ACCEPTED);
  assert.equal(cn.processBu(sealedBu(cn, { seq: 1, hoa: HOA3 })).status, BaStatus.INSUFFICIENT_RESOURCES);
  assert.equal(cn.cache.size, 2);
  cn.limits = { ...CAP, maxBindings: 3 };
  assert.equal(cn.processBu(sealedBu(cn, { seq: 1, hoa: HOA3 })).status, BaStatus.ACCEPTED, 'a raised cap takes the next one');
});

test('CN flood: 50,000 authenticated BUs from distinct home addresses stop at max_bindings; the nonce table stays small', () => {
  const cap = 1000;
  const cn = newCn({ limits: { maxBindings: cap, maxJournalBacklog: 8 } });
  const base = mustParseIp6('2001:db8:f100::');
  let accepted = 0;
  let refused = 0;
  for (let i = 0; i < 50_000; i++) {
    const a = base.slice();
    a[12] = (i >>> 24) & 0xff;
    a[13] = (i >>> 16) & 0xff;
    a[14] = (i >>> 8) & 0xff;
    a[15] = i & 0xff;
    // One nonce period in four: the table regenerates and prunes as time goes on.
    const o = cn.processBu(sealedBu(cn, { seq: 1, hoa: formatIp6(a), options: [bid(1)], nowMs: i * 10 }));
    if (o.status === BaStatus.ACCEPTED) accepted++;
    else if (o.limit === 'bindings') refused++;
  }
  assert.equal(accepted, cap);
  assert.equal(refused, 50_000 - cap);
  assert.equal(cn.cache.size, cap);
  assert.equal(cn.cache.homeAddressCount, cap);
  // Bounded by time: one nonce per regeneration period (30 s) kept MAX_NONCE_LIFETIME (240 s).
  assert.ok(cn.nonces.size <= 10, `nonces held: ${cn.nonces.size}`);
});

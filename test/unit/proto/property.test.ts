// Random sequences of BUs, DAD results, refresh polls and time steps against one home
// agent, with the cache and desired-state invariants checked after every step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HomeAgent } from '../../../lib/proto/ha/home-agent.js';
import { REGULAR_BID } from '../../../lib/proto/common/binding.js';
import { altCoa, bid, haConfig, HOA, HOA2, makeBu, received } from './fixtures.js';
import type { BidOption, MobilityOption } from '../../../lib/wire/types.js';
import { homeAgentDesired } from '../../../lib/plan/ha/desired.js';

const HOAS = [HOA, HOA2];
const COAS = ['2001:db8:a::1', '2001:db8:b::2', '2001:db8:c::3', '2001:db8:d::4'];

type Cmd =
  | { t: 'bu'; hoa: number; seqStep: number; lifetime: number; bids: number[]; c: boolean; o: boolean; h: boolean; coa: number; src: number; alt: boolean; fromHome: boolean }
  | { t: 'dad'; hoa: number; ok: boolean }
  | { t: 'poll' }
  | { t: 'time'; ms: number };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant('bu' as const),
      hoa: fc.nat(1),
      seqStep: fc.oneof(fc.constant(1), fc.integer({ min: -3, max: 40000 })),
      lifetime: fc.constantFrom(0, 8, 40, 400),
      bids: fc.array(fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 1, max: 4 }) }, { weight: 1, arbitrary: fc.constant(0) }), { maxLength: 3 }),
      c: fc.boolean(),
      o: fc.boolean(),
      h: fc.boolean(),
      coa: fc.nat(3),
      src: fc.nat(3),
      alt: fc.boolean(),
      fromHome: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('dad' as const), hoa: fc.nat(1), ok: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ t: 'poll' as const }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('time' as const), ms: fc.integer({ min: 0, max: 200_000 }) }) },
);

function checkInvariants(ha: HomeAgent, lastExpireMs: number): void {
  const desired = homeAgentDesired(ha);
  let count = 0;
  let minExpiry = Infinity;
  for (const hoa of ha.cache.homeAddresses()) {
    const bs = ha.cache.bindingsOf(hoa);
    assert.ok(bs.length > 0, 'no empty home address records');
    count += bs.length;
    const bids = bs.map((b) => b.bid);
    assert.equal(new Set(bids).size, bids.length, `BIDs unique for ${hoa}`);
    if (bids.includes(REGULAR_BID)) assert.equal(bs.length, 1, `a regular binding stands alone for ${hoa}`);
    for (const b of bs) {
      assert.ok(b.expiresAtMs > lastExpireMs, 'no expired binding survives expire(now)');
      assert.equal(b.homeBinding, b.coa === b.hoa, 'home binding <=> care-of = home address');
      minExpiry = Math.min(minExpiry, b.expiresAtMs);
    }
    const hasHome = bs.some((b) => b.homeBinding);
    const pending = ha.cache.isDadPending(hoa);
    assert.equal(desired.proxies.has(`eth0|${hoa}`), !hasHome && !pending, `proxy ND absent exactly with a home binding (${hoa})`);
    for (const b of bs) {
      if (!b.homeBinding && !pending) assert.ok(desired.tunnels.get(`${ha.config.haAddress}|${b.coa}`)?.owners.includes(`${hoa}#${b.bid}`));
    }
  }
  for (const hoa of HOAS) if (ha.cache.bindingsOf(hoa).length === 0) assert.ok(!desired.proxies.has(`eth0|${hoa}`));
  for (const t of desired.tunnels.values()) assert.ok(t.owners.length > 0);
  assert.equal(ha.cache.size, count);
  assert.equal(ha.nextExpiryMs(), count ? minExpiry : null);
}

test('property: cache and desired-state invariants hold after every step', () => {
  fc.assert(
    fc.property(fc.array(cmd, { minLength: 5, maxLength: 60, size: 'max' }), (cmds) => {
      const ha = new HomeAgent(haConfig({ bulkAllowed: true }));
      let now = 0;
      let lastExpire = -1;
      const seq = [0, 0];
      for (const c of cmds) {
        if (c.t === 'bu') {
          seq[c.hoa] = (seq[c.hoa]! + c.seqStep + 0x10000) & 0xffff;
          const hoa = HOAS[c.hoa]!;
          const options: MobilityOption[] = c.bids.map(
            (n): BidOption => (c.c ? bid(n, { coa: COAS[(c.coa + n) % 4]!, o: c.o, h: c.h }) : bid(n, { o: c.o, h: c.h })),
          );
          if (c.alt) options.push(altCoa(COAS[c.coa]!));
          const src = c.fromHome ? hoa : COAS[c.src]!;
          ha.processBu(received(makeBu({ seq: seq[c.hoa]!, lifetime: c.lifetime, options }), { hoa, src, nowMs: now }));
        } else if (c.t === 'dad') {
          ha.dadResult(HOAS[c.hoa]!, c.ok);
        } else if (c.t === 'poll') {
          for (const r of ha.pollRefreshRequests(now).requests) assert.ok(r.message.kind === 'brr');
        } else {
          now += c.ms;
          ha.expire(now);
          lastExpire = now;
        }
        checkInvariants(ha, lastExpire);
      }
    }),
    { numRuns: 400 },
  );
});

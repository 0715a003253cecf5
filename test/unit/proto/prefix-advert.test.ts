// Home agent Mobile Prefix Discovery (RFC 6275 §10.6), one row per rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIp6, mustIp6, type Ip6 } from '../../../lib/inet/ip6.js';
import {
  DEFAULT_PREFIX_DISCOVERY,
  PREFIX_ADV_RETRIES,
  PREFIX_ADV_TIMEOUT_MS,
  PrefixAdvertiser,
  advertisedPrefixes,
  type AdvertisedPrefixes,
  type PrefixDiscoveryConfig,
  type Random,
} from '../../../lib/proto/ha/prefix-advert.js';
import { INFINITE_LIFETIME } from '../../../lib/wire/icmp/mobile-prefix.js';

const HA = mustIp6('2001:db8:aa::1');
const HOA = mustIp6('2001:db8:aa::100');
const HOA2 = mustIp6('2001:db8:aa::200');
const lifetimes = (x: Partial<PrefixDiscoveryConfig>): PrefixDiscoveryConfig => ({ ...DEFAULT_PREFIX_DISCOVERY, validLifetimeSeconds: 3600, preferredLifetimeSeconds: 1800, ...x });
const ONE: AdvertisedPrefixes = { homeAgentAddress: HA, servedPrefixes: ['2001:db8:aa::/64'], lifetimes: lifetimes({}) };
const TWO: AdvertisedPrefixes = { ...ONE, servedPrefixes: ['2001:db8:aa::/64', '2001:db8:bb::/64'] };
/** Infinite preferred lifetime: no periodic advertisements, only the change-driven ones. */
const ONE_FOREVER: AdvertisedPrefixes = { ...ONE, lifetimes: lifetimes({ validLifetimeSeconds: INFINITE_LIFETIME, preferredLifetimeSeconds: INFINITE_LIFETIME }) };
const TWO_FOREVER: AdvertisedPrefixes = { ...ONE_FOREVER, servedPrefixes: TWO.servedPrefixes };
const registered = (...hoas: Ip6[]) => (h: Ip6) => hoas.includes(h);
/** Always the smallest value: identifiers 0, RandomDelay = MinMobPfxAdvInterval. */
const lowest: Random = () => 0;
/** 0, 1, 2, ... modulo n. */
const counting = (): Random => {
  let i = 0;
  return (n) => i++ % n;
};

test('§7.2/§10.6.1: the prefix holding the home agent carries its whole address with R; others the prefix, L and A set', () => {
  const p = advertisedPrefixes(TWO);
  assert.deepEqual(p.map((x) => [formatIp6(x.prefix), x.prefixLength, x.routerAddress, x.onLink, x.autonomous]), [
    [HA, 64, true, true, true],
    ['2001:db8:bb::', 64, false, true, true],
  ]);
  assert.deepEqual(p.map((x) => [x.validLifetime, x.preferredLifetime]), [[3600, 1800], [3600, 1800]]);
});

test('defaults: RFC 4861 AdvValidLifetime 30 days, AdvPreferredLifetime 7 days, fixed; RFC 6275 §13 Min/MaxMobPfxAdvInterval 600 s / 1 day; preferred never above valid', () => {
  assert.deepEqual(DEFAULT_PREFIX_DISCOVERY, {
    validLifetimeSeconds: 2_592_000,
    preferredLifetimeSeconds: 604_800,
    countdown: false,
    minAdvertisementIntervalSeconds: 600,
    maxAdvertisementIntervalSeconds: 86_400,
  });
  const [p] = advertisedPrefixes({ ...ONE, lifetimes: lifetimes({ validLifetimeSeconds: 60, preferredLifetimeSeconds: 600 }) });
  assert.equal(p!.preferredLifetime, 60);
});

const countdownRows: [string, Partial<PrefixDiscoveryConfig>, number, [number, number]][] = [
  ['RFC 4861 §6.2.1: fixed lifetimes stay the same as time passes', { countdown: false }, 1000, [3600, 1800]],
  ['RFC 4861 §6.2.1: counting down, the lifetimes decrement in real time', { countdown: true }, 1000, [2600, 800]],
  ['counting down, the preferred lifetime stops at 0 (deprecated) while the valid one runs on', { countdown: true }, 2000, [1600, 0]],
  ['counting down, both stop at 0', { countdown: true }, 99_999, [0, 0]],
  ['counting down, an infinite lifetime stays infinite', { countdown: true, validLifetimeSeconds: INFINITE_LIFETIME, preferredLifetimeSeconds: INFINITE_LIFETIME }, 5000, [INFINITE_LIFETIME, INFINITE_LIFETIME]],
];
for (const [name, l, afterSeconds, expected] of countdownRows) {
  test(name, () => {
    const a = new PrefixAdvertiser({ ...ONE, lifetimes: lifetimes(l) }, 10_000, lowest);
    const [p] = a.prefixesAt(10_000 + afterSeconds * 1000);
    assert.deepEqual([p!.validLifetime, p!.preferredLifetime], expected);
    const answer = a.solicited(HOA, 1, true, 10_000 + afterSeconds * 1000);
    assert.deepEqual([answer!.message.prefixes[0]!.validLifetime, answer!.message.prefixes[0]!.preferredLifetime], expected, 'a solicited advertisement carries the same');
  });
}

const solicitRows: [string, boolean, boolean][] = [
  ['§10.6.3: a registered home address gets the advertisement with its identifier', true, true],
  ['§10.6.3: a home address without a binding gets nothing', false, false],
];
for (const [name, isRegistered, answered] of solicitRows) {
  test(name, () => {
    const a = new PrefixAdvertiser(ONE_FOREVER, 0, lowest);
    const out = a.solicited(HOA, 0x4242, isRegistered, 0);
    assert.equal(out !== null, answered);
    if (out) {
      assert.deepEqual([out.dst, out.message.identifier, out.solicited, out.message.prefixes.length], [HOA, 0x4242, true, 1]);
      assert.equal(a.nextDueMs(), null, 'a solicited advertisement is not retransmitted');
    }
  });
}

test('§10.6.2: unchanged prefixes at a reload send nothing', () => {
  const a = new PrefixAdvertiser(ONE_FOREVER, 0, lowest);
  assert.deepEqual(a.reconfigure({ ...ONE_FOREVER }, [HOA], 0), []);
  assert.equal(a.nextDueMs(), null);
});

test('§10.6.2: changed prefixes send an unsolicited advertisement to every registered home address, each its own identifier', () => {
  const a = new PrefixAdvertiser(ONE_FOREVER, 0, counting());
  const out = a.reconfigure(TWO_FOREVER, [HOA, HOA2], 1000);
  assert.deepEqual(out.map((o) => [o.dst, o.message.identifier, o.solicited, o.retransmission, o.message.prefixes.length]), [
    [HOA, 0, false, 0, 2],
    [HOA2, 1, false, 0, 2],
  ]);
  assert.equal(a.nextDueMs(), 1000 + PREFIX_ADV_TIMEOUT_MS);
});

test('§10.6.2: a changed lifetime alone is a change; turning the countdown on is one too', () => {
  const a = new PrefixAdvertiser(ONE, 0, lowest);
  assert.equal(a.reconfigure({ ...ONE, lifetimes: lifetimes({ preferredLifetimeSeconds: 900 }) }, [HOA], 0).length, 1);
  assert.equal(a.reconfigure({ ...ONE, lifetimes: lifetimes({ preferredLifetimeSeconds: 900, countdown: true }) }, [HOA], 0).length, 1);
});

test('§10.6.2: retransmitted after PREFIX_ADV_TIMEOUT, doubling, at most PREFIX_ADV_RETRIES times, same identifier', () => {
  const a = new PrefixAdvertiser(ONE_FOREVER, 0, () => 7);
  a.reconfigure(TWO_FOREVER, [HOA], 0);
  const at: number[] = [];
  for (let now = 0; now <= 60_000; now += 500) {
    for (const s of a.poll(now, registered(HOA))) {
      assert.equal(s.message.identifier, 7);
      at.push(now);
    }
  }
  assert.equal(PREFIX_ADV_RETRIES, 3);
  assert.deepEqual(at, [3000, 9000, 21000]);
  assert.equal(a.nextDueMs(), null, 'infinite lifetimes: nothing periodic afterwards');
});

test('§10.6.2: a Binding Update from the home address acknowledges it: no retransmission', () => {
  const a = new PrefixAdvertiser(ONE_FOREVER, 0, lowest);
  a.reconfigure(TWO_FOREVER, [HOA, HOA2], 0);
  assert.equal(a.bindingUpdate(HOA, 0), true);
  assert.equal(a.bindingUpdate(HOA, 0), false);
  assert.deepEqual(a.poll(PREFIX_ADV_TIMEOUT_MS, registered(HOA, HOA2)).map((s) => s.dst), [HOA2]);
});

test('§10.6.2: no retransmission once the bindings expired', () => {
  const a = new PrefixAdvertiser(ONE_FOREVER, 0, lowest);
  a.reconfigure(TWO_FOREVER, [HOA], 0);
  assert.deepEqual(a.poll(PREFIX_ADV_TIMEOUT_MS, registered()), []);
  assert.deepEqual(a.unacknowledged(), []);
  assert.equal(a.nextDueMs(), null);
});

test('nothing is due before its time', () => {
  const a = new PrefixAdvertiser(ONE_FOREVER, 0, lowest);
  a.reconfigure(TWO_FOREVER, [HOA], 0);
  assert.deepEqual(a.poll(PREFIX_ADV_TIMEOUT_MS - 1, registered(HOA)), []);
});

// §10.6.2's schedule: MaxScheduleDelay = min(MaxMobPfxAdvInterval, preferred lifetime);
// RandomDelay = MinMobPfxAdvInterval + RANDOM() % |MaxScheduleDelay - MinMobPfxAdvInterval|.
const scheduleRows: [string, Partial<PrefixDiscoveryConfig>, Random, number | null][] = [
  ['§10.6.2: the lowest draw gives MinMobPfxAdvInterval', { minAdvertisementIntervalSeconds: 600, maxAdvertisementIntervalSeconds: 86_400 }, () => 0, 600_000],
  ['§10.6.2: the highest draw stays below MaxMobPfxAdvInterval', { minAdvertisementIntervalSeconds: 600, maxAdvertisementIntervalSeconds: 1200, preferredLifetimeSeconds: 3000 }, (n) => n - 1, 1_199_999],
  ['§10.6.2: a preferred lifetime shorter than MaxMobPfxAdvInterval bounds the delay', { minAdvertisementIntervalSeconds: 10, maxAdvertisementIntervalSeconds: 86_400, preferredLifetimeSeconds: 30 }, (n) => n - 1, 29_999],
  ['§10.6.2: a preferred lifetime below MinMobPfxAdvInterval: the absolute difference', { minAdvertisementIntervalSeconds: 600, preferredLifetimeSeconds: 100 }, (n) => n - 1, 1_099_999],
  ['§10.6.2: Min = Max: exactly the interval', { minAdvertisementIntervalSeconds: 60, maxAdvertisementIntervalSeconds: 60 }, (n) => n - 1, 60_000],
  ['an infinite preferred lifetime needs no periodic advertisement', { validLifetimeSeconds: INFINITE_LIFETIME, preferredLifetimeSeconds: INFINITE_LIFETIME }, () => 0, null],
];
for (const [name, l, random, expected] of scheduleRows) {
  test(name, () => {
    const a = new PrefixAdvertiser({ ...ONE, lifetimes: lifetimes(l) }, 0, random);
    a.bindingUpdate(HOA, 0);
    assert.equal(a.nextDueMs(), expected);
  });
}

test('§10.6.2: a later schedule never replaces an earlier one; an earlier one does', () => {
  let draw = 0;
  const a = new PrefixAdvertiser({ ...ONE, lifetimes: lifetimes({ minAdvertisementIntervalSeconds: 10, maxAdvertisementIntervalSeconds: 100, preferredLifetimeSeconds: 1000 }) }, 0, (n) => Math.min(draw, n - 1));
  draw = 50_000;
  a.bindingUpdate(HOA, 0);
  assert.equal(a.nextDueMs(), 60_000);
  draw = 80_000;
  a.bindingUpdate(HOA, 0);
  assert.equal(a.nextDueMs(), 60_000, 'kept');
  draw = 0;
  a.solicited(HOA, 1, true, 1000);
  assert.equal(a.nextDueMs(), 11_000, 'earlier: rescheduled');
});

test('§10.6.2: periodic advertisements counting down, each unsolicited, acknowledged by the BU, then the next scheduled; one entry per home address', () => {
  const a = new PrefixAdvertiser(
    { ...ONE, lifetimes: lifetimes({ countdown: true, validLifetimeSeconds: 100, preferredLifetimeSeconds: 50, minAdvertisementIntervalSeconds: 10, maxAdvertisementIntervalSeconds: 20 }) },
    0,
    lowest,
  );
  a.bindingUpdate(HOA, 0);
  a.bindingUpdate(HOA2, 0);
  const seen: [number, Ip6, number, number][] = [];
  for (let now = 0; now <= 35_000; now += 1000) {
    for (const s of a.poll(now, registered(HOA, HOA2))) {
      seen.push([now, s.dst, s.retransmission, s.message.prefixes[0]!.preferredLifetime]);
      if (s.dst === HOA) a.bindingUpdate(HOA, now); // HOA acknowledges; HOA2 does not
    }
    assert.ok(a.scheduledCount() <= 2);
  }
  assert.deepEqual(seen, [
    [10_000, HOA, 0, 40],
    [10_000, HOA2, 0, 40],
    [13_000, HOA2, 1, 37],
    [19_000, HOA2, 2, 31],
    [20_000, HOA, 0, 30],
    [30_000, HOA, 0, 20],
    [31_000, HOA2, 3, 19],
  ]);
  assert.equal(a.nextDueMs(), 40_000, 'after its last retransmission HOA2 is back on the periodic schedule');
});

test('§10.6.2: a home address whose binding went is dropped from the schedule at its turn', () => {
  const a = new PrefixAdvertiser({ ...ONE, lifetimes: lifetimes({ minAdvertisementIntervalSeconds: 10, maxAdvertisementIntervalSeconds: 10 }) }, 0, lowest);
  a.bindingUpdate(HOA, 0);
  assert.deepEqual(a.poll(10_000, registered()), []);
  assert.equal(a.scheduledCount(), 0);
  assert.equal(a.nextDueMs(), null);
});

test('scale: 100,000 registered home addresses, one heap; a poll sends only the due ones', () => {
  // Draws 6 ms apart: the 100,000 schedules cover the 600 s spread evenly.
  let i = 0;
  const spread: Random = (n) => (i++ * 6) % n;
  const a = new PrefixAdvertiser({ ...ONE, lifetimes: lifetimes({ minAdvertisementIntervalSeconds: 600, maxAdvertisementIntervalSeconds: 1200, preferredLifetimeSeconds: 86_400 }) }, 0, spread);
  const hoas: Ip6[] = [];
  for (let i = 0; i < 100_000; i++) {
    const h = mustIp6(`2001:db8:aa::${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}`);
    hoas.push(h);
    a.bindingUpdate(h, 0);
  }
  const all = () => true;
  assert.equal(a.nextDueMs(), 600_000);
  assert.equal(a.poll(600_000, all).length, 1);
  const next = a.poll(660_000, all);
  assert.equal(next.filter((s) => s.retransmission === 0).length, 10_000, 'the next minute of a 600 s spread: a tenth');
  assert.equal(next.filter((s) => s.retransmission === 1).length, 1, 'and the first one\'s retransmission');
  assert.equal(a.scheduledCount(), 100_000);
});

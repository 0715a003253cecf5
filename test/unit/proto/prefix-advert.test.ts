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
} from '../../../lib/proto/ha/prefix-advert.js';

const HA = mustIp6('2001:db8:aa::1');
const HOA = mustIp6('2001:db8:aa::100');
const HOA2 = mustIp6('2001:db8:aa::200');
const ONE: AdvertisedPrefixes = { homeAgentAddress: HA, servedPrefixes: ['2001:db8:aa::/64'], lifetimes: { validLifetimeSeconds: 3600, preferredLifetimeSeconds: 1800 } };
const TWO: AdvertisedPrefixes = { ...ONE, servedPrefixes: ['2001:db8:aa::/64', '2001:db8:bb::/64'] };
const registered = (...hoas: Ip6[]) => (h: Ip6) => hoas.includes(h);

test('§7.2/§10.6.1: the prefix holding the home agent carries its whole address with R; others the prefix, L and A set', () => {
  const p = advertisedPrefixes(TWO);
  assert.deepEqual(p.map((x) => [formatIp6(x.prefix), x.prefixLength, x.routerAddress, x.onLink, x.autonomous]), [
    [HA, 64, true, true, true],
    ['2001:db8:bb::', 64, false, true, true],
  ]);
  assert.deepEqual(p.map((x) => [x.validLifetime, x.preferredLifetime]), [[3600, 1800], [3600, 1800]]);
});

test('defaults: RFC 4861 AdvValidLifetime 30 days, AdvPreferredLifetime 7 days; preferred never above valid', () => {
  assert.deepEqual(DEFAULT_PREFIX_DISCOVERY, { validLifetimeSeconds: 2_592_000, preferredLifetimeSeconds: 604_800 });
  const [p] = advertisedPrefixes({ ...ONE, lifetimes: { validLifetimeSeconds: 60, preferredLifetimeSeconds: 600 } });
  assert.equal(p!.preferredLifetime, 60);
});

const solicitRows: [string, boolean, boolean][] = [
  ['§10.6.3: a registered home address gets the advertisement with its identifier', true, true],
  ['§10.6.3: a home address without a binding gets nothing', false, false],
];
for (const [name, isRegistered, answered] of solicitRows) {
  test(name, () => {
    const a = new PrefixAdvertiser(ONE);
    const out = a.solicited(HOA, 0x4242, isRegistered);
    assert.equal(out !== null, answered);
    if (out) {
      assert.deepEqual([out.dst, out.message.identifier, out.solicited, out.message.prefixes.length], [HOA, 0x4242, true, 1]);
      assert.equal(a.nextDueMs(), null, 'a solicited advertisement is not retransmitted');
    }
  });
}

test('§10.6.2: unchanged prefixes at a reload send nothing', () => {
  const a = new PrefixAdvertiser(ONE);
  assert.deepEqual(a.reconfigure({ ...ONE }, [HOA], () => 1, 0), []);
  assert.equal(a.nextDueMs(), null);
});

test('§10.6.2: changed prefixes send an unsolicited advertisement to every registered home address, each its own identifier', () => {
  const a = new PrefixAdvertiser(ONE);
  let n = 100;
  const out = a.reconfigure(TWO, [HOA, HOA2], () => n++, 1000);
  assert.deepEqual(out.map((o) => [o.dst, o.message.identifier, o.solicited, o.retransmission, o.message.prefixes.length]), [
    [HOA, 100, false, 0, 2],
    [HOA2, 101, false, 0, 2],
  ]);
  assert.equal(a.nextDueMs(), 1000 + PREFIX_ADV_TIMEOUT_MS);
});

test('§10.6.2: retransmitted after PREFIX_ADV_TIMEOUT, doubling, at most PREFIX_ADV_RETRIES times, same identifier', () => {
  const a = new PrefixAdvertiser(ONE);
  a.reconfigure(TWO, [HOA], () => 7, 0);
  const at: number[] = [];
  for (let now = 0; now <= 60_000; now += 500) {
    for (const s of a.poll(now, registered(HOA))) {
      assert.equal(s.message.identifier, 7);
      at.push(now);
    }
  }
  assert.equal(PREFIX_ADV_RETRIES, 3);
  assert.deepEqual(at, [3000, 9000, 21000]);
  assert.equal(a.nextDueMs(), null);
});

test('§10.6.2: a Binding Update from the home address acknowledges it: no retransmission', () => {
  const a = new PrefixAdvertiser(ONE);
  a.reconfigure(TWO, [HOA, HOA2], () => 7, 0);
  assert.equal(a.acknowledged(HOA), true);
  assert.equal(a.acknowledged(HOA), false);
  assert.deepEqual(a.poll(PREFIX_ADV_TIMEOUT_MS, registered(HOA, HOA2)).map((s) => s.dst), [HOA2]);
});

test('§10.6.2: no retransmission once the bindings expired', () => {
  const a = new PrefixAdvertiser(ONE);
  a.reconfigure(TWO, [HOA], () => 7, 0);
  assert.deepEqual(a.poll(PREFIX_ADV_TIMEOUT_MS, registered()), []);
  assert.deepEqual(a.unacknowledged(), []);
  assert.equal(a.nextDueMs(), null);
});

test('nothing is due before its time', () => {
  const a = new PrefixAdvertiser(ONE);
  a.reconfigure(TWO, [HOA], () => 7, 0);
  assert.deepEqual(a.poll(PREFIX_ADV_TIMEOUT_MS - 1, registered(HOA)), []);
});

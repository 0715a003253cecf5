// The Home Agents List (RFC 6275 §10.1, §10.5.1), the DHAAD Reply's address list built from
// it, and the Mobile IPv6 Home-Agents anycast address (RFC 2526 §2, §3). One row per rule.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HomeAgentsList, DHAAD_REPLY_MAX_ADDRESSES } from '../../../../lib/proto/ha/home-agents-list.js';
import { homeAgentsAnycast } from '../../../../lib/inet/home-agents-anycast.js';
import { mustIp6, mustParseIp6, type Ip6 } from '../../../../lib/inet/ip6.js';
import { parsePrefix } from '../../../../lib/inet/prefix.js';
import type { RaOption, RouterAdvertisement } from '../../../../lib/net/dhaad/ra-codec.js';

const OWN = mustIp6('2001:db8:1::1');
const LL2 = mustIp6('fe80::2');
const LL3 = mustIp6('fe80::3');
const G2 = mustIp6('2001:db8:1::2');
const G3 = mustIp6('2001:db8:1::3');

function ra(opts: { h?: boolean; routerLifetime?: number; info?: [number, number]; addresses?: Ip6[]; mr?: boolean }): RouterAdvertisement {
  const options: RaOption[] = (opts.addresses ?? []).map((a) => ({
    kind: 'prefixInformation', prefixLength: 64, onLink: true, autonomous: true, routerAddress: true, validLifetime: 86400, preferredLifetime: 14400, prefix: mustParseIp6(a),
  }));
  if (opts.info) options.push({ kind: 'homeAgentInformation', mobileRouterSupport: opts.mr ?? false, preference: opts.info[0], lifetime: opts.info[1] });
  return { curHopLimit: 64, managed: false, other: false, homeAgent: opts.h ?? true, routerLifetime: opts.routerLifetime ?? 1800, reachableTime: 0, retransTimer: 0, options };
}

const list = (): HomeAgentsList => new HomeAgentsList({ addresses: [OWN], preference: 10, lifetime: 1800, mobileRouterSupport: false });
const first = (): number => 0;

test('§10.5.1 H bit with Home Agent Information: preference and lifetime from the option', () => {
  const l = list();
  assert.equal(l.observeRa(LL2, ra({ info: [20, 300], addresses: [G2] }), 1000), 'added');
  const e = l.entries().find((x) => x.linkLocal === LL2)!;
  assert.deepEqual([e.addresses, e.preference, e.lifetime, e.expiresMs], [[G2], 20, 300, 301_000]);
  assert.deepEqual(l.replyAddresses(1000, first), [G2, OWN], 'higher preference first');
});

test('§10.5.1 H bit without the option: Router Lifetime, preference 0', () => {
  const l = list();
  l.observeRa(LL2, ra({ routerLifetime: 90, addresses: [G2] }), 0);
  const e = l.entries().find((x) => x.linkLocal === LL2)!;
  assert.deepEqual([e.preference, e.lifetime, e.expiresMs], [0, 90, 90_000]);
  assert.deepEqual(l.replyAddresses(0, first), [OWN, G2]);
});

test('§10.5.1 a Home Agent Lifetime of 0, or an RA without H, removes the entry', () => {
  const l = list();
  l.observeRa(LL2, ra({ info: [1, 300], addresses: [G2] }), 0);
  l.observeRa(LL3, ra({ info: [1, 300], addresses: [G3] }), 0);
  assert.equal(l.observeRa(LL2, ra({ info: [1, 0], addresses: [G2] }), 1), 'removed');
  assert.equal(l.observeRa(LL3, ra({ h: false, addresses: [G3] }), 1), 'removed');
  assert.equal(l.observeRa(LL3, ra({ h: false }), 2), 'ignored', 'not listed: nothing to remove');
  assert.deepEqual(l.replyAddresses(2, first), [OWN]);
});

test('§10.5.1 a refresh keeps the addresses an RA did not repeat and restarts the lifetime', () => {
  const l = list();
  l.observeRa(LL2, ra({ info: [5, 100], addresses: [G2] }), 0);
  assert.equal(l.observeRa(LL2, ra({ info: [6, 100] }), 50_000), 'updated');
  const e = l.entries().find((x) => x.linkLocal === LL2)!;
  assert.deepEqual([e.addresses, e.preference, e.expiresMs], [[G2], 6, 150_000]);
});

test('§10.5.1 entries expire by lifetime; the own entry never does', () => {
  const l = list();
  l.observeRa(LL2, ra({ info: [5, 100], addresses: [G2] }), 0);
  l.observeRa(LL3, ra({ info: [5, 200], addresses: [G3] }), 0);
  assert.equal(l.nextExpiryMs(), 100_000);
  assert.deepEqual(l.replyAddresses(100_000, first).includes(G2), false, 'expired at its deadline even before expire()');
  assert.equal(l.expire(99_999), 0);
  assert.equal(l.expire(100_000), 1);
  assert.equal(l.nextExpiryMs(), 200_000);
  assert.equal(l.expire(10_000_000), 1);
  assert.equal(l.nextExpiryMs(), null);
  assert.deepEqual(l.replyAddresses(10_000_000, first), [OWN]);
});

test('own advertisement heard back (an R-bit address of ours) is ignored', () => {
  const l = list();
  assert.equal(l.observeRa(mustIp6('fe80::1'), ra({ info: [99, 10], addresses: [OWN] }), 0), 'ignored');
  assert.equal(l.entries().length, 1);
});

test('§10.5.1 equal preferences come in random order; each order is possible', () => {
  const l = list();
  l.observeRa(LL2, ra({ info: [10, 300], addresses: [G2] }), 0);
  l.observeRa(LL3, ra({ info: [10, 300], addresses: [G3] }), 0);
  const seen = new Set<string>();
  // Ties broken by the random numbers handed in: cycle through fixed sequences.
  for (const seq of [[0.1, 0.2, 0.3], [0.3, 0.2, 0.1], [0.2, 0.1, 0.3], [0.2, 0.3, 0.1], [0.3, 0.1, 0.2], [0.1, 0.3, 0.2]]) {
    let i = 0;
    seen.add(l.replyAddresses(0, () => seq[i++]!).join(' '));
  }
  assert.equal(seen.size, 6, [...seen].join(' / '));
});

test('§10.5.1 the Reply fits the IPv6 minimum MTU: at most 77 addresses, best first', () => {
  const l = list();
  for (let n = 1; n <= 100; n++) {
    l.observeRa(mustIp6(`fe80::1:${n.toString(16)}`), ra({ info: [n, 300], addresses: [mustIp6(`2001:db8:1::1:${n.toString(16)}`)] }), 0);
  }
  const got = l.replyAddresses(0, first);
  assert.equal(DHAAD_REPLY_MAX_ADDRESSES, (1280 - 40 - 8) / 16);
  assert.equal(got.length, 77);
  assert.equal(got[0], mustIp6('2001:db8:1::1:64'), 'preference 100 first');
});

test('RFC 2526 Home-Agents anycast: /64 EUI-64 form, other lengths all ones but the ID', () => {
  const rows: [string, string][] = [
    ['2001:db8:1::/64', '2001:db8:1:0:fdff:ffff:ffff:fffe'],
    ['fd00:1:2:3::/64', 'fd00:1:2:3:fdff:ffff:ffff:fffe'],
    ['2001:db8:1::/48', '2001:db8:1:ffff:ffff:ffff:ffff:fffe'],
    ['2001:db8:1:2:3:4:5:0/112', '2001:db8:1:2:3:4:5:fffe'],
    ['2001:db8::/120', '2001:db8::fe'],
  ];
  for (const [prefix, want] of rows) assert.equal(homeAgentsAnycast(parsePrefix(prefix)!), want, prefix);
  assert.throws(() => homeAgentsAnycast(parsePrefix('2001:db8::/122')!), RangeError);
});

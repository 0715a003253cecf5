// Mobile node Mobile Prefix Discovery (RFC 6275 §11.4.2, §11.4.3), one row per rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mustParseIp6 } from '../../../../lib/inet/ip6.js';
import {
  INITIAL_SOLICIT_TIMER_MS,
  MAX_SOLICIT_INTERVAL_MS,
  MobilePrefixDiscovery,
  REFRESH_AT_FRACTION,
} from '../../../../lib/proto/mn/prefix-discovery.js';
import { INFINITE_LIFETIME, type MobilePrefixAdvertisement, type PrefixInformation } from '../../../../lib/wire/icmp/mobile-prefix.js';

const HA = mustParseIp6('2001:db8:aa::1');
const HOA = mustParseIp6('2001:db8:aa::100');
const OTHER = mustParseIp6('2001:db8:99::1');
const node = () => new MobilePrefixDiscovery({ homeAddress: HOA, homePrefixLength: 64, homeAgent: HA });
const pi = (prefix: string, valid: number, preferred: number, r = false): PrefixInformation => ({
  prefixLength: 64, onLink: true, autonomous: true, routerAddress: r, validLifetime: valid, preferredLifetime: preferred, prefix: mustParseIp6(prefix),
});
const mpa = (identifier: number, ...prefixes: PrefixInformation[]): MobilePrefixAdvertisement => ({ kind: 'mpa', identifier, managed: false, other: false, prefixes, options: [] });
const ids = (...list: number[]) => () => list.shift()!;

test('§11.4.2: nothing is solicited before the home registration is accepted', () => {
  const n = node();
  assert.equal(n.poll(0, false, ids(1)), null);
});

test('§11.4.2: once registered, a solicitation with a fresh identifier; retransmitted after INITIAL_SOLICIT_TIMER, doubling, same identifier', () => {
  const n = node();
  assert.deepEqual(n.poll(0, true, ids(77)), { kind: 'mps', identifier: 77, options: [] });
  assert.equal(n.poll(INITIAL_SOLICIT_TIMER_MS - 1, true, ids(1)), null);
  const sent: number[] = [];
  for (let t = 0; t <= 30_000; t += 500) if (n.poll(t, true, ids(1))?.identifier === 77) sent.push(t);
  assert.deepEqual(sent, [3000, 9000, 21000]);
});

test('the retransmission interval stops doubling at MAX_SOLICIT_INTERVAL', () => {
  const n = node();
  n.poll(0, true, ids(5));
  let t = 0;
  for (let i = 0; i < 40; i++) {
    t = n.nextDueMs()!;
    n.poll(t, true, ids(1));
  }
  assert.equal(n.nextDueMs()! - t, MAX_SOLICIT_INTERVAL_MS);
});

test('§11.4.3: the answer to the solicitation is solicited; the home prefix and the R-bit address are learned', () => {
  const n = node();
  n.poll(0, true, ids(9));
  const r = n.advertisement(HA, HOA, mpa(9, pi('2001:db8:aa::1', 3600, 1800, true)), 1000);
  assert.deepEqual(r, { accepted: true, unsolicited: false, events: [{ kind: 'prefixLearned', prefix: '2001:db8:aa::/64', home: true }] });
  const v = n.view(11_000);
  assert.equal(v.outstandingIdentifier, null);
  assert.deepEqual(v.prefixes.map((p) => [p.prefix, p.home, p.routerAddress, p.validLeftSeconds, p.preferredLeftSeconds]), [['2001:db8:aa::/64', true, '2001:db8:aa::1', 3590, 1790]]);
});

test('§11.4.2: the next solicitation comes before the home prefix\'s valid lifetime runs out', () => {
  const n = node();
  n.poll(0, true, ids(9));
  n.advertisement(HA, HOA, mpa(9, pi('2001:db8:aa::', 100, 50)), 1000);
  assert.equal(n.nextDueMs(), 1000 + 100_000 * REFRESH_AT_FRACTION);
  assert.equal(n.poll(1000 + 100_000 * REFRESH_AT_FRACTION - 1, true, ids(10)), null);
  assert.equal(n.poll(1000 + 100_000 * REFRESH_AT_FRACTION, true, ids(10))?.identifier, 10);
});

test('an infinite valid lifetime needs no further solicitation', () => {
  const n = node();
  n.poll(0, true, ids(9));
  n.advertisement(HA, HOA, mpa(9, pi('2001:db8:aa::', 0xffffffff, 0xffffffff)), 1000);
  assert.equal(n.nextDueMs(), null);
  assert.equal(n.view(5000).prefixes[0]!.validLeftSeconds, null);
});

const refused: [string, Uint8Array, Uint8Array, string][] = [
  ['§11.4.3: not from the home agent', OTHER, HOA, 'not-from-home-agent'],
  ['§11.4.3: not to the home address', HA, OTHER, 'not-to-home-address'],
];
for (const [name, src, dst, reason] of refused) {
  test(`${name}: ignored`, () => {
    const n = node();
    n.poll(0, true, ids(9));
    assert.deepEqual(n.advertisement(src, dst, mpa(9, pi('2001:db8:aa::', 10, 10)), 1), { accepted: false, reason });
    assert.equal(n.view(1).outstandingIdentifier, 9);
    assert.deepEqual(n.view(1).prefixes, []);
  });
}

test('§11.4.3: an advertisement with another identifier is unsolicited (the daemon acknowledges it with a BU); the solicitation stays outstanding', () => {
  const n = node();
  n.poll(0, true, ids(9));
  const r = n.advertisement(HA, HOA, mpa(10, pi('2001:db8:aa::', 3600, 1800), pi('2001:db8:bb::', 3600, 1800)), 1);
  assert.deepEqual(r, {
    accepted: true,
    unsolicited: true,
    events: [
      { kind: 'prefixLearned', prefix: '2001:db8:aa::/64', home: true },
      { kind: 'prefixLearned', prefix: '2001:db8:bb::/64', home: false },
    ],
  });
  assert.equal(n.view(1).outstandingIdentifier, 9);
});

test('§11.4.3: preferred lifetime 0 on the home prefix deprecates the home address, once', () => {
  const n = node();
  n.advertisement(HA, HOA, mpa(1, pi('2001:db8:aa::', 3600, 1800)), 0);
  const first = n.advertisement(HA, HOA, mpa(2, pi('2001:db8:aa::', 3600, 0)), 1);
  const again = n.advertisement(HA, HOA, mpa(3, pi('2001:db8:aa::', 3600, 0)), 2);
  assert.ok(first.accepted && again.accepted);
  assert.deepEqual(first.events, [{ kind: 'homeAddressDeprecated', prefix: '2001:db8:aa::/64' }]);
  assert.deepEqual(again.events, []);
});

test('§11.4.3: valid lifetime 0 invalidates the home address; another prefix is withdrawn', () => {
  const n = node();
  n.advertisement(HA, HOA, mpa(1, pi('2001:db8:aa::', 3600, 1800), pi('2001:db8:bb::', 3600, 1800)), 0);
  const r = n.advertisement(HA, HOA, mpa(2, pi('2001:db8:aa::', 0, 0), pi('2001:db8:bb::', 0, 0)), 1);
  assert.ok(r.accepted);
  assert.deepEqual(r.events, [
    { kind: 'homeAddressInvalid', prefix: '2001:db8:aa::/64' },
    { kind: 'prefixWithdrawn', prefix: '2001:db8:bb::/64', home: false },
  ]);
  assert.deepEqual(n.view(1).prefixes, []);
});

const homeValidRows: [string, number, number | null][] = [
  ['§11.7.1: the home address valid until the advertisement\'s time plus its valid lifetime', 600, 5000 + 600_000],
  ['§11.7.1: an infinite valid lifetime sets no bound', INFINITE_LIFETIME, null],
  ['§11.7.1: valid lifetime 0: the home address ends now', 0, 5000],
];
for (const [name, valid, expected] of homeValidRows) {
  test(name, () => {
    const c = node();
    assert.equal(c.homeAddressValidUntilMs(), null, 'unknown before an advertisement');
    c.advertisement(HA, HOA, mpa(1, pi('2001:db8:aa::', valid, valid)), 5000);
    assert.equal(c.homeAddressValidUntilMs(), expected);
  });
}

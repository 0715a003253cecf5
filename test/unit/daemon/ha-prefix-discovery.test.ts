// The home agent's prefix discovery service on socket and clock doubles: what it sends for a
// solicitation, at a reload, and on its retransmission timer (RFC 6275 §10.6.2/§10.6.3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { parseConfig } from '../../../lib/config/index.js';
import type { HomeAgentDaemonConfig } from '../../../lib/config/daemon-config.js';
import { HomeAgentPrefixDiscovery } from '../../../lib/daemon/ha/prefix-discovery.js';
import { Metrics } from '../../../lib/daemon/metrics/metrics.js';
import { mustIp6, type Ip6 } from '../../../lib/inet/ip6.js';
import { decodeMobilePrefix, encodeMobilePrefix, type MobilePrefixAdvertisement } from '../../../lib/wire/icmp/mobile-prefix.js';
import { FakeClock } from './fake-host.js';
import { FakeIcmp6Socket } from './fake-icmp6.js';

const HA = mustIp6('2001:db8:aa::1');
const HOA = mustIp6('2001:db8:aa::100');
const STRANGER = mustIp6('2001:db8:aa::999');
const config = (served: string) =>
  parseConfig(`role: home-agent\nhome_agent:\n  interface: home0\n  address: ${HA}\n  served_prefixes: [${served}]\n  prefix_discovery: { valid_lifetime: 600, preferred_lifetime: 300 }\n`, 'x.yaml') as HomeAgentDaemonConfig;

function world() {
  const sock = new FakeIcmp6Socket();
  const clock = new FakeClock(0);
  const counters = new Metrics('home-agent');
  const registered = new Set<Ip6>([HOA]);
  const svc = new HomeAgentPrefixDiscovery(sock, config('2001:db8:aa::/64'), { has: (h) => registered.has(h), all: () => [...registered] }, counters, pino({ level: 'silent' }), clock);
  const solicit = (src: Ip6, identifier: number) =>
    sock.emit('message', { data: encodeMobilePrefix({ kind: 'mps', identifier, options: [] }), src, dst: HA, ifindex: 1, hopLimit: 64 });
  const sent = () => sock.sent.map((s) => ({ dst: s.dst, src: s.src, mpa: (decodeMobilePrefix(s.data) as { value: MobilePrefixAdvertisement }).value }));
  return { sock, clock, counters, registered, svc, solicit, sent };
}

test('§10.6.3: a registered home address is answered from the home agent address with its identifier and the configured lifetimes', () => {
  const w = world();
  w.solicit(HOA, 0x1234);
  const [s] = w.sent();
  assert.deepEqual([s?.dst, s?.src, s?.mpa.identifier], [HOA, HA, 0x1234]);
  assert.deepEqual(s?.mpa.prefixes.map((p) => [p.validLifetime, p.preferredLifetime, p.routerAddress]), [[600, 300, true]]);
  assert.equal(w.counters.get('mpd_messages', { message: 'mpa', outcome: 'sent' }), 1);
});

test('§10.6.3: a solicitation from an address without a binding is ignored and counted', () => {
  const w = world();
  w.solicit(STRANGER, 1);
  assert.deepEqual(w.sent(), []);
  assert.equal(w.counters.get('mpd_messages', { message: 'mps', outcome: 'ignored' }), 1);
});

test('a malformed message is counted, nothing sent', () => {
  const w = world();
  w.sock.emit('message', { data: Uint8Array.from([146, 0, 0, 0, 0, 1, 0]), src: HOA, dst: HA, ifindex: 1, hopLimit: 64 });
  assert.deepEqual(w.sent(), []);
  assert.equal(w.counters.get('mpd_messages', { message: 'mps', outcome: 'malformed' }), 1);
});

test('§10.6.2: a reload adding a prefix advertises both at once, retransmits until the BU, then stops', () => {
  const w = world();
  w.svc.reload(config('2001:db8:aa::/64, 2001:db8:bb::/64'));
  assert.equal(w.sent().length, 1);
  assert.equal(w.sent()[0]!.mpa.prefixes.length, 2);
  w.clock.advance(3_000);
  assert.equal(w.sent().length, 2, 'one retransmission after PREFIX_ADV_TIMEOUT');
  assert.equal(w.sent()[1]!.mpa.identifier, w.sent()[0]!.mpa.identifier);
  w.svc.bindingUpdateFrom(HOA);
  w.clock.advance(60_000);
  assert.equal(w.sent().length, 2, 'acknowledged: no more');
  w.svc.stop();
});

test('§10.6.2: unacknowledged, at most PREFIX_ADV_RETRIES retransmissions; none after the binding went', () => {
  const w = world();
  w.svc.reload(config('2001:db8:bb::/64'));
  w.clock.advance(600_000);
  assert.equal(w.sent().length, 4);
  const w2 = world();
  w2.svc.reload(config('2001:db8:bb::/64'));
  w2.registered.clear();
  w2.clock.advance(600_000);
  assert.equal(w2.sent().length, 1);
});

test('§10.6.2: periodic advertisements on one timer, lifetimes counting down; a binding present at start is scheduled too', () => {
  const sock = new FakeIcmp6Socket();
  const clock = new FakeClock(0);
  const cfg = parseConfig(
    `role: home-agent\nhome_agent:\n  interface: home0\n  address: ${HA}\n  served_prefixes: [2001:db8:aa::/64]\n  prefix_discovery: { valid_lifetime: 600, preferred_lifetime: 300, countdown: true, min_advertisement_interval: 10, max_advertisement_interval: 10 }\n`,
    'x.yaml',
  ) as HomeAgentDaemonConfig;
  const svc = new HomeAgentPrefixDiscovery(sock, cfg, { has: (h) => h === HOA, all: () => [HOA] }, new Metrics('home-agent'), pino({ level: 'silent' }), clock);
  assert.equal(clock.pending, 1, 'one timer');
  clock.advance(10_000);
  const mpa = (i: number) => (decodeMobilePrefix(sock.sent[i]!.data) as { value: MobilePrefixAdvertisement }).value;
  assert.equal(sock.sent.length, 1);
  assert.deepEqual([mpa(0).prefixes[0]!.validLifetime, mpa(0).prefixes[0]!.preferredLifetime], [590, 290]);
  svc.bindingUpdateFrom(HOA); // the node's acknowledgement
  clock.advance(10_000);
  assert.equal(sock.sent.length, 2);
  assert.deepEqual([mpa(1).prefixes[0]!.validLifetime, mpa(1).prefixes[0]!.preferredLifetime], [580, 280]);
  assert.equal(clock.pending, 1, 'still one timer');
  svc.stop();
  assert.equal(clock.pending, 0);
});

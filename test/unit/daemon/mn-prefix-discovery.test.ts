// The mobile node's prefix discovery service on socket and clock doubles: what an
// advertisement does to `show prefixes`, and that an unsolicited one is acknowledged with a
// Binding Update (RFC 6275 §11.4.3); with signalling SAs the solicitation leaves through the
// ICMPv6 socket from the home address (the kernel adds ESP and the Home Address option). In
// clear it leaves through a raw ip6ip6 socket, covered by the kernel test (e2e-prefix-discovery).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { parseAnyConfig, type MobileNodeDaemonConfig } from '../../../lib/config/index.js';
import { MobileNodePrefixDiscovery } from '../../../lib/daemon/mn/prefix-discovery.js';
import { Metrics } from '../../../lib/daemon/metrics/metrics.js';
import { mustIp6, mustParseIp6, type Ip6 } from '../../../lib/inet/ip6.js';
import { encodeMobilePrefix } from '../../../lib/wire/icmp/mobile-prefix.js';
import { FakeClock } from './fake-host.js';
import { FakeIcmp6Socket } from './fake-icmp6.js';

const HA = mustIp6('2001:db8:aa::1');
const HOA = mustIp6('2001:db8:aa::100');
const cfg = parseAnyConfig(
  `role: mobile-node\nmobile_node:\n  home_address: ${HOA}\n  home_agent: ${HA}\n  interfaces: [wlan0]\nipsec: { required: false }\n`,
  'mn.yaml',
) as MobileNodeDaemonConfig;

function world(from?: { coa: Ip6; ifindex: number }) {
  const sock = new FakeIcmp6Socket();
  const counters = new Metrics('mobile-node');
  let refreshes = 0;
  const lifetimes: (number | null)[] = [];
  // Without `from` no care-of address is accepted: nothing is solicited, only advertisements are processed.
  const svc = new MobileNodePrefixDiscovery(
    sock,
    cfg,
    { solicitFrom: () => from, protectedSolicitation: from !== undefined, refreshHomeRegistration: () => refreshes++, homeAddressLifetime: (t) => lifetimes.push(t) },
    counters,
    pino({ level: 'silent' }),
    new FakeClock(0),
  );
  const advertise = (src: Ip6, identifier: number, prefix: string, valid: number) =>
    sock.emit('message', {
      data: encodeMobilePrefix({ kind: 'mpa', identifier, managed: false, other: false, options: [], prefixes: [{ prefixLength: 64, onLink: true, autonomous: true, routerAddress: false, validLifetime: valid, preferredLifetime: valid, prefix: mustParseIp6(prefix) }] }),
      src,
      dst: HOA,
      ifindex: 1,
      hopLimit: 64,
    });
  return { sock, counters, svc, advertise, refreshes: () => refreshes, lifetimes };
}

test('§11.4.3: an unsolicited advertisement from the home agent is learned and acknowledged with a Binding Update', () => {
  const w = world();
  w.advertise(HA, 5, '2001:db8:aa::', 600);
  assert.equal(w.refreshes(), 1);
  assert.deepEqual(w.svc.view().prefixes.map((p) => [p.prefix, p.home, p.validLeftSeconds]), [['2001:db8:aa::/64', true, 600]]);
  assert.equal(w.counters.get('mpd_messages', { message: 'mpa', outcome: 'received' }), 1);
  assert.deepEqual(w.lifetimes, [600_000], '§11.7.1: the home address\'s valid lifetime reaches the core before the BU');
});

test('§11.4.3: an advertisement from another address is ignored: nothing learned, no BU', () => {
  const w = world();
  w.advertise(mustIp6('2001:db8:aa::66'), 5, '2001:db8:aa::', 600);
  assert.equal(w.refreshes(), 0);
  assert.deepEqual(w.svc.view().prefixes, []);
  assert.equal(w.counters.get('mpd_messages', { message: 'mpa', outcome: 'ignored' }), 1);
});

test('a malformed advertisement is counted and dropped', () => {
  const w = world();
  w.sock.emit('message', { data: Uint8Array.from([147, 0, 0, 0, 0, 1, 0, 0, 3, 0]), src: HA, dst: HOA, ifindex: 1, hopLimit: 64 });
  assert.equal(w.counters.get('mpd_messages', { message: 'mpa', outcome: 'malformed' }), 1);
  w.svc.stop();
  assert.equal(w.sock.closed, true);
});

test('§11.4.2 with signalling SAs: the solicitation leaves through the ICMPv6 socket, home address -> home agent, with the care-of address\'s interface', () => {
  const w = world({ coa: mustIp6('2001:db8:f1::2'), ifindex: 7 });
  w.svc.tick();
  assert.equal(w.sock.sent.length, 1);
  const s = w.sock.sent[0]!;
  assert.deepEqual([s.src, s.dst, s.ifindex, s.data[0]], [HOA, HA, 7, 146]);
  assert.equal(w.counters.get('mpd_messages', { message: 'mps', outcome: 'sent' }), 1);
  w.svc.tick();
  assert.equal(w.sock.sent.length, 1, 'outstanding: not sent again before its retransmission time');
});

test('nothing is solicited while no care-of address can carry it (under ESP: no Home Address option state yet)', () => {
  const w = world();
  w.svc.tick();
  assert.equal(w.sock.sent.length, 0);
});

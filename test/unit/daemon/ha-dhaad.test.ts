// The home agent's DHAAD responder (RFC 6275 §10.5, §10.5.1) over an in-memory socket: the
// anycast addresses it holds, RAs into the list, Replies to Requests, expiry on its timer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { HomeAgentDhaad, reloadHomeAgentDhaad } from '../../../lib/daemon/ha/dhaad.js';
import { Metrics } from '../../../lib/daemon/metrics/metrics.js';
import { decodeDhaad, encodeDhaad } from '../../../lib/net/dhaad/dhaad-codec.js';
import { encodeRa } from '../../../lib/net/dhaad/ra-codec.js';
import { formatIp6, mustIp6, mustParseIp6, type Ip6 } from '../../../lib/inet/ip6.js';
import { FakeClock } from './fake-host.js';
import { FakeIcmp6Socket } from './fake-icmp6.js';

const OWN = mustIp6('2001:db8:aa::1');
const OTHER = mustIp6('2001:db8:aa::2');
const ANYCAST = mustIp6('2001:db8:aa:0:fdff:ffff:ffff:fffe');
const COA = mustIp6('2001:db8:f1::10');

const SETTINGS = { iface: 'home0', address: OWN, servedPrefixes: ['2001:db8:aa::/64', '2001:db8:bb::/126'], dhaad: { preference: 5, lifetime: 1800 }, mobileRouterSupport: false };

function setup(own: Partial<typeof SETTINGS> = {}): { sock: FakeIcmp6Socket; clock: FakeClock; metrics: Metrics; dhaad: HomeAgentDhaad } {
  const sock = new FakeIcmp6Socket({ home0: 2 });
  const clock = new FakeClock(1_000_000);
  const metrics = new Metrics('home-agent');
  const settings = { ...SETTINGS, ...own };
  const dhaad = new HomeAgentDhaad(sock, settings, clock, metrics, pino({ level: 'silent' }), () => 0);
  return { sock, clock, metrics, dhaad };
}

function raFrom(sock: FakeIcmp6Socket, preference: number, lifetime: number, hopLimit = 255, src: Ip6 = mustIp6('fe80::2'), ifindex = 2, mobileRouterSupport = false): void {
  const data = encodeRa({
    curHopLimit: 64, managed: false, other: false, homeAgent: true, routerLifetime: 1800, reachableTime: 0, retransTimer: 0,
    options: [
      { kind: 'homeAgentInformation', mobileRouterSupport, preference, lifetime },
      { kind: 'prefixInformation', prefixLength: 64, onLink: true, autonomous: true, routerAddress: true, validLifetime: 86400, preferredLifetime: 14400, prefix: mustParseIp6(OTHER) },
    ],
  });
  sock.deliver({ data, src, dst: mustIp6('ff02::1'), ifindex, hopLimit });
}

/** A Request as routed in from a foreign link (interface 3, not the home link's 2). */
function request(sock: FakeIcmp6Socket, dst: Ip6 = ANYCAST, identifier = 42, mobileRouter = false): void {
  sock.deliver({ data: encodeDhaad({ kind: 'dhaadRequest', identifier, mobileRouter }), src: COA, dst, ifindex: 3, hopLimit: 60 });
}

function lastReply(sock: FakeIcmp6Socket): { dst: Ip6; src: Ip6 | undefined; identifier: number; homeAgents: string[] } {
  return withR(sock).reply;
}

function withR(sock: FakeIcmp6Socket): { r: boolean; reply: { dst: Ip6; src: Ip6 | undefined; identifier: number; homeAgents: string[] } } {
  const s = sock.sent.at(-1)!;
  const r = decodeDhaad(s.data);
  assert.ok(r.ok && r.value.kind === 'dhaadReply');
  return { r: r.value.mobileRouter, reply: { dst: s.dst, src: s.src, identifier: r.value.identifier, homeAgents: r.value.homeAgents.map((a) => formatIp6(a)) } };
}

test('§10.5 joins the Home-Agents anycast address of each served prefix that has one (RFC 2526 needs 7 host bits)', () => {
  const { sock, dhaad } = setup();
  assert.deepEqual(sock.anycast, [`2 ${ANYCAST}`]);
  assert.deepEqual([...dhaad.anycast.keys()], [ANYCAST]);
});

test('§10.5.1 a Request to the anycast address is answered to its source, from our address, the list by preference', () => {
  const { sock, metrics } = setup();
  request(sock);
  assert.deepEqual(lastReply(sock), { dst: COA, src: OWN, identifier: 42, homeAgents: [OWN] });
  raFrom(sock, 9, 600);
  request(sock, ANYCAST, 43);
  assert.deepEqual(lastReply(sock).homeAgents, [OTHER, OWN], 'preference 9 before our 5');
  assert.equal(metrics.get('dhaad', { event: 'reply' }), 2);
  assert.equal(metrics.get('dhaad', { event: 'ra-added' }), 1);
});

test('§10.5.1 input that must not count: RAs with a hop limit below 255 or off the home link, Requests to another address', () => {
  const { sock, metrics } = setup();
  raFrom(sock, 9, 600, 64);
  raFrom(sock, 9, 600, 255, mustIp6('fe80::2'), 3);
  request(sock, OWN);
  assert.equal(sock.sent.length, 0);
  assert.equal(metrics.get('dhaad', { event: 'dropped' }), 3);
  request(sock);
  assert.deepEqual(lastReply(sock).homeAgents, [OWN]);
});

test('§10.5.1 an entry leaves the list when its Home Agent Lifetime runs out (the timer at the next expiry)', () => {
  const { sock, clock, metrics } = setup();
  raFrom(sock, 9, 600);
  clock.advance(599_000);
  request(sock);
  assert.deepEqual(lastReply(sock).homeAgents, [OTHER, OWN]);
  clock.advance(1_000);
  assert.equal(metrics.get('dhaad', { event: 'expired' }), 1);
  request(sock);
  assert.deepEqual(lastReply(sock).homeAgents, [OWN]);
});

// RFC 3963: a mobile router's Request (R) is answered with R set and only the home agents
// that support mobile routers; a mobile node's Request (no R) lists all, R clear.
const mrRows: [string, boolean, boolean, boolean, string[]][] = [
  ['RFC 3963: a mobile node\'s Request: every home agent, R clear', false, false, false, [OTHER, OWN]],
  ['RFC 3963: a mobile router\'s Request: R set, only the other home agent that supports mobile routers', true, false, true, [OTHER]],
  ['RFC 3963: a mobile router\'s Request: R set, this home agent when it supports mobile routers', true, true, false, [OWN]],
  ['RFC 3963: a mobile router\'s Request and no home agent supporting mobile routers: R set, an empty list', true, false, false, []],
];
for (const [name, requestR, ownSupport, otherSupport, expected] of mrRows) {
  test(name, () => {
    const { sock } = setup({ mobileRouterSupport: ownSupport });
    raFrom(sock, 9, 600, 255, mustIp6('fe80::2'), 2, otherSupport);
    request(sock, ANYCAST, 7, requestR);
    const { r, reply } = withR(sock);
    assert.equal(r, requestR);
    assert.deepEqual(reply.homeAgents, expected);
  });
}

test('reload: a new preference and mobile router support take effect on the same socket, the learnt list kept', () => {
  const { sock, clock, metrics } = setup();
  const log = pino({ level: 'silent' });
  const ctx = (cfg: object) => ({ cfg, clock, counters: metrics, log, sockets: { icmp6: () => { throw new Error('no new socket expected'); } } }) as unknown as Parameters<typeof reloadHomeAgentDhaad>[1];
  const first = new HomeAgentDhaad(sock, SETTINGS, clock, metrics, log, () => 0);
  raFrom(sock, 9, 600);
  const cfg = (preference: number, prefixes = SETTINGS.servedPrefixes) => ({ dhaad: { preference, lifetime: 1800 }, homeAgent: { homeLinkInterface: 'home0', homeAgentAddress: OWN, servedPrefixes: prefixes, mobileRouterSupport: true } });
  const same = reloadHomeAgentDhaad(first, ctx(cfg(20)));
  assert.equal(same, first, 'same interface, address and prefixes: same responder');
  request(sock);
  assert.deepEqual(lastReply(sock).homeAgents, [OWN, OTHER], 'preference 20 now before the other\'s 9');
  request(sock, ANYCAST, 8, true);
  assert.deepEqual(lastReply(sock).homeAgents, [OWN], 'mobile router support from the reload');
  assert.equal(sock.closed, false);
});

test('reload: other served prefixes need other anycast addresses: a new socket, the old one closed, the learnt entries carried over', () => {
  const { sock, clock, metrics } = setup();
  const log = pino({ level: 'silent' });
  const next = new FakeIcmp6Socket({ home0: 2 });
  const ctx = (cfg: object) => ({ cfg, clock, counters: metrics, log, sockets: { icmp6: () => next } }) as unknown as Parameters<typeof reloadHomeAgentDhaad>[1];
  const first = new HomeAgentDhaad(sock, SETTINGS, clock, metrics, log, () => 0);
  raFrom(sock, 9, 600);
  const moved = reloadHomeAgentDhaad(first, ctx({ dhaad: { preference: 5, lifetime: 1800 }, homeAgent: { homeLinkInterface: 'home0', homeAgentAddress: OWN, servedPrefixes: ['2001:db8:aa::/64'], mobileRouterSupport: false } }));
  assert.notEqual(moved, first);
  assert.equal(sock.closed, true, 'the old socket, and its anycast membership, closed');
  assert.deepEqual(next.anycast, [`2 ${ANYCAST}`]);
  request(next);
  assert.deepEqual(lastReply(next).homeAgents, [OTHER, OWN], 'the other home agent learnt before the reload is still listed');
  clock.advance(600_000);
  request(next);
  assert.deepEqual(lastReply(next).homeAgents, [OWN], '...and still expires on time: the new responder armed its timer');
});

test('reload: dhaad removed closes the responder; added starts one', () => {
  const { sock, clock, metrics } = setup();
  const log = pino({ level: 'silent' });
  const next = new FakeIcmp6Socket({ home0: 2 });
  const ctx = (cfg: object) => ({ cfg, clock, counters: metrics, log, sockets: { icmp6: () => next } }) as unknown as Parameters<typeof reloadHomeAgentDhaad>[1];
  const first = new HomeAgentDhaad(sock, SETTINGS, clock, metrics, log, () => 0);
  const home = { homeLinkInterface: 'home0', homeAgentAddress: OWN, servedPrefixes: SETTINGS.servedPrefixes, mobileRouterSupport: false };
  assert.equal(reloadHomeAgentDhaad(first, ctx({ dhaad: null, homeAgent: home })), null);
  assert.equal(sock.closed, true);
  const started = reloadHomeAgentDhaad(null, ctx({ dhaad: { preference: 1, lifetime: 60 }, homeAgent: home }));
  assert.ok(started);
  request(next);
  assert.deepEqual(lastReply(next).homeAgents, [OWN]);
});

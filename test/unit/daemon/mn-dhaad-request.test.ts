// The mobile node's DHAAD exchange (RFC 6275 §11.4.1, §12) over an in-memory socket: the
// Request from the care-of address to the anycast address, retransmissions with a doubling
// timeout, and only a matching, non-empty Reply ends it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { DhaadRequester, INITIAL_DHAAD_TIMEOUT_MS } from '../../../lib/daemon/mn/dhaad-request.js';
import { Metrics } from '../../../lib/daemon/metrics/metrics.js';
import { decodeDhaad, encodeDhaad } from '../../../lib/net/dhaad/dhaad-codec.js';
import { mustIp6, mustParseIp6, type Ip6 } from '../../../lib/inet/ip6.js';
import { FakeClock } from './fake-host.js';
import { FakeIcmp6Socket } from './fake-icmp6.js';

const ANYCAST = mustIp6('2001:db8:aa:0:fdff:ffff:ffff:fffe');
const COA = mustIp6('2001:db8:f1::10');
const HA1 = mustIp6('2001:db8:aa::1');
const HA2 = mustIp6('2001:db8:aa::2');

function reply(sock: FakeIcmp6Socket, identifier: number, homeAgents: Ip6[]): void {
  const data = encodeDhaad({ kind: 'dhaadReply', identifier, mobileRouter: false, homeAgents: homeAgents.map((a) => mustParseIp6(a)) });
  sock.deliver({ data, src: HA1, dst: COA, ifindex: 4, hopLimit: 62 });
}

function identifierOf(sock: FakeIcmp6Socket): number {
  const r = decodeDhaad(sock.sent.at(-1)!.data);
  assert.ok(r.ok && r.value.kind === 'dhaadRequest');
  return r.value.identifier;
}

test('§11.4.1 Request from the care-of address to the anycast address; §12 retransmitted 3 s, 6 s, ...; a matching non-empty Reply settles it', async () => {
  const sock = new FakeIcmp6Socket();
  const clock = new FakeClock(0);
  const metrics = new Metrics('mobile-node');
  const r = new DhaadRequester(sock, ANYCAST, clock, metrics, pino({ level: 'silent' }));
  let source: { coa: Ip6; ifindex: number } | undefined;
  const got = r.request(() => source);
  assert.equal(sock.sent.length, 0, 'no care-of address yet: nothing sent');
  source = { coa: COA, ifindex: 4 };
  clock.advance(INITIAL_DHAAD_TIMEOUT_MS);
  assert.equal(sock.sent.length, 1);
  assert.deepEqual([sock.sent[0]!.dst, sock.sent[0]!.src, sock.sent[0]!.ifindex], [ANYCAST, COA, 4]);
  clock.advance(2 * INITIAL_DHAAD_TIMEOUT_MS - 1);
  assert.equal(sock.sent.length, 1, 'the timeout doubled');
  clock.advance(1);
  assert.equal(sock.sent.length, 2);
  const id = identifierOf(sock);
  reply(sock, (id + 1) & 0xffff, [HA1]);
  reply(sock, id, []);
  assert.equal(metrics.get('dhaad', { event: 'dropped' }), 1, 'another Identifier');
  reply(sock, id, [HA2, HA1]);
  assert.deepEqual(await got, [HA2, HA1]);
  clock.advance(60_000);
  assert.equal(sock.sent.length, 2, 'no retransmission once answered');
});

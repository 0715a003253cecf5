// Proxy Neighbour Discovery by the daemon (proto/ha/proxy-nd.ts): the defended set and the
// answer to one Neighbour Solicitation, one row per rule (RFC 4861 §7.1.1, §7.2.4; RFC 6275 §10.4.1).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ip6 } from '../../../ip6.js';
import { answerSolicitation, DefendedAddresses, solicitedNodeGroup, TokenBucket, type ProxyAnswer, type ReceivedSolicitation } from '../../../../lib/proto/ha/proxy-nd.js';

const HOA = ip6('2001:db8:aa::1:2345');
const LL = ip6('fe80::1:2345');
const OTHER = ip6('2001:db8:aa::99');
const NEIGHBOUR = ip6('2001:db8:aa::2');
const GROUP = ip6('ff02::1:ff01:2345');

function defendedHoa(): DefendedAddresses {
  const d = new DefendedAddresses();
  d.update(HOA, [{ interface: 'home0', address: HOA }]);
  return d;
}

const ns = (over: Partial<ReceivedSolicitation> = {}): ReceivedSolicitation => ({
  iface: 'home0', src: NEIGHBOUR, dst: GROUP, hopLimit: 255, target: HOA, hasSourceLinkLayer: true, ...over,
});

test('solicited-node group of a home address (RFC 4291 §2.7.1)', () => {
  assert.equal(solicitedNodeGroup(HOA), GROUP);
  assert.equal(solicitedNodeGroup(ip6('2001:db8::ab:cdef')), 'ff02::1:ffab:cdef');
});

const rows: [string, Partial<ReceivedSolicitation>, ProxyAnswer][] = [
  ['RFC 4861 §7.2.4: NS to the solicited-node group is answered to the solicitor, Solicited and Override set, Router clear', {},
    { answer: true, dad: false, na: { dst: NEIGHBOUR, target: HOA, router: false, solicited: true, override: true } }],
  ['RFC 4861 §7.2.4: a unicast NS (NUD) to the target itself is answered', { dst: HOA },
    { answer: true, dad: false, na: { dst: NEIGHBOUR, target: HOA, router: false, solicited: true, override: true } }],
  ['RFC 6275 §10.4.1: a DAD probe (source ::) is defended to all nodes, Solicited clear', { src: ip6('::'), hasSourceLinkLayer: false },
    { answer: true, dad: true, na: { dst: ip6('ff02::1'), target: HOA, router: false, solicited: false, override: true } }],
  ['RFC 4861 §7.1.1: hop limit other than 255 is dropped', { hopLimit: 254 }, { answer: false, reason: 'hop-limit' }],
  ['RFC 4861 §7.1.1: a DAD probe must go to the solicited-node group', { src: ip6('::'), dst: HOA, hasSourceLinkLayer: false }, { answer: false, reason: 'destination' }],
  ['RFC 4861 §7.1.1: a DAD probe carries no source link-layer address option', { src: ip6('::') }, { answer: false, reason: 'dad-with-source-link-layer' }],
  ['an NS to another group or address than the target\'s is not for the target', { dst: ip6('ff02::1:ff00:99') }, { answer: false, reason: 'destination' }],
  ['RFC 6275 §10.4.1: never answer for an address without bindings', { target: OTHER, dst: solicitedNodeGroup(OTHER) }, { answer: false, reason: 'not-defended' }],
  ['the home link only: the same address on another interface is not defended', { iface: 'eth9' }, { answer: false, reason: 'not-defended' }],
];

for (const [name, over, want] of rows) {
  test(`answer: ${name}`, () => {
    assert.deepEqual(answerSolicitation(ns(over), defendedHoa(), new TokenBucket(10, 10), 0), want);
  });
}

test('answer: over the rate, an NS is dropped (no queue), and tokens come back with time', () => {
  const d = defendedHoa();
  const bucket = new TokenBucket(2, 3);
  const at = (ms: number): boolean => answerSolicitation(ns(), d, bucket, ms).answer;
  assert.deepEqual([at(0), at(0), at(0), at(0)], [true, true, true, false], 'the burst of 3, then dropped');
  assert.deepEqual(answerSolicitation(ns(), d, bucket, 0), { answer: false, reason: 'rate-limited' });
  assert.equal(at(500), true, '2 a second: one token after 500 ms');
  assert.equal(at(500), false);
  assert.equal(at(10_000), true);
  assert.equal(at(10_000), true);
  assert.equal(at(10_000), true);
  assert.equal(at(10_000), false, 'never more than the burst saved');
});

test('token bucket: a clock that steps back neither adds tokens nor breaks the bucket', () => {
  const b = new TokenBucket(1, 1);
  assert.equal(b.take(5000), true);
  assert.equal(b.take(1000), false);
  assert.equal(b.take(5999), false);
  assert.equal(b.take(6000), true);
});

test('defended set: per home address, reference-counted, added and removed reported once', () => {
  const d = new DefendedAddresses();
  assert.deepEqual(d.update(HOA, [{ interface: 'home0', address: HOA }, { interface: 'home0', address: LL }]), {
    added: [{ interface: 'home0', address: HOA }, { interface: 'home0', address: LL }],
    removed: [],
  });
  assert.deepEqual(d.update(HOA, [{ interface: 'home0', address: HOA }, { interface: 'home0', address: LL }]), { added: [], removed: [] }, 'the same again changes nothing');
  // Another home address wanting the same link-local address (L flag) shares it.
  assert.deepEqual(d.update(OTHER, [{ interface: 'home0', address: OTHER }, { interface: 'home0', address: LL }]).added, [{ interface: 'home0', address: OTHER }]);
  assert.deepEqual(d.update(HOA, []), { added: [], removed: [{ interface: 'home0', address: HOA }] }, 'LL stays while OTHER wants it');
  assert.equal(d.has('home0', LL), true);
  assert.equal(d.has('home0', HOA), false);
  assert.deepEqual(d.update(OTHER, []).removed, [{ interface: 'home0', address: OTHER }, { interface: 'home0', address: LL }]);
  assert.equal(d.size, 0);
});

test('defended set: 100,000 home addresses, each update touches only its own', () => {
  const d = new DefendedAddresses();
  const hoa = (i: number) => ip6(`2001:db8:aa::1:${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}`);
  for (let i = 1; i <= 100_000; i++) d.update(hoa(i), [{ interface: 'home0', address: hoa(i) }]);
  assert.equal(d.size, 100_000);
  assert.equal(d.has('home0', hoa(77_777)), true);
  assert.deepEqual(d.update(hoa(77_777), []).removed, [{ interface: 'home0', address: hoa(77_777) }]);
  assert.equal(d.size, 99_999);
});

// Neighbor Discovery messages (RFC 4861 §4.3, §4.4, §4.6; RFC 7527 §4), the DAD probe
// packet (RFC 4862 §5.4.2) and the link-layer helpers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { encodeSockaddrLl, ethernetMulticastAddress } from '../../../lib/net/link-frame.js';
import {
  dadProbePacket,
  decodeNd,
  encodeNd,
  formatMac,
  parseMac,
  solicitedNodeAddress,
  type NdErrorCode,
  type NdMessage,
} from '../../../lib/net/nd-codec.js';
import { ip6PseudoHeaderSum } from '../../../lib/wire/checksum.js';
import { formatIp6, mustParseIp6 } from '../../../lib/inet/ip6.js';

const T = mustParseIp6('2001:db8:aa::1:2345');
const MAC = parseMac('02:00:5e:10:00:01');

test('round trips: NS with nonce and source link-layer address, NA with flags and target link-layer address', () => {
  const msgs: NdMessage[] = [
    { kind: 'ns', target: T },
    { kind: 'ns', target: T, sourceLinkLayer: MAC, nonce: Uint8Array.of(1, 2, 3, 4, 5, 6) },
    { kind: 'na', target: T, router: true, solicited: false, override: true, targetLinkLayer: MAC },
    { kind: 'na', target: T, router: false, solicited: true, override: false },
  ];
  for (const m of msgs) {
    const b = encodeNd(m);
    assert.equal(b.length % 8, 0);
    assert.deepEqual(decodeNd(b), { ok: true, value: m });
  }
  const na = encodeNd(msgs[2]!);
  assert.deepEqual(Array.from(na.subarray(0, 8)), [136, 0, 0, 0, 0xa0, 0, 0, 0], 'R and O set, S clear; checksum left to the kernel');
  assert.deepEqual(Array.from(na.subarray(24)), [2, 1, 2, 0, 0x5e, 0x10, 0, 1]);
});

test('malformed ND messages, one row per shape', () => {
  const ns = encodeNd({ kind: 'ns', target: T, nonce: new Uint8Array(6) });
  const rows: [string, Uint8Array, NdErrorCode][] = [
    ['23 octets', ns.subarray(0, 23), 'ND_TRUNCATED'],
    ['router advertisement', Uint8Array.from([134, ...ns.subarray(1)]), 'ND_NOT_ND'],
    ['code 1', Uint8Array.from([135, 1, ...ns.subarray(2)]), 'ND_BAD_CODE'],
    ['option of length 0', Uint8Array.from([...ns.subarray(0, 24), 14, 0, 0, 0, 0, 0, 0, 0]), 'ND_BAD_OPTION_LENGTH'],
    ['option past the end', Uint8Array.from([...ns.subarray(0, 24), 14, 2, 0, 0, 0, 0, 0, 0]), 'ND_TRUNCATED'],
    ['one stray octet after the options', Uint8Array.from([...ns, 1]), 'ND_TRUNCATED'],
    ['multicast target', encodeNd({ kind: 'ns', target: mustParseIp6('ff02::1') }), 'ND_MULTICAST_TARGET'],
  ];
  for (const [label, b, code] of rows) {
    const r = decodeNd(b);
    assert.ok(!r.ok, label);
    if (!r.ok) {
      assert.equal(r.error.code, code, `${label}: ${r.error.message}`);
      assert.ok(r.error.offset >= 0 && r.error.offset <= b.length);
    }
  }
});

test('RFC 4291 §2.7.1: solicited-node multicast address; RFC 2464 §7: its Ethernet address', () => {
  const s = solicitedNodeAddress(T);
  assert.equal(formatIp6(s), 'ff02::1:ff01:2345');
  assert.equal(formatMac(ethernetMulticastAddress(s)), '33:33:ff:01:23:45');
  assert.throws(() => ethernetMulticastAddress(T), RangeError);
});

test('RFC 4862 §5.4.2: the DAD probe is NS from :: to the solicited-node group, hop limit 255, no SLLA, valid checksum', () => {
  const nonce = Uint8Array.of(9, 8, 7, 6, 5, 4);
  const p = dadProbePacket(T, nonce);
  assert.equal(p[0]! >> 4, 6);
  assert.equal((p[4]! << 8) | p[5]!, p.length - 40, 'Payload Length');
  assert.equal(p[6], 58, 'Next Header ICMPv6');
  assert.equal(p[7], 255, 'Hop Limit');
  assert.deepEqual(p.subarray(8, 24), new Uint8Array(16), 'source ::');
  assert.equal(formatIp6(p.subarray(24, 40)), 'ff02::1:ff01:2345');
  const icmp = p.subarray(40);
  assert.equal(ip6PseudoHeaderSum(p.subarray(8, 24), p.subarray(24, 40), 58, icmp, -1), 0xffff, 'checksum verifies');
  const d = decodeNd(icmp);
  assert.ok(d.ok && d.value.kind === 'ns');
  assert.equal(d.value.sourceLinkLayer, undefined);
  assert.deepEqual(d.value.nonce, nonce);
});

test('sockaddr_ll: family, protocol in network order, ifindex, address length and octets', () => {
  const b = encodeSockaddrLl(7, 0x86dd, MAC);
  assert.equal(b.length, 20);
  assert.deepEqual(Array.from(b.subarray(0, 12)), [17, 0, 0x86, 0xdd, 7, 0, 0, 0, 0, 0, 0, 6]);
  assert.deepEqual(b.subarray(12, 18), MAC);
});

test('MAC text', () => {
  assert.equal(formatMac(parseMac('2:0:5E:10:0:1')), '02:00:5e:10:00:01');
  for (const bad of ['', '02:00:5e:10:00', '02:00:5e:10:00:01:02', '02-00-5e-10-00-01', '002:00:5e:10:00:01', 'zz:00:5e:10:00:01']) {
    assert.throws(() => parseMac(bad), TypeError, bad);
  }
});

test('decodeNd never throws on random octets', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), fc.boolean(), (b, nd) => {
      if (nd && b.length > 0) b[0] = 135 + (b[0]! & 1);
      if (nd && b.length > 1) b[1] = 0;
      const r = decodeNd(b);
      if (!r.ok) assert.ok(r.error.offset >= 0 && r.error.offset <= b.length);
    }),
    { numRuns: 3000 },
  );
});

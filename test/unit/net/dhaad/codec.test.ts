// DHAAD Request/Reply (RFC 6275 §6.5, §6.6) and the Router Advertisement's Mobile IPv6 parts
// (§7.1 H bit, §7.2 R bit, §7.4 Home Agent Information): round trips, one row per malformed
// shape, and decoders that never throw on arbitrary octets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeDhaad, dhaadEncodedLength, encodeDhaad, type DhaadErrorCode } from '../../../../lib/net/dhaad/dhaad-codec.js';
import { decodeRa, encodeRa, raEncodedLength, type RaErrorCode, type RouterAdvertisement } from '../../../../lib/net/dhaad/ra-codec.js';
import { mustParseIp6 } from '../../../../lib/inet/ip6.js';
import { dhaadArb, raArb } from './arbitraries.js';

const HA1 = mustParseIp6('2001:db8:1::1');
const HA2 = mustParseIp6('2001:db8:1::2');

test('§6.5/§6.6 DHAAD round trips and the octets of a Reply', () => {
  fc.assert(
    fc.property(dhaadArb, (m) => {
      const b = encodeDhaad(m);
      assert.equal(b.length, dhaadEncodedLength(m));
      assert.deepEqual(decodeDhaad(b), { ok: true, value: m });
    }),
  );
  const reply = encodeDhaad({ kind: 'dhaadReply', identifier: 0x1234, mobileRouter: true, homeAgents: [HA1, HA2] });
  assert.deepEqual(Array.from(reply.subarray(0, 8)), [145, 0, 0, 0, 0x12, 0x34, 0x80, 0]);
  assert.deepEqual(reply.subarray(24, 40), HA2);
  const req = encodeDhaad({ kind: 'dhaadRequest', identifier: 7, mobileRouter: false });
  assert.deepEqual(Array.from(req), [144, 0, 0, 0, 0, 7, 0, 0]);
});

test('§6.5 a Request with trailing octets decodes (ICMPv6 messages may grow)', () => {
  const r = decodeDhaad(Uint8Array.of(144, 0, 0, 0, 0, 9, 0, 0, 1, 2, 3));
  assert.deepEqual(r, { ok: true, value: { kind: 'dhaadRequest', identifier: 9, mobileRouter: false } });
});

test('malformed DHAAD messages, one row per shape', () => {
  const rows: [string, Uint8Array, DhaadErrorCode][] = [
    ['7 octets', Uint8Array.of(144, 0, 0, 0, 0, 1, 0), 'DHAAD_TRUNCATED'],
    ['empty', new Uint8Array(0), 'DHAAD_TRUNCATED'],
    ['type 146 (Mobile Prefix Solicitation)', Uint8Array.of(146, 0, 0, 0, 0, 1, 0, 0), 'DHAAD_NOT_DHAAD'],
    ['code 1', Uint8Array.of(145, 1, 0, 0, 0, 1, 0, 0), 'DHAAD_BAD_CODE'],
    ['reply with half an address', Uint8Array.from([145, 0, 0, 0, 0, 1, 0, 0, ...HA1.subarray(0, 8)]), 'DHAAD_BAD_LENGTH'],
  ];
  for (const [label, b, code] of rows) {
    const r = decodeDhaad(b);
    assert.ok(!r.ok, label);
    if (!r.ok) {
      assert.equal(r.error.code, code, `${label}: ${r.error.message}`);
      assert.ok(r.error.offset >= 0 && r.error.offset <= b.length, label);
    }
  }
});

test('§7.1/§7.2/§7.4 RA round trips, also unknown options kept as octets', () => {
  fc.assert(
    fc.property(raArb, (ra) => {
      const b = encodeRa(ra);
      assert.equal(b.length, raEncodedLength(ra));
      assert.deepEqual(decodeRa(b), { ok: true, value: ra });
    }),
  );
});

test('§7.1/§7.4 the H bit and the Home Agent Information option on the wire', () => {
  const ra: RouterAdvertisement = {
    curHopLimit: 64, managed: false, other: false, homeAgent: true, routerLifetime: 1800, reachableTime: 0, retransTimer: 0,
    options: [
      { kind: 'homeAgentInformation', mobileRouterSupport: true, preference: -2, lifetime: 600 },
      { kind: 'prefixInformation', prefixLength: 64, onLink: true, autonomous: true, routerAddress: true, validLifetime: 86400, preferredLifetime: 14400, prefix: HA1 },
    ],
  };
  const b = encodeRa(ra);
  assert.equal(b[5], 0x20, 'H alone');
  assert.deepEqual(Array.from(b.subarray(16, 24)), [8, 1, 0x80, 0, 0xff, 0xfe, 0x02, 0x58], 'type 8, length 1, R (RFC 3963), preference -2, lifetime 600');
  const back = decodeRa(b);
  assert.ok(back.ok && back.value.options[0]!.kind === 'homeAgentInformation' && back.value.options[0]!.mobileRouterSupport, 'R read back');
  assert.deepEqual(Array.from(b.subarray(24, 28)), [3, 4, 64, 0xe0], 'L, A and R');
});

test('malformed RAs, one row per shape', () => {
  const base = encodeRa({ curHopLimit: 64, managed: false, other: false, homeAgent: true, routerLifetime: 0, reachableTime: 0, retransTimer: 0, options: [] });
  const rows: [string, Uint8Array, RaErrorCode][] = [
    ['15 octets', base.subarray(0, 15), 'RA_TRUNCATED'],
    ['router solicitation', Uint8Array.from([133, ...base.subarray(1)]), 'RA_NOT_RA'],
    ['code 2', Uint8Array.from([134, 2, ...base.subarray(2)]), 'RA_BAD_CODE'],
    ['option of length 0', Uint8Array.from([...base, 1, 0, 0, 0, 0, 0, 0, 0]), 'RA_BAD_OPTION_LENGTH'],
    ['option past the end', Uint8Array.from([...base, 1, 2, 0, 0, 0, 0, 0, 0]), 'RA_TRUNCATED'],
    ['one stray octet', Uint8Array.from([...base, 8]), 'RA_TRUNCATED'],
    ['home agent information of length 2', Uint8Array.from([...base, 8, 2, ...new Uint8Array(14)]), 'RA_BAD_OPTION_LENGTH'],
    ['prefix information of length 3', Uint8Array.from([...base, 3, 3, ...new Uint8Array(22)]), 'RA_BAD_OPTION_LENGTH'],
  ];
  for (const [label, b, code] of rows) {
    const r = decodeRa(b);
    assert.ok(!r.ok, label);
    if (!r.ok) {
      assert.equal(r.error.code, code, `${label}: ${r.error.message}`);
      assert.ok(r.error.offset >= 0 && r.error.offset <= b.length, label);
    }
  }
});

test('decoders return a result, never throw, on arbitrary octets', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(134, 144, 145), (tail, type) => {
      const b = Uint8Array.from([type, ...tail]);
      assert.equal(typeof decodeDhaad(b).ok, 'boolean');
      assert.equal(typeof decodeRa(b).ok, 'boolean');
    }),
  );
});

// Mobile Prefix Solicitation/Advertisement codec (RFC 6275 §6.7, §6.8, §7.2): round trips
// (also at an offset into a larger buffer), one test per malformed shape, and property tests
// that decoding arbitrary octets never throws and encode∘decode is the identity.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decodeMobilePrefix,
  encodeMobilePrefix,
  mobilePrefixEncodedLength,
  type MobilePrefixMessage,
} from '../../../lib/wire/icmp/mobile-prefix.js';
import { ip } from './fixtures.js';
import { mobilePrefixArb } from './mobile-prefix-arb.js';

const MPA: MobilePrefixMessage = {
  kind: 'mpa',
  identifier: 0x1234,
  managed: true,
  other: false,
  prefixes: [
    { prefixLength: 64, onLink: true, autonomous: true, routerAddress: true, validLifetime: 86400, preferredLifetime: 14400, prefix: ip('2001:db8:aa::1') },
    { prefixLength: 48, onLink: false, autonomous: true, routerAddress: false, validLifetime: 0xffffffff, preferredLifetime: 0, prefix: ip('2001:db8:bb::') },
  ],
  options: [],
};

test('RFC 6275 §6.7: a solicitation is 8 octets, type 146, identifier at 4', () => {
  const b = encodeMobilePrefix({ kind: 'mps', identifier: 0xbeef, options: [] });
  assert.deepEqual([...b], [146, 0, 0, 0, 0xbe, 0xef, 0, 0]);
  assert.deepEqual(decodeMobilePrefix(b), { ok: true, value: { kind: 'mps', identifier: 0xbeef, options: [] }, consumed: 8 });
});

test('RFC 6275 §6.8/§7.2: advertisement flags and Prefix Information with the R bit, field by field', () => {
  const b = encodeMobilePrefix(MPA);
  assert.equal(b.length, 8 + 2 * 32);
  assert.deepEqual([...b.subarray(0, 8)], [147, 0, 0, 0, 0x12, 0x34, 0x80, 0]);
  assert.deepEqual([...b.subarray(8, 20)], [3, 4, 64, 0xe0, 0, 1, 0x51, 0x80, 0, 0, 0x38, 0x40]);
  assert.deepEqual([...b.subarray(40, 44)], [3, 4, 48, 0x40]);
  assert.deepEqual([...b.subarray(44, 48)], [0xff, 0xff, 0xff, 0xff]);
  const d = decodeMobilePrefix(b);
  assert.ok(d.ok);
  assert.deepEqual(d.value, MPA);
});

test('an unknown option is kept raw, after the prefixes, and survives a round trip', () => {
  const m: MobilePrefixMessage = { ...MPA, options: [{ type: 200, data: Uint8Array.from([1, 2, 3, 4, 5, 6]) }] };
  const d = decodeMobilePrefix(encodeMobilePrefix(m));
  assert.ok(d.ok);
  assert.deepEqual(d.value, m);
});

test('encodes at an offset into a larger buffer without touching the octets around it', () => {
  const buf = new Uint8Array(200).fill(0xaa);
  const len = mobilePrefixEncodedLength(MPA);
  const out = encodeMobilePrefix(MPA, buf, 17);
  assert.equal(out.length, len);
  assert.equal(buf[16], 0xaa);
  assert.equal(buf[17 + len], 0xaa);
  const d = decodeMobilePrefix(buf.subarray(17, 17 + len));
  assert.ok(d.ok);
  assert.deepEqual(d.value, MPA);
});

const malformed: [string, number[], string, number][] = [
  ['shorter than the fixed part', [146, 0, 0, 0, 0, 1, 0], 'MPD_TRUNCATED', 0],
  ['another ICMPv6 type', [128, 0, 0, 0, 0, 1, 0, 0], 'MPD_NOT_MOBILE_PREFIX', 0],
  ['code not 0', [147, 1, 0, 0, 0, 1, 0, 0], 'MPD_BAD_CODE', 1],
  ['an option header cut short', [147, 0, 0, 0, 0, 1, 0, 0, 3], 'MPD_TRUNCATED', 8],
  ['an option of length 0', [147, 0, 0, 0, 0, 1, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0], 'MPD_BAD_OPTION_LENGTH', 9],
  ['an option running past the message', [147, 0, 0, 0, 0, 1, 0, 0, 3, 4, 64, 0, 0, 0, 0, 0], 'MPD_TRUNCATED', 9],
  ['Prefix Information of 8 octets', [147, 0, 0, 0, 0, 1, 0, 0, 3, 1, 64, 0, 0, 0, 0, 0], 'MPD_BAD_PREFIX_OPTION', 9],
  ['prefix length 129', [147, 0, 0, 0, 0, 1, 0, 0, 3, 4, 129, ...new Array<number>(29).fill(0)], 'MPD_BAD_PREFIX_LENGTH', 10],
];
for (const [name, octets, code, offset] of malformed) {
  test(`malformed: ${name} -> ${code} at ${offset}`, () => {
    const d = decodeMobilePrefix(Uint8Array.from(octets));
    assert.equal(d.ok, false);
    if (!d.ok) assert.deepEqual([d.error.code, d.error.offset], [code, offset]);
  });
}

test('a solicitation keeps a type 3 option raw (RFC 6275 §6.7 defines none for it)', () => {
  const d = decodeMobilePrefix(Uint8Array.from([146, 0, 0, 0, 0, 7, 0, 0, 3, 1, 0, 0, 0, 0, 0, 0]));
  assert.ok(d.ok);
  assert.deepEqual(d.value, { kind: 'mps', identifier: 7, options: [{ type: 3, data: new Uint8Array(6) }] });
});

test('encoders refuse out-of-range fields by name', () => {
  assert.throws(() => encodeMobilePrefix({ kind: 'mps', identifier: 0x10000, options: [] }), /identifier/);
  assert.throws(() => encodeMobilePrefix({ ...MPA, prefixes: [{ ...MPA.prefixes[0]!, prefixLength: 129 }] } as MobilePrefixMessage), /prefix length/);
  assert.throws(() => encodeMobilePrefix({ ...MPA, prefixes: [{ ...MPA.prefixes[0]!, prefix: new Uint8Array(4) }] } as MobilePrefixMessage), /prefix/);
});

test('property: encode then decode is the identity', () => {
  fc.assert(
    fc.property(mobilePrefixArb, (m) => {
      const d = decodeMobilePrefix(encodeMobilePrefix(m));
      assert.ok(d.ok);
      assert.deepEqual(d.value, m);
      assert.equal(d.consumed, mobilePrefixEncodedLength(m));
    }),
    { numRuns: 500 },
  );
});

test('property: arbitrary octets after a 146/147 header decode or fail with a typed error, never throw', () => {
  const header = fc.tuple(fc.constantFrom(146, 147), fc.constantFrom(0, 0, 0, 1));
  fc.assert(
    fc.property(header, fc.uint8Array({ maxLength: 120 }), ([type, code], rest) => {
      const b = Uint8Array.from([type, code, ...rest]);
      const d = decodeMobilePrefix(b);
      if (!d.ok) assert.ok(d.error.offset >= 0 && d.error.offset <= b.length, d.error.code);
      else assert.equal(d.consumed, b.length);
    }),
    { numRuns: 3000 },
  );
});

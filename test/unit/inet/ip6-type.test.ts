// The one address type: made only by formatting octets or checking text, always canonical.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalIp6, formatIp6, isIp6, mustIp6, parseIp6 } from '../../../lib/inet/ip6.js';
import { ip6Octets } from '../../../lib/inet/ip6-write.js';

const octets = fc.uint8Array({ minLength: 16, maxLength: 16 });

test('RFC 5952 table: checked text becomes its canonical form', () => {
  const rows: [string, string][] = [
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // §4.2.3: first of two equal runs
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // §4.2.2: one zero group stays
    ['::', '::'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'], // §5: IPv4-mapped keeps the dotted quad
  ];
  for (const [text, want] of rows) assert.equal(canonicalIp6(text), want, text);
});

test('bad text is refused at the edge', () => {
  for (const bad of ['', 'x', '2001:db8::g', '1:2:3:4:5:6:7:8:9', '2001:db8:::1', '2001:db8::1/64', ' 2001:db8::1']) {
    assert.equal(canonicalIp6(bad), null, bad);
    assert.throws(() => mustIp6(bad), TypeError, bad);
    assert.equal(isIp6(bad), false, bad);
  }
  assert.equal(isIp6('2001:DB8::1'), false, 'valid but not canonical: not an Ip6');
});

test('property: octets -> Ip6 -> octets is the identity (both parsers)', () => {
  fc.assert(
    fc.property(octets, (b) => {
      const a = formatIp6(b);
      assert.deepEqual([...ip6Octets(a)], [...b]);
      assert.deepEqual([...parseIp6(a)!], [...b]);
    }),
  );
});

test('property: the canonical form is unique: every spelling of an address checks to one Ip6', () => {
  fc.assert(
    fc.property(octets, fc.boolean(), (b, upper) => {
      const a = formatIp6(b);
      const full = Array.from({ length: 8 }, (_, i) => ((b[2 * i]! << 8) | b[2 * i + 1]!).toString(16).padStart(4, '0')).join(':');
      assert.equal(canonicalIp6(upper ? full.toUpperCase() : full), a);
      assert.equal(canonicalIp6(a), a, 'canonical text is a fixed point');
      assert.ok(isIp6(a));
    }),
  );
});

// The MH checksum (RFC 6275 §6.1.1) over the IPv6 pseudo-header (RFC 8200 §8.1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mhChecksum, verifyMhChecksum, writeMhChecksum } from '../../../lib/wire/checksum.js';
import { DRAFT04_PROFILE as P } from '../../../lib/wire/profiles.js';
import { encodeMessage } from '../../../lib/wire/mh.js';
import { ba, bulkBu, ip } from './fixtures.js';

const src = ip('2001:db8::100');
const dst = ip('2001:db8::1');

test('known answers (computed independently with a Python one-liner)', () => {
  assert.equal(mhChecksum(src, dst, encodeMessage(bulkBu(), P)), 0xaae4);
  // A BA whose checksum field holds 0xffff: the field is taken as zero.
  const wire = encodeMessage(ba([], { checksum: 0xffff, flags: { k: true, r: false, p: false } }), P);
  assert.deepEqual([...wire], [...Buffer.from("3b010600ffff0080002a009601020000", "hex")]);
  assert.equal(mhChecksum(src, dst, wire), 0x5fb2);
});

test('writeMhChecksum writes network order and verifyMhChecksum accepts it; any flip is caught', () => {
  const wire = encodeMessage(bulkBu(), P);
  const c = writeMhChecksum(wire, src, dst);
  assert.equal((wire[4]! << 8) | wire[5]!, c);
  assert.ok(verifyMhChecksum(src, dst, wire));
  assert.equal(mhChecksum(src, dst, wire), c, 'the field itself does not change the result');
  assert.equal(verifyMhChecksum(dst, src, wire), true, 'swapping addresses keeps the sum (commutative)');
  for (let i = 0; i < wire.length; i++) {
    wire[i]! ^= 0x10;
    assert.equal(verifyMhChecksum(src, dst, wire), false, `flip at ${i}`);
    wire[i]! ^= 0x10;
  }
  assert.equal(verifyMhChecksum(ip('2001:db8::101'), dst, wire), false);
});

test('writeMhChecksum rejects wrong-size addresses', () => {
  assert.throws(() => writeMhChecksum(new Uint8Array(8), new Uint8Array(4), dst), RangeError);
});

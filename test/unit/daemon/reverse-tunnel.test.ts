// The inner packet of a reverse-tunnelled Home Test Init (lib/net/reverse-tunnel.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encapsulatedMh } from '../../../lib/net/reverse-tunnel.js';
import { verifyMhChecksum } from '../../../lib/wire/checksum.js';
import { mustParseIp6 } from '../../../lib/inet/ip6.js';
import { encodeMessage, decodeMessage } from '../../../lib/wire/mh.js';
import { DRAFT04_PROFILE } from '../../../lib/wire/profiles.js';

const HOA = mustParseIp6('2001:db8:aa::100');
const CN = mustParseIp6('2001:db8:c::10');

test('IPv6 header (version 6, next header 135, payload length) then the MH with its checksum over the inner addresses', () => {
  const mh = encodeMessage({ kind: 'hoti', payloadProto: 59, checksum: 0, cookie: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), options: [] }, DRAFT04_PROFILE, new Uint8Array(256), 0);
  const p = encapsulatedMh(mh, HOA, CN);
  assert.equal(p.length, 40 + mh.length);
  assert.equal(p[0]! >> 4, 6);
  assert.equal((p[0]! & 0x0f) | p[1]! | p[2]! | p[3]!, 0, 'traffic class and flow label zero');
  assert.equal((p[4]! << 8) | p[5]!, mh.length);
  assert.equal(p[6], 135);
  assert.equal(p[7], 64);
  assert.deepEqual(p.subarray(8, 24), HOA);
  assert.deepEqual(p.subarray(24, 40), CN);
  const body = p.subarray(40);
  assert.ok(verifyMhChecksum(HOA, CN, body));
  assert.ok(!verifyMhChecksum(mustParseIp6('2001:db8:f1::10'), CN, body), 'the pseudo-header source is the home address, not a care-of address');
  const d = decodeMessage(body, DRAFT04_PROFILE);
  assert.ok(d.ok && d.value.kind === 'hoti');
  assert.equal(mh[4], 0, 'the caller\'s buffer is left alone');
});

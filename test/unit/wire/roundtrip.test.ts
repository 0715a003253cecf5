// Encode -> decode -> encode for every message and option type (RFC 6275 §6.1, §6.2;
// RFC 3963 §4; draft-04 §4.2.1), at offset 0 and inside a larger buffer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DRAFT04_PROFILE as P } from '../../../lib/wire/profiles.js';
import { decodeMessage, encodedLength, encodeMessage } from '../../../lib/wire/mh.js';
import type { MobilityMessage } from '../../../lib/wire/types.js';
import { ba, bu, bulkBu, EVERY_MESSAGE, EVERY_OPTION } from './fixtures.js';

function roundTrip(msg: MobilityMessage): void {
  const first = encodeMessage(msg, P);
  assert.equal(first.length, encodedLength(msg, P));
  assert.equal(first.length % 8, 0, 'MH is a multiple of 8 octets');
  assert.equal((first[1]! + 1) * 8, first.length, 'Header Len matches');
  const r = decodeMessage(first, P);
  assert.ok(r.ok, r.ok ? '' : `${r.error.code} at ${r.error.offset}: ${r.error.message}`);
  assert.deepEqual(r.value, msg);
  assert.deepEqual(encodeMessage(r.value, P), first);

  // At an offset inside a larger buffer: same octets, the surroundings untouched.
  const big = new Uint8Array(first.length + 37).fill(0xa5);
  const view = encodeMessage(msg, P, big, 29);
  assert.equal(view.byteOffset, 29);
  assert.deepEqual(view, first);
  assert.ok(big.subarray(0, 29).every((b) => b === 0xa5));
  assert.ok(big.subarray(29 + first.length).every((b) => b === 0xa5));
  const again = decodeMessage(big.subarray(29, 29 + first.length), P);
  assert.ok(again.ok);
  assert.deepEqual(again.value, msg);
}

for (const { name, msg } of EVERY_MESSAGE) {
  test(`round trip: ${name}`, () => roundTrip(msg));
}

for (const { name, option } of EVERY_OPTION) {
  test(`round trip: ${name} in a BU and in a BA`, () => {
    roundTrip(bu([option]));
    roundTrip(ba([option], { status: 0 }));
  });
}

test('round trip: every option in one BU, BAD last', () => {
  const options = EVERY_OPTION.map((o) => o.option).filter((o) => o.kind !== 'bindingAuthData');
  const bad = EVERY_OPTION.find((o) => o.option.kind === 'bindingAuthData')!.option;
  roundTrip(bu([...options, bad]));
});

test('decoded addresses are copies, not views into the receive buffer', () => {
  const wire = encodeMessage(bulkBu(), P);
  const r = decodeMessage(wire, P);
  assert.ok(r.ok && r.value.options[0]?.kind === 'bid');
  const coa = r.value.options[0].coa!;
  assert.notEqual(coa.buffer, wire.buffer);
});

test('encoder fills reused buffers completely (no stale octets)', () => {
  const buf = new Uint8Array(200).fill(0xff);
  const wire = encodeMessage(bulkBu(), P, buf, 0);
  assert.deepEqual(wire, encodeMessage(bulkBu(), P));
});

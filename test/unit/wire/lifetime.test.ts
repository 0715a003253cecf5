// Lifetimes: seconds at the API, 4-second units on the wire (RFC 6275 §6.1.7).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { secondsToUnits, unitsToSeconds } from '../../../lib/wire/lifetime.js';
import { DRAFT04_PROFILE as P } from '../../../lib/wire/profiles.js';
import { decodeMessage, encodeMessage } from '../../../lib/wire/mh.js';
import { readU16 } from '../../../lib/wire/fields.js';
import { ba, bu } from './fixtures.js';

const rows: [string, number, number][] = [
  ['0 s is de-registration: 0 units', 0, 0],
  ['0.5 s, non-zero under 4 s: 1 unit, never 0', 0.5, 1],
  ['1 s: 1 unit', 1, 1],
  ['3.999 s: 1 unit', 3.999, 1],
  ['4 s: 1 unit', 4, 1],
  ['7 s floors to 1 unit', 7, 1],
  ['8 s: 2 units', 8, 2],
  ['600 s: 150 units', 600, 150],
  ['262140 s: 65535 units (largest)', 262140, 65535],
  ['262143 s floors to 65535', 262143, 65535],
  ['262144 s clamps to 65535', 262144, 65535],
  ['1e9 s clamps to 65535', 1e9, 65535],
  ['Infinity clamps to 65535', Infinity, 65535],
];

for (const [name, seconds, units] of rows) {
  test(`lifetime: ${name}`, () => {
    assert.equal(secondsToUnits(seconds, 'lifetime'), units);
    const wire = encodeMessage(bu([], { lifetimeSeconds: seconds }), P);
    assert.equal(readU16(wire, 10), units, 'BU Lifetime field, network order');
    const back = decodeMessage(wire, P);
    assert.ok(back.ok && back.value.kind === 'bu');
    assert.equal(back.value.lifetimeSeconds, units * 4);
  });
}

test('lifetime: BA field and the Binding Refresh Advice interval use the same rule', () => {
  const wire = encodeMessage(ba([{ kind: 'bindingRefreshAdvice', intervalSeconds: 2 }], { lifetimeSeconds: 1001 }), P);
  assert.equal(readU16(wire, 10), 250);
  assert.equal(readU16(wire, 14), 1); // BRA at 12 (2n), interval at 14
  assert.equal(unitsToSeconds(65535), 262140);
});

test('lifetime: negative and NaN are rejected', () => {
  assert.throws(() => secondsToUnits(-1, 'x'), RangeError);
  assert.throws(() => secondsToUnits(NaN, 'x'), RangeError);
});

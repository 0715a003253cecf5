// The wire profile: draft-04's TBD numbers and BID layout, and validation of overrides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DRAFT04_PROFILE, makeProfile, mcoaStatusName } from '../../../lib/wire/profiles.js';
import { decodeMessage, encodeMessage } from '../../../lib/wire/mh.js';
import { bid, bu } from './fixtures.js';

test('draft-04 profile numbers', () => {
  assert.equal(DRAFT04_PROFILE.name, 'draft-04');
  assert.equal(DRAFT04_PROFILE.bidOptionType, 35);
  assert.deepEqual({ ...DRAFT04_PROFILE.status }, { incompliant: 164, bidConflict: 165, prohibited: 166, bulkNotSupported: 168, flagConflicts: 170 });
  assert.equal(mcoaStatusName(DRAFT04_PROFILE, 170), 'MCOA FLAG CONFLICTS');
  assert.equal(mcoaStatusName(DRAFT04_PROFILE, 129), undefined);
});

test('draft-04 §4.2.1 BID layout: BID, Status, flags C O H, CoA 8-octet aligned', () => {
  const wire = encodeMessage(bu([bid(0x1234, '2001:db8::7', { status: 165, o: true, h: true })]), DRAFT04_PROFILE);
  // Fixed part 12 octets; the BID option with CoA at 8n+2 = 18 after a 6-octet PadN.
  assert.deepEqual([...wire.subarray(12, 18)], [1, 4, 0, 0, 0, 0]);
  assert.deepEqual([...wire.subarray(18, 24)], [35, 20, 0x12, 0x34, 165, 0xe0]);
  assert.equal(24 % 8, 0, 'care-of address starts on an 8-octet boundary');
  assert.deepEqual([...wire.subarray(24, 40)], [0x20, 1, 0xd, 0xb8, ...new Array<number>(11).fill(0), 7]);
  assert.equal(wire.length, 40);
  // Without a CoA: 2n alignment, length 4, no padding before it.
  const short = encodeMessage(bu([bid(3)]), DRAFT04_PROFILE);
  assert.deepEqual([...short.subarray(12, 16)], [35, 4, 0, 3]);
});

test('a profile with another option type number decodes only that number as BID', () => {
  const p = makeProfile({ bidOptionType: 99 });
  assert.ok(p.ok);
  const wire = encodeMessage(bu([bid(3)]), p.value);
  assert.equal(wire[12], 99);
  const asDraft = decodeMessage(wire, DRAFT04_PROFILE);
  assert.ok(asDraft.ok);
  assert.equal(asDraft.value.options[0]?.kind, 'unknown');
  const asSelf = decodeMessage(wire, p.value);
  assert.ok(asSelf.ok);
  assert.deepEqual(asSelf.value.options, [bid(3)]);
});

test('makeProfile accepts valid overrides and keeps the rest', () => {
  const p = makeProfile({ name: 'lab', status: { flagConflicts: 200 } });
  assert.ok(p.ok);
  assert.equal(p.value.name, 'lab');
  assert.equal(p.value.status.flagConflicts, 200);
  assert.equal(p.value.status.incompliant, 164);
  assert.equal(p.value.bid, DRAFT04_PROFILE.bid);
});

const bad: [string, Parameters<typeof makeProfile>[0], RegExp][] = [
  ['option type 5 collides with Binding Authorization Data', { bidOptionType: 5 }, /collides/],
  ['option type 0 (Pad1)', { bidOptionType: 0 }, /collides/],
  ['option type 256', { bidOptionType: 256 }, /0\.\.255/],
  ['option type 3.5', { bidOptionType: 3.5 }, /0\.\.255/],
  ['status 100 is not a rejection', { status: { prohibited: 100 } }, /128\.\.255/],
  ['status 256', { status: { prohibited: 256 } }, /128\.\.255/],
  ['status 135 already means SEQUENCE OUT OF WINDOW', { status: { prohibited: 135 } }, /SEQUENCE_OUT_OF_WINDOW/],
  ['two statuses equal', { status: { flagConflicts: 164 } }, /also used for incompliant/],
  ['empty name', { name: '' }, /name/],
];
for (const [name, overrides, match] of bad) {
  test(`makeProfile rejects ${name}`, () => {
    const p = makeProfile(overrides);
    assert.equal(p.ok, false);
    if (!p.ok) assert.match(p.error, match);
  });
}

// One test per malformed shape: each gives a typed error with the right code and offset,
// never a throw (RFC 6275 §9.2: malformed messages are expected input).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DRAFT04_PROFILE as P } from '../../../lib/wire/profiles.js';
import { decodeMessage, encodeMessage, partialOf } from '../../../lib/wire/mh.js';
import type { WireErrorCode } from '../../../lib/wire/types.js';
import { ba, bid, bu, bytes } from './fixtures.js';

/** A Mobility Header of MH Type `type` with `body` after the Checksum and a correct Header Len. */
function mh(type: number, ...body: number[]): Uint8Array {
  const len = 6 + body.length;
  if (len % 8) throw new Error(`test bug: MH of ${len} octets`);
  return bytes(59, len / 8 - 1, type, 0, 0, 0, ...body);
}
/** A BU (sequence 0x0102, A flag, lifetime 4 units) followed by raw option octets. */
function buWith(...options: number[]): Uint8Array {
  return mh(5, 0x01, 0x02, 0x80, 0, 0, 4, ...options);
}

function expectError(buf: Uint8Array, code: WireErrorCode, offset?: number) {
  const r = decodeMessage(buf, P);
  assert.equal(r.ok, false, 'decoding must fail');
  if (r.ok) return undefined as never;
  assert.equal(r.error.code, code, r.error.message);
  if (offset !== undefined) assert.equal(r.error.offset, offset, r.error.message);
  assert.ok(r.error.offset >= 0 && r.error.offset <= buf.length);
  assert.ok(r.error.message.length > 0);
  return r.error;
}

const rows: { name: string; buf: Uint8Array; code: WireErrorCode; offset?: number }[] = [
  { name: 'empty buffer', buf: bytes(), code: 'TRUNCATED', offset: 0 },
  { name: 'truncated inside the common header', buf: bytes(59, 0, 5, 0, 0), code: 'TRUNCATED', offset: 5 },
  { name: '§6.1.1 payload proto not 59', buf: bytes(6, 0, 0, 0, 0, 0, 0, 0), code: 'BAD_PAYLOAD_PROTO', offset: 0 },
  { name: '§6.1.1 Header Len says more than the buffer', buf: bytes(59, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), code: 'BAD_HEADER_LENGTH', offset: 1 },
  { name: '§6.1.1 Header Len says less than the buffer', buf: bytes(59, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), code: 'BAD_HEADER_LENGTH', offset: 1 },
  { name: '§6.1.1 MH not a multiple of 8 octets', buf: bytes(59, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), code: 'BAD_HEADER_LENGTH', offset: 1 },
  { name: '§6.1.7 BU body too short (8 octets, needs 12)', buf: mh(5, 0, 1), code: 'MESSAGE_TOO_SHORT', offset: 1 },
  { name: '§6.1.8 BA body too short', buf: mh(6, 0, 0), code: 'MESSAGE_TOO_SHORT' },
  { name: '§6.1.3 HoTI body too short', buf: mh(1, 0, 0), code: 'MESSAGE_TOO_SHORT' },
  { name: '§6.1.6 CoT body too short (16 octets, needs 24)', buf: mh(4, ...new Array<number>(10).fill(0)), code: 'MESSAGE_TOO_SHORT' },
  { name: '§6.1.9 BE body too short', buf: mh(7, ...new Array<number>(10).fill(0)), code: 'MESSAGE_TOO_SHORT' },
  { name: '§6.2 option length past the end', buf: buWith(77, 200, 0, 0), code: 'OPTION_OVERRUN', offset: 12 },
  { name: '§6.2 option type in the last octet, no length octet', buf: buWith(0, 0, 0, 99), code: 'OPTION_OVERRUN', offset: 15 },
  { name: '§6.2.3 PadN past the end', buf: buWith(0, 0, 1, 3), code: 'OPTION_OVERRUN', offset: 14 },
  { name: '§6.2.4 Binding Refresh Advice length 3', buf: buWith(2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), code: 'BAD_OPTION_LENGTH', offset: 13 },
  { name: '§6.2.5 Alternate CoA length 8', buf: buWith(3, 8, ...new Array<number>(10).fill(0)), code: 'BAD_OPTION_LENGTH', offset: 13 },
  { name: '§6.2.6 Nonce Indices length 2', buf: buWith(4, 2, 0, 0), code: 'BAD_OPTION_LENGTH', offset: 13 },
  { name: '§6.2.7 Binding Authorization Data length 10', buf: buWith(5, 10, ...new Array<number>(10).fill(0)), code: 'BAD_OPTION_LENGTH', offset: 13 },
  { name: 'RFC 3963 §4.3 Mobile Network Prefix length 16', buf: buWith(6, 16, ...new Array<number>(18).fill(0)), code: 'BAD_OPTION_LENGTH', offset: 13 },
  { name: 'RFC 3963 §4.3 prefix length 129', buf: buWith(6, 18, 0, 129, ...new Array<number>(16).fill(0)), code: 'BAD_OPTION_VALUE', offset: 15 },
  { name: '§6.2.7 an option after Binding Authorization Data', buf: buWith(5, 12, ...new Array<number>(12).fill(0), 4, 4, 0, 0, 0, 0), code: 'BAD_NOT_LAST', offset: 26 },
  { name: 'draft-04 §4.2.1 BID length 8', buf: buWith(35, 8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0), code: 'BID_BAD_LENGTH', offset: 13 },
  { name: 'draft-04 §4.2.1 BID length 0', buf: buWith(35, 0, 0, 0), code: 'BID_BAD_LENGTH', offset: 13 },
  { name: 'draft-04 §4.2.1 BID length 20 without C', buf: buWith(35, 20, 0, 1, 0, 0, ...new Array<number>(16).fill(0), 0, 0, 0, 0, 0, 0), code: 'BID_BAD_LENGTH', offset: 13 },
  { name: 'draft-04 §4.2.1 C flag without care-of address', buf: buWith(35, 4, 0, 1, 0, 0x80, 0, 0, 0, 0, 0, 0), code: 'BID_C_WITHOUT_COA', offset: 17 },
  { name: 'draft-04 §4.2.1 BID 0 is reserved', buf: buWith(35, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), code: 'BID_ZERO', offset: 14 },
];

for (const row of rows) {
  test(`malformed: ${row.name} -> ${row.code}`, () => {
    expectError(row.buf, row.code, row.offset);
  });
}

test('a valid encoding cut short at every length gives a typed error', () => {
  const wire = encodeMessage(bu([bid(1, '2001:db8::1'), bid(2, '2001:db8::2')]), P);
  for (let n = 0; n < wire.length; n++) {
    const r = decodeMessage(wire.subarray(0, n), P);
    assert.equal(r.ok, false);
    if (!r.ok) assert.ok(n < 8 ? r.error.code === 'TRUNCATED' : r.error.code === 'BAD_HEADER_LENGTH', `${n}: ${r.error.code}`);
  }
});

test('draft-04 §5.3: a BID error in a BU carries the BU fixed part (sequence for MCOA INCOMPLIANT)', () => {
  const err = expectError(buWith(35, 4, 0, 1, 0, 0x80, 0, 0, 0, 0, 0, 0), 'BID_C_WITHOUT_COA');
  const partial = partialOf(err, 'bu');
  assert.ok(partial);
  assert.equal(partial.sequence, 0x0102);
  assert.equal(partial.lifetimeSeconds, 16);
  assert.equal(partial.flags.a, true);
  assert.equal('options' in partial, false);
  assert.equal(partialOf(err, 'ba'), undefined);
});

test('draft-04 §5.3: a BID error in a BA carries the BA fixed part', () => {
  const wire = encodeMessage(ba([bid(5)], { sequence: 999, status: 164 }), P);
  // BA fixed part is 12 octets, BID at 12 (2n): put 0 in its BID field.
  assert.equal(wire[12], 35);
  wire[14] = 0;
  wire[15] = 0;
  const err = expectError(wire, 'BID_ZERO', 14);
  const partial = partialOf(err, 'ba');
  assert.equal(partial?.sequence, 999);
  assert.equal(partial?.status, 164);
});

test('header errors carry no partial message', () => {
  const err = expectError(bytes(59, 0, 5, 0, 0, 0, 0, 0), 'MESSAGE_TOO_SHORT');
  assert.equal(err.partial, undefined);
});

test('§9.2 unknown MH type: a well-formed header gives an UnknownMessage with the body raw', () => {
  const r = decodeMessage(mh(200, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10), P);
  assert.ok(r.ok && r.value.kind === 'unknown');
  assert.equal(r.value.mhType, 200);
  assert.deepEqual(r.value.body, bytes(1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
  expectError(bytes(59, 1, 200, 0, 0, 0, 0, 0), 'BAD_HEADER_LENGTH');
});

test('receivers are liberal: reserved bits ignored, unaligned options and trailing padding accepted', () => {
  // BU reserved flag bits 0x01ff set; BID reserved bits 0x1f set; BID at an odd offset.
  const r = decodeMessage(mh(5, 0, 1, 0x81, 0xff, 0, 1, 0, 35, 4, 0, 9, 0, 0x1f, 1, 3, 0, 0, 0), P);
  assert.ok(r.ok && r.value.kind === 'bu', r.ok ? '' : r.error.message);
  assert.deepEqual(r.value.flags, { a: true, h: false, l: false, k: false, m: false, r: false, p: false });
  assert.deepEqual(r.value.options, [bid(9)]);
  // Pad1 and PadN after Binding Authorization Data carry nothing: accepted.
  const s = decodeMessage(buWith(5, 12, ...new Array<number>(12).fill(7), 0, 0, 1, 2, 0, 0), P);
  assert.ok(s.ok, s.ok ? '' : s.error.message);
  assert.equal(s.value.options.length, 1);
});

test('unknown option types are kept raw and skipped by their length', () => {
  const r = decodeMessage(buWith(77, 3, 9, 8, 7, 1, 1, 0, 35, 4, 0, 2, 0, 0, 1, 4, 0, 0, 0, 0), P);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  assert.deepEqual(r.value.options, [{ kind: 'unknown', optionType: 77, data: bytes(9, 8, 7) }, bid(2)]);
});

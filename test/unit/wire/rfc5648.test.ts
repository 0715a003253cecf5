// RFC 5648's wire profile: the Binding Identifier option of §4.3 (lengths 4, 8, 20; H and
// BID-PRI of RFC 6089 §5.1), O in the Binding Update's flags (§4.2), and how the same model
// encodes under draft-04 and RFC 5648. Round trips (also at an offset), one test per
// malformed shape, and properties with fast-check, as for the draft-04 codec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DRAFT04_PROFILE, RFC5648_BU_FLAG_O, RFC5648_PROFILE as R, mcoaStatusName } from '../../../lib/wire/profiles.js';
import { decodeMessage, encodeMessage, encodedLength } from '../../../lib/wire/mh.js';
import type { BidOption, BindingAck, BindingUpdate, MobilityMessage, WireErrorCode } from '../../../lib/wire/types.js';
import { ba, bid, bu, ip, NO_BU_FLAGS, rfc5648BidArb } from './fixtures.js';

const v4 = (id: number, extra: Partial<BidOption> = {}): BidOption => ({ kind: 'bid', bid: id, status: 0, c: false, o: false, h: false, coa4: Uint8Array.of(192, 0, 2, 9), ...extra });

function roundTrip(msg: MobilityMessage): MobilityMessage {
  const wire = encodeMessage(msg, R);
  assert.equal(wire.length, encodedLength(msg, R));
  const d = decodeMessage(wire, R);
  assert.ok(d.ok, d.ok ? '' : d.error.message);
  // Encoding at an offset into a larger buffer gives the same octets.
  const big = new Uint8Array(wire.length + 13).fill(0xee);
  assert.deepEqual([...encodeMessage(msg, R, big, 13)], [...wire]);
  return d.value;
}

/** The BU's fields as decoded under RFC 5648: BID options get `pri` 0 and O from the BU. */
function normalised(m: BindingUpdate): BindingUpdate {
  const o = m.flags.o === true || m.options.some((x) => x.kind === 'bid' && x.o);
  return {
    ...m,
    flags: { ...m.flags, o },
    options: m.options.map((x) => (x.kind === 'bid' ? { ...x, o, pri: x.pri ?? 0 } : x)),
  };
}

test('RFC 5648 §4.3 layout: BID, Status, H|BID-PRI, IPv6 care-of address at 8n+2 (length 20)', () => {
  const wire = encodeMessage(bu([bid(0x1234, '2001:db8::7', { status: 165, h: true, pri: 5 })]), R);
  assert.deepEqual([...wire.subarray(12, 18)], [1, 4, 0, 0, 0, 0], 'PadN to 8n+2');
  assert.deepEqual([...wire.subarray(18, 24)], [35, 20, 0x12, 0x34, 165, 0x85]);
  assert.deepEqual([...wire.subarray(24, 40)], [...ip('2001:db8::7')]);
  assert.equal(wire.length, 40);
});

test('RFC 5648 §4.3 layout: IPv4 care-of address, length 8 at 4n+2', () => {
  const wire = encodeMessage(bu([v4(9, { pri: 0x7f })]), R);
  assert.deepEqual([...wire.subarray(12, 14)], [1, 0], 'PadN of 2 puts Type at 14 = 4n+2');
  assert.deepEqual([...wire.subarray(14, 24)], [35, 8, 0, 9, 0, 0x7f, 192, 0, 2, 9]);
  assert.equal(wire.length, 24);
});

test('RFC 5648 §4.3 layout: no care-of address, length 4, 2n', () => {
  const wire = encodeMessage(bu([bid(3, undefined, { h: true })]), R);
  assert.deepEqual([...wire.subarray(12, 18)], [35, 4, 0, 3, 0, 0x80]);
});

test('RFC 5648 §4.2: O travels in the BU flags (0x0080), never in the option', () => {
  const withO = encodeMessage(bu([bid(1, '2001:db8::1', { o: true }), bid(2, undefined, { o: true })]), R);
  assert.equal(((withO[8]! << 8) | withO[9]!) & RFC5648_BU_FLAG_O, RFC5648_BU_FLAG_O);
  assert.equal(withO[18 + 5]! & 0x7f, 0, 'the option octet after Status has no O bit');
  const d = decodeMessage(withO, R);
  assert.ok(d.ok && d.value.kind === 'bu');
  assert.equal(d.value.flags.o, true);
  assert.ok(d.value.options.every((x) => x.kind !== 'bid' || x.o), 'every BID option reads O from the BU');
  // flags.o alone sets the bit too (a BU with O and no BID option still says so).
  const flagOnly = encodeMessage(bu([], { flags: { ...NO_BU_FLAGS, h: true, o: true } }), R);
  assert.equal(flagOnly[9]! & 0x80, 0x80);
  // draft-04 ignores flags.o and keeps O in each sub-option (0x40 after Status).
  const draft = encodeMessage(bu([bid(1, undefined, { o: true })]), DRAFT04_PROFILE);
  assert.equal(draft[9]! & 0x80, 0);
  assert.equal(draft[17]! & 0x40, 0x40);
});

test('the same octets read differently under draft-04 and RFC 5648 (0x80 is C in one, H in the other)', () => {
  const wire = encodeMessage(bu([bid(4, undefined, { h: true })]), R);
  const asRfc = decodeMessage(wire, R);
  assert.ok(asRfc.ok);
  assert.deepEqual(asRfc.value.options[0], { kind: 'bid', bid: 4, status: 0, c: false, o: false, h: true, pri: 0 });
  // Under draft-04, 0x80 is C and length 4 has no address: MCOA INCOMPLIANT.
  const asDraft = decodeMessage(wire, DRAFT04_PROFILE);
  assert.ok(!asDraft.ok);
  assert.equal(asDraft.error.code, 'BID_C_WITHOUT_COA');
});

test('round trips: every BID shape, O on and off, in BU and BA', () => {
  const shapes: BidOption[] = [bid(1), bid(2, '2001:db8:a::2', { status: 167, h: true, pri: 1 }), v4(3), bid(0xffff, undefined, { pri: 0x7f })];
  for (const o of [false, true]) {
    const m = bu(shapes.map((s) => ({ ...s, o })));
    assert.deepEqual(roundTrip(m), normalised(m));
  }
  const a: BindingAck = ba([bid(1, undefined, { status: 4 }), bid(2, undefined, { status: 167 })]);
  assert.deepEqual(roundTrip(a), { ...a, options: a.options.map((x) => ({ ...x, pri: 0 })) });
});

test('status names under RFC 5648 are IANA\'s', () => {
  assert.equal(mcoaStatusName(R, 4), 'MCOA NOTCOMPLETE');
  assert.equal(mcoaStatusName(R, 5), 'MCOA RETURNHOME WO/NDP');
  assert.equal(mcoaStatusName(R, 164), 'MCOA MALFORMED');
  assert.equal(mcoaStatusName(R, 165), 'MCOA NON-MCOA BINDING EXISTS');
  assert.equal(mcoaStatusName(R, 167), 'MCOA UNKNOWN COA');
  assert.equal(mcoaStatusName(R, 168), 'MCOA BULK REGISTRATION PROHIBITED');
  assert.equal(mcoaStatusName(R, 169), 'MCOA SIMULTANEOUS HOME AND FOREIGN PROHIBITED');
  assert.equal(mcoaStatusName(DRAFT04_PROFILE, 164), 'MCOA INCOMPLIANT');
});

/** A BU whose only option is type 35 with the given body (after Type/Length), padded to 8n. */
function rawBu(body: number[], lengthOctet = body.length): Uint8Array {
  const opt = [35, lengthOctet, ...body];
  const total = Math.ceil((12 + opt.length) / 8) * 8;
  const buf = new Uint8Array(total);
  buf.set([59, total / 8 - 1, 5, 0, 0, 0, 0, 7, 0xc0, 0, 0, 100], 0);
  buf.set(opt, 12);
  const pad = total - 12 - opt.length;
  if (pad === 1) buf[12 + opt.length] = 0;
  else if (pad > 1) buf.set([1, pad - 2], 12 + opt.length);
  return buf;
}

const malformed: [string, Uint8Array, WireErrorCode, number][] = [
  ['length 5 (MCOA MALFORMED)', rawBu([0, 1, 0, 0, 9]), 'BID_BAD_LENGTH', 13],
  ['length 6', rawBu([0, 1, 0, 0, 9, 9]), 'BID_BAD_LENGTH', 13],
  ['length 12', rawBu([0, 1, 0, 0, ...new Array<number>(8).fill(1)]), 'BID_BAD_LENGTH', 13],
  ['length 16', rawBu([0, 1, 0, 0, ...new Array<number>(12).fill(1)]), 'BID_BAD_LENGTH', 13],
  ['length 19', rawBu([0, 1, 0, 0, ...new Array<number>(15).fill(1)]), 'BID_BAD_LENGTH', 13],
  ['length 21', rawBu([0, 1, 0, 0, ...new Array<number>(17).fill(1)]), 'BID_BAD_LENGTH', 13],
  ['length 3', rawBu([0, 1, 0]), 'BID_BAD_LENGTH', 13],
  ['length 0', rawBu([]), 'BID_BAD_LENGTH', 13],
  ['BID 0 reserved', rawBu([0, 0, 0, 0]), 'BID_ZERO', 14],
  ['length 20 running past the message', rawBu([0, 1, 0, 0], 20), 'OPTION_OVERRUN', 12],
];

for (const [name, wire, code, offset] of malformed) {
  test(`malformed Binding Identifier option: ${name} -> ${code} at ${offset}`, () => {
    const d = decodeMessage(wire, R);
    assert.ok(!d.ok, 'refused');
    assert.equal(d.error.code, code);
    assert.equal(d.error.offset, offset);
    // The BU's fixed part comes back so the home agent can answer MCOA MALFORMED.
    assert.equal(d.error.partial?.kind, 'bu');
  });
}

test('encode refuses what RFC 5648 cannot say, and draft-04 refuses RFC 5648-only fields', () => {
  assert.throws(() => encodeMessage(bu([bid(1, undefined, { pri: 0x80 })]), R), /BID-PRI/);
  assert.throws(() => encodeMessage(bu([{ ...bid(1, '2001:db8::1'), coa4: Uint8Array.of(1, 2, 3, 4) }]), R), /both an IPv6 and an IPv4/);
  assert.throws(() => encodeMessage(bu([v4(1, { coa4: Uint8Array.of(1, 2, 3) })]), R), /4 octets/);
  assert.throws(() => encodeMessage(bu([v4(1)]), DRAFT04_PROFILE), /cannot carry an IPv4/);
  assert.throws(() => encodeMessage(bu([bid(1, undefined, { pri: 3 })]), DRAFT04_PROFILE), /no BID-PRI/);
});


test('property: every BU with RFC 5648 options round-trips (O from the BU flags)', () => {
  fc.assert(
    fc.property(fc.array(rfc5648BidArb, { maxLength: 6 }), fc.boolean(), fc.integer({ min: 0, max: 0xffff }), (opts, o, sequence) => {
      const m = bu(opts.map((x) => ({ ...x, o })), { sequence });
      assert.deepEqual(roundTrip(m), normalised(m));
    }),
    { numRuns: 3000 },
  );
});

test('property: decodeMessage never throws on mutated RFC 5648 encodings, and what decodes re-encodes', () => {
  fc.assert(
    fc.property(fc.array(rfc5648BidArb, { minLength: 1, maxLength: 4 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), (opts, flips) => {
      const wire = Uint8Array.from(encodeMessage(bu(opts), R));
      for (const [at, v] of flips) wire[at % wire.length] = v;
      const d = decodeMessage(wire, R);
      if (!d.ok) {
        assert.ok(d.error.offset >= 0 && d.error.offset <= wire.length);
        return;
      }
      const again = decodeMessage(encodeMessage(d.value, R), R);
      assert.ok(again.ok);
      assert.deepEqual(again.value, d.value);
    }),
    { numRuns: 20000 },
  );
});

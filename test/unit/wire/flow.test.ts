// RFC 6089's Flow Summary (§4.1) and Flow Identification (§4.2) options with RFC 6088's
// binary traffic selectors: round trips under both wire profiles, one test per malformed
// shape (typed errors, never a throw), and fast-check properties.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DRAFT04_PROFILE, RFC5648_PROFILE } from '../../../lib/wire/profiles.js';
import { decodeMessage, encodeMessage } from '../../../lib/wire/mh.js';
import type { BindingUpdate, MobilityMessage, MobilityOption } from '../../../lib/wire/types.js';
import type { WireProfile } from '../../../lib/wire/profile.js';
import { FLOW_IDENTIFICATION_OPTION_TYPE, FLOW_SUMMARY_OPTION_TYPE, FlowStatus, type FlowSubOption } from '../../../lib/wire/flow/flow-types.js';
import { ba, bid, bu } from './fixtures.js';
import { flowIdArb, flowSummaryArb, SAMPLE_FLOWS } from './flow-arb.js';

const PROFILES = [DRAFT04_PROFILE, RFC5648_PROFILE];

/** A BU as `profile` decodes it: RFC 5648 carries O in the BU's flags. */
function buFor(profile: WireProfile, options: MobilityOption[]): BindingUpdate {
  const msg = bu(options);
  return profile.buOverwriteFlag === null ? msg : { ...msg, flags: { ...msg.flags, o: false } };
}

function roundTrip(msg: MobilityMessage, profile = DRAFT04_PROFILE): Uint8Array {
  const wire = encodeMessage(msg, profile);
  const r = decodeMessage(wire, profile);
  assert.ok(r.ok, r.ok ? '' : `${r.error.code} at ${r.error.offset}: ${r.error.message}`);
  assert.deepEqual(r.value, msg);
  assert.deepEqual(encodeMessage(r.value, profile), wire);
  return wire;
}

test('option type numbers are IANA\'s (RFC 6089 §6): Flow Summary 44, Flow Identification 45, in both profiles', () => {
  assert.equal(FLOW_SUMMARY_OPTION_TYPE, 44);
  assert.equal(FLOW_IDENTIFICATION_OPTION_TYPE, 45);
  for (const p of PROFILES) assert.deepEqual(p.flowOptionTypes, { summary: 44, identification: 45 });
  assert.deepEqual(FlowStatus, {
    SUCCESS: 0, ADMINISTRATIVELY_PROHIBITED: 128, REJECTED_UNSPECIFIED: 129, OPTION_MALFORMED: 130,
    BID_NOT_FOUND: 131, FID_NOT_FOUND: 132, TS_FORMAT_NOT_SUPPORTED: 133,
  });
});

for (const profile of PROFILES) {
  test(`round trip (${profile.name}): a bulk BU with BIDs, flows and a Flow Summary; a BA with flow statuses`, () => {
    const pri = profile.buOverwriteFlag === null ? {} : { pri: 0 };
    roundTrip(buFor(profile, [bid(1, '2001:db8:1::1', pri), bid(2, '2001:db8:2::2', pri), ...SAMPLE_FLOWS, { kind: 'flowSummary', fids: [7, 9] }]), profile);
    roundTrip(ba([{ kind: 'flowIdentification', fid: 1, fidPri: 10, status: FlowStatus.BID_NOT_FOUND, subOptions: [] }], { status: 0 }), profile);
  });
}

test('RFC 6089 §4.2 layout: FID, FID-PRI, Reserved, Status, then sub-options; 2n alignment', () => {
  const wire = encodeMessage(bu([SAMPLE_FLOWS[0]!]), DRAFT04_PROFILE);
  const at = 12; // BU fixed part ends at 12, already 2n
  assert.equal(wire[at], 45);
  // body: 6 fixed + TS (2 + 2 + 4 flags + 2 + 2 ports + 1 NH) + BR (2 + 2)
  assert.equal(wire[at + 1], 6 + 13 + 4);
  assert.deepEqual([...wire.subarray(at + 2, at + 8)], [0, 1, 0, 10, 0, 0]);
  // Traffic Selector sub-option: type 3, length 11, TS Format 2, Reserved, flags K L O (ports, NH)
  assert.deepEqual([...wire.subarray(at + 8, at + 12)], [3, 11, 2, 0]);
  assert.deepEqual([...wire.subarray(at + 12, at + 16)], [0b0000_0000, 0b0011_0010, 0, 0]);
  assert.deepEqual([...wire.subarray(at + 16, at + 21)], [0x13, 0x8c, 0x13, 0x8c, 17]);
  // Binding Reference: type 2, length 2, BID 1
  assert.deepEqual([...wire.subarray(at + 21, at + 25)], [2, 2, 0, 1]);
});

test('RFC 6088 §3.1 IPv4 selector: flags A..N from the top bit, fields in flag order', () => {
  const wire = encodeMessage(bu([SAMPLE_FLOWS[2]!]), DRAFT04_PROFILE);
  const ts = 12 + 2 + 6;
  assert.deepEqual([...wire.subarray(ts, ts + 4)], [3, 2 + 4 + 4 + 1 + 1, 1, 0]);
  // C (destination start), K (DS start), M (protocol start)
  assert.deepEqual([...wire.subarray(ts + 4, ts + 8)], [0b0010_0000, 0b0010_1000, 0, 0]);
  assert.deepEqual([...wire.subarray(ts + 8, ts + 14)], [192, 0, 2, 1, 46, 17]);
});

// ---- malformed shapes: each a typed error with its offset --------------------------------

/** A BU whose only option is `type`/`body`, with Header Len and padding right. */
function buWith(type: number, body: number[]): Uint8Array {
  const base = encodeMessage(bu([{ kind: 'unknown', optionType: 200, data: Uint8Array.from(body) }]), DRAFT04_PROFILE);
  base[12] = type;
  return base;
}

const MALFORMED: { name: string; type: number; body: number[]; code: string; offset: number }[] = [
  { name: 'Flow Identification shorter than its fixed part', type: 45, body: [0, 1, 0, 1, 0], code: 'BAD_OPTION_LENGTH', offset: 13 },
  { name: 'Flow Summary of odd length', type: 44, body: [0, 1, 0], code: 'BAD_OPTION_LENGTH', offset: 13 },
  { name: 'Flow Summary without FIDs', type: 44, body: [], code: 'BAD_OPTION_LENGTH', offset: 13 },
  { name: 'sub-option without its length octet', type: 45, body: [0, 1, 0, 1, 0, 0, 2], code: 'OPTION_OVERRUN', offset: 20 },
  { name: 'sub-option running past its option', type: 45, body: [0, 1, 0, 1, 0, 0, 2, 4, 0, 1], code: 'OPTION_OVERRUN', offset: 20 },
  { name: 'Binding Reference of odd length', type: 45, body: [0, 1, 0, 1, 0, 0, 2, 1, 9], code: 'BAD_OPTION_LENGTH', offset: 21 },
  { name: 'Binding Reference naming BID 0', type: 45, body: [0, 1, 0, 1, 0, 0, 2, 2, 0, 0], code: 'BID_ZERO', offset: 22 },
  { name: 'Traffic Selector without TS Format', type: 45, body: [0, 1, 0, 1, 0, 0, 3, 1, 2], code: 'BAD_OPTION_LENGTH', offset: 21 },
  { name: 'IPv6 selector without its flags word', type: 45, body: [0, 1, 0, 1, 0, 0, 3, 4, 2, 0, 0, 0], code: 'BAD_OPTION_LENGTH', offset: 21 },
  { name: 'IPv6 selector whose flags need more octets than it has (A set, no address)', type: 45, body: [0, 1, 0, 1, 0, 0, 3, 6, 2, 0, 0x80, 0, 0, 0], code: 'BAD_OPTION_LENGTH', offset: 21 },
  { name: 'IPv6 selector with octets its flags do not account for', type: 45, body: [0, 1, 0, 1, 0, 0, 3, 7, 2, 0, 0, 0, 0, 0, 9], code: 'BAD_OPTION_LENGTH', offset: 21 },
  { name: 'IPv4 selector whose flags need more octets than it has (G set, no port)', type: 45, body: [0, 1, 0, 1, 0, 0, 3, 6, 1, 0, 0x02, 0, 0, 0], code: 'BAD_OPTION_LENGTH', offset: 21 },
  { name: 'flow label above 20 bits', type: 45, body: [0, 1, 0, 1, 0, 0, 3, 10, 2, 0, 0x02, 0, 0, 0, 0, 0x10, 0, 0], code: 'BAD_OPTION_VALUE', offset: 28 },
];

for (const m of MALFORMED) {
  test(`malformed: ${m.name} -> ${m.code} at ${m.offset}`, () => {
    const r = decodeMessage(buWith(m.type, m.body), DRAFT04_PROFILE);
    assert.ok(!r.ok, 'refused');
    assert.equal(r.error.code, m.code, r.error.message);
    assert.equal(r.error.offset, m.offset, r.error.message);
  });
}

test('Pad and PadN sub-options are skipped; unknown sub-options and TS formats are kept raw', () => {
  const r = decodeMessage(buWith(45, [0, 1, 0, 1, 0, 0, 0, 1, 1, 0, 9, 2, 0xaa, 0xbb, 3, 3, 7, 0, 0xcc]), DRAFT04_PROFILE);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  assert.deepEqual(r.value.options, [
    {
      kind: 'flowIdentification', fid: 1, fidPri: 1, status: 0,
      subOptions: [
        { kind: 'unknownSubOption', subType: 9, data: Uint8Array.of(0xaa, 0xbb) },
        { kind: 'trafficSelector', selector: { format: 'unknown', tsFormat: 7, data: Uint8Array.of(0xcc) } },
      ],
    },
  ]);
});

test('encoder refuses values that cannot go on the wire (programmer errors)', () => {
  const flow = (subOptions: FlowSubOption[]) =>
    bu([{ kind: 'flowIdentification', fid: 1, fidPri: 1, status: 0, subOptions }]);
  assert.throws(() => encodeMessage(flow([{ kind: 'bindingReference', bids: [0] }]), DRAFT04_PROFILE), RangeError);
  assert.throws(() => encodeMessage(flow([{ kind: 'trafficSelector', selector: { format: 'ipv6', flowLabelStart: 0x100000 } }]), DRAFT04_PROFILE), RangeError);
  assert.throws(() => encodeMessage(flow([{ kind: 'trafficSelector', selector: { format: 'ipv4', sourceAddressStart: new Uint8Array(16) } }]), DRAFT04_PROFILE), RangeError);
  assert.throws(() => encodeMessage(flow([{ kind: 'bindingReference', bids: Array.from({ length: 130 }, (_, i) => i + 1) }]), DRAFT04_PROFILE), RangeError);
  assert.throws(() => encodeMessage(bu([{ kind: 'flowSummary', fids: [] }]), DRAFT04_PROFILE), RangeError);
  assert.throws(() => encodeMessage(bu([{ kind: 'unknown', optionType: 45, data: new Uint8Array(6) }]), DRAFT04_PROFILE), RangeError);
});

// ---- properties ----------------------------------------------------------------------------

test('property: any Flow Identification / Flow Summary option round-trips in a BU and a BA, both profiles', () => {
  const options = fc.array(fc.oneof(flowIdArb, flowSummaryArb), { minLength: 1, maxLength: 4 });
  fc.assert(
    fc.property(options, fc.constantFrom(...PROFILES), (opts, profile) => {
      roundTrip(buFor(profile, opts), profile);
      roundTrip(ba(opts), profile);
    }),
    { numRuns: 400 },
  );
});

test('property: any corruption of an option area with flow options decodes or fails with a typed error, never throws', () => {
  fc.assert(
    fc.property(fc.array(flowIdArb, { minLength: 1, maxLength: 3 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), (opts, flips) => {
      const wire = encodeMessage(bu(opts), DRAFT04_PROFILE);
      for (const [at, v] of flips) wire[12 + (at % (wire.length - 12))] = v;
      const r = decodeMessage(wire, DRAFT04_PROFILE);
      if (!r.ok) {
        assert.equal(typeof r.error.code, 'string');
        assert.ok(r.error.offset >= 0 && r.error.offset < wire.length, `offset ${r.error.offset} inside the message`);
      }
    }),
    { numRuns: 1000 },
  );
});

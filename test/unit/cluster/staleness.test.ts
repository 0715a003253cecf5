// When a home address's record is written: every change, and a refresh only past the bounds;
// and the record codec that reads it back without trusting it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRecord, encodeRecord, type BindingRecord } from '../../../lib/cluster/binding-record.js';
import { holdUntilWallMs, sequenceDiff, writeReason } from '../../../lib/cluster/staleness.js';
import { ip6 } from '../../ip6.js';
import { hoaOf, stored } from '../store/fixtures.js';

const BOUNDS = { expiryLagMs: 120_000, sequenceLag: 16 };
const HOA = hoaOf(0);

function record(over: Partial<BindingRecord> = {}): BindingRecord {
  return { hoa: HOA, sequence: 10, bindings: [stored(0, { bid: 1, lastSequence: 10 }), stored(0, { bid: 2, coa: ip6('2001:db8:b::1'), lastSequence: 9 })], writer: 'ha1', ...BOUNDS, ...over };
}

/** The stored record refreshed: sequence +ds, every expiry +dt ms. */
function refreshed(r: BindingRecord, ds: number, dt: number): { sequence: number; bindings: BindingRecord['bindings'] } {
  return {
    sequence: (r.sequence + ds) & 0xffff,
    bindings: r.bindings.map((b) => ({ ...b, lastSequence: (b.lastSequence + ds) & 0xffff, expiresAtWallMs: b.expiresAtWallMs + dt, registeredAtWallMs: b.registeredAtWallMs + dt })),
  };
}

test('sequenceDiff: RFC 6275 §9.5.1 circular comparison', () => {
  assert.equal(sequenceDiff(5, 3), 2);
  assert.equal(sequenceDiff(3, 5), -2);
  assert.equal(sequenceDiff(1, 0xffff), 2);
  assert.equal(sequenceDiff(0xffff, 1), -2);
  assert.equal(sequenceDiff(0x8000 + 4, 5), 0x7fff);
  assert.equal(sequenceDiff(0x8000 + 6, 5), -0x7fff);
});

test('a refresh within both bounds is not written; past either bound it is', () => {
  const r = record();
  assert.equal(writeReason(r, refreshed(r, 1, 60_000), BOUNDS), null);
  assert.equal(writeReason(r, refreshed(r, 16, 120_000), BOUNDS), null);
  assert.match(writeReason(r, refreshed(r, 1, 120_001), BOUNDS) ?? '', /expiry lag above 120000 ms/);
  assert.match(writeReason(r, refreshed(r, 17, 1000), BOUNDS) ?? '', /sequence lag above 16/);
  // Across the 16-bit wrap, a small step is still small.
  const wrap = record({ sequence: 0xfffe, bindings: [stored(0, { bid: 1, lastSequence: 0xfffe })] });
  assert.equal(writeReason(wrap, refreshed(wrap, 3, 1000), BOUNDS), null);
});

test('every change is written: creation, removal, new BID, moved CoA, flags, prefixes, shorter lifetime, new bounds', () => {
  const r = record();
  const [b1, b2] = r.bindings as [BindingRecord['bindings'][0], BindingRecord['bindings'][0]];
  assert.equal(writeReason(null, { sequence: 1, bindings: [b1] }, BOUNDS), 'created');
  assert.equal(writeReason(null, { sequence: 1, bindings: [] }, BOUNDS), null);
  assert.equal(writeReason(r, { sequence: 11, bindings: [] }, BOUNDS), 'removed');
  assert.match(writeReason(r, { sequence: 11, bindings: [b1] }, BOUNDS) ?? '', /added or removed/);
  assert.match(writeReason(r, { sequence: 11, bindings: [b1, { ...b2, bid: 3 }] }, BOUNDS) ?? '', /BID 3 changed/);
  assert.match(writeReason(r, { sequence: 11, bindings: [b1, { ...b2, coa: ip6('2001:db8:c::1') }] }, BOUNDS) ?? '', /BID 2 changed/);
  assert.match(writeReason(r, { sequence: 11, bindings: [b1, { ...b2, flags: { ...b2.flags, k: true } }] }, BOUNDS) ?? '', /BID 2 changed/);
  assert.match(writeReason(r, { sequence: 11, bindings: [b1, { ...b2, mobileNetworkPrefixes: ['2001:db8:9::/64'] }] }, BOUNDS) ?? '', /BID 2 changed/);
  assert.match(writeReason(r, { sequence: 11, bindings: [b1, { ...b2, expiresAtWallMs: b2.expiresAtWallMs - 1 }] }, BOUNDS) ?? '', /shortened/);
  assert.equal(writeReason(r, refreshed(r, 1, 1), { ...BOUNDS, sequenceLag: 8 }), 'bounds changed');
  assert.equal(writeReason(r, refreshed(r, -1, 0), BOUNDS), 'sequence went back');
});

test('a reader holds a binding until stored expiry + the lag bound: never before the true expiry', () => {
  const r = record();
  const b = r.bindings[0]!;
  // The largest unwritten refresh moves the true expiry by at most the bound.
  const truth = refreshed(r, 1, BOUNDS.expiryLagMs);
  assert.equal(writeReason(r, truth, BOUNDS), null);
  assert.ok(holdUntilWallMs(r, b) >= truth.bindings[0]!.expiresAtWallMs);
});

test('record codec: round trip, and what a reader refuses', () => {
  const r = record();
  const d = decodeRecord(HOA, encodeRecord(r));
  assert.ok(d.ok);
  assert.deepEqual(d.record, r);
  const bad: [string, RegExp][] = [
    ['{', /not JSON/],
    [encodeRecord(r).replace('"v":1', '"v":2'), /record version 2/],
    [encodeRecord({ ...r, hoa: hoaOf(1) }), /under the key of/],
    [encodeRecord({ ...r, sequence: 70000 }), /sequence out of range/],
    [encodeRecord({ ...r, writer: '' }), /no writer/],
    [encodeRecord({ ...r, bindings: [r.bindings[0]!, r.bindings[0]!] }), /BID 1 twice/],
    [encodeRecord({ ...r, bindings: [{ ...r.bindings[0]!, coa: 'x' as never }] }), /not canonical/],
    [encodeRecord({ ...r, bindings: [{ ...r.bindings[0]!, hoa: hoaOf(2) }] }), /binding of .* in the record of/],
  ];
  for (const [text, want] of bad) {
    const x = decodeRecord(HOA, text);
    assert.ok(!x.ok && want.test(x.error), `${text}: ${JSON.stringify(x)}`);
  }
});

const FLOW_UDP = { fid: 1, priority: 10, action: 'forward' as const, bids: [1], selector: { destinationPortStart: 5004, nextHeaderStart: 17 } };
const FLOW_TCP = { fid: 2, priority: 20, action: 'forward' as const, bids: [2], selector: { destinationPortStart: 443, nextHeaderStart: 6 } };

test('RFC 6089 flows: any change of the list is written, the same list in another order is not; the codec reads them back', () => {
  const r = record({ flows: [FLOW_UDP, FLOW_TCP] });
  const same = { sequence: r.sequence, bindings: r.bindings };
  assert.equal(writeReason(r, { ...same, flows: [FLOW_TCP, FLOW_UDP] }, BOUNDS), null, 'same flows, another order');
  assert.equal(writeReason(r, { ...same, flows: [FLOW_UDP] }, BOUNDS), 'flows changed', 'a flow removed');
  assert.equal(writeReason(r, { ...same, flows: [FLOW_UDP, { ...FLOW_TCP, bids: [1] }] }, BOUNDS), 'flows changed', 'a flow moved to another BID');
  assert.equal(writeReason(r, { ...same, flows: [FLOW_UDP, { ...FLOW_TCP, selector: { destinationPortStart: 444, nextHeaderStart: 6 } }] }, BOUNDS), 'flows changed');
  assert.equal(writeReason(record(), { ...same, flows: [FLOW_UDP] }, BOUNDS), 'flows changed', 'the first flow');
  assert.equal(writeReason(record(), { ...same, flows: [] }, BOUNDS), null, 'no flows before or after');

  const d = decodeRecord(HOA, encodeRecord(r));
  assert.ok(d.ok);
  assert.deepEqual(d.record, r);
  assert.doesNotMatch(encodeRecord(record({ flows: [] })), /flows/, 'no flows: no field, as records were before');
  const bad: [string, RegExp][] = [
    [encodeRecord(record({ flows: [{ ...FLOW_UDP, action: 'drop' as never }] })), /neither forward nor discard/],
    [encodeRecord(record({ flows: [{ ...FLOW_UDP, selector: { bogus: 1 } }] })), /unknown field/],
    [encodeRecord(record({ flows: [FLOW_UDP, { ...FLOW_TCP, fid: 1 }] })), /FID twice/],
    [encodeRecord(record()).replace('"bindings"', '"flows":{},"bindings"'), /without a flow list/],
  ];
  for (const [text, want] of bad) {
    const x = decodeRecord(HOA, text);
    assert.ok(!x.ok && want.test(x.error), `${text}: ${JSON.stringify(x)}`);
  }
});

test('shares: a home address moving to another service address is written; the record codec keeps the address and refuses a bad one', () => {
  const r = record({ serviceAddress: ip6('2001:db8:1::a') });
  const same = { ...refreshed(r, 1, 1000), serviceAddress: ip6('2001:db8:1::a') };
  assert.equal(writeReason(r, same, BOUNDS), null, 'a refresh at the same service address stays unwritten');
  assert.equal(writeReason(r, { ...same, serviceAddress: ip6('2001:db8:1::b') }, BOUNDS), 'service address changed');
  assert.equal(writeReason(record(), same, BOUNDS), 'service address changed', 'a record written before shares gets the address at the next write');
  const d = decodeRecord(HOA, encodeRecord(r));
  assert.ok(d.ok);
  assert.equal(d.record.serviceAddress, '2001:db8:1::a');
  const old = decodeRecord(HOA, encodeRecord(record()));
  assert.ok(old.ok);
  assert.equal('serviceAddress' in old.record, false, 'a record without one decodes without one');
  for (const bad of ['2001:DB8:1::A', 'not an address', 7]) {
    const text = JSON.stringify({ ...JSON.parse(encodeRecord(r)), serviceAddress: bad });
    const x = decodeRecord(HOA, text);
    assert.equal(x.ok, false, JSON.stringify(bad));
    assert.match(x.ok ? '' : x.error, /service address .* is not a canonical IPv6 address/);
  }
});

// Ancillary data codecs (RFC 3542; RFC 6275 §6.3, §6.4): layouts the kernel expects, and one
// row per malformed shape, each a typed error and never a throw.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  decodeHopLimit,
  decodePktinfo,
  decodeReceivedAncillary,
  decodeRoutingHeader,
  encodeHomeAddressDstopts,
  encodePktinfo,
  encodeType2Rthdr,
  findHomeAddressOption,
  type AncillaryErrorCode,
  type AncillaryResult,
} from '../../../lib/net/ancillary.js';
import { formatIp6, mustParseIp6 } from '../../../lib/inet/ip6.js';

const HOA = mustParseIp6('2001:db8:aa::100');
const COA = mustParseIp6('2001:db8:1::10');
const IPPROTO_IPV6 = 41;
const [PKTINFO, HOPLIMIT, RTHDR, DSTOPTS] = [50, 52, 57, 59];

function fails<T>(r: AncillaryResult<T>, code: AncillaryErrorCode): void {
  assert.equal(r.ok, false, `expected ${code}, got ${JSON.stringify(r)}`);
  if (!r.ok) {
    assert.equal(r.error.code, code, r.error.message);
    assert.ok(r.error.message.length > 0);
  }
}

test('in6_pktinfo: 20 octets, address then ifindex in host order', () => {
  const b = encodePktinfo(HOA, 7);
  assert.equal(b.length, 20);
  assert.deepEqual(Array.from(b.subarray(16)), [7, 0, 0, 0]);
  const r = decodePktinfo(b);
  assert.ok(r.ok);
  assert.equal(formatIp6(r.value.address), '2001:db8:aa::100');
  assert.equal(r.value.ifindex, 7);
  assert.deepEqual(encodePktinfo(undefined, 3).subarray(0, 16), new Uint8Array(16), 'no address: :: lets the kernel choose');
  for (const n of [0, 16, 19, 21, 24]) fails(decodePktinfo(new Uint8Array(n)), 'ANC_BAD_LENGTH');
});

test('hop limit: an int of 4 octets', () => {
  const r = decodeHopLimit(Uint8Array.of(255, 0, 0, 0));
  assert.deepEqual(r, { ok: true, value: 255 });
  for (const n of [0, 1, 3, 8]) fails(decodeHopLimit(new Uint8Array(n)), 'ANC_BAD_LENGTH');
});

test('RFC 6275 §6.3: the Home Address option sits at 8n+6 in a 24-octet destination options header', () => {
  const b = encodeHomeAddressDstopts(HOA);
  assert.equal(b.length, 24);
  assert.equal(b[1], 2, 'Hdr Ext Len in 8-octet units after the first 8');
  assert.deepEqual(Array.from(b.subarray(2, 6)), [1, 2, 0, 0], 'PadN with two zero octets');
  assert.equal(b[6], 201);
  assert.equal(b[7], 16);
  assert.deepEqual(b.subarray(8), HOA);
  const r = findHomeAddressOption(b);
  assert.ok(r.ok && r.value);
  assert.equal(formatIp6(r.value), '2001:db8:aa::100');
});

test('destination options: Pad1, unknown options and no HAO', () => {
  assert.deepEqual(findHomeAddressOption(Uint8Array.of(59, 0, 0, 0, 0, 0, 0, 0)), { ok: true, value: undefined });
  // An unknown option (type 0x1e, 4 octets of data) is skipped by its length.
  assert.deepEqual(findHomeAddressOption(Uint8Array.of(59, 0, 0x1e, 4, 9, 9, 9, 9)), { ok: true, value: undefined });
  // HAO after a Pad1 and a PadN of 3: still found.
  const b = new Uint8Array(24);
  b.set([59, 2, 0, 1, 1, 0, 201, 16]);
  b.set(COA, 8);
  const r = findHomeAddressOption(b);
  assert.ok(r.ok && r.value);
  assert.equal(formatIp6(r.value), '2001:db8:1::10');
});

test('destination options: malformed shapes', () => {
  const rows: [string, number[], AncillaryErrorCode][] = [
    ['empty', [], 'ANC_TRUNCATED'],
    ['one octet', [59], 'ANC_TRUNCATED'],
    ['Hdr Ext Len past the data', [59, 1, 0, 0, 0, 0, 0, 0], 'ANC_TRUNCATED'],
    ['option length past the header', [59, 0, 1, 10, 0, 0, 0, 0], 'ANC_OPTION_OVERRUN'],
    ['option type in the last octet', [59, 0, 1, 3, 0, 0, 0, 0x1e], 'ANC_OPTION_OVERRUN'],
    ['HAO of length 8', [59, 1, 1, 2, 0, 0, 201, 8, ...new Array<number>(8).fill(0)], 'ANC_BAD_HAO_LENGTH'],
    ['HAO cut by the header end', [59, 1, 1, 0, 201, 16, ...new Array<number>(10).fill(0)], 'ANC_OPTION_OVERRUN'],
  ];
  for (const [name, bytes, code] of rows) {
    const r = findHomeAddressOption(Uint8Array.from(bytes));
    assert.equal(r.ok, false, name);
    if (!r.ok) assert.equal(r.error.code, code, name);
  }
  const dup = new Uint8Array(48);
  dup.set([59, 5, 1, 2, 0, 0, 201, 16]);
  dup.set(HOA, 8);
  dup.set([1, 4, 0, 0, 0, 0, 201, 16], 24);
  dup.set(COA, 32);
  fails(findHomeAddressOption(dup), 'ANC_DUPLICATE');
});

test('RFC 6275 §6.4: type 2 routing header, 24 octets, Segments Left 1', () => {
  const b = encodeType2Rthdr(COA);
  assert.deepEqual(Array.from(b.subarray(0, 8)), [0, 2, 2, 1, 0, 0, 0, 0]);
  const r = decodeRoutingHeader(b);
  assert.ok(r.ok);
  assert.equal(formatIp6(r.value.address!), '2001:db8:1::10');
  assert.deepEqual([r.value.routingType, r.value.segmentsLeft], [2, 1]);
  // Another routing type is reported without an address, not as an error.
  const srh = new Uint8Array(24);
  srh.set([59, 2, 4, 0]);
  assert.deepEqual(decodeRoutingHeader(srh), { ok: true, value: { routingType: 4, segmentsLeft: 0 } });
});

test('routing header: malformed shapes', () => {
  fails(decodeRoutingHeader(new Uint8Array(3)), 'ANC_TRUNCATED');
  fails(decodeRoutingHeader(encodeType2Rthdr(COA).subarray(0, 23)), 'ANC_TRUNCATED');
  const long = new Uint8Array(40);
  long.set([59, 4, 2, 1]);
  fails(decodeRoutingHeader(long), 'ANC_BAD_LENGTH');
  const short = new Uint8Array(8);
  short.set([59, 0, 2, 1]);
  fails(decodeRoutingHeader(short), 'ANC_BAD_LENGTH');
});

test('received control messages: combined, duplicates refused, other levels ignored', () => {
  const cm = (type: number, data: Uint8Array, level = IPPROTO_IPV6) => ({ level, type, data });
  const ok = decodeReceivedAncillary([
    cm(PKTINFO, encodePktinfo(HOA, 3)),
    cm(HOPLIMIT, Uint8Array.of(64, 0, 0, 0)),
    cm(DSTOPTS, encodeHomeAddressDstopts(COA)),
    cm(RTHDR, encodeType2Rthdr(COA)),
    cm(1, new Uint8Array(3), 0), // SOL_IP: not ours
    cm(99, new Uint8Array(1)), // an IPv6 type we do not read
  ]);
  assert.ok(ok.ok);
  assert.equal(ok.value.pktinfo?.ifindex, 3);
  assert.equal(ok.value.hopLimit, 64);
  assert.equal(formatIp6(ok.value.homeAddressOption!), '2001:db8:1::10');
  assert.equal(formatIp6(ok.value.routingHeader!.address!), '2001:db8:1::10');
  fails(decodeReceivedAncillary([cm(PKTINFO, encodePktinfo(HOA)), cm(PKTINFO, encodePktinfo(HOA))]), 'ANC_DUPLICATE');
  fails(decodeReceivedAncillary([cm(DSTOPTS, encodeHomeAddressDstopts(COA)), cm(DSTOPTS, encodeHomeAddressDstopts(HOA))]), 'ANC_DUPLICATE');
  fails(decodeReceivedAncillary([cm(RTHDR, encodeType2Rthdr(COA)), cm(RTHDR, encodeType2Rthdr(COA))]), 'ANC_DUPLICATE');
  fails(decodeReceivedAncillary([cm(PKTINFO, new Uint8Array(12))]), 'ANC_BAD_LENGTH');
  fails(decodeReceivedAncillary([cm(DSTOPTS, Uint8Array.of(59, 3))]), 'ANC_TRUNCATED');
  // A destination options header without a HAO next to one with it is fine.
  const plain = Uint8Array.of(59, 0, 1, 4, 0, 0, 0, 0);
  assert.ok(decodeReceivedAncillary([cm(DSTOPTS, plain), cm(DSTOPTS, encodeHomeAddressDstopts(COA))]).ok);
});

test('decoders never throw and never report an offset outside their input (random octets)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 0, max: 100 }), (b, type) => {
      for (const r of [decodePktinfo(b), decodeHopLimit(b), findHomeAddressOption(b), decodeRoutingHeader(b)]) {
        if (!r.ok) assert.ok(r.error.offset >= 0 && r.error.offset <= b.length);
      }
      decodeReceivedAncillary([{ level: IPPROTO_IPV6, type, data: b }]);
    }),
    { numRuns: 2000 },
  );
});

// Encoding an invalid value is a programmer error: a TypeError or RangeError naming it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DRAFT04_PROFILE as P } from '../../../lib/wire/profiles.js';
import { encodedLength, encodeMessage } from '../../../lib/wire/mh.js';
import type { MobilityMessage, MobilityOption } from '../../../lib/wire/types.js';
import { ba, bid, bu, bulkBu, ip, seq } from './fixtures.js';

const rows: { name: string; msg: () => MobilityMessage; error: typeof RangeError | typeof TypeError; match: RegExp }[] = [
  { name: 'BID 0', msg: () => bu([bid(0)]), error: RangeError, match: /BID: 0 is reserved/ },
  { name: 'BID above 65535', msg: () => bu([bid(65536)]), error: RangeError, match: /BID/ },
  { name: 'BID status 256', msg: () => bu([bid(1, undefined, { status: 256 })]), error: RangeError, match: /BID status/ },
  { name: 'BID C without address', msg: () => bu([{ ...bid(1), c: true }]), error: TypeError, match: /care-of address/ },
  { name: 'BID address without C', msg: () => bu([{ ...bid(1), coa: ip('::1') }]), error: TypeError, match: /C flag is clear/ },
  { name: 'BID address of 4 octets', msg: () => bu([{ ...bid(1, '::1'), coa: seq(4) }]), error: RangeError, match: /16 octets/ },
  {
    name: 'Binding Authorization Data not last',
    msg: () => bu([{ kind: 'bindingAuthData', authenticator: seq(12) }, bid(1)]),
    error: RangeError,
    match: /must be the last option/,
  },
  { name: 'authenticator of 16 octets', msg: () => bu([{ kind: 'bindingAuthData', authenticator: seq(16) }]), error: RangeError, match: /12 octets/ },
  { name: 'alternate CoA of 15 octets', msg: () => bu([{ kind: 'alternateCoa', address: seq(15) }]), error: RangeError, match: /16 octets/ },
  { name: 'prefix length 129', msg: () => bu([{ kind: 'mobileNetworkPrefix', prefixLength: 129, prefix: ip('::') }]), error: RangeError, match: /0\.\.128/ },
  { name: 'nonce index 1.5', msg: () => bu([{ kind: 'nonceIndices', homeNonceIndex: 1.5, careOfNonceIndex: 0 }]), error: TypeError, match: /integer/ },
  { name: 'negative refresh interval', msg: () => ba([{ kind: 'bindingRefreshAdvice', intervalSeconds: -4 }]), error: RangeError, match: /interval/ },
  { name: 'unknown option with a known type', msg: () => bu([{ kind: 'unknown', optionType: 35, data: seq(4) }]), error: RangeError, match: /known option type/ },
  { name: 'unknown option with 256 data octets', msg: () => bu([{ kind: 'unknown', optionType: 99, data: seq(256) }]), error: RangeError, match: /255/ },
  { name: 'unknown option kind', msg: () => bu([{ kind: 'nope' } as unknown as MobilityOption]), error: TypeError, match: /option kind/ },
  { name: 'sequence 65536', msg: () => bu([], { sequence: 65536 }), error: RangeError, match: /sequence/ },
  { name: 'negative lifetime', msg: () => bu([], { lifetimeSeconds: -1 }), error: RangeError, match: /lifetime/ },
  { name: 'NaN lifetime', msg: () => ba([], { lifetimeSeconds: NaN }), error: RangeError, match: /lifetime/ },
  { name: 'BA status 300', msg: () => ba([], { status: 300 }), error: RangeError, match: /status/ },
  { name: 'checksum 70000', msg: () => bu([], { checksum: 70000 }), error: RangeError, match: /checksum/ },
  { name: 'payload proto 6', msg: () => bu([], { payloadProto: 6 }), error: RangeError, match: /Payload Proto/ },
  { name: 'cookie of 7 octets', msg: () => ({ kind: 'hoti', payloadProto: 59, checksum: 0, cookie: seq(7), options: [] }), error: RangeError, match: /cookie/ },
  { name: 'BE home address missing', msg: () => ({ kind: 'be', payloadProto: 59, checksum: 0, status: 1, options: [] }) as unknown as MobilityMessage, error: TypeError, match: /home address/ },
  { name: 'unknown message with a known MH type', msg: () => ({ kind: 'unknown', payloadProto: 59, checksum: 0, mhType: 5, body: seq(2), options: [] }), error: RangeError, match: /known type/ },
  { name: 'unknown message body not 8n+2', msg: () => ({ kind: 'unknown', payloadProto: 59, checksum: 0, mhType: 9, body: seq(3), options: [] }), error: RangeError, match: /multiple of 8/ },
  { name: 'unknown message kind', msg: () => ({ kind: 'zz' }) as unknown as MobilityMessage, error: TypeError, match: /message kind/ },
  {
    name: 'message longer than 2048 octets',
    msg: () => bu(Array.from({ length: 100 }, (_, i) => bid(i + 1, '2001:db8::1'))),
    error: RangeError,
    match: /2048/,
  },
];

for (const row of rows) {
  test(`encode throws ${row.error.name} for ${row.name}`, () => {
    assert.throws(() => encodeMessage(row.msg(), P), (e: unknown) => e instanceof row.error && row.match.test((e as Error).message));
  });
}

test('encodedLength validates like encodeMessage', () => {
  assert.throws(() => encodedLength(bu([{ kind: 'bindingAuthData', authenticator: seq(12) }, bid(1)]), P), RangeError);
});

test('encode into a buffer too small, or at a bad offset, throws RangeError', () => {
  const msg = bulkBu();
  assert.throws(() => encodeMessage(msg, P, new Uint8Array(87)), RangeError);
  assert.throws(() => encodeMessage(msg, P, new Uint8Array(100), 13), RangeError);
  assert.throws(() => encodeMessage(msg, P, new Uint8Array(100), -1), RangeError);
  assert.equal(encodeMessage(msg, P, new Uint8Array(100), 12).length, 88);
});

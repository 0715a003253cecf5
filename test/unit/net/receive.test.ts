// What the sockets do with a received datagram: deliver it with the addresses as the kernel
// gave them, or drop it with a reason. Malformed control data must drop, never throw.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { encodeHomeAddressDstopts, encodePktinfo, encodeType2Rthdr } from '../../../lib/net/ancillary.js';
import { encodeNd } from '../../../lib/net/nd-codec.js';
import { readMhDatagram, readNdDatagram, type RawDatagram } from '../../../lib/net/receive.js';
import { encodeCmsgs, type Cmsg } from '../../../lib/platform/sys/msghdr.js';
import { encodeSockaddrIn6, MSG_CTRUNC } from '../../../lib/platform/sys/socket.js';
import { writeMhChecksum } from '../../../lib/wire/checksum.js';
import { DRAFT04_PROFILE, encodeMessage } from '../../../lib/wire/index.js';
import { mustParseIp6 } from '../../../lib/inet/ip6.js';

const HA = mustParseIp6('2001:db8:aa::1');
const HOA = mustParseIp6('2001:db8:aa::100');
const COA = mustParseIp6('2001:db8:1::10');
const cm = (type: number, data: Uint8Array): Cmsg => ({ level: 41, type, data });
const pktinfo = (dst: Uint8Array, ifindex = 2): Cmsg => cm(50, encodePktinfo(dst, ifindex));
const hopLimit = (n: number): Cmsg => cm(52, Uint8Array.of(n, 0, 0, 0));

function bu(): Uint8Array {
  return encodeMessage(
    {
      kind: 'bu',
      payloadProto: 59,
      checksum: 0,
      options: [],
      sequence: 1,
      flags: { a: true, h: true, l: false, k: false, m: false, r: false, p: false },
      lifetimeSeconds: 60,
    },
    DRAFT04_PROFILE,
  );
}

function datagram(data: Uint8Array, src: Uint8Array, cmsgs: Cmsg[], flags = 0): RawDatagram {
  return { data, name: encodeSockaddrIn6({ address: src, port: 0 }), control: encodeCmsgs(cmsgs), flags };
}

test('MH: HAO delivery (home agent side) reports src = home address, HAO = care-of address', () => {
  const data = bu();
  writeMhChecksum(data, HOA, HA);
  const r = readMhDatagram(datagram(data, HOA, [pktinfo(HA), hopLimit(64), cm(59, encodeHomeAddressDstopts(COA))]), true);
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(
    { ...r.value, data: undefined },
    { data: undefined, src: '2001:db8:aa::100', dst: '2001:db8:aa::1', ifindex: 2, homeAddressOption: '2001:db8:1::10', hopLimit: 64 },
  );
  assert.deepEqual(r.value.data, data);
  assert.notEqual(r.value.data.buffer, data.buffer, 'a copy, not a view of the receive buffer');
});

test('MH: routing header delivery (mobile node side) reports dst = home address, RH = care-of address', () => {
  const r = readMhDatagram(datagram(bu(), HA, [pktinfo(HOA, 5), cm(57, encodeType2Rthdr(COA))]), false);
  assert.ok(r.ok);
  assert.equal(r.value.dst, '2001:db8:aa::100');
  assert.equal(r.value.routingHeader, '2001:db8:1::10');
  assert.equal(r.value.homeAddressOption, undefined);
  assert.equal(r.value.hopLimit, undefined);
});

test('MH, user checksums (RFC 6275 §6.1.1): verified over the delivered addresses', () => {
  const data = bu();
  writeMhChecksum(data, HA, HOA);
  assert.ok(readMhDatagram(datagram(data, HA, [pktinfo(HOA)]), true).ok);
  // The same octets computed over the care-of address fail.
  const wrong = bu();
  writeMhChecksum(wrong, HA, COA);
  const r = readMhDatagram(datagram(wrong, HA, [pktinfo(HOA)]), true);
  assert.ok(!r.ok && r.error.reason === 'checksum' && r.error.code === 'BAD_CHECKSUM');
  assert.ok(readMhDatagram(datagram(wrong, HA, [pktinfo(HOA)]), false).ok, 'kernel mode: the kernel verified it');
});

test('MH: drops for malformed or missing ancillary data, one row per shape', () => {
  const good = encodeCmsgs([pktinfo(HA), cm(59, encodeHomeAddressDstopts(COA))]);
  const badLen = Uint8Array.from(good);
  new DataView(badLen.buffer).setBigUint64(0, 9999n, true);
  const name = encodeSockaddrIn6({ address: HOA, port: 0 });
  const rows: [string, RawDatagram, string, string][] = [
    ['MSG_CTRUNC', { data: bu(), name, control: good, flags: MSG_CTRUNC }, 'ancillary', 'MSG_CTRUNC'],
    ['control cut inside the second header', { data: bu(), name, control: good.subarray(0, 48), flags: 0 }, 'ancillary', 'CMSG_TRUNCATED'],
    ['control cut inside the second data', { data: bu(), name, control: good.subarray(0, 60), flags: 0 }, 'ancillary', 'CMSG_BAD_LENGTH'],
    ['control of 5 octets', { data: bu(), name, control: good.subarray(0, 5), flags: 0 }, 'ancillary', 'CMSG_TRUNCATED'],
    ['cmsg_len past the buffer', { data: bu(), name, control: badLen, flags: 0 }, 'ancillary', 'CMSG_BAD_LENGTH'],
    ['no IPV6_PKTINFO', datagram(bu(), HOA, [cm(59, encodeHomeAddressDstopts(COA))]), 'ancillary', 'NO_PKTINFO'],
    ['short in6_pktinfo', datagram(bu(), HOA, [cm(50, new Uint8Array(16))]), 'ancillary', 'ANC_BAD_LENGTH'],
    ['HAO header cut short', datagram(bu(), HOA, [pktinfo(HA), cm(59, encodeHomeAddressDstopts(COA).subarray(0, 20))]), 'ancillary', 'ANC_TRUNCATED'],
    ['two routing headers', datagram(bu(), HOA, [pktinfo(HA), cm(57, encodeType2Rthdr(COA)), cm(57, encodeType2Rthdr(COA))]), 'ancillary', 'ANC_DUPLICATE'],
    ['no source address', { data: bu(), name: new Uint8Array(0), control: encodeCmsgs([pktinfo(HA)]), flags: 0 }, 'address', 'BAD_SOCKADDR'],
  ];
  for (const [label, d, reason, code] of rows) {
    const r = readMhDatagram(d, false);
    assert.equal(r.ok, false, label);
    if (!r.ok) assert.deepEqual([r.error.reason, r.error.code], [reason, code], `${label}: ${r.error.message}`);
  }
});

test('ND: hop limit 255 required (RFC 4861 §7.1), message checks, missing hop limit', () => {
  const na = encodeNd({ kind: 'na', target: HOA, router: true, solicited: false, override: true });
  const ll = mustParseIp6('fe80::1');
  const ok = readNdDatagram(datagram(na, ll, [pktinfo(mustParseIp6('ff02::1'), 4), hopLimit(255)]));
  assert.ok(ok.ok);
  assert.deepEqual([ok.value.src, ok.value.dst, ok.value.ifindex, ok.value.message.kind], ['fe80::1', 'ff02::1', 4, 'na']);
  const rows: [string, RawDatagram, string][] = [
    ['hop limit 64 (forwarded from off-link)', datagram(na, ll, [pktinfo(HA), hopLimit(64)]), 'ND_BAD_HOP_LIMIT'],
    ['no hop limit', datagram(na, ll, [pktinfo(HA)]), 'NO_HOPLIMIT'],
    ['truncated NA', datagram(na.subarray(0, 20), ll, [pktinfo(HA), hopLimit(255)]), 'ND_TRUNCATED'],
    ['bad hop limit cmsg', datagram(na, ll, [pktinfo(HA), cm(52, new Uint8Array(2))]), 'ANC_BAD_LENGTH'],
  ];
  for (const [label, d, code] of rows) {
    const r = readNdDatagram(d);
    assert.ok(!r.ok && r.error.code === code, `${label}: ${JSON.stringify(r)}`);
  }
});

test('random control data and names never throw', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 96 }), fc.uint8Array({ maxLength: 32 }), fc.integer({ min: 0, max: 0xff }), (control, name, flags) => {
      readMhDatagram({ data: bu(), name, control, flags }, true);
      readNdDatagram({ data: control, name, control, flags });
    }),
    { numRuns: 2000 },
  );
});

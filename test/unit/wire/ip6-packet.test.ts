// Finding the MH inside captured IPv6 packets (RFC 8200 §4, RFC 6275 §6.3, §6.4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildIp6Packet,
  homeAddressHeader,
  IPPROTO_AH,
  IPPROTO_ESP,
  IPPROTO_FRAGMENT,
  IPPROTO_HOPOPTS,
  IPPROTO_IPV6,
  type2RoutingHeader,
  walkIp6,
} from '../../../lib/wire/ip6-packet.js';
import { encodeMessage } from '../../../lib/wire/mh.js';
import { DRAFT04_PROFILE as P } from '../../../lib/wire/profiles.js';
import { IPPROTO_MH } from '../../../lib/wire/types.js';
import { ba, bulkBu, bytes, ip } from './fixtures.js';

const coa = ip('2001:db8:1::2');
const ha = ip('2001:db8::1');
const hoa = ip('2001:db8::100');
const mh = encodeMessage(bulkBu(), P);

function fragmentHeader(offset8: number, more: boolean): { type: number; bytes: Uint8Array } {
  const v = (offset8 << 3) | (more ? 1 : 0);
  return { type: IPPROTO_FRAGMENT, bytes: bytes(0, 0, v >> 8, v & 0xff, 0, 0, 0, 1) };
}

test('BU with a Home Address option: HAO found, MH is exactly the payload', () => {
  const w = walkIp6(buildIp6Packet({ src: coa, dst: ha, headers: [homeAddressHeader(hoa)], nextHeader: IPPROTO_MH, payload: mh }));
  assert.ok(w);
  assert.deepEqual(w.src, coa);
  assert.deepEqual(w.homeAddress, hoa);
  assert.equal(w.upper.kind, 'mh');
  assert.deepEqual(w.upper.kind === 'mh' && w.upper.mh, mh);
  assert.equal(w.truncated, false);
});

test('BA with a type 2 routing header: address and Segments Left found', () => {
  const back = encodeMessage(ba([]), P);
  const w = walkIp6(buildIp6Packet({ src: ha, dst: coa, headers: [type2RoutingHeader(hoa)], nextHeader: IPPROTO_MH, payload: back }));
  assert.deepEqual(w?.routingAddress, hoa);
  assert.equal(w?.routingSegmentsLeft, 1);
  assert.equal(w?.upper.kind, 'mh');
});

test('hop-by-hop, AH and an atomic fragment are walked through', () => {
  const hbh = { type: IPPROTO_HOPOPTS, bytes: bytes(0, 0, 1, 4, 0, 0, 0, 0) };
  const ah = { type: IPPROTO_AH, bytes: new Uint8Array(24).fill(0).map((_, i) => (i === 1 ? 4 : 0)) }; // (4+2)*4 = 24
  const w = walkIp6(buildIp6Packet({ src: coa, dst: ha, headers: [hbh, fragmentHeader(0, false), ah], nextHeader: IPPROTO_MH, payload: mh }));
  assert.equal(w?.upper.kind, 'mh');
  assert.deepEqual(w?.upper.kind === 'mh' && w.upper.mh, mh);
});

test('fragments are not reassembled: first and later fragments are reported as such', () => {
  const first = walkIp6(buildIp6Packet({ src: coa, dst: ha, headers: [fragmentHeader(0, true)], nextHeader: IPPROTO_MH, payload: mh.subarray(0, 48) }));
  assert.deepEqual(first?.upper, { kind: 'fragment', first: true, nextHeader: IPPROTO_MH });
  const later = walkIp6(buildIp6Packet({ src: coa, dst: ha, headers: [fragmentHeader(6, false)], nextHeader: IPPROTO_MH, payload: mh.subarray(48) }));
  assert.deepEqual(later?.upper, { kind: 'fragment', first: false, nextHeader: IPPROTO_MH });
});

test('ESP stops the walk as encrypted', () => {
  const w = walkIp6(buildIp6Packet({ src: coa, dst: ha, nextHeader: IPPROTO_ESP, payload: new Uint8Array(40) }));
  assert.deepEqual(w?.upper, { kind: 'encrypted' });
});

test('IPv6-in-IPv6: the inner packet is walked, outer addresses listed as tunnels', () => {
  const inner = buildIp6Packet({ src: coa, dst: ha, headers: [homeAddressHeader(hoa)], nextHeader: IPPROTO_MH, payload: mh });
  const outer = buildIp6Packet({ src: ip('2001:db8:f::1'), dst: ip('2001:db8:f::2'), nextHeader: IPPROTO_IPV6, payload: inner });
  const w = walkIp6(outer);
  assert.deepEqual(w?.src, coa);
  assert.deepEqual(w?.homeAddress, hoa);
  assert.deepEqual(w?.tunnels, [{ src: ip('2001:db8:f::1'), dst: ip('2001:db8:f::2') }]);
  assert.deepEqual(w?.upper.kind === 'mh' && w.upper.mh, mh);
});

test('malformed and truncated packets are reported, never read past', () => {
  assert.equal(walkIp6(new Uint8Array(39).fill(0x60)), null, 'shorter than an IPv6 header');
  assert.equal(walkIp6(new Uint8Array(60).fill(0x45)), null, 'IPv4');
  const pkt = buildIp6Packet({ src: coa, dst: ha, headers: [homeAddressHeader(hoa)], nextHeader: IPPROTO_MH, payload: mh });
  const cut = walkIp6(pkt.subarray(0, 60));
  assert.equal(cut?.truncated, true);
  assert.equal(cut?.upper.kind, 'malformed', 'destination options header cut short');
  const cutMh = walkIp6(pkt.subarray(0, 100));
  assert.equal(cutMh?.truncated, true);
  assert.equal(cutMh?.upper.kind === 'mh' && cutMh.upper.mh.length, 100 - 64);
  const longExt = Uint8Array.from(pkt);
  longExt[41] = 200; // Hdr Ext Len far beyond the packet
  assert.equal(walkIp6(longExt)?.upper.kind, 'malformed');
  const notInner = buildIp6Packet({ src: coa, dst: ha, nextHeader: IPPROTO_IPV6, payload: new Uint8Array(50) });
  assert.equal(walkIp6(notInner)?.upper.kind, 'malformed');
  // Every prefix of a valid packet walks without throwing.
  for (let n = 0; n <= pkt.length; n++) walkIp6(pkt.subarray(0, n));
});

test('nested tunnels beyond the depth limit are reported as malformed', () => {
  let pkt = buildIp6Packet({ src: coa, dst: ha, nextHeader: IPPROTO_MH, payload: mh });
  for (let i = 0; i < 12; i++) pkt = buildIp6Packet({ src: coa, dst: ha, nextHeader: IPPROTO_IPV6, payload: pkt });
  assert.equal(walkIp6(pkt)?.upper.kind, 'malformed');
});

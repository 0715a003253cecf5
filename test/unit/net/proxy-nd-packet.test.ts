// A Neighbour Solicitation as the proxy ND packet socket receives it (net/proxy-nd-packet.ts):
// sockaddr_ll and the IPv6 packet, nothing trusted, one test per malformed shape.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeSockaddrLl, ETH_P_IPV6 } from '../../../lib/net/link-frame.js';
import { dadProbePacket, encodeNd, parseMac } from '../../../lib/net/nd-codec.js';
import { PACKET_MULTICAST, readSolicitation, type NsDropCode } from '../../../lib/net/proxy-nd-packet.js';
import { buildIp6Packet } from '../../../lib/wire/ip6-packet.js';
import { ip6UpperLayerChecksum } from '../../../lib/wire/checksum.js';
import { formatIp6, mustParseIp6 } from '../../../lib/inet/ip6.js';

const SRC = mustParseIp6('2001:db8:aa::2');
const TARGET = mustParseIp6('2001:db8:aa::1:2345');
const GROUP = mustParseIp6('ff02::1:ff01:2345');
const MAC = parseMac('02:00:5e:10:00:02');

function name(pktType: number, ifindex = 7): Uint8Array {
  const n = encodeSockaddrLl(ifindex, ETH_P_IPV6, MAC);
  n[10] = pktType;
  return n;
}

/** An NS from SRC to GROUP with a correct checksum; `tweak` changes the ICMPv6 octets first. */
function nsPacket(tweak: (icmp: Uint8Array) => void = () => undefined, hopLimit = 255): Uint8Array {
  const icmp = encodeNd({ kind: 'ns', target: TARGET, sourceLinkLayer: MAC });
  tweak(icmp);
  const sum = ip6UpperLayerChecksum(SRC, GROUP, 58, icmp, 2);
  icmp[2] = sum >>> 8;
  icmp[3] = sum & 0xff;
  return buildIp6Packet({ src: SRC, dst: GROUP, nextHeader: 58, payload: icmp, hopLimit });
}

test('an NS to the solicited-node group: addresses, hop limit, interface, packet type, options', () => {
  const r = readSolicitation(nsPacket(), name(PACKET_MULTICAST));
  assert.ok(r.ok);
  assert.equal(r.value.ifindex, 7);
  assert.equal(r.value.pktType, PACKET_MULTICAST);
  assert.equal(r.value.src, '2001:db8:aa::2');
  assert.equal(r.value.dst, 'ff02::1:ff01:2345');
  assert.equal(r.value.hopLimit, 255);
  assert.equal(formatIp6(r.value.ns.target), '2001:db8:aa::1:2345');
  assert.deepEqual(r.value.ns.sourceLinkLayer, MAC);
});

test('a DAD probe (source ::, nonce) and Ethernet padding after the payload', () => {
  const probe = dadProbePacket(TARGET, Uint8Array.of(1, 2, 3, 4, 5, 6));
  const padded = new Uint8Array(probe.length + 10);
  padded.set(probe);
  const r = readSolicitation(padded, name(PACKET_MULTICAST));
  assert.ok(r.ok);
  assert.equal(r.value.src, '::');
  assert.equal(r.value.ns.sourceLinkLayer, undefined);
});

const bad: [string, () => [Uint8Array, Uint8Array], NsDropCode][] = [
  ['sockaddr_ll cut short', () => [nsPacket(), new Uint8Array(8)], 'LL_ADDRESS'],
  ['fewer octets than an IPv6 header', () => [nsPacket().subarray(0, 39), name(PACKET_MULTICAST)], 'IP6_TRUNCATED'],
  ['payload length past the octets received', () => [nsPacket().subarray(0, 60), name(PACKET_MULTICAST)], 'IP6_TRUNCATED'],
  ['IP version 4', () => { const p = nsPacket(); p[0] = 0x45; return [p, name(PACKET_MULTICAST)]; }, 'IP6_VERSION'],
  ['not ICMPv6 (an extension header first)', () => { const p = nsPacket(); p[6] = 0; return [p, name(PACKET_MULTICAST)]; }, 'NOT_ICMPV6'],
  ['checksum wrong', () => { const p = nsPacket(); p[p.length - 1]! ^= 0xff; return [p, name(PACKET_MULTICAST)]; }, 'CHECKSUM'],
  ['an NA', () => [nsPacket((i) => { i[0] = 136; }), name(PACKET_MULTICAST)], 'NOT_NS'],
  ['code not 0', () => [nsPacket((i) => { i[1] = 1; }), name(PACKET_MULTICAST)], 'ND_INVALID'],
  ['an option of length 0', () => [nsPacket((i) => { i[25] = 0; }), name(PACKET_MULTICAST)], 'ND_INVALID'],
  ['a multicast target', () => [nsPacket((i) => { i[8] = 0xff; }), name(PACKET_MULTICAST)], 'ND_INVALID'],
];

for (const [what, make, code] of bad) {
  test(`dropped: ${what} (${code})`, () => {
    const [packet, ll] = make();
    const r = readSolicitation(packet, ll);
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.code, code);
  });
}

// Reading classic pcap files in both byte orders and timestamp resolutions, and finding
// the IPv6 packet behind each supported link type.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_RAW,
  readPcap,
  writePcap,
} from '../../../lib/cli/decode/pcap.js';
import { ip6Payload } from '../../../lib/cli/decode/link-layer.js';
import { parseHex, toHex } from '../../../lib/cli/decode/hex.js';
import { frameFor, pcapVariant, samplePacket } from './capture.js';

test('pcap: little-endian microsecond file written by writePcap reads back', () => {
  const pkts = [samplePacket(), Uint8Array.of(1, 2, 3)];
  const r = readPcap(writePcap(LINKTYPE_RAW, pkts));
  assert.ok(r.ok);
  assert.equal(r.value.linkType, LINKTYPE_RAW);
  assert.equal(r.value.nanosecond, false);
  assert.deepEqual(r.value.records.map((x) => x.data), pkts);
  assert.deepEqual(r.value.records.map((x) => x.frame), [1, 2]);
  assert.equal(r.value.records[1]!.seconds, 1_700_000_001);
});

for (const bigEndian of [false, true]) {
  for (const nano of [false, true]) {
    test(`pcap: ${bigEndian ? 'big' : 'little'}-endian, ${nano ? 'nano' : 'micro'}second timestamps`, () => {
      const file = pcapVariant(writePcap(LINKTYPE_ETHERNET, [frameFor(LINKTYPE_ETHERNET, samplePacket())]), { bigEndian, nano, fraction: 123 });
      const r = readPcap(file);
      assert.ok(r.ok, r.ok ? '' : r.error);
      assert.equal(r.value.linkType, LINKTYPE_ETHERNET);
      assert.equal(r.value.nanosecond, nano);
      assert.equal(r.value.records[0]!.nanoseconds, nano ? 123 : 123_000);
      assert.deepEqual(r.value.records[0]!.data, frameFor(LINKTYPE_ETHERNET, samplePacket()));
    });
  }
}

test('pcap: not a pcap, pcapng, short files and cut records', () => {
  const short = readPcap(new Uint8Array(10));
  assert.equal(short.ok, false);
  const junk = readPcap(new TextEncoder().encode('this is certainly not a capture file'));
  assert.ok(!junk.ok && /not a pcap file/.test(junk.error));
  const ng = readPcap(Uint8Array.of(0x0a, 0x0d, 0x0d, 0x0a, ...new Array<number>(40).fill(0)));
  assert.ok(!ng.ok && /pcapng/.test(ng.error) && /editcap/.test(ng.error));
  const file = writePcap(LINKTYPE_RAW, [samplePacket(), samplePacket()]);
  const cut = readPcap(file.subarray(0, file.length - 5));
  assert.ok(cut.ok);
  assert.equal(cut.value.records.length, 1);
  assert.match(cut.value.trailingGarbage ?? '', /record 2 runs past the end/);
  const cutHeader = readPcap(file.subarray(0, 24 + 16 + samplePacket().length + 7));
  assert.ok(cutHeader.ok && /record header 2/.test(cutHeader.value.trailingGarbage ?? ''));
});

test('link layers: the IPv6 packet is found behind every supported link type', () => {
  const pkt = samplePacket();
  for (const lt of [LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_LINUX_SLL, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL2]) {
    assert.deepEqual(ip6Payload(lt, frameFor(lt, pkt)), pkt, `link type ${lt}`);
  }
  // 802.1Q tagged Ethernet
  const tagged = Uint8Array.from([...new Array<number>(12).fill(2), 0x81, 0x00, 0x00, 0x05, 0x86, 0xdd, ...pkt]);
  assert.deepEqual(ip6Payload(LINKTYPE_ETHERNET, tagged), pkt);
  // IPv4 and truncated frames give null
  assert.equal(ip6Payload(LINKTYPE_ETHERNET, Uint8Array.from([...new Array<number>(12).fill(2), 0x08, 0x00, 0x45])), null);
  assert.equal(ip6Payload(LINKTYPE_LINUX_SLL, new Uint8Array(10)), null);
  assert.equal(ip6Payload(LINKTYPE_RAW, Uint8Array.of(0x45, 0)), null);
  assert.equal(ip6Payload(9999, pkt), null);
});

test('hex: separators tolerated, errors named', () => {
  assert.deepEqual(parseHex('3b:0a 05-00\n0x'.replace('0x', '')), { ok: true, value: Uint8Array.of(0x3b, 0x0a, 0x05, 0x00) });
  assert.deepEqual(parseHex('0x3B0A'), { ok: true, value: Uint8Array.of(0x3b, 0x0a) });
  assert.deepEqual(parseHex('3b0'), { ok: false, error: 'odd number of hex digits (3)' });
  assert.deepEqual(parseHex('3g'), { ok: false, error: 'not a hex digit: "g"' });
  assert.deepEqual(parseHex('  '), { ok: false, error: 'no hex digits given' });
  assert.equal(toHex(Uint8Array.of(0, 255, 16)), '00ff10');
});

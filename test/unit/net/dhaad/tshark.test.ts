// Cross-check with Wireshark's ICMPv6 dissector: DHAAD Requests and Replies and Router
// Advertisements with the H bit, R bits and Home Agent Information options are encoded, given
// a correct checksum, wrapped in IPv6 in a pcap file and read back with `tshark -T fields`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { encodeDhaad, type DhaadMessage } from '../../../../lib/net/dhaad/dhaad-codec.js';
import { encodeRa, type RouterAdvertisement } from '../../../../lib/net/dhaad/ra-codec.js';
import { ip6UpperLayerChecksum } from '../../../../lib/wire/checksum.js';
import { buildIp6Packet } from '../../../../lib/wire/ip6-packet.js';
import { formatIp6, mustParseIp6 } from '../../../../lib/inet/ip6.js';
import { LINKTYPE_RAW, writePcap } from '../../../../lib/cli/decode/pcap.js';
import { flagOf, tsharkAvailable, tsharkFields } from '../../wire/tshark-run.js';
import { dhaadArb, raArb } from './arbitraries.js';

const SRC = mustParseIp6('fe80::1');
const DST = mustParseIp6('2001:db8:1::fdff:ffff:ffff:fffe');
const ICMPV6 = 58;

function packet(icmp: Uint8Array): Uint8Array {
  const c = ip6UpperLayerChecksum(SRC, DST, ICMPV6, icmp, 2);
  icmp[2] = c >> 8;
  icmp[3] = c & 0xff;
  return buildIp6Packet({ src: SRC, dst: DST, nextHeader: ICMPV6, payload: icmp, hopLimit: 255 });
}

function withTshark(t: { skip(msg: string): void }, packets: Uint8Array[], fields: string[]): Map<string, string[]>[] | null {
  if (!tsharkAvailable(t)) return null;
  const dir = mkdtempSync(join(tmpdir(), 'mcoa-tshark-dhaad-'));
  try {
    const file = join(dir, 'icmp.pcap');
    writeFileSync(file, writePcap(LINKTYPE_RAW, packets));
    return tsharkFields(file, fields);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('tshark decodes our DHAAD Requests and Replies as we encoded them', (t) => {
  const messages: DhaadMessage[] = fc.sample(dhaadArb, { numRuns: 40, seed: 6275 });
  const rows = withTshark(t, messages.map((m) => packet(encodeDhaad(m))), ['icmpv6.type', 'icmpv6.code', 'icmpv6.checksum.status', 'icmpv6.mip6.identifier', 'icmpv6.mip6.home_agent_address']);
  if (!rows) return;
  assert.equal(rows.length, messages.length);
  rows.forEach((row, i) => {
    const m = messages[i]!;
    const label = `frame ${i + 1} (${m.kind})`;
    assert.deepEqual(row.get('icmpv6.type'), [m.kind === 'dhaadRequest' ? '144' : '145'], label);
    assert.deepEqual(row.get('icmpv6.checksum.status'), ['1'], `${label}: checksum good`);
    assert.equal(Number(row.get('icmpv6.mip6.identifier')?.[0]), m.identifier, label);
    const addrs = m.kind === 'dhaadReply' ? m.homeAgents.map((a) => formatIp6(a)) : [];
    assert.deepEqual(row.get('icmpv6.mip6.home_agent_address')?.map((a) => formatIp6(mustParseIp6(a))), addrs, label);
  });
});

test('tshark decodes our Router Advertisements: H bit, R bits, Home Agent Information', (t) => {
  const ras: RouterAdvertisement[] = fc.sample(raArb, { numRuns: 40, seed: 4861 });
  const fields = [
    'icmpv6.type', 'icmpv6.checksum.status', 'icmpv6.nd.ra.flag.h', 'icmpv6.nd.ra.flag.m', 'icmpv6.nd.ra.router_lifetime',
    'icmpv6.opt.prefix.flag.r', 'icmpv6.opt.prefix', 'icmpv6.opt.home_agent_preference', 'icmpv6.opt.home_agent_lifetime',
  ];
  const rows = withTshark(t, ras.map((ra) => packet(encodeRa(ra))), fields);
  if (!rows) return;
  assert.equal(rows.length, ras.length);
  rows.forEach((row, i) => {
    const ra = ras[i]!;
    const label = `frame ${i + 1}`;
    assert.deepEqual(row.get('icmpv6.type'), ['134'], label);
    assert.deepEqual(row.get('icmpv6.checksum.status'), ['1'], label);
    assert.equal(flagOf(row.get('icmpv6.nd.ra.flag.h')?.[0]), ra.homeAgent, `${label} H`);
    assert.equal(flagOf(row.get('icmpv6.nd.ra.flag.m')?.[0]), ra.managed, `${label} M`);
    assert.deepEqual(row.get('icmpv6.nd.ra.router_lifetime'), [String(ra.routerLifetime)], label);
    const pis = ra.options.flatMap((o) => (o.kind === 'prefixInformation' ? [o] : []));
    const hais = ra.options.flatMap((o) => (o.kind === 'homeAgentInformation' ? [o] : []));
    assert.deepEqual(row.get('icmpv6.opt.prefix.flag.r')?.map(flagOf) ?? [], pis.map((p) => p.routerAddress), `${label} R`);
    assert.deepEqual(row.get('icmpv6.opt.prefix')?.map((a) => formatIp6(mustParseIp6(a))) ?? [], pis.map((p) => formatIp6(p.prefix)), label);
    // tshark shows the preference unsigned; RFC 6275 §7.4 makes it a signed 16-bit integer.
    assert.deepEqual(row.get('icmpv6.opt.home_agent_preference')?.map(Number) ?? [], hais.map((h) => h.preference & 0xffff), `${label} preference`);
    assert.deepEqual(row.get('icmpv6.opt.home_agent_lifetime')?.map(Number) ?? [], hais.map((h) => h.lifetime), `${label} lifetime`);
  });
});

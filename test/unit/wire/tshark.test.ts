// Cross-check with Wireshark's dissector: BUs and BAs carrying BID sub-options are encoded,
// wrapped in IPv6 (with the Home Address option or a type 2 routing header, correct
// checksum) in pcap files, and read back with `tshark -T fields`. tshark dissects option 35
// by RFC 5648's layout, which shares draft-04's Type, Length, BID, Status, the 0x80 flag bit
// (RFC 5648's H, draft-04's C) and the IPv6 care-of address position; those are compared.
// tshark shows lifetimes in 4-second units. Without tshark this fails when CI is set
// (apt-get install tshark) and is skipped otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { DRAFT04_PROFILE as P } from '../../../lib/wire/profiles.js';
import { encodeMessage } from '../../../lib/wire/mh.js';
import { ip6UpperLayerChecksum, writeMhChecksum } from '../../../lib/wire/checksum.js';
import { buildIp6Packet, homeAddressHeader, type2RoutingHeader } from '../../../lib/wire/ip6-packet.js';
import { formatIp6 } from '../../../lib/inet/ip6.js';
import { LINKTYPE_ETHERNET, LINKTYPE_RAW, writePcap } from '../../../lib/cli/decode/pcap.js';
import { IPPROTO_MH, type BidOption, type BindingAck, type BindingUpdate } from '../../../lib/wire/types.js';
import { ip } from './fixtures.js';
import { ethernet, flagOf, tsharkAvailable, tsharkFields } from './tshark-run.js';

const coa = fc.uint8Array({ minLength: 16, maxLength: 16 });
const bidOption: fc.Arbitrary<BidOption> = fc.oneof(
  fc.record({ kind: fc.constant('bid' as const), bid: fc.integer({ min: 1, max: 0xffff }), status: fc.integer({ min: 0, max: 255 }), c: fc.constant(false), o: fc.boolean(), h: fc.boolean() }, { noNullPrototype: true }),
  fc.record({ kind: fc.constant('bid' as const), bid: fc.integer({ min: 1, max: 0xffff }), status: fc.integer({ min: 0, max: 255 }), c: fc.constant(true), o: fc.boolean(), h: fc.boolean(), coa }, { noNullPrototype: true }),
);
const common = { payloadProto: fc.constant(59), checksum: fc.constant(0), options: fc.array(bidOption, { maxLength: 4 }) };
const lifetime = fc.integer({ min: 0, max: 0xffff }).map((u) => u * 4);
const buArb: fc.Arbitrary<BindingUpdate> = fc.record(
  {
    kind: fc.constant('bu' as const),
    ...common,
    sequence: fc.integer({ min: 0, max: 0xffff }),
    flags: fc.record({ a: fc.boolean(), h: fc.boolean(), l: fc.boolean(), k: fc.boolean(), m: fc.boolean(), r: fc.boolean(), p: fc.boolean() }),
    lifetimeSeconds: lifetime,
  },
  { noNullPrototype: true },
);
const baArb: fc.Arbitrary<BindingAck> = fc.record(
  {
    kind: fc.constant('ba' as const),
    ...common,
    status: fc.integer({ min: 0, max: 255 }),
    flags: fc.record({ k: fc.boolean(), r: fc.boolean(), p: fc.boolean() }),
    sequence: fc.integer({ min: 0, max: 0xffff }),
    lifetimeSeconds: lifetime,
  },
  { noNullPrototype: true },
);

const HA = ip('2001:db8::1');
const HOA = ip('2001:db8::100');
const COA = ip('2001:db8:1::2');

function packetFor(msg: BindingUpdate | BindingAck): { mh: Uint8Array; pkt: Uint8Array } {
  const mh = encodeMessage(msg, P);
  if (msg.kind === 'bu') {
    writeMhChecksum(mh, HOA, HA); // checksum over the home address (HAO)
    return { mh, pkt: buildIp6Packet({ src: COA, dst: HA, headers: [homeAddressHeader(HOA)], nextHeader: IPPROTO_MH, payload: mh }) };
  }
  writeMhChecksum(mh, HA, HOA); // final destination is the home address (RH2)
  return { mh, pkt: buildIp6Packet({ src: HA, dst: COA, headers: [type2RoutingHeader(HOA)], nextHeader: IPPROTO_MH, payload: mh }) };
}

const FIELDS = [
  'frame.number', 'mip6.proto', 'mip6.hlen', 'mip6.mhtype', 'mip6.csum',
  'mip6.bu.seqnr', 'mip6.bu.a_flag', 'mip6.bu.h_flag', 'mip6.bu.l_flag', 'mip6.bu.k_flag', 'mip6.bu.m_flag', 'mip6.nemo.bu.r_flag', 'mip6.bu.p_flag', 'mip6.bu.lifetime',
  'mip6.ba.status', 'mip6.ba.k_flag', 'mip6.nemo.ba.r_flag', 'mip6.ba.p_flag', 'mip6.ba.seqnr', 'mip6.ba.lifetime',
  'mip6.bi.bid', 'mip6.bi.status', 'mip6.bi.h_flag', 'mip6.bi.coa_ipv6',
  'ipv6.opt.mipv6.home_address', 'ipv6.routing.mipv6.home_address',
];

function compare(frame: Map<string, string[]>, msg: BindingUpdate | BindingAck, wire: Uint8Array, label: string): void {
  const one = (f: string) => frame.get(f)?.[0];
  assert.equal(one('mip6.proto'), '59', label);
  assert.equal(one('mip6.hlen'), String(wire.length / 8 - 1), label);
  assert.equal(Number(one('mip6.csum')), (wire[4]! << 8) | wire[5]!, label);
  if (msg.kind === 'bu') {
    assert.equal(one('mip6.mhtype'), '5', label);
    assert.equal(one('mip6.bu.seqnr'), String(msg.sequence), label);
    assert.equal(one('mip6.bu.lifetime'), String(msg.lifetimeSeconds / 4), `${label}: tshark shows 4-second units`);
    for (const f of ['a', 'h', 'l', 'k', 'm', 'p'] as const) assert.equal(flagOf(one(`mip6.bu.${f}_flag`)), msg.flags[f], `${label} BU ${f}`);
    assert.equal(flagOf(one('mip6.nemo.bu.r_flag')), msg.flags.r, `${label} BU r`);
    assert.deepEqual(frame.get('ipv6.opt.mipv6.home_address'), [formatIp6(HOA)], label);
  } else {
    assert.equal(one('mip6.mhtype'), '6', label);
    assert.equal(one('mip6.ba.status'), String(msg.status), label);
    assert.equal(one('mip6.ba.seqnr'), String(msg.sequence), label);
    assert.equal(one('mip6.ba.lifetime'), String(msg.lifetimeSeconds / 4), label);
    for (const f of ['k', 'p'] as const) assert.equal(flagOf(one(`mip6.ba.${f}_flag`)), msg.flags[f], `${label} BA ${f}`);
    assert.equal(flagOf(one('mip6.nemo.ba.r_flag')), msg.flags.r, `${label} BA r`);
    assert.deepEqual(frame.get('ipv6.routing.mipv6.home_address'), [formatIp6(HOA)], label);
  }
  const bids = msg.options as BidOption[];
  assert.deepEqual(frame.get('mip6.bi.bid'), bids.map((b) => String(b.bid)), `${label} BIDs`);
  assert.deepEqual(frame.get('mip6.bi.status'), bids.map((b) => String(b.status)), `${label} BID statuses`);
  assert.deepEqual(frame.get('mip6.bi.h_flag')?.map(flagOf), bids.map((b) => b.c), `${label} BID flag bit 0x80 (C)`);
  assert.deepEqual(frame.get('mip6.bi.coa_ipv6'), bids.filter((b) => b.coa).map((b) => formatIp6(b.coa!)), `${label} CoAs`);
}

test('tshark decodes our BUs and BAs with BID sub-options as we encoded them', (t) => {
  if (!tsharkAvailable(t)) return;
  const messages = [...fc.sample(buArb, { numRuns: 40, seed: 5648 }), ...fc.sample(baArb, { numRuns: 40, seed: 6275 })];
  // Make sure the common bulk case is there whatever the sample holds.
  messages.push({
    kind: 'bu', payloadProto: 59, checksum: 0, sequence: 1, lifetimeSeconds: 600,
    flags: { a: true, h: true, l: false, k: false, m: false, r: false, p: false },
    options: [1, 2, 3].map((n) => ({ kind: 'bid' as const, bid: n, status: 0, c: true, o: false, h: false, coa: ip(`2001:db8:${n}::${n}`) })),
  });
  const encoded = messages.map(packetFor);
  const packets = encoded.map((e) => e.pkt);
  const dir = mkdtempSync(join(tmpdir(), 'mcoa-tshark-'));
  try {
    for (const [name, linkType, frames] of [
      ['raw', LINKTYPE_RAW, packets],
      ['ethernet', LINKTYPE_ETHERNET, packets.map(ethernet)],
    ] as const) {
      const file = join(dir, `${name}.pcap`);
      writeFileSync(file, writePcap(linkType, [...frames]));
      const rows = tsharkFields(file, FIELDS);
      assert.equal(rows.length, messages.length, `${name}: one row per frame`);
      rows.forEach((row, i) => compare(row, messages[i]!, encoded[i]!.mh, `${name} frame ${i + 1} (${messages[i]!.kind})`));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tshark validates the pseudo-header checksum algorithm (ICMPv6 uses the same one)', (t) => {
  if (!tsharkAvailable(t)) return;
  const src = ip('2001:db8::100');
  const dst = ip('fd00::1');
  const packets = [16, 17, 64, 1000].map((len) => {
    const icmp = Uint8Array.from({ length: len }, (_, i) => (i < 4 ? [128, 0, 0, 0][i]! : (i * 37 + len) & 0xff));
    const c = ip6UpperLayerChecksum(src, dst, 58, icmp, 2);
    icmp[2] = c >> 8;
    icmp[3] = c & 0xff;
    return buildIp6Packet({ src, dst, nextHeader: 58, payload: icmp });
  });
  const dir = mkdtempSync(join(tmpdir(), 'mcoa-tshark-'));
  try {
    const file = join(dir, 'icmp.pcap');
    writeFileSync(file, writePcap(LINKTYPE_RAW, packets));
    const rows = tsharkFields(file, ['icmpv6.checksum.status']);
    assert.deepEqual(rows.map((r) => r.get('icmpv6.checksum.status')), packets.map(() => ['1']), '1 = good');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

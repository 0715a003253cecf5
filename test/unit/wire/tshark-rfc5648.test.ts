// The capture cross-check under the rfc5648 profile: BUs and BAs carrying Binding
// Identifier options are encoded with RFC 5648's layout, written to a pcap, and read back
// both by tshark (which dissects option 35 by RFC 5648) and by `mcoactl decode --profile
// rfc5648 --pcap`. Field by field: BID, status, H flag, IPv6 and IPv4 care-of address, and
// the BU's O bit. Wireshark 4.0 has no field named O: the bit RFC 5648 §4.2 gives O (0x0080,
// see lib/wire/profiles.ts) is the one it shows as the T flag (RFC 5845), so that field is
// compared, and the test says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { RFC5648_BU_FLAG_O, RFC5648_PROFILE as R } from '../../../lib/wire/profiles.js';
import { encodeMessage } from '../../../lib/wire/mh.js';
import { writeMhChecksum } from '../../../lib/wire/checksum.js';
import { buildIp6Packet, homeAddressHeader, type2RoutingHeader } from '../../../lib/wire/ip6-packet.js';
import { formatIp6 } from '../../../lib/inet/ip6.js';
import { LINKTYPE_RAW, writePcap } from '../../../lib/cli/decode/pcap.js';
import { main } from '../../../lib/cli/main.js';
import { IPPROTO_MH, type BidOption, type BindingAck, type BindingUpdate } from '../../../lib/wire/types.js';
import { ip, rfc5648BidArb } from './fixtures.js';
import { flagOf, tsharkAvailable, tsharkFields } from './tshark-run.js';

const HA = ip('2001:db8::1');
const HOA = ip('2001:db8::100');
const COA = ip('2001:db8:1::2');


const lifetime = fc.integer({ min: 0, max: 0xffff }).map((u) => u * 4);
const buArb: fc.Arbitrary<BindingUpdate> = fc
  .record({
    options: fc.array(rfc5648BidArb, { maxLength: 4 }),
    sequence: fc.integer({ min: 0, max: 0xffff }),
    a: fc.boolean(),
    h: fc.boolean(),
    k: fc.boolean(),
    o: fc.boolean(),
    lifetimeSeconds: lifetime,
  })
  .map((r) => ({
    kind: 'bu' as const, payloadProto: 59, checksum: 0, sequence: r.sequence, lifetimeSeconds: r.lifetimeSeconds,
    flags: { a: r.a, h: r.h, l: false, k: r.k, m: false, r: false, p: false, o: r.o },
    options: r.options,
  }));
const baArb: fc.Arbitrary<BindingAck> = fc
  .record({ options: fc.array(rfc5648BidArb, { maxLength: 4 }), status: fc.integer({ min: 0, max: 255 }), sequence: fc.integer({ min: 0, max: 0xffff }), lifetimeSeconds: lifetime })
  .map((r) => ({ kind: 'ba' as const, payloadProto: 59, checksum: 0, flags: { k: false, r: false, p: false }, ...r }));

function packetFor(msg: BindingUpdate | BindingAck): Uint8Array {
  const mh = encodeMessage(msg, R);
  if (msg.kind === 'bu') {
    writeMhChecksum(mh, HOA, HA);
    return buildIp6Packet({ src: COA, dst: HA, headers: [homeAddressHeader(HOA)], nextHeader: IPPROTO_MH, payload: mh });
  }
  writeMhChecksum(mh, HA, HOA);
  return buildIp6Packet({ src: HA, dst: COA, headers: [type2RoutingHeader(HOA)], nextHeader: IPPROTO_MH, payload: mh });
}

const FIELDS = ['mip6.mhtype', 'mip6.bu.seqnr', 'mip6.bu.t_flag', 'mip6.ba.status', 'mip6.bi.bid', 'mip6.bi.status', 'mip6.bi.h_flag', 'mip6.bi.coa_ipv6', 'mip6.bi.coa_ipv4'];

interface Seen {
  bids: string[];
  statuses: string[];
  h: boolean[];
  v6: string[];
  v4: string[];
  o: boolean | null;
}

function expected(msg: BindingUpdate | BindingAck): Seen {
  const bids = msg.options as BidOption[];
  return {
    bids: bids.map((b) => String(b.bid)),
    statuses: bids.map((b) => String(b.status)),
    h: bids.map((b) => b.h),
    v6: bids.filter((b) => b.coa).map((b) => formatIp6(b.coa!)),
    v4: bids.filter((b) => b.coa4).map((b) => [...b.coa4!].join('.')),
    o: msg.kind === 'bu' ? msg.flags.o === true : null,
  };
}

function fromTshark(row: Map<string, string[]>): Seen {
  const all = (f: string) => row.get(f) ?? [];
  const isBu = row.get('mip6.mhtype')?.[0] === '5';
  return {
    bids: all('mip6.bi.bid'),
    statuses: all('mip6.bi.status'),
    h: all('mip6.bi.h_flag').map(flagOf),
    v6: all('mip6.bi.coa_ipv6'),
    v4: all('mip6.bi.coa_ipv4'),
    // Wireshark 4.0 calls bit 0x0080 of the BU flags T; RFC 5648's O is that bit here.
    o: isBu ? flagOf(row.get('mip6.bu.t_flag')?.[0]) : null,
  };
}

type JsonBid = { bid: number; status: number; h: boolean; coa?: string; coa4?: string };
type JsonPacket = { message?: { kind: string; flags?: { o?: boolean }; options: (JsonBid & { kind: string })[] } };

function fromMcoactl(p: JsonPacket): Seen {
  const m = p.message!;
  const bids = m.options.filter((o) => o.kind === 'bid');
  return {
    bids: bids.map((b) => String(b.bid)),
    statuses: bids.map((b) => String(b.status)),
    h: bids.map((b) => b.h),
    v6: bids.filter((b) => b.coa).map((b) => b.coa!),
    v4: bids.filter((b) => b.coa4).map((b) => b.coa4!),
    o: m.kind === 'bu' ? m.flags?.o === true : null,
  };
}

test('RFC 5648 profile: tshark and mcoactl decode --profile rfc5648 agree with what was encoded, field by field', async (t) => {
  if (!tsharkAvailable(t)) return;
  const messages: (BindingUpdate | BindingAck)[] = [...fc.sample(buArb, { numRuns: 50, seed: 5648 }), ...fc.sample(baArb, { numRuns: 30, seed: 6089 })];
  // The shapes that matter, whatever the sample holds: bulk with O, an IPv4 care-of address, H.
  messages.push({
    kind: 'bu', payloadProto: 59, checksum: 0, sequence: 7, lifetimeSeconds: 600,
    flags: { a: true, h: true, l: false, k: false, m: false, r: false, p: false, o: true },
    options: [
      { kind: 'bid', bid: 1, status: 0, c: true, o: true, h: false, coa: ip('2001:db8:a::1') },
      { kind: 'bid', bid: 2, status: 0, c: false, o: true, h: false, coa4: Uint8Array.of(192, 0, 2, 1) },
      { kind: 'bid', bid: 3, status: 0, c: false, o: true, h: true },
    ],
  });
  assert.ok(messages.some((m) => m.kind === 'bu' && m.flags.o) && messages.some((m) => m.kind === 'bu' && !m.flags.o), 'O both set and clear');
  const dir = mkdtempSync(join(tmpdir(), 'mcoa-tshark-5648-'));
  try {
    const file = join(dir, 'rfc5648.pcap');
    writeFileSync(file, writePcap(LINKTYPE_RAW, messages.map(packetFor)));
    const rows = tsharkFields(file, FIELDS);
    assert.equal(rows.length, messages.length, 'one tshark row per frame');
    const out: string[] = [];
    const code = await main(['decode', '--json', '--profile', 'rfc5648', '--pcap', file], { out: (l) => out.push(l), err: (l) => out.push(l) });
    assert.equal(code, 0);
    const packets = out.map((l) => JSON.parse(l) as JsonPacket);
    assert.equal(packets.length, messages.length, 'one mcoactl line per frame');
    messages.forEach((m, i) => {
      const want = expected(m);
      assert.deepEqual(fromTshark(rows[i]!), want, `frame ${i + 1} (${m.kind}): tshark`);
      assert.deepEqual(fromMcoactl(packets[i]!), want, `frame ${i + 1} (${m.kind}): mcoactl decode --profile rfc5648`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the O bit compared with tshark is the profile\'s', () => {
  assert.equal(RFC5648_BU_FLAG_O, 0x0080);
  assert.equal(R.buOverwriteFlag, RFC5648_BU_FLAG_O);
});

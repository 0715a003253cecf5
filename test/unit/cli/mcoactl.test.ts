// The mcoactl launcher run as operators run it (a child process of the built bin/mcoactl):
// `decode` with hex and with pcap files, human and --json output, and error exits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeMessage } from '../../../lib/wire/mh.js';
import { DRAFT04_PROFILE as P } from '../../../lib/wire/profiles.js';
import { writeMhChecksum } from '../../../lib/wire/checksum.js';
import { buildIp6Packet, homeAddressHeader, IPPROTO_ESP, IPPROTO_FRAGMENT, IPPROTO_IPV6, type2RoutingHeader } from '../../../lib/wire/ip6-packet.js';
import { LINKTYPE_ETHERNET, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_RAW, writePcap } from '../../../lib/cli/decode/pcap.js';
import { toHex } from '../../../lib/cli/decode/hex.js';
import { main } from '../../../lib/cli/main.js';
import { IPPROTO_MH } from '../../../lib/wire/types.js';
import { RFC5648_PROFILE } from '../../../lib/wire/profiles.js';
import { ba, bid, bu, bulkBu, bytes, ip } from '../wire/fixtures.js';
import { COA, frameFor, HA, HOA, pcapVariant, samplePacket } from './capture.js';

// dist/test/unit/cli -> repository root
const ROOT = resolve(fileURLToPath(import.meta.url), '../../../../..');
const MCOACTL = join(ROOT, 'bin', 'mcoactl');

type Run = { code: number | null; out: string; err: string };

/** Runs the launcher as a child process, as an operator would. */
function run(args: string[], input?: string): Run {
  const r = spawnSync(MCOACTL, args, { encoding: 'utf8', input, env: { ...process.env, MCOACTL_DEBUG: '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Runs the same dispatch in-process (much faster; used for the larger matrices). */
async function runIn(args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  const text = (lines: string[]) => (lines.length ? lines.join('\n') + '\n' : '');
  return { code, out: text(out), err: text(err) };
}

function assertOneCleanLine(err: string): void {
  const lines = err.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got: ${err}`);
  assert.doesNotMatch(err, /\n\s+at /, 'no stack trace');
  assert.match(lines[0]!, /^mcoactl/);
}

const BULK_HEX = toHex(encodeMessage(bulkBu(), P));

test('decode HEX: aligned text with every field', () => {
  const r = run(['decode', BULK_HEX]);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trimEnd().split('\n');
  assert.equal(lines[0], 'Binding Update (MH type 5), 88 octets, checksum 0x0000');
  assert.match(r.out, /^ {2}sequence {10}42$/m);
  assert.match(r.out, /^ {2}flags {13}A H$/m);
  assert.match(r.out, /^ {2}lifetime {10}600 s$/m);
  assert.match(r.out, /^ {2}BID {15}1 {5}status 0 {2}flags C {2}care-of 2001:db8:1::1$/m);
  assert.match(r.out, /care-of 2001:db8:3::3$/m);
  assert.equal(r.err, '');
});

test('decode HEX --json: one object with addresses in RFC 5952 text', () => {
  const spaced = BULK_HEX.match(/../g)!.join(':');
  const r = run(['decode', '--json', spaced]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out.trimEnd().split('\n').length, 1);
  const d = JSON.parse(r.out);
  assert.equal(d.kind, 'bu');
  assert.equal(d.mhType, 5);
  assert.equal(d.sequence, 42);
  assert.deepEqual(d.flags, { a: true, h: true, l: false, k: false, m: false, r: false, p: false });
  assert.equal(d.lifetimeSeconds, 600);
  assert.deepEqual(d.options[1], { kind: 'bid', bid: 2, status: 0, c: true, o: false, h: false, coa: '2001:db8:2::2' });
  assert.equal(d.raw, BULK_HEX);
});

test('decode HEX: every message kind prints, BA status names include the MCoA ones', async () => {
  const r = await runIn(['decode', '--json', toHex(encodeMessage(ba([bid(4, undefined, { status: 166 })], { status: 164 }), P))]);
  const d = JSON.parse(r.out);
  assert.equal(d.statusName, 'MCOA INCOMPLIANT');
  assert.equal(d.options[0].statusName, 'MCOA PROHIBITED');
  const be = await runIn(['decode', toHex(encodeMessage({ kind: 'be', payloadProto: 59, checksum: 1, status: 2, homeAddress: HOA, options: [] }, P))]);
  assert.match(be.out, /^Binding Error \(MH type 7\)/);
  assert.match(be.out, /status {12}2 \(UNRECOGNIZED MH TYPE\)/);
  assert.match(be.out, /home address {6}2001:db8::100/);
});

test('decode HEX from standard input ("-")', () => {
  const r = run(['decode', '-'], `${BULK_HEX}\n`);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^Binding Update/);
});

test('decode HEX of a malformed message: the typed error and the partial BU, exit 1', () => {
  const wire = encodeMessage(bu([bid(9)]), P);
  wire[15] = 0; // BID 9 -> 0
  const r = run(['decode', toHex(wire)]);
  assert.equal(r.code, 1);
  assert.match(r.out, /^malformed: BID_ZERO at offset 14: BID 0 is reserved$/m);
  assert.match(r.out, /sequence {10}42/);
  const j = run(['decode', '--json', toHex(wire)]);
  assert.equal(j.code, 1);
  const d = JSON.parse(j.out);
  assert.equal(d.error.code, 'BID_ZERO');
  assert.equal(d.error.partial.sequence, 42);
});

test('decode with --profile-bid-type reads another option number as BID', async () => {
  const wire = encodeMessage(bu([bid(3)]), P);
  wire[12] = 99;
  const plain = JSON.parse((await runIn(['decode', '--json', toHex(wire)])).out);
  assert.equal(plain.options[0].kind, 'unknown');
  const other = JSON.parse((await runIn(['decode', '--json', '--profile-bid-type', '99', toHex(wire)])).out);
  assert.equal(other.options[0].bid, 3);
  const bad = await runIn(['decode', '--profile-bid-type', '3', toHex(wire)]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /collides/);
});

test('decode --profile rfc5648: the Binding Identifier option and O as RFC 5648 lays them out; an unknown profile is a usage error', async () => {
  const msg = bu([bid(1, '2001:db8:a::1', { o: true }), { kind: 'bid', bid: 2, status: 0, c: false, o: true, h: true, coa4: Uint8Array.of(192, 0, 2, 1) }]);
  const wire = toHex(encodeMessage(msg, RFC5648_PROFILE));
  const j = JSON.parse((await runIn(['decode', '--json', '--profile', 'rfc5648', wire])).out) as { flags: { o: boolean }; options: Record<string, unknown>[] };
  assert.equal(j.flags.o, true);
  assert.deepEqual(j.options.map((o) => [o.bid, o.coa ?? o.coa4, o.h, o.o]), [[1, '2001:db8:a::1', false, true], [2, '192.0.2.1', true, true]]);
  const text = (await runIn(['decode', '--profile', 'rfc5648', wire])).out;
  assert.match(text, /BID +2 +status 0 +flags OH +care-of 192\.0\.2\.1 \(IPv4\)/);
  // The same octets under draft-04: length 8 is not a draft-04 length (MCOA INCOMPLIANT).
  const asDraft = await runIn(['decode', '--json', wire]);
  assert.equal(asDraft.code, 1);
  assert.match(asDraft.out, /BID_BAD_LENGTH/);
  const bad = await runIn(['decode', '--profile', 'rfc3775', wire]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /--profile: "rfc3775" is not draft-04 or rfc5648/);
});

test('bad input: bad hex, unreadable file, not a pcap -> one line on stderr, exit 1', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcoactl-'));
  try {
    const notPcap = join(dir, 'not.pcap');
    writeFileSync(notPcap, 'hello, this is text and not a capture\n');
    const linkless = join(dir, 'tr.pcap');
    writeFileSync(linkless, writePcap(147, [samplePacket()]));
    for (const [args, match] of [
      [['decode', 'xyz'], /bad hex: not a hex digit: "x"/],
      [['decode', '3b0'], /odd number of hex digits/],
      [['decode', '--pcap', join(dir, 'missing.pcap')], /cannot read .*missing\.pcap: ENOENT/],
      [['decode', '--pcap', dir], /cannot read .*: EISDIR/],
      [['decode', '--pcap', notPcap], /not a pcap file/],
      [['decode', '--pcap', linkless], /link type 147 is not supported/],
    ] as const) {
      // The first two through the real launcher, the rest in-process.
      const r = match.source.startsWith('bad hex') || match.source.startsWith('odd') ? run([...args]) : await runIn([...args]);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.err}`);
      assertOneCleanLine(r.err);
      assert.match(r.err, match);
      assert.equal(r.out, '');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a mistyped command gets "did you mean" (nearest within two edits, or the command it begins)', async () => {
  const cases: [string, string][] = [
    ['shwo', 'mcoactl: unknown command "shwo" (did you mean "show"?)'],
    ['dle', 'mcoactl: unknown command "dle" (did you mean "del"?)'],
    ['reolad', 'mcoactl: unknown command "reolad" (did you mean "reload"?)'],
    ['mon', 'mcoactl: unknown command "mon" (did you mean "monitor"?)'],
    ['SHOW', 'mcoactl: unknown command "SHOW" (did you mean "show"?)'],
    ['--verison', 'mcoactl: unknown command "--verison"'],
    ['frobnicate', 'mcoactl: unknown command "frobnicate"'],
  ];
  for (const [word, first] of cases) {
    const r = await runIn([word]);
    assert.equal(r.code, 2, word);
    assert.equal(r.err.split('\n')[0], first);
  }
});

test('--version and version print the version of the package', async () => {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  for (const args of [['--version'], ['version']]) {
    const r = await runIn(args);
    assert.equal(r.code, 0);
    assert.equal(r.out, `mcoactl ${version}\n`);
  }
});

test('usage errors exit 2 with usage on stderr', async () => {
  for (const args of [[], ['frobnicate'], ['decode'], ['decode', '--nope', 'aa'], ['decode', '--pcap', 'x', 'aabb']]) {
    const r = args.length < 2 ? run(args) : await runIn(args);
    assert.equal(r.code, 2, `${args.join(' ')}`);
    assert.match(r.err, /usage: mcoactl/);
    assert.doesNotMatch(r.err, /\n\s+at /);
  }
  const help = await runIn(['help', 'decode']);
  assert.equal(help.code, 0);
  assert.match(help.out, /--pcap FILE/);
});

function fragment(offset8: number, more: boolean) {
  const v = (offset8 << 3) | (more ? 1 : 0);
  return { type: IPPROTO_FRAGMENT, bytes: bytes(0, 0, v >> 8, v & 0xff, 0, 0, 0, 7) };
}

/** Frames: BU+HAO, BA+RH2, ESP, tunnelled BU, BU with BID 0, ICMPv6, later fragment, first fragment, bad checksum. */
function capturePackets(): Uint8Array[] {
  const baMh = encodeMessage(ba([bid(1, undefined, { status: 166 })], { status: 164, sequence: 42 }), P);
  writeMhChecksum(baMh, HA, HOA);
  const badBid = encodeMessage(bu([bid(9)]), P);
  badBid[15] = 0;
  const badSum = encodeMessage(bulkBu(), P);
  writeMhChecksum(badSum, COA, HA); // should have used the home address
  const mh = encodeMessage(bulkBu(), P);
  return [
    samplePacket(),
    buildIp6Packet({ src: HA, dst: COA, headers: [type2RoutingHeader(HOA)], nextHeader: IPPROTO_MH, payload: baMh }),
    buildIp6Packet({ src: COA, dst: HA, nextHeader: IPPROTO_ESP, payload: new Uint8Array(48).fill(0x33) }),
    buildIp6Packet({ src: ip('2001:db8:f::1'), dst: ip('2001:db8:f::2'), nextHeader: IPPROTO_IPV6, payload: samplePacket() }),
    buildIp6Packet({ src: COA, dst: HA, nextHeader: IPPROTO_MH, payload: badBid }),
    buildIp6Packet({ src: COA, dst: HA, nextHeader: 58, payload: Uint8Array.of(128, 0, 0, 0, 0, 1, 0, 1) }),
    buildIp6Packet({ src: COA, dst: HA, headers: [fragment(4, false)], nextHeader: IPPROTO_MH, payload: mh.subarray(32) }),
    buildIp6Packet({ src: COA, dst: HA, headers: [fragment(0, true)], nextHeader: IPPROTO_MH, payload: mh.subarray(0, 32) }),
    buildIp6Packet({ src: COA, dst: HA, headers: [homeAddressHeader(HOA)], nextHeader: IPPROTO_MH, payload: badSum }),
  ];
}

test('decode --pcap: every MH packet with frame, addresses, HAO/RH2, checksum and message', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcoactl-'));
  try {
    const file = join(dir, 'mip6.pcap');
    writeFileSync(file, writePcap(LINKTYPE_ETHERNET, capturePackets().map((p) => frameFor(LINKTYPE_ETHERNET, p))));
    const r = run(['decode', '--pcap', file]);
    assert.equal(r.code, 0, r.err);
    const out = r.out;
    assert.match(out, /^frame 1 {2}2001:db8:1::2 -> 2001:db8::1 {2}hao 2001:db8::100 {2}checksum ok\n {2}Binding Update \(MH type 5\), 88 octets/m);
    assert.match(out, /^frame 2 {2}2001:db8::1 -> 2001:db8:1::2 {2}rh2 2001:db8::100 {2}checksum ok\n {2}Binding Acknowledgement/m);
    assert.match(out, /^ {4}status {12}164 \(MCOA INCOMPLIANT\)$/m);
    assert.match(out, /^frame 3 {2}2001:db8:1::2 -> 2001:db8::1 {2}encrypted \(ESP\)$/m);
    assert.match(out, /^frame 4 {2}2001:db8:1::2 -> 2001:db8::1 {2}in tunnel 2001:db8:f::1 -> 2001:db8:f::2 {2}hao 2001:db8::100 {2}checksum ok$/m);
    assert.match(out, /^frame 5 .*\n {2}malformed: BID_ZERO at offset 14/m);
    assert.doesNotMatch(out, /^frame [67] /m, 'ICMPv6 and later fragments are not shown');
    assert.match(out, /^frame 8 .*Mobility Header fragment \(not reassembled\)$/m);
    assert.match(out, /^frame 9 .* checksum BAD$/m);
    assert.match(out, /^9 frames, 7 shown$/m);

    const j = run(['decode', '--json', '--pcap', file]);
    assert.equal(j.code, 0, j.err);
    const rows = j.out.trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(rows.map((x) => x.frame), [1, 2, 3, 4, 5, 8, 9]);
    assert.equal(rows[0].homeAddress, '2001:db8::100');
    assert.equal(rows[0].checksumOk, true);
    assert.equal(rows[0].message.options[2].coa, '2001:db8:3::3');
    assert.equal(rows[0].time, '1700000000.000000000');
    assert.equal(rows[1].routingAddress, '2001:db8::100');
    assert.equal(rows[1].message.sequence, 42);
    assert.equal(rows[2].encrypted, true);
    assert.deepEqual(rows[3].tunnels, [{ src: '2001:db8:f::1', dst: '2001:db8:f::2' }]);
    assert.equal(rows[4].error.code, 'BID_ZERO');
    assert.equal(rows[5].fragment, true);
    assert.equal(rows[6].checksumOk, false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('decode --pcap: every link type, byte order and timestamp resolution', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcoactl-'));
  try {
    // Every link type little-endian in microseconds, then the other byte order and resolution.
    const cases: [number, boolean, boolean][] = [LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_LINUX_SLL, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL2].map((lt) => [lt, false, false]);
    cases.push([LINKTYPE_LINUX_SLL2, true, false], [LINKTYPE_RAW, false, true], [LINKTYPE_ETHERNET, true, true]);
    for (const [n, [lt, bigEndian, nano]] of cases.entries()) {
      const file = join(dir, `${n}.pcap`);
      writeFileSync(file, pcapVariant(writePcap(lt, [frameFor(lt, samplePacket())]), { bigEndian, nano, fraction: 5 }));
      const r = await runIn(['decode', '--json', '--pcap', file]);
      assert.equal(r.code, 0, r.err);
      const d = JSON.parse(r.out);
      const label = `link ${lt} ${bigEndian ? 'BE' : 'LE'} ${nano ? 'ns' : 'us'}`;
      assert.equal(d.message.kind, 'bu', label);
      assert.equal(d.checksumOk, true, label);
      assert.equal(d.time, `1700000000.${nano ? '000000005' : '000005000'}`, label);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('decode --pcap: a capture cut inside its last record warns on stderr and shows the rest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcoactl-'));
  try {
    const file = join(dir, 'cut.pcap');
    const full = writePcap(LINKTYPE_RAW, [samplePacket(), samplePacket()]);
    writeFileSync(file, full.subarray(0, full.length - 10));
    const r = run(['decode', '--pcap', file]);
    assert.equal(r.code, 0);
    assert.match(r.out, /^1 frame, 1 shown$/m);
    assertOneCleanLine(r.err);
    assert.match(r.err, /warning: .*record 2 runs past the end of the file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

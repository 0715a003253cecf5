// pcapng (lib/cli/decode/pcapng.ts): files written by tshark from our pcap files, hand-built
// blocks in both byte orders with if_tsresol, if_tsoffset, Simple Packet Blocks and unknown
// blocks, one test per malformed shape, and `mcoactl decode --pcap` reading pcapng.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL2, LINKTYPE_RAW, writePcap } from '../../../lib/cli/decode/pcap.js';
import { isPcapng, readPcapng, type PcapngResult } from '../../../lib/cli/decode/pcapng.js';
import { main } from '../../../lib/cli/main.js';
import { frameFor, pcapVariant, samplePacket } from './capture.js';

// ---- hand-built blocks ----------------------------------------------------------------

interface Order {
  le: boolean;
}
const u16 = (o: Order, v: number) => { const b = new Uint8Array(2); new DataView(b.buffer).setUint16(0, v, o.le); return b; };
const u32 = (o: Order, v: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v, o.le); return b; };
const cat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));
const pad4 = (b: Uint8Array) => cat(b, new Uint8Array((4 - (b.length % 4)) % 4));

function block(o: Order, type: number, body: Uint8Array): Uint8Array {
  const b = pad4(body);
  return cat(u32(o, type), u32(o, b.length + 12), b, u32(o, b.length + 12));
}
function option(o: Order, code: number, value: Uint8Array): Uint8Array {
  return cat(u16(o, code), u16(o, value.length), pad4(value));
}
const endOfOptions = (o: Order) => cat(u16(o, 0), u16(o, 0));
function shb(o: Order): Uint8Array {
  return block(o, 0x0a0d0d0a, cat(u32(o, 0x1a2b3c4d), u16(o, 1), u16(o, 0), new Uint8Array(8).fill(0xff)));
}
function idb(o: Order, linkType: number, opts: Uint8Array[] = [], snaplen = 0): Uint8Array {
  return block(o, 1, cat(u16(o, linkType), u16(o, 0), u32(o, snaplen), ...(opts.length ? [...opts, endOfOptions(o)] : [])));
}
function epb(o: Order, iface: number, units: bigint, data: Uint8Array, original = data.length): Uint8Array {
  return block(o, 6, cat(u32(o, iface), u32(o, Number(units >> 32n)), u32(o, Number(units & 0xffffffffn)), u32(o, data.length), u32(o, original), pad4(data)));
}
function spb(o: Order, data: Uint8Array, original = data.length): Uint8Array {
  return block(o, 3, cat(u32(o, original), pad4(data)));
}

function ok(r: PcapngResult) {
  assert.ok(r.ok, r.ok ? '' : `${r.error.code}: ${r.error.message}`);
  return r.value;
}

const PKT = samplePacket();
const ETH = frameFor(LINKTYPE_ETHERNET, PKT);

for (const le of [true, false]) {
  const o = { le };
  const order = le ? 'little' : 'big';

  test(`pcapng ${order}-endian: interfaces, enhanced and simple packets, unknown blocks skipped`, () => {
    const file = cat(
      shb(o),
      idb(o, LINKTYPE_ETHERNET), // default resolution: microseconds
      idb(o, LINKTYPE_RAW, [option(o, 9, Uint8Array.of(9))]), // if_tsresol 10^-9
      block(o, 0x0bad, Uint8Array.of(1, 2, 3, 4, 5)), // unknown: skipped by its length
      epb(o, 0, 1_700_000_000_123_456n, ETH),
      epb(o, 1, 1_700_000_001_000_000_123n, PKT, PKT.length + 40),
      spb(o, ETH),
    );
    assert.ok(isPcapng(file));
    const f = ok(readPcapng(file));
    assert.deepEqual(f.interfaces.map((i) => i.linkType), [LINKTYPE_ETHERNET, LINKTYPE_RAW]);
    assert.deepEqual(f.records.map((r) => [r.frame, r.interfaceId, r.linkType, r.seconds, r.nanoseconds]), [
      [1, 0, LINKTYPE_ETHERNET, 1_700_000_000, 123_456_000],
      [2, 1, LINKTYPE_RAW, 1_700_000_001, 123],
      [3, 0, LINKTYPE_ETHERNET, 0, 0],
    ]);
    assert.deepEqual(f.records[0]!.data, ETH);
    assert.deepEqual(f.records[1]!.data, PKT);
    assert.equal(f.records[1]!.originalLength, PKT.length + 40);
    assert.deepEqual(f.records[2]!.data, ETH);
    assert.deepEqual(f.skipped, []);
    assert.equal(f.stopped, undefined);
  });

  test(`pcapng ${order}-endian: if_tsresol as a power of two, if_tsoffset, snaplen cuts a simple packet`, () => {
    const offset = new Uint8Array(8);
    new DataView(offset.buffer).setBigInt64(0, 100n, le);
    const file = cat(shb(o), idb(o, LINKTYPE_RAW, [option(o, 9, Uint8Array.of(0x80 | 10)), option(o, 14, offset)], 20), epb(o, 0, (5n << 10n) | 512n, PKT), spb(o, PKT.subarray(0, 20), PKT.length));
    const f = ok(readPcapng(file));
    assert.deepEqual([f.records[0]!.seconds, f.records[0]!.nanoseconds], [105, 500_000_000]);
    assert.equal(f.records[1]!.data.length, 20);
    assert.equal(f.records[1]!.originalLength, PKT.length);
  });
}

test('pcapng: a second section may change byte order and starts its interfaces afresh', () => {
  const L = { le: true };
  const B = { le: false };
  const file = cat(shb(L), idb(L, LINKTYPE_ETHERNET), epb(L, 0, 1n, ETH), shb(B), idb(B, LINKTYPE_RAW), epb(B, 0, 2n, PKT));
  const f = ok(readPcapng(file));
  assert.deepEqual(f.records.map((r) => [r.frame, r.linkType]), [[1, LINKTYPE_ETHERNET], [2, LINKTYPE_RAW]]);
  assert.deepEqual(f.records[1]!.data, PKT);
});

test('pcapng: one test per malformed shape', () => {
  const o = { le: true };
  const head = cat(shb(o), idb(o, LINKTYPE_RAW));
  const good = epb(o, 0, 1n, PKT);
  const withLength = (b: Uint8Array, at: number, v: number) => { const c = Uint8Array.from(b); new DataView(c.buffer).setUint32(at, v, true); return c; };
  const fatal: [string, Uint8Array, string][] = [
    ['empty file', new Uint8Array(0), 'not-pcapng'],
    ['classic pcap', writePcap(LINKTYPE_RAW, [PKT]), 'not-pcapng'],
    ['section header cut short', shb(o).subarray(0, 20), 'not-pcapng'],
    ['byte-order magic wrong', withLength(shb(o), 8, 0x12345678), 'bad-byte-order'],
    ['version 2', (() => { const b = shb(o); new DataView(b.buffer).setUint16(12, 2, true); return b; })(), 'unsupported-version'],
  ];
  for (const [name, file, code] of fatal) {
    const r = readPcapng(file);
    assert.ok(!r.ok && r.error.code === code, `${name}: ${JSON.stringify(r)}`);
  }
  // Broken framing after good blocks: reading stops, what came before is kept.
  const stopping: [string, Uint8Array, string][] = [
    ['file ends inside a block header', cat(head, good, good.subarray(0, 6)), 'truncated-block'],
    ['block runs past the end of the file', cat(head, good, good.subarray(0, good.length - 4)), 'truncated-block'],
    ['block length not a multiple of 4', cat(head, good, withLength(good, 4, good.length - 2)), 'bad-block-length'],
    ['block length below 12', cat(head, good, withLength(good, 4, 8)), 'bad-block-length'],
    ['block length of 2^32-4', cat(head, good, withLength(good, 4, 0xfffffffc)), 'truncated-block'],
    ['trailing length differs', cat(head, good, withLength(good, good.length - 4, good.length + 4)), 'block-length-mismatch'],
    ['second section header with a bad byte-order magic', cat(head, good, withLength(shb(o), 8, 7)), 'bad-byte-order'],
  ];
  for (const [name, file, code] of stopping) {
    const f = ok(readPcapng(file));
    assert.equal(f.records.length, 1, name);
    assert.equal(f.stopped?.code, code, `${name}: ${JSON.stringify(f.stopped)}`);
  }
  // Well-framed blocks with wrong content: skipped and reported, reading goes on.
  const skipping: [string, Uint8Array, string][] = [
    ['packet on an interface never described', epb(o, 3, 1n, PKT), 'unknown-interface'],
    ['captured length beyond the block', withLength(epb(o, 0, 1n, PKT), 20, PKT.length + 100), 'bad-captured-length'],
    ['enhanced packet shorter than its fixed part', block(o, 6, new Uint8Array(12)), 'short-block'],
    ['simple packet longer than its block', withLength(spb(o, PKT), 8, PKT.length + 64), 'bad-captured-length'],
    ['interface description shorter than its fixed part', block(o, 1, new Uint8Array(4)), 'short-block'],
    ['option running past its block', idb(o, LINKTYPE_RAW, [cat(u16(o, 2), u16(o, 200))]), 'bad-option'],
    ['if_tsresol of two octets', idb(o, LINKTYPE_RAW, [option(o, 9, Uint8Array.of(6, 6))]), 'bad-option'],
    ['if_tsresol finer than 10^-19', idb(o, LINKTYPE_RAW, [option(o, 9, Uint8Array.of(20))]), 'bad-option'],
  ];
  for (const [name, bad, code] of skipping) {
    const f = ok(readPcapng(cat(head, good, bad, good)));
    assert.equal(f.stopped, undefined, name);
    assert.equal(f.skipped[0]?.code, code, `${name}: ${JSON.stringify(f.skipped)}`);
    assert.equal(f.records.length, 2, name);
  }
  // A simple packet before any interface description names an interface that is not there.
  const early = ok(readPcapng(cat(shb(o), spb(o, PKT))));
  assert.equal(early.skipped[0]?.code, 'unknown-interface');
});

// ---- files written by tshark ----------------------------------------------------------

const hasTshark = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;

function viaTshark(pcap: Uint8Array): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'mcoa-pcapng-'));
  try {
    writeFileSync(join(dir, 'in.pcap'), pcap);
    const r = spawnSync('tshark', ['-r', join(dir, 'in.pcap'), '-F', 'pcapng', '-w', join(dir, 'out.pcapng')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return readFileSync(join(dir, 'out.pcapng'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('pcapng written by tshark -F pcapng: same packets and times as the pcap it came from', { skip: !hasTshark && 'tshark not installed' }, () => {
  for (const nano of [false, true]) {
    const frames = [ETH, Uint8Array.of(2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00, 0x45)];
    const pcap = pcapVariant(writePcap(LINKTYPE_ETHERNET, frames), { bigEndian: false, nano, fraction: 654321 });
    const f = ok(readPcapng(viaTshark(pcap)));
    assert.deepEqual(f.interfaces.map((i) => i.linkType), [LINKTYPE_ETHERNET]);
    assert.deepEqual(f.records.map((r) => [...r.data]), frames.map((x) => [...x]));
    assert.deepEqual(f.records.map((r) => [r.seconds, r.nanoseconds]), [
      [1_700_000_000, nano ? 654321 : 654_321_000],
      [1_700_000_001, nano ? 654321 : 654_321_000],
    ]);
    assert.deepEqual(f.skipped, []);
  }
});

test('mcoactl decode --pcap: a pcapng file shows what the pcap file shows', { skip: !hasTshark && 'tshark not installed' }, async () => {
  const pcap = writePcap(LINKTYPE_LINUX_SLL2, [frameFor(LINKTYPE_LINUX_SLL2, PKT), frameFor(LINKTYPE_LINUX_SLL2, PKT)]);
  const dir = mkdtempSync(join(tmpdir(), 'mcoa-pcapng-'));
  try {
    writeFileSync(join(dir, 'a.pcap'), pcap);
    writeFileSync(join(dir, 'a.pcapng'), viaTshark(pcap));
    const run = async (file: string) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await main(['decode', '--json', '--pcap', join(dir, file)], { out: (l) => out.push(l), err: (l) => err.push(l) });
      return { code, out, err };
    };
    const a = await run('a.pcap');
    const b = await run('a.pcapng');
    assert.equal(b.code, 0, b.err.join('\n'));
    assert.deepEqual(b.err, []);
    assert.equal(b.out.length, 2);
    assert.deepEqual(b.out, a.out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mcoactl decode --pcap: a pcapng whose only interface has an unsupported link type is refused by name', async () => {
  const o = { le: true };
  const dir = mkdtempSync(join(tmpdir(), 'mcoa-pcapng-'));
  try {
    writeFileSync(join(dir, 'x.pcapng'), cat(shb(o), idb(o, 147), epb(o, 0, 1n, PKT)));
    const err: string[] = [];
    assert.equal(await main(['decode', '--pcap', join(dir, 'x.pcapng')], { out: () => undefined, err: (l) => err.push(l) }), 1);
    assert.match(err.join('\n'), /link type 147 is not supported/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

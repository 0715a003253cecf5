// Home Agent Switch (RFC 5142 §4, MH Type 12): round trips with 0..n addresses and at an
// offset, one row per malformed shape, and the cross-check with tshark and `mcoactl decode`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DRAFT04_PROFILE as P } from '../../../lib/wire/profiles.js';
import { decodeMessage, encodeMessage, encodedLength } from '../../../lib/wire/mh.js';
import { writeMhChecksum } from '../../../lib/wire/checksum.js';
import { buildIp6Packet, type2RoutingHeader } from '../../../lib/wire/ip6-packet.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LINKTYPE_RAW, writePcap } from '../../../lib/cli/decode/pcap.js';
import { main } from '../../../lib/cli/main.js';
import { IPPROTO_MH, type HomeAgentSwitch, type MobilityOption } from '../../../lib/wire/types.js';
import { bytes, ip } from './fixtures.js';
import { tsharkAvailable, tsharkFields } from './tshark-run.js';

const HA = ip('2001:db8::1');
const HOA = ip('2001:db8::100');
const COA = ip('2001:db8:1::2');

function has(addresses: string[], options: MobilityOption[] = []): HomeAgentSwitch {
  return { kind: 'has', payloadProto: 59, checksum: 0, homeAgents: addresses.map(ip), options };
}

const shapes: { name: string; msg: HomeAgentSwitch; length: number }[] = [
  { name: 'no address (the mobile node runs DHAAD)', msg: has([]), length: 8 },
  { name: 'one address', msg: has(['2001:db8::2']), length: 24 },
  { name: 'three addresses in order of preference', msg: has(['2001:db8::2', '2001:db8::3', 'fd00::9']), length: 56 },
  { name: 'an unknown option is kept', msg: has(['2001:db8::2'], [{ kind: 'unknown', optionType: 200, data: bytes(1, 2, 3, 4) }]), length: 32 },
];

for (const s of shapes) {
  test(`§4 round trip: ${s.name}`, () => {
    assert.equal(encodedLength(s.msg, P), s.length);
    const wire = encodeMessage(s.msg, P);
    assert.equal(wire.length, s.length);
    assert.equal(wire[2], 12, 'MH Type 12');
    assert.equal(wire[6], s.msg.homeAgents.length, '# of Addresses');
    assert.equal(wire[7], 0, 'Reserved');
    const r = decodeMessage(wire, P);
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    assert.deepEqual(r.value, s.msg);
    // Encoded at an offset into a larger buffer: the same octets.
    const big = new Uint8Array(s.length + 16).fill(0xee);
    assert.deepEqual(encodeMessage(s.msg, P, big, 8), wire);
    assert.equal(big[7], 0xee);
    assert.equal(big[8 + s.length], 0xee);
  });
}

/** A HAS with `count` in its count octet and `body` after it (Header Len made right). */
function rawHas(count: number, ...body: number[]): Uint8Array {
  const len = 8 + body.length;
  if (len % 8) throw new Error(`test bug: MH of ${len} octets`);
  return bytes(59, len / 8 - 1, 12, 0, 0, 0, count, 0, ...body);
}

const malformed: { name: string; buf: Uint8Array; offset: number }[] = [
  { name: 'one address declared, none present', buf: rawHas(1), offset: 6 },
  { name: 'two declared, one present', buf: rawHas(2, ...new Array<number>(16).fill(1)), offset: 6 },
  { name: '255 declared in a 24-octet message', buf: rawHas(255, ...new Array<number>(16).fill(1)), offset: 6 },
];

for (const m of malformed) {
  test(`§4 malformed: ${m.name} gives MESSAGE_TOO_SHORT, never reads past the message`, () => {
    const r = decodeMessage(m.buf, P);
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.error.code, 'MESSAGE_TOO_SHORT');
    assert.equal(r.error.offset, m.offset);
    assert.match(r.error.message, /declares/);
  });
}

test('§4 addresses followed by a truncated option: OPTION_OVERRUN after the addresses', () => {
  const r = decodeMessage(rawHas(1, ...new Array<number>(16).fill(2), 200, 9, 0, 0, 0, 0, 0, 0), P);
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.error.code, 'OPTION_OVERRUN');
});

test('§4 the encoder refuses more than 255 addresses and an address that is not 16 octets', () => {
  assert.throws(() => encodeMessage({ ...has([]), homeAgents: new Array(256).fill(HA) as Uint8Array[] }, P), RangeError);
  assert.throws(() => encodeMessage({ ...has([]), homeAgents: [Uint8Array.of(1, 2)] }, P), /home agent address 0/);
});

test('tshark and mcoactl decode read the same Home Agent Switch that was encoded', async (t) => {
  if (!tsharkAvailable(t)) return;
  const messages = shapes.map((s) => s.msg);
  const checksums: number[] = [];
  const packets = messages.map((m) => {
    const mh = encodeMessage(m, P);
    writeMhChecksum(mh, HA, HOA);
    checksums.push((mh[4]! << 8) | mh[5]!);
    return buildIp6Packet({ src: HA, dst: COA, headers: [type2RoutingHeader(HOA)], nextHeader: IPPROTO_MH, payload: mh });
  });
  const dir = mkdtempSync(join(tmpdir(), 'mcoa-tshark-has-'));
  try {
    const file = join(dir, 'has.pcap');
    writeFileSync(file, writePcap(LINKTYPE_RAW, packets));
    const rows = tsharkFields(file, ['mip6.mhtype', 'mip6.has.num_addrs', 'mip6.has.address', 'mip6.csum']);
    assert.equal(rows.length, messages.length);
    const out: string[] = [];
    const code = await main(['decode', '--json', '--pcap', file], { out: (l) => out.push(l), err: (l) => out.push(l) });
    assert.equal(code, 0, out.join('\n'));
    const decoded = out.map((l) => JSON.parse(l) as { message?: { kind: string; homeAgents: string[] } });
    messages.forEach((m, i) => {
      const want = m.homeAgents.map((a) => Buffer.from(a).toString('hex'));
      const row = rows[i]!;
      assert.deepEqual(row.get('mip6.mhtype'), ['12'], `frame ${i + 1}: tshark MH type`);
      assert.equal(Number(row.get('mip6.csum')?.[0]), checksums[i], `frame ${i + 1}: tshark checksum field`);
      assert.deepEqual(row.get('mip6.has.num_addrs'), [String(m.homeAgents.length)], `frame ${i + 1}: tshark count`);
      assert.deepEqual((row.get('mip6.has.address') ?? []).map((a) => Buffer.from(ip(a)).toString('hex')), want, `frame ${i + 1}: tshark addresses`);
      assert.equal(decoded[i]!.message?.kind, 'has', `frame ${i + 1}: mcoactl`);
      assert.deepEqual(decoded[i]!.message!.homeAgents.map((a) => Buffer.from(ip(a)).toString('hex')), want, `frame ${i + 1}: mcoactl addresses`);
    });
    const text: string[] = [];
    await main(['decode', '--pcap', file], { out: (l) => text.push(l), err: (l) => text.push(l) });
    assert.match(text.join('\n'), /Home Agent Switch \(MH type 12\)[\s\S]*home agents\s+2001:db8::2, 2001:db8::3, fd00::9/);
    assert.match(text.join('\n'), /home agents\s+\(none: run DHAAD\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

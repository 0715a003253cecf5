// Mobility Header codec throughput on one core, for the message a home agent sees most in
// bulk registration: a BU with three BID sub-options carrying IPv6 care-of addresses
// (88 octets). Each row warms up, then takes the median of several timed runs. The baseline
// row copies the same 88 octets with wire.slice() (an allocation plus a copy, the floor for
// anything that returns owned bytes); the last column is each row's time over it.
// The same message under the rfc5648 profile (RFC 5648's option layout, O in the BU flags)
// has rows of its own. Run: npm run bench:wire. The last line is machine-readable.
import { DRAFT04_PROFILE as P, RFC5648_PROFILE as R } from '../lib/wire/profiles.js';
import { decodeMessage, encodedLength, encodeMessage } from '../lib/wire/mh.js';
import { mhChecksum } from '../lib/wire/checksum.js';
import { mustParseIp6 } from '../lib/inet/ip6.js';
import type { BindingUpdate } from '../lib/wire/types.js';

const bu: BindingUpdate = {
  kind: 'bu',
  payloadProto: 59,
  checksum: 0,
  sequence: 42,
  flags: { a: true, h: true, l: false, k: false, m: false, r: false, p: false },
  lifetimeSeconds: 600,
  options: [1, 2, 3].map((n) => ({ kind: 'bid' as const, bid: n, status: 0, c: true, o: false, h: false, coa: mustParseIp6(`2001:db8:${n}::${n}`) })),
};
const wire = encodeMessage(bu, P);
const scratch = new Uint8Array(256);
const src = mustParseIp6('2001:db8::100');
const dst = mustParseIp6('2001:db8::1');

const check = decodeMessage(wire, P);
if (!check.ok || check.value.options.length !== 3) throw new Error('benchmark message does not decode');
const wireR = encodeMessage(bu, R);
const checkR = decodeMessage(wireR, R);
if (!checkR.ok || checkR.value.options.length !== 3) throw new Error('benchmark message does not decode under rfc5648');

let sink = 0;
const cases: { name: string; op: () => void }[] = [
  { name: 'baseline: wire.slice()', op: () => (sink += wire.slice().length) },
  {
    name: 'decode BU + 3 BID/CoA',
    op: () => {
      const r = decodeMessage(wire, P);
      if (r.ok) sink += r.value.options.length;
    },
  },
  { name: 'encode (new buffer)', op: () => (sink += encodeMessage(bu, P).length) },
  { name: 'encode (reused buffer)', op: () => (sink += encodeMessage(bu, P, scratch, 0).length) },
  { name: 'encodedLength', op: () => (sink += encodedLength(bu, P)) },
  { name: 'mhChecksum', op: () => (sink += mhChecksum(src, dst, wire)) },
  {
    name: 'rfc5648: decode BU + 3 BID/CoA',
    op: () => {
      const r = decodeMessage(wireR, R);
      if (r.ok) sink += r.value.options.length;
    },
  },
  { name: 'rfc5648: encode (new buffer)', op: () => (sink += encodeMessage(bu, R).length) },
];

const ITERATIONS = 200_000;
const RUNS = 5;

function timeRun(op: () => void): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) op();
  return Number(process.hrtime.bigint() - t0) / ITERATIONS; // ns per op
}

function measure(op: () => void): number {
  for (let i = 0; i < 3; i++) timeRun(op); // warm-up: let the JIT settle
  const runs = Array.from({ length: RUNS }, () => timeRun(op)).sort((a, b) => a - b);
  return runs[Math.floor(RUNS / 2)]!;
}

const results = cases.map((c) => ({ name: c.name, ns: measure(c.op) }));
const baseline = results[0]!.ns;
const width = Math.max(...results.map((r) => r.name.length));
console.log(`node ${process.version}, ${ITERATIONS} ops x ${RUNS} runs, median; message ${wire.length} octets`);
console.log(`${'operation'.padEnd(width)}  ${'ns/op'.padStart(8)}  ${'ops/s'.padStart(11)}  ${'x baseline'.padStart(10)}`);
for (const r of results) {
  console.log(`${r.name.padEnd(width)}  ${r.ns.toFixed(1).padStart(8)}  ${Math.round(1e9 / r.ns).toLocaleString('en-US').padStart(11)}  ${(r.ns / baseline).toFixed(2).padStart(10)}`);
}
if (sink === 0) console.log('(unreachable: keeps the results alive)');
const perS = (name: string) => Math.round(1e9 / results.find((r) => r.name === name)!.ns);
console.log(
  `RESULT decode_per_s=${perS('decode BU + 3 BID/CoA')} encode_per_s=${perS('encode (new buffer)')} ` +
    `rfc5648_decode_per_s=${perS('rfc5648: decode BU + 3 BID/CoA')} rfc5648_encode_per_s=${perS('rfc5648: encode (new buffer)')}`,
);

// Home agent protocol core at scale, on one core.
//   1. Heap bytes per binding: 100,000 home addresses x 3 BID bindings = 300,000 bindings,
//      registered with bulk BUs (DAD completed), measured after a forced GC; then again after
//      one refresh of every binding (steady state: the lazy heaps hold stale entries).
//   2. Refresh rate: a BU refreshing one binding (BID sub-option, care-of address from the
//      packet source), decoded from its 24 octets and processed against that cache. The
//      baseline row is decoding alone; the ratio column is each row over it.
// Run: npm run bench:core (re-executes itself with --expose-gc). The last line is
// machine-readable: RESULT bu_per_s=<n> bytes_per_binding=<n>.
import { ip6 } from '../test/ip6.js';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DRAFT04_PROFILE as P } from '../lib/wire/profiles.js';
import { decodeMessage, encodeMessage } from '../lib/wire/mh.js';
import type { BindingUpdate, BidOption } from '../lib/wire/types.js';
import { HomeAgent } from '../lib/proto/ha/home-agent.js';
import { homeAgentConfig } from '../lib/proto/common/core-config.js';
import { DEFAULT_LIMITS } from '../lib/proto/ha/limits.js';
import { formatIp6 } from '../lib/inet/ip6.js';

const HOAS = 100_000;
const BIDS = 3;
const ROUNDS = 3;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
const collect = gc;

function heapUsed(): number {
  for (let i = 0; i < 3; i++) collect();
  return process.memoryUsage().heapUsed;
}

function addr(prefixGroup: number, i: number): Uint8Array {
  const b = new Uint8Array(16);
  b.set([0x20, 0x01, 0x0d, 0xb8, prefixGroup >> 8, prefixGroup & 0xff], 0);
  b[12] = (i >>> 24) & 0xff;
  b[13] = (i >>> 16) & 0xff;
  b[14] = (i >>> 8) & 0xff;
  b[15] = i & 0xff;
  return b;
}
const hoaOf = (i: number) => addr(0x0001, i + 1);
const coaOf = (i: number, bid: number) => addr(0xa000 + bid, i + 1);
const HA = addr(0x0001, 0xffff_fff0);
/** The packet's addresses as the MH socket delivers them (formatted once from its octets). */
const HA_IP6 = formatIp6(HA);

function bu(sequence: number, options: BidOption[]): BindingUpdate {
  return {
    kind: 'bu',
    payloadProto: 59,
    checksum: 0,
    sequence,
    flags: { a: true, h: true, l: false, k: false, m: false, r: false, p: false },
    lifetimeSeconds: 3600,
    options,
  };
}

const bidOpt = (bid: number, coa?: Uint8Array): BidOption =>
  coa ? { kind: 'bid', bid, status: 0, c: true, o: false, h: false, coa } : { kind: 'bid', bid, status: 0, c: false, o: false, h: false };

const ha0 = heapUsed();
const ha = new HomeAgent(
  homeAgentConfig({
    homeAgentAddress: ip6('2001:db8:1::ffff:fff0'),
    servedPrefixes: ['2001:db8:1::/64'],
    homeLinkInterface: 'eth0',
    ipsecRequired: true,
    // The default cap (100 000 bindings) would answer 130 from the 33 334th node on.
    limits: { ...DEFAULT_LIMITS, maxBindings: HOAS * BIDS },
  }),
);

// 1. Populate with bulk registrations (one BU with three C-flag sub-options per node).
let now = 0;
for (let i = 0; i < HOAS; i++) {
  const hoa = hoaOf(i);
  const opts = [1, 2, 3].map((b) => bidOpt(b, coaOf(i, b)));
  const out = ha.processBu({ bu: bu(1, opts), hoa: formatIp6(hoa), careOfSource: formatIp6(coaOf(i, 1)), dst: HA_IP6, ipsecProtected: true, nowMs: now });
  if (!out.dad) throw new Error('expected a DAD request for a new home address');
  ha.dadResult(out.dad.hoa, true);
}
if (ha.cache.size !== HOAS * BIDS) throw new Error(`cache holds ${ha.cache.size} bindings`);
const freshBytes = (heapUsed() - ha0) / ha.cache.size;

// 2. Refresh BUs as received: 24 octets, one template per BID; the sequence is patched in
// place per packet (octets 6-7), as a new packet would bring it.
const templates = [1, 2, 3].map((b) => Uint8Array.from(encodeMessage(bu(0, [bidOpt(b)]), P)));
const hoas = Array.from({ length: HOAS }, (_, i) => formatIp6(hoaOf(i)));
const coas = Array.from({ length: HOAS * BIDS }, (_, j) => formatIp6(coaOf(Math.floor(j / BIDS), (j % BIDS) + 1)));
let seq = 1;
/** The BA is encoded into one reused send buffer, as a daemon would. */
const scratch = new Uint8Array(1280);

type Mode = 'decode' | 'process' | 'process+encode';
let sink = 0;
function round(mode: Mode): number {
  seq = (seq + BIDS) & 0xffff;
  now += 1000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < HOAS; i++) {
    for (let k = 0; k < BIDS; k++) {
      const wire = templates[k]!;
      const s = (seq + k) & 0xffff;
      wire[6] = s >> 8;
      wire[7] = s & 0xff;
      const d = decodeMessage(wire, P);
      if (!d.ok || d.value.kind !== 'bu') throw new Error('refresh BU does not decode');
      if (mode === 'decode') {
        sink += d.value.sequence;
        continue;
      }
      const out = ha.processBu({ bu: d.value, hoa: hoas[i]!, careOfSource: coas[i * BIDS + k]!, dst: HA_IP6, ipsecProtected: true, nowMs: now });
      if (out.status !== 0 || !out.ba) throw new Error(`refresh rejected with ${out.status}`);
      sink += mode === 'process+encode' ? encodeMessage(out.ba.message, P, scratch).length : out.ba.message.sequence;
    }
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return (HOAS * BIDS) / seconds;
}

function measure(mode: Mode): number {
  const rates = Array.from({ length: ROUNDS }, () => round(mode));
  return rates.sort((a, b) => a - b)[Math.floor(rates.length / 2)]!;
}

round('process'); // warm-up, and every binding refreshed once (steady-state memory below)
const decodeRate = measure('decode');
const processRate = measure('process');
const encodeRate = measure('process+encode');
// Drop the benchmark's own packet data before measuring what the home agent holds.
templates.length = 0;
hoas.length = 0;
coas.length = 0;
const steadyBytes = (heapUsed() - ha0) / ha.cache.size;

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const rows: [string, string, string][] = [
  ['refresh BU: decode only (baseline)', `${fmt(decodeRate)} /s`, '1.00'],
  ['refresh BU: decode + process', `${fmt(processRate)} /s`, (decodeRate / processRate).toFixed(2)],
  ['refresh BU: decode + process + encode BA', `${fmt(encodeRate)} /s`, (decodeRate / encodeRate).toFixed(2)],
  [`heap per binding, fresh (${fmt(ha.cache.size)} bindings)`, `${fmt(freshBytes)} B`, ''],
  ['heap per binding, after refreshes (steady)', `${fmt(steadyBytes)} B`, ''],
];
const w0 = Math.max(...rows.map((r) => r[0].length));
const w1 = Math.max(...rows.map((r) => r[1].length));
console.log(`${'measurement'.padEnd(w0)}  ${'value'.padStart(w1)}  time/baseline`);
for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`);
console.log(`(cache: ${fmt(HOAS)} home addresses x ${BIDS} bindings; median of ${ROUNDS} rounds of ${fmt(HOAS * BIDS)} BUs; sink ${sink % 10})`);
console.log(`RESULT bu_per_s=${Math.round(processRate)} bytes_per_binding=${Math.round(Math.max(freshBytes, steadyBytes))}`);

// bench:daemon — inside user-mode Linux (npm run bench:daemon): refresh BUs of an existing
// binding turned into BAs by mcoad, throughput with a window of outstanding BUs and latency
// at a fixed offered rate, next to a trivial echo server on the same socket as the baseline.
// `vs=BIN` (another build's bin/mcoad) measures that build too, in the same boot, after this one.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { decodeMessage } from '../lib/wire/mh.js';
import { DRAFT04_PROFILE } from '../lib/wire/profiles.js';
import { createNetns, type Netns } from '../test/kernel/netns.js';
import { COA, MobileNodeSide, bu, coaBid, pairTopology, removeDir, startDaemon, stopDaemon, tempDir, writeHomeAgentConfig } from '../test/kernel/fixtures/index.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const WINDOW = 32;
const THROUGHPUT_MS = 5000;
const RATE_PER_S = 200;
const LATENCY_MS = 4000;

let seq = 1000;
const nextSeq = () => (seq = (seq + 1) & 0xffff);

/** BAs per second with WINDOW BUs outstanding. */
async function throughput(mn: MobileNodeSide): Promise<number> {
  let acked = 0;
  let outstanding = 0;
  const end = Date.now() + THROUGHPUT_MS;
  const send = () => {
    while (outstanding < WINDOW && Date.now() < end) {
      try {
        mn.sendBu(bu(nextSeq(), 400, [{ bid: 1, c: false, o: false, h: false }]));
        outstanding++;
      } catch {
        break;
      }
    }
  };
  const on = (m: { data: Uint8Array }) => {
    const r = decodeMessage(m.data, DRAFT04_PROFILE);
    if (!r.ok || r.value.kind !== 'ba') return;
    acked++;
    outstanding--;
    send();
  };
  mn.sock.on('message', on);
  const t0 = Date.now();
  send();
  // Lost BUs would stall the window: top it up every 50 ms.
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    outstanding = Math.min(outstanding, WINDOW - 1);
    send();
  }
  await new Promise((r) => setTimeout(r, 200));
  mn.sock.off('message', on);
  return (acked * 1000) / (Date.now() - t0);
}

/** p50 and p99 BU -> BA latency in ms at RATE_PER_S. */
async function latency(mn: MobileNodeSide): Promise<{ p50: number; p99: number; lost: number }> {
  const sentAt = new Map<number, number>();
  const lat: number[] = [];
  const on = (m: { data: Uint8Array }) => {
    const r = decodeMessage(m.data, DRAFT04_PROFILE);
    if (!r.ok || r.value.kind !== 'ba') return;
    const t = sentAt.get(r.value.sequence);
    if (t === undefined) return;
    sentAt.delete(r.value.sequence);
    lat.push(Number(process.hrtime.bigint()) / 1e6 - t);
  };
  mn.sock.on('message', on);
  const n = Math.round((RATE_PER_S * LATENCY_MS) / 1000);
  const t0 = Number(process.hrtime.bigint()) / 1e6;
  for (let i = 0; i < n; i++) {
    const due = t0 + (i * 1000) / RATE_PER_S;
    const wait = due - Number(process.hrtime.bigint()) / 1e6;
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const s = nextSeq();
    sentAt.set(s, Number(process.hrtime.bigint()) / 1e6);
    try {
      mn.sendBu(bu(s, 400, [{ bid: 1, c: false, o: false, h: false }]));
    } catch {
      sentAt.delete(s);
    }
  }
  await new Promise((r) => setTimeout(r, 500));
  mn.sock.off('message', on);
  lat.sort((a, b) => a - b);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN;
  return { p50: q(0.5), p99: q(0.99), lost: sentAt.size };
}

async function measure(mn: MobileNodeSide) {
  const t = await throughput(mn);
  const l = await latency(mn);
  return { perS: t, ...l };
}

/** mcoad (`bin`) with one binding, measured; its kernel objects and journal removed after. */
async function measureDaemon(ha: Netns, mn: MobileNodeSide, dir: string, bin: string): Promise<Awaited<ReturnType<typeof measure>>> {
  // warn: the per-registration info line is left out of the measured path.
  const d = await startDaemon(ha, dir, writeHomeAgentConfig(dir, { ipsecRequired: false, logLevel: 'warn' }), 'mcoad', undefined, { command: [process.execPath, bin] });
  mn.sendBu(bu(nextSeq(), 400, [coaBid(1, COA)]));
  await mn.nextBa(5000); // the first registration (DAD, 1 s)
  const m = await measure(mn);
  // A de-registration, so the next daemon starts from an empty kernel and answers a first registration again.
  mn.sendBu(bu(nextSeq(), 0, [coaBid(1, COA)]));
  await mn.nextBa(5000);
  await stopDaemon(d, 'SIGTERM');
  return m;
}

async function startEcho(ha: Netns): Promise<ChildProcess> {
  const p = spawn('ip', ['netns', 'exec', ha.name, process.execPath, join(ROOT, 'dist', 'bench', 'echo-server.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => p.stdout!.once('data', () => resolve()));
  return p;
}

const ha = await createNetns('bha');
const mnNs = await createNetns('bmn');
const dir = tempDir();
try {
  await pairTopology(ha, mnNs);
  const mn = new MobileNodeSide(mnNs);
  // The echo server needs what mcoad installs for itself: the Home Address option state and policy.
  await ha.ip('xfrm', 'state', 'add', 'src', '::', 'dst', '::', 'proto', 'hao', 'spi', '0', 'mode', 'ro', 'coa', '::', 'flag', 'wildrecv', 'sel', 'src', '::/0', 'dst', '::/0');
  await ha.ip('xfrm', 'policy', 'add', 'src', '::/0', 'dst', '::/0', 'proto', '135', 'dir', 'in', 'tmpl', 'proto', 'hao', 'mode', 'ro', 'level', 'use');
  const echo = await startEcho(ha);
  const e = await measure(mn);
  echo.kill('SIGTERM');
  await ha.ip('xfrm', 'policy', 'flush');
  await ha.ip('xfrm', 'state', 'flush');
  const m = await measureDaemon(ha, mn, dir, join(ROOT, 'bin', 'mcoad'));
  const vsBin = process.argv.find((a) => a.startsWith('vs='))?.slice(3);
  const vsDir = tempDir();
  const vs = vsBin === undefined ? undefined : await measureDaemon(ha, mn, vsDir, vsBin).finally(() => removeDir(vsDir));
  mn.close();
  console.log('| server | BAs/s (window 32) | p50 ms | p99 ms | lost at 200/s |');
  console.log('|---|---:|---:|---:|---:|');
  console.log(`| echo (baseline) | ${e.perS.toFixed(0)} | ${e.p50.toFixed(2)} | ${e.p99.toFixed(2)} | ${e.lost} |`);
  console.log(`| mcoad | ${m.perS.toFixed(0)} | ${m.p50.toFixed(2)} | ${m.p99.toFixed(2)} | ${m.lost} |`);
  if (vs) console.log(`| mcoad ${vsBin} | ${vs.perS.toFixed(0)} | ${vs.p50.toFixed(2)} | ${vs.p99.toFixed(2)} | ${vs.lost} |`);
  console.log(`ratio throughput ${(m.perS / e.perS).toFixed(2)}, p99 ${(m.p99 / e.p99).toFixed(2)}`);
  const vsKeys = vs ? ` vs_bu_per_s=${vs.perS.toFixed(0)} vs_p99_ms=${vs.p99.toFixed(2)} vs_p50_ms=${vs.p50.toFixed(2)}` : '';
  console.log(`RESULT bu_per_s=${m.perS.toFixed(0)} echo_per_s=${e.perS.toFixed(0)} p99_ms=${m.p99.toFixed(2)} echo_p99_ms=${e.p99.toFixed(2)} p50_ms=${m.p50.toFixed(2)} echo_p50_ms=${e.p50.toFixed(2)}${vsKeys}`);
} finally {
  await ha.delete();
  await mnNs.delete();
  removeDir(dir);
}

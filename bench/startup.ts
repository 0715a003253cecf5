// bench:startup — inside user-mode Linux (npm run bench:startup [N]): how long mcoad takes
// from spawn to READY=1 on a $NOTIFY_SOCKET this script owns, with N bindings (default
// 10,000) in its journal and their kernel objects left by a previous run (a restart that
// adopts: journal load, kernel dump, reconcile finding nothing to do), against the same
// with an empty journal and an empty namespace as the baseline, in the same boot.
// Also shown, run once: the cold start (journal full, kernel empty: every object created).
// READY=1 is sent once the control socket listens and the first kernel pass is done.
import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalIp6 } from '../lib/inet/ip6.js';
import { BindingStore, putRecord, type StoredBinding } from '../lib/store/index.js';
import { createNetns, type Netns } from '../test/kernel/netns.js';
import { HA, HOME_PREFIX, pairTopology, removeDir, tempDir } from '../test/kernel/fixtures/index.js';
import { receiver } from '../test/unit/daemon/service/notify-receiver.js';
import { profileSummary } from './cpu-profile.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const N = Number(process.argv[2] ?? 10_000);
/** `profile` after N: the cold start and the first adopting start run with --cpu-prof; their top functions are printed. */
const PROFILE = process.argv.includes('profile');
const RUNS = 3;
const LIFETIME_S = 36_000; // outlives the bench: nothing expires while it runs
const READY_BOUND_MS = 1_800_000;

function config(dir: string): string {
  return `role: home-agent
home_agent:
  interface: home0
  address: ${HA}
  served_prefixes: [${HOME_PREFIX}]
  max_lifetime: ${LIFETIME_S}
ipsec:
  required: false
state_directory: ${join(dir, 'state')}
control:
  socket: ${join(dir, 'mcoad.sock')}
log_level: warn
`;
}

/** N bindings, one per home address, each with its own care-of address (N tunnels). */
async function writeJournal(stateDir: string, n: number): Promise<void> {
  const store = await BindingStore.open(stateDir);
  const now = Date.now();
  for (let i = 0; i < n; i++) {
    const binding: StoredBinding = {
      hoa: canonicalIp6(`2001:db8:aa::1:${i.toString(16)}`)!,
      bid: 1,
      coa: canonicalIp6(`2001:db8:1::1:${i.toString(16)}`)!,
      registeredAtWallMs: now,
      expiresAtWallMs: now + LIFETIME_S * 1000,
      lifetimeSeconds: LIFETIME_S,
      lastSequence: 1,
      flags: { homeRegistration: true, r: false, l: false, k: false },
      mobileNetworkPrefixes: [],
      homeBinding: false,
    };
    store.append([putRecord(binding)]);
  }
  await store.commit();
  await store.close();
}

interface Start {
  readyMs: number;
  status: string;
}

/** Spawns mcoad in `ns` on `dir`, resolves with spawn -> READY=1 in ms, then stops it with SIGTERM. */
async function startToReady(ns: Netns, dir: string, label: string, profileDir?: string): Promise<Start> {
  const notifyPath = join(dir, `notify-${label}`);
  const notify = receiver(notifyPath);
  const output: string[] = [];
  const t0 = process.hrtime.bigint();
  const profile = profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
  const proc = spawn('ip', ['netns', 'exec', ns.name, process.execPath, ...profile, join(ROOT, 'bin', 'mcoad'), '--config', join(dir, 'mcoad.yaml')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NOTIFY_SOCKET: notifyPath },
  });
  proc.stdout.on('data', (b: Buffer) => output.push(b.toString()));
  proc.stderr.on('data', (b: Buffer) => output.push(b.toString()));
  try {
    const end = Date.now() + READY_BOUND_MS;
    for (;;) {
      const ready = notify.take().find((m) => m.startsWith('READY=1'));
      if (ready !== undefined) {
        const readyMs = Number(process.hrtime.bigint() - t0) / 1e6;
        return { readyMs, status: /STATUS=([^\n]*)/.exec(ready)?.[1] ?? '' };
      }
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${label}: mcoad exited before READY=1:\n${output.join('')}`);
      if (Date.now() > end) throw new Error(`${label}: no READY=1 within ${READY_BOUND_MS} ms:\n${output.join('')}`);
      await new Promise((r) => setTimeout(r, 2));
    }
  } finally {
    const exited = new Promise((r) => proc.once('exit', r));
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    await exited;
    notify.close();
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const emptyHa = await createNetns('sha');
const emptyMn = await createNetns('smn');
const fullHa = await createNetns('fha');
const fullMn = await createNetns('fmn');
const emptyDir = tempDir();
const fullDir = tempDir();
try {
  await pairTopology(emptyHa, emptyMn);
  await pairTopology(fullHa, fullMn);
  for (const d of [emptyDir, fullDir]) writeFileSync(join(d, 'mcoad.yaml'), config(d));
  await writeJournal(join(fullDir, 'state'), N);

  const say = (line: string) => console.log(`startup: ${line}`);
  const baseline: number[] = [];
  for (let i = 0; i < RUNS; i++) baseline.push((await startToReady(emptyHa, emptyDir, `empty-${i}`)).readyMs);
  say(`empty journal: ${baseline.map((ms) => ms.toFixed(0)).join(', ')} ms; now the cold start with ${N} bindings (every kernel object created)`);

  const profiles = (label: string): string | undefined => (PROFILE ? join(fullDir, `profile-${label}`) : undefined);
  const cold = await startToReady(fullHa, fullDir, 'cold', profiles('cold'));
  if (!cold.status.includes(`${N} bindings`)) throw new Error(`cold start: READY=1 says "${cold.status}", not ${N} bindings`);
  const tunnels = (await fullHa.ip('-o', 'link', 'show', 'type', 'ip6tnl')).split('\n').filter((l) => l.includes('mip6t')).length;
  if (tunnels !== N) throw new Error(`after the cold start the kernel holds ${tunnels} of ${N} tunnels`);

  say(`cold start: ${cold.readyMs.toFixed(0)} ms, ${tunnels} tunnels; now ${RUNS} restarts that adopt them`);
  const adopt: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const s = await startToReady(fullHa, fullDir, `adopt-${i}`, i === 0 ? profiles('adopt') : undefined);
    if (!s.status.includes(`${N} bindings`)) throw new Error(`adoption: READY=1 says "${s.status}", not ${N} bindings`);
    adopt.push(s.readyMs);
  }

  for (const label of PROFILE ? ['cold', 'adopt'] : []) {
    const dir = profiles(label)!;
    for (const f of readdirSync(dir)) console.log(profileSummary(join(dir, f), ROOT, 20).join('\n'));
  }
  const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  console.log(`| start | spawn -> READY=1 (median of ${RUNS}) | runs |`);
  console.log('|---|---:|---|');
  console.log(`| empty journal, empty kernel (baseline) | ${fmt(median(baseline))} | ${baseline.map(fmt).join(', ')} |`);
  console.log(`| ${N} bindings, kernel objects adopted | ${fmt(median(adopt))} | ${adopt.map(fmt).join(', ')} |`);
  console.log(`| ${N} bindings, kernel empty (cold, once) | ${fmt(cold.readyMs)} | |`);
  console.log(`RESULT bindings=${N} ready_adopt_ms=${median(adopt).toFixed(0)} ready_empty_ms=${median(baseline).toFixed(0)} ratio=${(median(adopt) / median(baseline)).toFixed(2)} ready_cold_ms=${cold.readyMs.toFixed(0)}`);
} finally {
  for (const ns of [emptyHa, emptyMn, fullHa, fullMn]) await ns.delete();
  removeDir(emptyDir);
  removeDir(fullDir);
}

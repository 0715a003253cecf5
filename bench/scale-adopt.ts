// bench:scale, adopt phase: N bindings (N/2 home addresses × 2 care-of addresses) in mcoad's
// journal with `dataplane: shared`; a cold start creates their kernel objects, then a restart
// on them is timed from spawn to READY=1 (sent after the first kernel pass), and the kernel
// writes it made are read from `show stats` (kernel-ops): an adopting start creates nothing.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BindingStore, putRecord, type StoredBinding } from '../lib/store/index.js';
import { HA, HOME_PREFIX, pairTopology, removeDir, startDaemon, stats, stopDaemon, tempDir, type Daemon } from '../test/kernel/fixtures/index.js';
import { createNetns, type Netns } from '../test/kernel/netns.js';
import { receiver } from '../test/unit/daemon/service/notify-receiver.js';
import { scaleCoa, scaleHoa } from './scale-install.js';

const LIFETIME_S = 36_000; // outlives the bench: nothing expires while it runs
const READY_BOUND_MS = 3_000_000;

function config(dir: string): string {
  return `role: home-agent
home_agent:
  interface: home0
  address: ${HA}
  served_prefixes: [${HOME_PREFIX}]
  max_lifetime: ${LIFETIME_S}
  dataplane: shared
ipsec:
  required: false
limits:
  max_bindings: 1000000
state_directory: ${join(dir, 'state')}
control:
  socket: ${join(dir, 'mcoad.sock')}
log_level: warn
`;
}

async function writeJournal(stateDir: string, n: number): Promise<void> {
  const store = await BindingStore.open(stateDir);
  const now = Date.now();
  for (let h = 0; h < n / 2; h++) {
    for (const b of [0, 1] as const) {
      const binding: StoredBinding = {
        hoa: scaleHoa(h),
        bid: b + 1,
        coa: scaleCoa(h, b),
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
  }
  await store.commit();
  await store.close();
}

interface Start {
  readyMs: number;
  status: string;
  creates: number;
  d: Daemon;
}

/** Starts mcoad and waits for READY=1; the daemon is left running. */
async function startToReady(ns: Netns, dir: string, label: string): Promise<Start> {
  const notifyPath = join(dir, `notify-${label}`);
  const notify = receiver(notifyPath);
  try {
    const t0 = process.hrtime.bigint();
    const d = await startDaemon(ns, dir, join(dir, 'mcoad.yaml'), label, READY_BOUND_MS, { env: { NOTIFY_SOCKET: notifyPath } });
    const end = Date.now() + READY_BOUND_MS;
    for (;;) {
      const ready = notify.take().find((m) => m.startsWith('READY=1'));
      if (ready !== undefined) {
        const readyMs = Number(process.hrtime.bigint() - t0) / 1e6;
        const ops = (await stats(d)).counters['kernel-ops'] ?? {};
        const creates = Object.entries(ops).reduce((n, [k, v]) => (k.endsWith('-create') ? n + v : n), 0);
        return { readyMs, status: /STATUS=([^\n]*)/.exec(ready)?.[1] ?? '', creates, d };
      }
      if (d.proc.exitCode !== null) throw new Error(`${label}: mcoad exited before READY=1:\n${d.output.join('\n')}`);
      if (Date.now() > end) throw new Error(`${label}: no READY=1 within ${READY_BOUND_MS} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    notify.close();
  }
}

export interface AdoptResult {
  coldMs: number;
  adoptMs: number;
  coldCreates: number;
  adoptCreates: number;
  status: string;
}

export async function adoptPhase(n: number): Promise<AdoptResult> {
  const ha = await createNetns('aha');
  const mn = await createNetns('amn');
  const dir = tempDir();
  try {
    await pairTopology(ha, mn);
    writeFileSync(join(dir, 'mcoad.yaml'), config(dir));
    await writeJournal(join(dir, 'state'), n);
    const cold = await startToReady(ha, dir, 'cold');
    console.error(`scale: adopt N=${n}: cold start ${cold.readyMs.toFixed(0)} ms, ${cold.creates} creates, "${cold.status}"`);
    await stopDaemon(cold.d, 'SIGTERM', READY_BOUND_MS);
    const adopt = await startToReady(ha, dir, 'adopt');
    console.error(`scale: adopt N=${n}: restart ${adopt.readyMs.toFixed(0)} ms, ${adopt.creates} creates, "${adopt.status}"`);
    await stopDaemon(adopt.d, 'SIGTERM', READY_BOUND_MS);
    return { coldMs: cold.readyMs, adoptMs: adopt.readyMs, coldCreates: cold.creates, adoptCreates: adopt.creates, status: adopt.status };
  } finally {
    // Deleting a namespace with N objects takes long in UML: only when small.
    if (n <= 10_000) {
      await ha.delete();
      await mn.delete();
    }
    removeDir(dir);
  }
}

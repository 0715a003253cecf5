// KernelSync's steps that run between passes (the K-bit migrate never overlaps a pass).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { KernelSync } from '../../../lib/daemon/ha/kernel-sync.js';
import { Reconciler, type ObjectDriver } from '../../../lib/reconcile/engine.js';
import type { HomeAgentKernel } from '../../../lib/daemon/ha/kernel.js';
import { DEFAULT_MARKS } from '../../../lib/reconcile/marks.js';

/** Records writes; `gate` holds list() until released (a pass in progress). */
class RecordingDriver implements ObjectDriver<unknown, unknown> {
  readonly log: string[];
  gate: Promise<void> | undefined;
  constructor(readonly kind: string, log: string[]) {
    this.log = log;
  }
  async list(): Promise<Map<string, unknown>> {
    this.log.push(`${this.kind} list`);
    if (this.gate) await this.gate;
    return new Map();
  }
  same(): boolean {
    return false;
  }
  async create(key: string, d: unknown): Promise<unknown> {
    this.log.push(`create ${this.kind} ${key}`);
    return d;
  }
  async update(key: string, d: unknown): Promise<unknown> {
    this.log.push(`update ${this.kind} ${key}`);
    return d;
  }
  async remove(key: string): Promise<void> {
    this.log.push(`remove ${this.kind} ${key}`);
  }
}

function setup() {
  const log: string[] = [];
  const drivers = [new RecordingDriver('xfrm-state', log), new RecordingDriver('xfrm-policy', log)];
  // KernelSync indexes the tunnels and proxy entries it sees.
  const r = new Reconciler([...drivers, new RecordingDriver('tunnel', []), new RecordingDriver('proxy', [])]);
  return { log, drivers, r };
}

test('KernelSync: a step queued while a pass runs waits for it, and runs before the next pass reads anything', async () => {
  const { log, drivers, r } = setup();
  const sync = new KernelSync({ reconciler: r, marks: DEFAULT_MARKS } as unknown as HomeAgentKernel, pino({ level: 'silent' }), 3_600_000);
  let release!: () => void;
  drivers[0]!.gate = new Promise<void>((res) => (release = res));
  const first = sync.passNow(); // a resync pass: blocked in its first list()
  await new Promise((res) => setImmediate(res));
  assert.deepEqual(log, ['xfrm-state list']);
  r.requestResync(); // the next pass lists again, so its reads show in the log
  const step = sync.beforeNextPass(async () => {
    log.push('step');
    return 42;
  });
  await new Promise((res) => setTimeout(res, 20));
  assert.deepEqual(log, ['xfrm-state list'], 'the step does not overlap the running pass');
  drivers[0]!.gate = undefined;
  release();
  await first;
  assert.equal(await step, 42);
  await sync.passNow();
  assert.deepEqual(log, ['xfrm-state list', 'xfrm-policy list', 'step', 'xfrm-state list', 'xfrm-policy list']);
  await sync.stop();
});

test('KernelSync: a failed step rejects its caller and the pass still runs; stop cancels queued steps', async () => {
  const { log, r } = setup();
  const sync = new KernelSync({ reconciler: r, marks: DEFAULT_MARKS } as unknown as HomeAgentKernel, pino({ level: 'silent' }), 3_600_000);
  await assert.rejects(sync.beforeNextPass(() => Promise.reject(new Error('ENOENT'))), /ENOENT/);
  await sync.passNow();
  assert.ok(log.includes('xfrm-state list'));
  await sync.stop();
  await assert.rejects(sync.beforeNextPass(async () => 1), /stopped/);
});

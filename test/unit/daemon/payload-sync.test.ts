// The payload objects per home address merged into the reconciler (only changed keys are
// written; a care-of address shared by two home addresses stays with its first owner),
// and KernelSync's steps that run between passes (the K-bit migrate never overlaps a pass).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { HoaIpsecSas } from '../../../lib/config/daemon-config.js';
import { KernelSync } from '../../../lib/daemon/ha/kernel-sync.js';
import { PayloadIpsecIndex } from '../../../lib/daemon/ha/payload-sync.js';
import { DEFAULT_XFRM_BANDS as BANDS, policyKey, stateKey } from '../../../lib/reconcile/drivers/xfrm.js';
import { Reconciler, type ObjectDriver } from '../../../lib/reconcile/engine.js';
import type { HomeAgentKernel } from '../../../lib/daemon/ha/kernel.js';
import { DEFAULT_MARKS } from '../../../lib/reconcile/marks.js';

const HA = '2001:db8:aa::1';
const A = '2001:db8:1::10';
const B = '2001:db8:1::11';
const aead = { name: 'rfc4106(gcm(aes))', key: new Uint8Array(20).fill(7), icvBits: 128 };
const withPayload = (spiIn: number, reqid: number): HoaIpsecSas => ({ spiIn, spiOut: spiIn + 1, reqid, aead, payload: { spiIn: spiIn + 0x1000, spiOut: spiIn + 0x1001, aead } });

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
  // KernelSync looks at the proxy entries around every pass.
  const r = new Reconciler([...drivers, new RecordingDriver('proxy', [])]);
  const index = new PayloadIpsecIndex(r);
  return { log, drivers, r, index };
}

test('§8.3.2: a home address with payload SAs gets its objects per tunnel; a repeat writes nothing', async () => {
  const { log, r, index } = setup();
  index.configure({ sas: { 'h::1': withPayload(0x100, BANDS.reqidBase + 1) }, ha: HA, bands: BANDS });
  assert.equal(index.protects('h::1'), true);
  index.update('h::1', [{ local: HA, remote: A }]);
  await r.pass();
  assert.equal(log.filter((l) => l.startsWith('create xfrm-state')).length, 2);
  assert.equal(log.filter((l) => l.startsWith('create xfrm-policy')).length, 2);
  assert.deepEqual([...index.coas('h::1')], [A]);
  index.update('h::1', [{ local: HA, remote: A }]);
  assert.equal(r.pendingCount(), 0);
  // A full XFRM set built from all() keeps identities: nothing dirty after a reload with the same file.
  index.configure({ sas: { 'h::1': withPayload(0x100, BANDS.reqidBase + 1) }, ha: HA, bands: BANDS });
  const all = index.all();
  r.setDesired('xfrm-state', new Map(all.states.map((s) => [stateKey(s), s])));
  r.setDesired('xfrm-policy', new Map(all.policies.map((p) => [policyKey(p), p])));
  assert.equal(r.pendingCount(), 0);
});

test('a moved tunnel: the new address objects written, the old ones removed, the inbound SA untouched', async () => {
  const { log, r, index } = setup();
  index.configure({ sas: { 'h::1': withPayload(0x100, BANDS.reqidBase + 1) }, ha: HA, bands: BANDS });
  index.update('h::1', [{ local: HA, remote: A }]);
  await r.pass();
  log.length = 0;
  index.update('h::1', [{ local: HA, remote: B }]);
  await r.pass();
  assert.deepEqual(log.map((l) => l.split(' ').slice(0, 2).join(' ')).sort(), [
    'create xfrm-policy', 'create xfrm-policy', 'create xfrm-state', 'remove xfrm-policy', 'remove xfrm-policy', 'remove xfrm-state',
  ]);
  assert.ok(log.some((l) => l.startsWith('create xfrm-state') && l.includes(`>${B}|`)));
  assert.ok(log.some((l) => l.startsWith('remove xfrm-state') && l.includes(`>${A}|`)));
});

test('no payload section, or a clashing spi_in: no payload objects', async () => {
  const { r, index } = setup();
  const plain: HoaIpsecSas = { spiIn: 0x100, spiOut: 0x101, aead };
  const clash = { ...withPayload(0x300, BANDS.reqidBase + 3), payload: { spiIn: 0x100, spiOut: 0x999, aead } };
  index.configure({ sas: { 'h::1': plain, 'h::2': clash }, ha: HA, bands: BANDS });
  assert.equal(index.protects('h::1'), false);
  assert.equal(index.protects('h::2'), false);
  assert.deepEqual([...index.clashes], [['h::2', 'h::1']]);
  index.update('h::1', [{ local: HA, remote: A }]);
  index.update('h::2', [{ local: HA, remote: B }]);
  assert.equal(r.pendingCount(), 0);
  assert.equal(index.migration('h::1', A, B, 1), undefined);
});

test('a care-of address shared by two home addresses: the first owner keeps the policy until it leaves', async () => {
  const { r, index } = setup();
  index.configure({ sas: { 'h::1': withPayload(0x100, BANDS.reqidBase + 1), 'h::2': withPayload(0x200, BANDS.reqidBase + 2) }, ha: HA, bands: BANDS });
  index.update('h::1', [{ local: HA, remote: A }]);
  index.update('h::2', [{ local: HA, remote: A }]);
  const outKey = policyKey({ selector: { src: HA, srcLen: 128, dst: A, dstLen: 128, proto: 41 }, dir: 'out' });
  const reqidOf = (): number | undefined => index.all().policies.find((p) => policyKey(p) === outKey)?.templates[0]?.reqid;
  assert.equal(reqidOf(), BANDS.reqidBase + 1);
  index.update('h::1', []);
  assert.equal(reqidOf(), BANDS.reqidBase + 2);
  assert.equal(r.isDesired('xfrm-policy', outKey), true);
  index.update('h::2', []);
  assert.equal(r.isDesired('xfrm-policy', outKey), false);
});

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

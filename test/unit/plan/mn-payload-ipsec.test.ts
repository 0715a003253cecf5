// The mobile node's payload ESP (plan/mn/payload-ipsec.ts, daemon/mn/payload-sync.ts): the mirror image
// of the home agent's objects for the same configuration (keys, SPIs, selectors agree), which
// care-of addresses are protected as the Binding Update List changes, and the K-bit move:
// XFRM_MSG_MIGRATE of the inbound SA, run before the pass that would re-install it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { HoaIpsecSas } from '../../../lib/config/daemon-config.js';
import type { BulView } from '../../../lib/proto/mn/index.js';
import { Counters } from '../../../lib/daemon/counters.js';
import {
  MN_PAYLOAD_REQID_OFFSET, mobileNodePayloadMigration, mobileNodePayloadReqid, mobileNodePayloadXfrm, planMobileNodePayload,
} from '../../../lib/plan/mn/payload-ipsec.js';
import { MobileNodePayload } from '../../../lib/daemon/mn/payload-sync.js';
import { PAYLOAD_PRIORITY_OFFSET, payloadIpsecXfrm, type PayloadObjects } from '../../../lib/plan/ha/payload-ipsec.js';
import type { NetlinkSocket } from '../../../lib/platform/netlink/socket.js';
import { DEFAULT_XFRM_BANDS as BANDS, policyKey, stateKey } from '../../../lib/reconcile/drivers/xfrm.js';
import { Reconciler, type ObjectDriver } from '../../../lib/reconcile/engine.js';

const HA = '2001:db8:aa::1';
const HOA = '2001:db8:aa::100';
const A = '2001:db8:f1::10';
const B = '2001:db8:f2::10';
const C = '2001:db8:f2::99';
const aead = { name: 'rfc4106(gcm(aes))', key: new Uint8Array(20).fill(9), icvBits: 128 };
/** The home agent's view, and the mobile node's (directions swapped). */
const HA_SAS: HoaIpsecSas = { spiIn: 0x1001, spiOut: 0x1002, aead, payload: { spiIn: 0x2001, spiOut: 0x2002, aead } };
const MN_SAS: HoaIpsecSas = { spiIn: 0x1002, spiOut: 0x1001, aead, payload: { spiIn: 0x2002, spiOut: 0x2001, aead } };
const R = BANDS.reqidBase + MN_PAYLOAD_REQID_OFFSET;

const entry = (iface: string, careOf: string | null, state: BulView['state'], more: Partial<BulView> = {}): BulView => ({
  peer: HA, role: 'ha', bid: Number(iface.slice(-1)), iface, careOf, homeBinding: false, state,
  sequence: 1, lifetimeSeconds: 300, expiresAtMs: null, failedStatus: null, ...more,
});

test('MCoA §8.3.2: the mobile node\'s objects mirror the home agent\'s for the same SAs and care-of addresses', () => {
  const mn = mobileNodePayloadXfrm(MN_SAS.payload!, HA, [A, B], R, BANDS);
  const ha = payloadIpsecXfrm(HA, [{ local: HA, remote: A }, { local: HA, remote: B }], HA_SAS.payload!, BANDS.reqidBase + 1, BANDS);
  // Same SA identities (source, destination, SPI) at both ends, same keys; the reqid is each end's own.
  const ids = (o: PayloadObjects): string[] => o.states.map((s) => `${stateKey(s)} ${s.aead?.name} ${Buffer.from(s.aead!.key).toString('hex')}`).sort();
  assert.deepEqual(ids(mn), ids(ha));
  // Each policy has its opposite at the other end: out at one is in at the other, proto 41, ESP required.
  const flip = (d: string): string => (d === 'in' ? 'out' : 'in');
  const sel = (o: PayloadObjects, swap: boolean): string[] => o.policies.map((p) => `${swap ? flip(p.dir) : p.dir} ${p.selector.src}>${p.selector.dst} ${p.selector.proto}`).sort();
  assert.deepEqual(sel(mn, false), sel(ha, true));
  for (const p of mn.policies) {
    assert.equal(p.priority, BANDS.priorityBase + PAYLOAD_PRIORITY_OFFSET);
    assert.deepEqual(p.templates, [{ proto: 50, mode: 0, reqid: R }]);
  }
  assert.ok(mn.states.every((s) => s.reqid === R && s.mode === 0 && s.proto === 50));
  assert.deepEqual(mn.states[0], { proto: 50, mode: 0, reqid: R, aead, src: '::', dst: HA, spi: 0x2001 }, 'one outbound SA for every care-of address');
  assert.deepEqual(mobileNodePayloadXfrm(MN_SAS.payload!, HA, [], R, BANDS), { states: [], policies: [] }, 'no care-of address: nothing');
});

test('the payload reqid is not the signalling reqid (the kernel picks outbound SAs to HA by reqid)', () => {
  assert.equal(mobileNodePayloadReqid(MN_SAS, HOA, BANDS), R);
  assert.notEqual(mobileNodePayloadReqid(MN_SAS, HOA, BANDS), BANDS.reqidBase + 1);
  assert.equal(mobileNodePayloadReqid({ ...MN_SAS, reqid: R }, HOA, BANDS), R + 1);
});

test('plan: accepted care-of addresses protected; a pending new address keeps the old one until its BA; then a move', () => {
  const p1 = planMobileNodePayload(new Map(), [entry('mn1', A, 'registered'), entry('mn2', B, 'registered'), entry('mn3', null, 'pending')], [A, B]);
  assert.deepEqual(p1.coas, [A, B]);
  assert.deepEqual(p1.moves, []);
  // mn2's address changes to C: BU sent, awaiting the BA: B stays.
  const p2 = planMobileNodePayload(p1.current, [entry('mn1', A, 'registered'), entry('mn2', C, 'pending')], [A]);
  assert.deepEqual(p2.coas, [A, B]);
  assert.deepEqual(p2.moves, []);
  // The BA: C accepted, a move B -> C.
  const p3 = planMobileNodePayload(p2.current, [entry('mn1', A, 'registered'), entry('mn2', C, 'registered')], [A, C]);
  assert.deepEqual(p3.coas, [A, C]);
  assert.deepEqual(p3.moves, [{ iface: 'mn2', bid: 2, from: B, to: C }]);
  // Refused (failed) or gone: dropped, no move.
  assert.deepEqual(planMobileNodePayload(p2.current, [entry('mn1', A, 'registered'), entry('mn2', C, 'failed')], [A]).coas, [A]);
  // Registered but the interface no longer holds it (not in accepted): dropped.
  assert.deepEqual(planMobileNodePayload(p1.current, [entry('mn1', A, 'registered'), entry('mn2', B, 'registered')], [A]).coas, [A]);
});

test('plan: no move when the old address is still used by another binding, or the new one was already protected; others ignored', () => {
  const prev = new Map([['mn1', A], ['mn2', B]]);
  // mn2 moves to A, which mn1 had: no move (A's SA exists).
  assert.deepEqual(planMobileNodePayload(prev, [entry('mn1', A, 'registered'), entry('mn2', A, 'registered')], [A]).moves, []);
  // mn1 moves to B while mn2 keeps B: the old A is free but B was protected: no move.
  assert.deepEqual(planMobileNodePayload(prev, [entry('mn1', B, 'registered'), entry('mn2', B, 'registered')], [B]).moves, []);
  // Correspondent entries and the home binding are not tunnels.
  const other = [entry('mn1', A, 'registered', { role: 'cn', peer: '2001:db8:c::10' }), entry('mn2', HOA, 'registered', { homeBinding: true })];
  assert.deepEqual(planMobileNodePayload(new Map(), other, [A, HOA]).coas, []);
});

test('K-bit migration: through the old inbound policy, the inbound SA from (HA, old) to (HA, new)', () => {
  const m = mobileNodePayloadMigration(HA, { iface: 'mn2', bid: 2, from: B, to: C }, R, BANDS);
  assert.deepEqual(m.policy, { selector: { src: HA, srcLen: 128, dst: B, dstLen: 128, proto: 41 }, dir: 'in' });
  assert.deepEqual(m.entry, { oldSrc: HA, oldDst: B, newSrc: HA, newDst: C, proto: 50, mode: 0, reqid: R });
});

/** Records kernel writes in order. */
class RecordingDriver implements ObjectDriver<unknown, unknown> {
  constructor(readonly kind: string, private readonly log: string[]) {}
  async list(): Promise<Map<string, unknown>> {
    return new Map();
  }
  same(): boolean {
    return false;
  }
  async create(key: string, d: unknown): Promise<unknown> {
    this.log.push(`create ${this.kind} ${key}`);
    return d;
  }
  async update(_key: string, d: unknown): Promise<unknown> {
    return d;
  }
  async remove(key: string): Promise<void> {
    this.log.push(`remove ${this.kind} ${key}`);
  }
}

function harness(keyManagement: boolean, migrateFails = false) {
  const log: string[] = [];
  const reconciler = new Reconciler([new RecordingDriver('xfrm-state', log), new RecordingDriver('xfrm-policy', log)]);
  const kernel = {
    reconciler,
    bands: BANDS,
    setPayload(o: PayloadObjects): void {
      reconciler.setDesired('xfrm-state', new Map(o.states.map((s) => [stateKey(s), s])));
      reconciler.setDesired('xfrm-policy', new Map(o.policies.map((p) => [policyKey(p), p])));
    },
    schedule(): void {},
  };
  const sock = {
    request: async (_bytes: Uint8Array, o: { op: () => string }): Promise<void> => {
      log.push(o.op());
      if (migrateFails) throw new Error('ENOENT');
    },
  } as unknown as NetlinkSocket;
  const counters = new Counters();
  const sync = new MobileNodePayload({ sa: MN_SAS.payload!, homeAgent: HA, reqid: R, keyManagement }, kernel, sock, counters, pino({ level: 'silent' }));
  return { log, reconciler, sync, counters };
}

async function moveB2C(h: ReturnType<typeof harness>, baK: boolean): Promise<void> {
  h.sync.update([entry('mn1', A, 'registered'), entry('mn2', B, 'registered')], [A, B]);
  await h.reconciler.pass();
  h.log.length = 0;
  h.sync.update([entry('mn1', A, 'registered'), entry('mn2', C, 'pending')], [A]);
  assert.equal(h.reconciler.isDesired('xfrm-state', stateKey({ proto: 50, src: HA, dst: B, spi: 0x2002 })), true, 'held for the BA');
  h.sync.noteAck(baK);
  h.sync.update([entry('mn1', A, 'registered'), entry('mn2', C, 'registered')], [A, C]);
  await h.reconciler.pass();
}

test('BA with K: XFRM_MSG_MIGRATE runs first, then the pass creates the new policies and removes the old', async () => {
  const h = harness(true);
  await moveB2C(h, true);
  assert.equal(h.log[0], `XFRM_MSG_MIGRATE dir in ${B}->${C}`, h.log.join('\n'));
  assert.ok(h.log.includes(`remove xfrm-state 50|${HA}>${B}|${0x2002}`));
  assert.ok(h.log.some((l) => l.startsWith('create xfrm-policy') && l.includes(C)));
  assert.equal(h.counters.get('ipsec', 'payload-migrated'), 1);
  assert.equal(h.counters.get('ipsec', 'payload-reinstalled'), 0);
});

test('BA without K, or key_management_mobility off: no migrate, re-installed and counted', async () => {
  for (const [km, k] of [[true, false], [false, true]] as const) {
    const h = harness(km);
    await moveB2C(h, k);
    assert.ok(!h.log.some((l) => l.startsWith('XFRM_MSG_MIGRATE')), h.log.join('\n'));
    assert.ok(h.log.includes(`create xfrm-state 50|${HA}>${C}|${0x2002}`));
    assert.equal(h.counters.get('ipsec', 'payload-reinstalled'), 1);
    assert.equal(h.counters.get('ipsec', 'payload-migrated'), 0);
  }
});

test('a failed migrate is counted; the pass re-installs at the new address anyway', async () => {
  const h = harness(true, true);
  await moveB2C(h, true);
  assert.equal(h.counters.get('ipsec', 'payload-migrate-failed'), 1);
  assert.ok(h.log.includes(`create xfrm-state 50|${HA}>${C}|${0x2002}`));
});

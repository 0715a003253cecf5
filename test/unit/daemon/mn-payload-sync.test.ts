// The mobile node's payload SAs kept in step with its Binding Update List
// (lib/daemon/mn/payload-sync.ts) and the K-bit move (MCoA §8.1, RFC 6275 §11.7.1):
// XFRM_MSG_MIGRATE of the inbound SA, run before the pass that would re-install it.
import type { Ip6 } from '../../../lib/inet/ip6.js';
import { ip6 } from '../../ip6.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { HoaIpsecSas } from '../../../lib/config/daemon-config.js';
import type { BulView } from '../../../lib/proto/mn/index.js';
import { Metrics } from '../../../lib/daemon/metrics/metrics.js';
import { MN_PAYLOAD_REQID_OFFSET } from '../../../lib/plan/mn/payload-ipsec.js';
import { MobileNodePayload } from '../../../lib/daemon/mn/payload-sync.js';
import { keyedXfrm, DEFAULT_XFRM_BANDS as BANDS, stateKey, type XfrmObjects } from '../../../lib/plan/common/xfrm-objects.js';
import type { NetlinkSocket } from '../../../lib/platform/netlink/socket.js';
import { Reconciler, type ObjectDriver } from '../../../lib/reconcile/engine.js';

const HA = ip6('2001:db8:aa::1');
const A = ip6('2001:db8:f1::10');
const B = ip6('2001:db8:f2::10');
const C = ip6('2001:db8:f2::99');
const aead = { name: 'rfc4106(gcm(aes))', key: new Uint8Array(20).fill(9), icvBits: 128 };
const MN_SAS: HoaIpsecSas = { spiIn: 0x1002, spiOut: 0x1001, aead, payload: { spiIn: 0x2002, spiOut: 0x2001, aead } };
const R = BANDS.reqidBase + MN_PAYLOAD_REQID_OFFSET;

const entry = (iface: string, careOf: Ip6 | null, state: BulView['state'], more: Partial<BulView> = {}): BulView => ({
  peer: HA, role: 'ha', bid: Number(iface.slice(-1)), iface, careOf, homeBinding: false, state,
  sequence: 1, lifetimeSeconds: 300, expiresAtMs: null, failedStatus: null, ...more,
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
    setPayload(o: XfrmObjects): void {
      const keyed = keyedXfrm(o);
      reconciler.setDesired('xfrm-state', keyed.states);
      reconciler.setDesired('xfrm-policy', keyed.policies);
    },
    schedule(): void {},
  };
  const sock = {
    request: async (_bytes: Uint8Array, o: { op: () => string }): Promise<void> => {
      log.push(o.op());
      if (migrateFails) throw new Error('ENOENT');
    },
  } as unknown as NetlinkSocket;
  const counters = new Metrics('mobile-node');
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
  assert.equal(h.counters.get('ipsec_payload', { outcome: 'migrated' }), 1);
  assert.equal(h.counters.get('ipsec_payload', { outcome: 'reinstalled' }), 0);
});

test('BA without K, or key_management_mobility off: no migrate, re-installed and counted', async () => {
  for (const [km, k] of [[true, false], [false, true]] as const) {
    const h = harness(km);
    await moveB2C(h, k);
    assert.ok(!h.log.some((l) => l.startsWith('XFRM_MSG_MIGRATE')), h.log.join('\n'));
    assert.ok(h.log.includes(`create xfrm-state 50|${HA}>${C}|${0x2002}`));
    assert.equal(h.counters.get('ipsec_payload', { outcome: 'reinstalled' }), 1);
    assert.equal(h.counters.get('ipsec_payload', { outcome: 'migrated' }), 0);
  }
});

test('a failed migrate is counted; the pass re-installs at the new address anyway', async () => {
  const h = harness(true, true);
  await moveB2C(h, true);
  assert.equal(h.counters.get('ipsec_payload', { outcome: 'migrate-failed' }), 1);
  assert.ok(h.log.includes(`create xfrm-state 50|${HA}>${C}|${0x2002}`));
});

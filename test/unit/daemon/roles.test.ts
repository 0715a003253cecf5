// The correspondent and the mobile node in the same shell, on the in-memory kernel: the
// correspondent restores its journal, installs route-optimisation states, expires a binding
// on its timer and takes the operator's removals; a reload applies its live keys and caps and
// names the rest as waiting for a restart. The mobile node starts without a store and stops in order.
import type { Ip6 } from '../../../lib/inet/ip6.js';
import { ip6 } from '../../ip6.js';
import test, { afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { ControlRequestError } from '../../../lib/control/client.js';
import type { BindingView, StatsView } from '../../../lib/control/protocol.js';
import { CORRESPONDENT_ROLE } from '../../../lib/daemon/cn/daemon.js';
import { MOBILE_NODE_ROLE } from '../../../lib/daemon/mn/daemon.js';
import { BindingStore, putRecord, seqRecord, type StoredBinding } from '../../../lib/store/index.js';
import { XFRM_MSG_DELSA, XFRM_MSG_NEWSA } from '../../../lib/platform/xfrm/xfrm-constants.js';
import { command, serveRole, stop, stopAll, until, type TestDir, type TestHost } from './fake-host.js';

afterEach(stopAll);

const NETLINK_XFRM = 6;
const CN_YAML = `role: correspondent
correspondent:
  address: 2001:db8:c::10
`;
const MN_HOA = '2001:db8:aa::100';
const MN_YAML = `role: mobile-node
mobile_node:
  home_address: ${MN_HOA}
  home_agent: 2001:db8:aa::1
  home_prefix_length: 64
  interfaces: [wlan0]
ipsec:
  required: false
`;

function binding(hoa: Ip6, bid: number, coa: Ip6, nowMs: number, lifetimeSeconds: number): StoredBinding {
  return {
    hoa,
    bid,
    coa,
    registeredAtWallMs: nowMs,
    expiresAtWallMs: nowMs + lifetimeSeconds * 1000,
    lifetimeSeconds,
    lastSequence: 7,
    flags: { homeRegistration: false, r: false, l: false, k: false },
    mobileNetworkPrefixes: [],
    homeBinding: false,
  };
}

/** Two home addresses in the journal before the correspondent starts: one for 20 s, one for 400 s. */
async function journal(host: TestHost, dir: TestDir): Promise<void> {
  mkdirSync(dir.state, { recursive: true });
  const store = await BindingStore.open(dir.state);
  const now = host.clock.now();
  store.append([
    putRecord(binding(ip6('2001:db8:aa::1'), 1, ip6('2001:db8:a::1'), now, 20)),
    seqRecord(ip6('2001:db8:aa::1'), 7),
    putRecord(binding(ip6('2001:db8:aa::2'), 1, ip6('2001:db8:b::1'), now, 400)),
    seqRecord(ip6('2001:db8:aa::2'), 7),
  ]);
  await store.commit();
  await store.close();
}

test('correspondent: journal restored, its route-optimisation states installed; expiry on the timer; del binding; reload', async () => {
  const r = await serveRole(CORRESPONDENT_ROLE, CN_YAML, { prepare: journal });
  assert.equal(r.exit, undefined, r.messages().join('\n'));
  assert.ok(!r.host.steps.some((s) => s.startsWith('sysctl')), 'a correspondent sets no sysctls');
  assert.equal((await command<BindingView[]>(r, 'show-bindings')).length, 2);
  await until('states installed', () => r.host.kernel.received(NETLINK_XFRM, XFRM_MSG_NEWSA).length > 0);
  assert.equal(r.host.kernel.received(NETLINK_XFRM, XFRM_MSG_DELSA).length, 0);

  r.host.clock.advance(21_000);
  assert.deepEqual((await command<BindingView[]>(r, 'show-bindings')).map((b) => b.hoa), ['2001:db8:aa::2']);
  assert.ok(r.lines.some((l) => l['msg'] === 'binding expired' && l['hoa'] === '2001:db8:aa::1'));
  await until('the expired binding\'s states deleted', () => r.host.kernel.received(NETLINK_XFRM, XFRM_MSG_DELSA).length > 0);

  await assert.rejects(command(r, 'del-binding', { hoa: '2001:db8:aa::1' }), (e: unknown) => e instanceof ControlRequestError && e.code === 'NOT_FOUND');
  assert.deepEqual(await command(r, 'del-binding', { hoa: '2001:db8:aa::2', bid: 1 }), { removed: 1 });
  const stats = await command<StatsView>(r, 'show-stats');
  assert.equal(stats.bindings, 0);
  assert.equal(stats.counters['bindings']?.['expired'], 1);
  assert.deepEqual(stats.counters['nonces'], { held: 0 });

  await r.dir.write(`${CN_YAML.replace('2001:db8:c::10', '2001:db8:c::11')}limits: { max_bindings: 7 }\n`);
  const reload = await command<{ applied: { key: string }[]; notApplied: { key: string }[] }>(r, 'reload');
  assert.deepEqual(reload.applied.map((a) => a.key), ['limits']);
  assert.deepEqual(reload.notApplied.map((a) => a.key), ['correspondent.address']);
  assert.ok(r.lines.some((l) => l['msg'] === 'configuration reloaded' && l['maxBindings'] === 7));
  const state = r.dir.state;
  const dir = r.dir;
  r.signals.term();
  assert.equal(await r.run, 0);
  const reread = await BindingStore.open(state);
  assert.deepEqual(reread.loadAll().bindings, [], 'the expiry and the removal are in the journal');
  await reread.close();
  dir.remove();
});

test('mobile node: no store; start and stop in order; show bindings filters by its one home address', async () => {
  const r = await serveRole(MOBILE_NODE_ROLE, MN_YAML);
  assert.equal(r.exit, undefined, r.messages().join('\n'));
  assert.deepEqual(await command<BindingView[]>(r, 'show-bindings', { hoa: '2001:db8:aa::999' }), []);
  const all = await command<BindingView[]>(r, 'show-bindings');
  assert.deepEqual(await command<BindingView[]>(r, 'show-bindings', { hoa: MN_HOA }), all);
  const stats = await command<StatsView>(r, 'show-stats');
  assert.equal(stats.homeAddresses, 1);
  assert.equal(stats.counters['store'], undefined);
  assert.equal(await stop(r), 0);
  assert.deepEqual(r.host.steps, [
    'open netlink 0',
    'open netlink 6',
    'open netlink 0 groups',
    'open mh',
    'open nd',
    'open icmp6',
    'serving',
    'stopping',
    'close icmp6',
    'close mh',
    'close nd',
    'close netlink 0 groups',
    'close netlink 6',
    'close netlink 0',
  ]);
});

// `mcoactl purge` in a real kernel: mcoad (home agent) registers three care-of addresses
// and is stopped, leaving its tunnels, nexthops and group, route, proxy entry and XFRM
// objects for adoption; hand-made look-alikes without the marks are added; purge deletes
// exactly mcoad's, as `ip` shows, refuses while mcoad runs, and a second purge finds nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CommandError, sh, type Netns } from './netns.js';
import { HA, HOA, KERNEL_TEST_TIMEOUT_MS, bu, coaBid, stopDaemon, until, withPairHomeAgent, type Daemon } from './fixtures/index.js';
import { DEFAULT_MARKS } from '../../lib/reconcile/marks.js';
import { DEFAULT_XFRM_BANDS } from '../../lib/reconcile/drivers/xfrm.js';

const ROOT = new URL('../../..', import.meta.url).pathname;
const COAS = ['2001:db8:1::10', '2001:db8:1::11', '2001:db8:1::12'];
const BAND_ID = DEFAULT_MARKS.nexthopIdBase;
const HAND_ID_IN_BAND = BAND_ID + 0x8000;
const HAND_ID_PROTO_135 = 77;
const inPolicyBand = (p: number) => p >= DEFAULT_XFRM_BANDS.priorityBase && p < DEFAULT_XFRM_BANDS.priorityBase + DEFAULT_XFRM_BANDS.priorityCount;

/** `mcoactl purge ARGS` for namespace `ns`: exit status, stdout, stderr. */
async function purge(ns: Netns, d: Daemon, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const out = await sh(process.execPath, [join(ROOT, 'bin', 'mcoactl'), 'purge', '--netns', ns.name, '--socket', d.socket, ...args]);
    return { code: 0, out, err: '' };
  } catch (e) {
    if (!(e instanceof CommandError) || e.exitCode === null) throw e;
    return { code: e.exitCode, out: e.stdout, err: e.stderr };
  }
}

interface View {
  tunnels: string[];
  nexthops: string[];
  routes: string[];
  proxies: string[];
  policies: number[];
  states: string[];
}

/** What the kernel holds, read with `ip` (the independent check). */
async function view(ha: Netns): Promise<View> {
  const links = JSON.parse(await ha.ip('-d', '-j', 'link', 'show', 'type', 'ip6tnl')) as { ifname: string }[];
  const nexthops = JSON.parse((await ha.ip('-j', 'nexthop', 'show')) || '[]') as { id: number; protocol?: string | number; group?: unknown[] }[];
  return {
    tunnels: links.map((l) => l.ifname).filter((n) => n !== 'ip6tnl0').sort(),
    nexthops: nexthops.map((n) => `${n.id} ${String(n.protocol ?? '')}${n.group ? ' group' : ''}`).sort(),
    routes: (await ha.ip('-6', 'route', 'show', 'table', 'all')).split('\n').filter((l) => /proto (135|static)/.test(l)).map((l) => l.replace(/\s+/g, ' ').trim()).sort(),
    proxies: (await ha.ip('-6', 'neigh', 'show', 'proxy')).split('\n').filter(Boolean).sort(),
    policies: [...(await ha.ip('xfrm', 'policy', 'show')).matchAll(/priority (\d+)/g)].map((m) => Number(m[1])).sort((a, b) => a - b),
    states: [...(await ha.ip('xfrm', 'state', 'show')).matchAll(/proto (\w+)(?: spi 0x[0-9a-f]+)? reqid (\d+)/g)].map((m) => `${m[1]} reqid ${m[2]}`).sort(),
  };
}

async function handMade(ha: Netns): Promise<void> {
  // An ip6ip6 tunnel without the prefix, a nexthop in our id band with another protocol,
  // one with our protocol outside the band, routes of another protocol and of ours in
  // another table, a proxy entry without a protocol, XFRM objects outside the bands.
  await ha.ip('-6', 'tunnel', 'add', 'hand0', 'mode', 'ip6ip6', 'local', HA, 'remote', '2001:db8:1::99');
  await ha.ip('link', 'set', 'hand0', 'up');
  await ha.ip('-6', 'nexthop', 'add', 'id', String(HAND_ID_IN_BAND), 'dev', 'hand0', 'proto', 'static');
  await ha.ip('-6', 'nexthop', 'add', 'id', String(HAND_ID_PROTO_135), 'dev', 'hand0', 'proto', '135');
  await ha.ip('-6', 'route', 'add', '2001:db8:aa::200/128', 'nhid', String(HAND_ID_IN_BAND), 'proto', 'static');
  await ha.ip('-6', 'route', 'add', '2001:db8:aa::201/128', 'dev', 'home0', 'table', '100', 'proto', '135');
  await ha.ip('-6', 'neigh', 'add', 'proxy', '2001:db8:aa::300', 'dev', 'home0');
  await ha.ip('xfrm', 'policy', 'add', 'src', '::/0', 'dst', '2001:db8:aa::300/128', 'proto', '135', 'dir', 'out', 'priority', '100');
  await ha.ip('xfrm', 'state', 'add', 'src', HA, 'dst', '2001:db8:aa::300', 'proto', 'route2', 'spi', '0', 'mode', 'ro', 'coa', '2001:db8:1::99', 'reqid', '7');
}

test('purge deletes what carries mcoad\'s marks and leaves the look-alikes', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  // proxy_nd: kernel, so there is a proxy entry of mcoad's to purge.
  await withPairHomeAgent({ ipsecRequired: false, dataplane: 'per-binding', homeAgent: '  proxy_nd: kernel\n' }, async ({ ha, d, mnSide }) => {
    mnSide.sendBu(bu(10, 400, COAS.map((c, i) => coaBid(i + 1, c))));
    assert.equal((await mnSide.nextBa()).ba.status, 0);
    // The kernel catches up after the BA: wait for the three tunnels and the route.
    const v = await until('three tunnels, the home address route and proxy entry', async () => {
      const k = await view(ha);
      return k.tunnels.length >= 3 && k.routes.some((r) => r.startsWith(HOA)) && k.proxies.some((p) => p.startsWith(HOA)) ? k : undefined;
    });
    assert.equal(v.tunnels.filter((t) => t.startsWith('mip6t')).length, 3, JSON.stringify(v));

    // While mcoad answers, purge refuses and deletes nothing.
    const refused = await purge(ha, d);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /mcoad is running/);
    assert.deepEqual(await view(ha), v);

    await stopDaemon(d, 'SIGTERM');
    await handMade(ha);
    const before = await view(ha);
    // mcoad left its objects for the next start to adopt.
    assert.equal(before.tunnels.filter((t) => t.startsWith('mip6t')).length, 3, JSON.stringify(before));
    assert.equal(before.nexthops.filter((n) => n.endsWith('group')).length, 1, JSON.stringify(before));
    assert.ok(before.proxies.some((p) => p.startsWith(`${HOA} dev home0`)), JSON.stringify(before));
    assert.ok(before.policies.some(inPolicyBand), JSON.stringify(before));
    assert.ok(before.states.some((s) => s.endsWith(`reqid ${DEFAULT_XFRM_BANDS.reqidBase}`)), JSON.stringify(before));

    // A dry run lists and deletes nothing.
    const dry = await purge(ha, d, '--dry-run', '--json');
    assert.equal(dry.code, 0, dry.err);
    const planned = (JSON.parse(dry.out) as { objects: { kind: string; object: string; result: string }[] }).objects;
    assert.ok(planned.every((o) => o.result === 'would delete'));
    assert.deepEqual(await view(ha), before);

    const run = await purge(ha, d, '--json');
    assert.equal(run.code, 0, run.err + run.out);
    const done = JSON.parse(run.out) as { objects: { kind: string; object: string; result: string }[]; kept: unknown[] };
    assert.deepEqual(done.kept, []);
    assert.deepEqual(done.objects.map((o) => `${o.kind} ${o.object}`), planned.map((o) => `${o.kind} ${o.object}`));
    assert.ok(done.objects.every((o) => o.result === 'deleted'), run.out);
    const kinds = done.objects.map((o) => o.kind);
    assert.deepEqual(kinds.filter((k, i) => k !== kinds[i - 1]), ['route', 'group', 'nexthop', 'tunnel', 'proxy', 'xfrm-policy', 'xfrm-state']);
    assert.equal(kinds.filter((k) => k === 'tunnel').length, 3);
    assert.equal(kinds.filter((k) => k === 'nexthop').length, 3);

    const after = await view(ha);
    assert.deepEqual(after.tunnels, ['hand0']);
    assert.deepEqual(after.nexthops, [`${HAND_ID_PROTO_135} 135`, `${HAND_ID_IN_BAND} static`].sort());
    assert.equal(after.routes.length, 2, JSON.stringify(after.routes));
    assert.ok(after.routes.some((r) => r.startsWith(`2001:db8:aa::200 nhid ${HAND_ID_IN_BAND}`)), JSON.stringify(after.routes));
    assert.ok(after.routes.some((r) => r.startsWith('2001:db8:aa::201 dev home0 table 100 proto 135')), JSON.stringify(after.routes));
    assert.deepEqual(after.proxies.map((p) => p.split(' ')[0]), ['2001:db8:aa::300']);
    assert.deepEqual(after.policies, [100]);
    assert.deepEqual(after.states, ['route2 reqid 7']);

    // Nothing of mcoad's is left, so a second purge finds nothing and succeeds.
    const again = await purge(ha, d);
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /no objects carrying mcoad's marks/);
  });
});

// Cluster mode's Prometheus metrics (lib/daemon/ha/cluster-metrics.ts) against a real etcd,
// read back from the exposition text as a scraper reads it: a two-node election, a takeover
// after the active is cut off from etcd (lease lost), a drain handing the address back, a
// clean stop; the counters, the role and etcd-reachable gauges, the watch lag, the write and
// keep-alive latency histograms. The cut node's `show cluster` says etcd is unreachable since
// when, and that it retries. A daemon without a `cluster:` section has none of these.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { parseConfig } from '../../../lib/config/index.js';
import type { ClusterConfig } from '../../../lib/config/cluster-section.js';
import { ClusterNode } from '../../../lib/cluster/cluster-node.js';
import { ClusterMetrics } from '../../../lib/daemon/ha/cluster-metrics.js';
import { HomeAgentCluster } from '../../../lib/daemon/ha/cluster.js';
import { Metrics } from '../../../lib/daemon/metrics/metrics.js';
import { CLUSTER_METRICS } from '../../../lib/daemon/metrics/catalog.js';
import { clusterLines } from '../../../lib/cli/commands/cluster-render.js';
import type { Ip6 } from '../../../lib/inet/ip6.js';
import { HomeAgent } from '../../../lib/proto/ha/home-agent.js';
import { haConfig } from '../proto/fixtures.js';
import { hoaOf, stored } from '../store/fixtures.js';
import { CutProxy } from './cut-proxy.js';
import { skip, until, useEtcd } from './etcd-fixture.js';

const etcd = useEtcd();
const SERVICE = '2001:db8:1::1' as Ip6;

function cluster(endpoint: string, node: string, prefix: string): ClusterConfig {
  return parseConfig(`role: home-agent
home_agent:
  interface: eth1
  address: ${SERVICE}
  served_prefixes: [2001:db8:1::/64]
cluster:
  endpoints: [${endpoint}]
  node: ${node}
  key_prefix: ${prefix}
  timers: { lease_ttl: 2, step_down_margin_ms: 500 }
  service_addresses:
    ${SERVICE}:
`, 'mcoad.yaml').cluster!;
}

const hooks = { active: () => {}, standby: () => {}, recordChanged: () => {} };

/** The samples of one metric in the exposition text: labels and value. */
function samples(text: string, name: string): { labels: Record<string, string>; value: number }[] {
  const out: { labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of `name` whose labels include `labels` (undefined: no such sample). */
function value(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  return samples(text, name).find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

async function untilScraped(what: string, registry: Registry, cond: (text: string) => boolean, ms = 30_000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const text = await registry.metrics();
    if (cond(text)) return text;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last scrape:\n${text.split('\n').filter((l) => l.startsWith('mcoa_cluster')).join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const N = CLUSTER_METRICS;
const at = { address: SERVICE };

test('metrics: election, takeover after a cut (lease lost), drain, stop; etcd reachable and "unreachable since" while cut', { skip }, async () => {
  const prefix = '/t-metrics-1/';
  const proxy = await CutProxy.start(etcd.server().clientPort);
  const regA = new Registry();
  const regB = new Registry();
  const ma = new ClusterMetrics(regA, [SERVICE]);
  const mb = new ClusterMetrics(regB, [SERVICE]);
  const a = await ClusterNode.start(cluster(proxy.endpoint, 'ha1', prefix), hooks, { observer: ma });
  ma.attach(a);
  let b: ClusterNode | null = null;
  try {
    // Every counter is there from the start, at 0.
    const first = await regB.metrics();
    assert.equal(value(first, N.elections_won.name, at), 0);
    assert.equal(value(first, N.step_downs.name, { ...at, reason: 'lease-lost' }), 0);
    await until('ha1 active', () => a.status().services[0]?.role === 'active');
    b = await ClusterNode.start(cluster(etcd.server().endpoint, 'ha2', prefix), hooks, { observer: mb });
    mb.attach(b);
    const nodeB = b;
    await until('ha2 standby behind ha1 with a lease', () => nodeB.status().services[0]?.owner === 'ha1' && nodeB.status().leaseRemainingMs > 0);

    // The active writes a record: one compare-and-swap round trip, written.
    const hoa = hoaOf(3);
    const w = await a.store.update(hoa, () => ({ sequence: 1, bindings: [stored(3, { bid: 1 })] }), a.fence(SERVICE));
    assert.ok(w.written);
    let textA = await untilScraped('a keep-alive answered at ha1', regA, (t) => (value(t, `${N.lease_keepalive.name}_count`) ?? 0) >= 1);
    assert.equal(value(textA, N.elections_won.name, at), 1);
    assert.equal(value(textA, N.failovers.name, at), 0, 'the first win took a vacant address');
    assert.equal(value(textA, N.role.name, at), 1);
    assert.equal(value(textA, N.etcd_reachable.name), 1);
    assert.equal(value(textA, `${N.store_write.name}_count`, { outcome: 'written' }), 1);
    assert.ok((value(textA, `${N.store_write.name}_sum`, { outcome: 'written' }) ?? 0) > 0);
    let textB = await untilScraped('ha2 caught up with the write (lag 0)', regB, (t) => value(t, N.watch_lag.name) === 0);
    assert.equal(value(textB, N.role.name, at), 0);
    assert.equal(value(textB, N.elections_won.name, at), 0);
    console.log(`# write round trip ${(value(textA, `${N.store_write.name}_sum`, { outcome: 'written' })! * 1000).toFixed(1)} ms; keep-alives ${value(textA, `${N.lease_keepalive.name}_count`)}, ${((value(textA, `${N.lease_keepalive.name}_sum`)! / value(textA, `${N.lease_keepalive.name}_count`)!) * 1000).toFixed(1)} ms mean`);

    // ha1 cut off from etcd: it steps down (lease lost), ha2 takes over (a failover).
    proxy.partition();
    textB = await untilScraped('ha2 active after the takeover', regB, (t) => value(t, N.role.name, at) === 1);
    assert.equal(value(textB, N.elections_won.name, at), 1);
    assert.equal(value(textB, N.failovers.name, at), 1, 'ha1 held the address before');
    textA = await untilScraped('ha1 sees etcd unreachable', regA, (t) => value(t, N.etcd_reachable.name) === 0);
    assert.equal(value(textA, N.step_downs.name, { ...at, reason: 'lease-lost' }), 1);
    assert.equal(value(textA, N.role.name, at), 0);
    assert.ok(Number.isNaN(value(textA, N.watch_lag.name)), 'no lag while etcd does not answer');
    const cut = await a.storeStatus();
    assert.equal(cut.etcdReachable, false);
    assert.equal(cut.etcd.reachable, false);
    assert.ok(cut.etcd.sinceMs !== null && cut.etcd.sinceMs <= Date.now());
    const line = clusterLines(cut)[1]!;
    assert.match(line, /UNREACHABLE since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(.+\), retrying$/);
    console.log(`# show cluster while cut: ${line}`);

    // Healed: ha1 reachable again, standby (no preemption).
    proxy.heal();
    textA = await untilScraped('ha1 reachable again', regA, (t) => value(t, N.etcd_reachable.name) === 1 && value(t, N.watch_lag.name) === 0);
    assert.equal(value(textA, N.role.name, at), 0);
    assert.equal(a.status().etcd.reachable, true);

    // ha2 drained: ha1 wins the address back from it (a failover again).
    await until('ha1 has a lease again', () => a.status().leaseRemainingMs > 0);
    // Counted from here: on a loaded machine a keep-alive answered late can cost either node a
    // lease (a step-down and a new election) between the scrapes above and the drain.
    const before = await regA.metrics();
    const wonBefore = value(before, N.elections_won.name, at) ?? 0;
    const failoversBefore = value(before, N.failovers.name, at) ?? 0;
    assert.deepEqual(await nodeB.drain(), [SERVICE]);
    textA = await untilScraped('ha1 active again', regA, (t) => value(t, N.role.name, at) === 1);
    assert.equal(value(textA, N.elections_won.name, at), wonBefore + 1);
    assert.equal(value(textA, N.failovers.name, at), failoversBefore + 1, 'ha2 held the address: a failover');
    textB = await regB.metrics();
    assert.equal(value(textB, N.step_downs.name, { ...at, reason: 'drain' }), 1);
    assert.equal(value(textB, N.role.name, at), 0);

    await a.stop();
    textA = await regA.metrics();
    assert.equal(value(textA, N.step_downs.name, { ...at, reason: 'stopped' }), 1);
    assert.equal(value(textA, N.step_downs.name, { ...at, reason: 'lease-lost' }), 1);
  } finally {
    // A node cut off from etcd would wait for it to hand its keys back.
    proxy.heal();
    await a.stop();
    await b?.stop();
    await proxy.close();
  }
});

test('metrics: in the daemon\'s registry only with a cluster: section', { skip }, async () => {
  const plain = await new Metrics('home-agent').exposition();
  for (const spec of Object.values(CLUSTER_METRICS)) assert.ok(!plain.includes(spec.name), `${spec.name} without a cluster: section`);
  const counters = new Metrics('home-agent');
  const ha = new HomeAgent(haConfig());
  const host = {
    core: () => ha,
    now: () => Date.now(),
    wallOffsetMs: () => 0,
    applied: () => {},
    serve: () => {},
    stopServing: () => {},
    persist: () => {},
    flowsChanged: () => {},
  };
  const c = await HomeAgentCluster.start(cluster(etcd.server().endpoint, 'ha1', '/t-metrics-2/'), host, pino({ level: 'silent' }), counters);
  try {
    await until('ha1 active', () => c.serves(SERVICE));
    const text = await counters.exposition();
    assert.equal(value(text, N.elections_won.name, at), 1);
    assert.equal(value(text, N.role.name, at), 1);
    assert.equal(value(text, N.etcd_reachable.name), 1);
    assert.ok(Number.isInteger(value(text, N.watch_lag.name)));
  } finally {
    await c.stop();
  }
});

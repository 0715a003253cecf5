// Cluster mode end to end (docs/cluster.md): two home agents and one etcd member on one home
// link (fixtures/cluster.ts), a mobile node with two care-of addresses, a continuous UDP echo
// from the correspondent to the home address. The active home agent is killed with SIGKILL
// and its links taken down; the standby, which already holds the bindings in its kernel
// (warm), takes the service address, proxies and announces: the flow resumes and the mobile
// node's next refresh is accepted by it. The interruption (datagrams lost × interval) is
// printed, not asserted: it depends on the lease TTL and on how busy the machine is.
// The partition: the active loses etcd but keeps its links: it steps down by itself before the
// standby can win, and a capture on the router's home link port shows the NAs and BAs for
// the service address coming from one home agent, then only from the other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CN_PREFIX, ERROR_LINE, HA, HOA, SCENARIO_TIMEOUT_MS, bindings, counter, echoFromCnInBackground, homeAgentForwards, killDaemon, linesMatching, mcoactl, registeredWith, tsharkFields, until, untilLogged,
  writeMobileNodeConfig, type Daemon, type EchoFlow,
} from './fixtures/index.js';
import { CLUSTER_COAS, activeForHa, holdsServiceAddress, showCluster, withClusterWorld, writeClusterHomeAgentConfig, type ClusterWorld } from './fixtures/cluster.js';

/** Echo datagrams from the correspondent this far apart: the interruption's resolution. */
const INTERVAL_MS = 50;
/** BU lifetime the mobile node asks for: it refreshes every ~14 s, so a refresh comes soon after the failover. */
const MN_LIFETIME = 16;

type Diagnostics = { diagnostic(message: string): void };

interface Running {
  ha1: Daemon;
  ha2: Daemon;
  mnD: Daemon;
  flow: EchoFlow;
}

/** `ip -6 neigh show proxy` in `ns`. */
const proxyEntries = async (ns: ClusterWorld['ha1']): Promise<string> => (await ns.ip('-6', 'neigh', 'show', 'proxy')).trim();

/** ha1 active, ha2 warm standby with both bindings in its kernel, the mobile node registered, the flow answered through ha1. */
async function running(w: ClusterWorld, t: Diagnostics, proxyNd?: 'kernel'): Promise<Running> {
  const start = (ns: typeof w.ha1, node: 'ha1' | 'ha2', preference: number): Promise<Daemon> =>
    w.scope.startDaemon(ns, `home agent ${node}`, (dir) => writeClusterHomeAgentConfig(dir, { node, preference, endpoint: w.etcd.endpoint, ...(proxyNd ? { proxyNd } : {}) }));
  const ha1 = await start(w.ha1, 'ha1', 200);
  await until('ha1 active for the service address', () => activeForHa(ha1));
  const ha2 = await start(w.ha2, 'ha2', 100);
  await until('ha2 a member', async () => ((await showCluster(ha2))?.members.length === 2 ? true : undefined));
  assert.equal(await activeForHa(ha2), false, 'one active: ha1 came first and preemption is off');
  assert.equal(await holdsServiceAddress(w.ha1), true, 'the active holds the service address');
  assert.equal(await holdsServiceAddress(w.ha2), false, 'the standby does not');

  const mnD = await w.scope.startDaemon(w.mn, 'mobile node', (dir) => writeMobileNodeConfig(dir, { interfaces: ['mn1', 'mn2'], lifetime: MN_LIFETIME, routes: [CN_PREFIX] }));
  await w.scope.echoServer(w.mn);
  await until('the mobile node registered at both care-of addresses', async () => (await registeredWith(mnD, HA)).length === 2);
  // Warm standby: the bindings arrived through etcd and are in ha2's kernel too.
  await until('two bindings at the standby', async () => (await bindings(ha2)).length === 2);
  await until('the standby forwards through both care-of addresses', () => homeAgentForwards(w.ha2, HOA, `${HOA}/128`, CLUSTER_COAS));
  assert.equal(await counter(ha2, 'nd', 'proxy-announced'), 0, 'the standby announced nothing');
  assert.equal(await proxyEntries(w.ha2), '', 'the standby has no kernel proxy entry');
  if (proxyNd === 'kernel') await until('the active has its kernel proxy entry', async () => (await proxyEntries(w.ha1)).includes(HOA));
  const text = await mcoactl(ha2, 'show', 'cluster');
  t.diagnostic(`show cluster on the standby:\n${text}`);
  assert.match(text, /etcd .*: reachable/);
  assert.match(text, /2001:db8:aa::1 +standby +ha1/);

  const flow = echoFromCnInBackground(w.cn, 0, INTERVAL_MS);
  await flow.started;
  await until('the flow answered through ha1', () => flow.answered().size >= 20);
  return { ha1, ha2, mnD, flow };
}

/** After the cause at datagram `cut`: ha2 active with the address, the flow answered again, the next refresh accepted by ha2; the interruption printed. */
async function failedOver(w: ClusterWorld, r: Running, t: Diagnostics, what: string, cut: number, refreshesBefore: number): Promise<void> {
  await until('ha2 active', () => activeForHa(r.ha2));
  await until('the service address on ha2', () => holdsServiceAddress(w.ha2));
  await until('the flow answered again', () => [...r.flow.answered()].some((n) => n > cut + 5));
  await until("the mobile node's next refresh accepted by ha2", async () => (await counter(r.ha2, 'status', '0')) > refreshesBefore);
  await until('the mobile node still registered at both care-of addresses', async () => (await registeredWith(r.mnD, HA)).length === 2);
  const result = await r.flow.stop();
  const lost = result.missing.length;
  const interruptionMs = lost * INTERVAL_MS;
  t.diagnostic(`${what}: ${lost} of ${result.sent} datagrams lost at ${INTERVAL_MS} ms intervals: interruption ${interruptionMs} ms (lease TTL 2 s, step-down margin 500 ms)`);
  console.log(`RESULT cluster-${what} interruption_ms=${interruptionMs} lost=${lost} sent=${result.sent} interval_ms=${INTERVAL_MS}`);
  assert.ok([...r.flow.answered()].some((n) => n > cut), 'the flow resumed');
  assert.equal((await showCluster(r.ha2))?.services[0]?.owner, 'ha2');
  assert.match(await mcoactl(r.ha2, 'show', 'stats', '--prometheus'), /^mcoa_cluster_active_service_addresses 1$/m);
  assert.deepEqual(linesMatching(r.ha2, ERROR_LINE), []);
}

test('kill -9 of the active home agent: the standby takes the service address, the flow resumes, the next refresh is accepted; interruption measured', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await withClusterWorld(async (w) => {
    // etcd not there at start: mcoad does not start, and says where it looked.
    const nowhere = w.etcd.endpoint.replace(':2379', ':2999');
    await assert.rejects(
      w.scope.startDaemon(w.ha1, 'home agent without etcd', (dir) => writeClusterHomeAgentConfig(dir, { node: 'ha1', preference: 200, endpoint: nowhere })),
      (e: Error) => e.message.includes(`etcd not reachable at ${nowhere}`),
    );
    const r = await running(w, t);
    // The crash: SIGKILL, then its links down (a dead box answers nothing).
    const refreshesBefore = await counter(r.ha2, 'status', '0');
    await killDaemon(r.ha1);
    const cut = r.flow.lastSent();
    await w.ha1.ip('link', 'set', 'home0', 'down');
    await w.ha1.ip('link', 'set', 'cl0', 'down');
    await failedOver(w, r, t, 'failover', cut, refreshesBefore);
  });
});

test('kill -9 with proxy_nd: kernel: the new active installs the proxy entry, the flow resumes', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await withClusterWorld(async (w) => {
    const r = await running(w, t, 'kernel');
    const refreshesBefore = await counter(r.ha2, 'status', '0');
    await killDaemon(r.ha1);
    const cut = r.flow.lastSent();
    await w.ha1.ip('link', 'set', 'home0', 'down');
    await w.ha1.ip('link', 'set', 'cl0', 'down');
    await until('the kernel proxy entry on ha2', async () => (await proxyEntries(w.ha2)).includes(HOA));
    await failedOver(w, r, t, 'failover-kernel-proxy', cut, refreshesBefore);
  });
});

const macOf = async (ns: ClusterWorld['ha1']): Promise<string> => /link\/ether ([0-9a-f:]{17})/.exec(await ns.ip('link', 'show', 'home0'))![1]!;

test('partition: the active loses etcd but keeps its links: it steps down, the standby takes over, at no moment do both answer for the service address', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await withClusterWorld(async (w) => {
    // The router's port on the home link sees every NA sent to it or to all nodes, and every BA on its way out.
    const capture = await w.scope.capture(w.rt, 'rth', 'rth.pcap', 'icmp6 or ip6 protochain 135');
    const r = await running(w, t);
    const refreshesBefore = await counter(r.ha2, 'status', '0');
    // The switch port of ha1's etcd link goes down: ha1 loses carrier there, keeps its address and its home link.
    await w.sw.ip('link', 'set', 'c1', 'down');
    const cut = r.flow.lastSent();
    await until('ha1 stepped down', async () => !(await activeForHa(r.ha1)));
    await until('the service address gone from ha1', async () => !(await holdsServiceAddress(w.ha1)));
    await failedOver(w, r, t, 'partition', cut, refreshesBefore);
    assert.equal(await holdsServiceAddress(w.ha1), false);

    // etcd back for ha1: it rejoins as a standby (preemption off) and stays one.
    await w.sw.ip('link', 'set', 'c1', 'up');
    await until('ha1 reaches etcd again and sees ha2 active', async () => {
      const v = await showCluster(r.ha1);
      return v?.etcdReachable && v.services[0]?.owner === 'ha2' ? true : undefined;
    });
    // What the log says about it.
    assert.ok(linesMatching(r.ha1, /cluster: lease lost; not serving, retrying etcd/).length > 0, 'the lost lease logged');
    assert.ok(linesMatching(r.ha1, /cluster: stepped down for the service address/).length > 0, 'the step-down logged');
    await untilLogged(r.ha1, 'etcd back', (l) => l.includes('cluster: etcd answers again'));
    assert.equal(await activeForHa(r.ha1), false);
    assert.equal(await holdsServiceAddress(w.ha1), false);
    assert.equal((await bindings(r.ha1)).length, 2, 'ha1, a standby again, still holds both bindings (stored expiry plus the bound)');
    await capture.stop();

    // Who answered for the service address and the home address, in capture order: NAs for
    // either (from the kernel for the address it holds, from the daemon for the home address)
    // and BAs from the service address. One node, then the other; never back and forth.
    const [mac1, mac2] = [await macOf(w.ha1), await macOf(w.ha2)];
    const rows = await tsharkFields(capture.file, `(icmpv6.type == 136 && (icmpv6.nd.na.target_address == ${HA} || icmpv6.nd.na.target_address == ${HOA})) || (mip6.mhtype == 6 && ipv6.src == ${HA})`, ['frame.number', 'eth.src', 'icmpv6.type', 'mip6.mhtype']);
    const senders = rows.map((row) => (row[1] === mac1 ? 'ha1' : row[1] === mac2 ? 'ha2' : `other ${row[1]}`));
    const runs = senders.filter((who, i) => i === 0 || senders[i - 1] !== who);
    t.diagnostic(`answers for the service and home address on the home link: ${senders.filter((x) => x === 'ha1').length} from ha1, then ${senders.filter((x) => x === 'ha2').length} from ha2 (${runs.join(' -> ')})`);
    assert.deepEqual(runs, ['ha1', 'ha2'], 'ha1 answered, then only ha2');
  });
});

test('mcoactl drain on the active: the standby takes the service address at once, the flow continues, the drained node stays standby until undrain', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await withClusterWorld(async (w) => {
    const r = await running(w, t);
    const refreshesBefore = await counter(r.ha2, 'status', '0');
    const cut = r.flow.lastSent();
    assert.match(await mcoactl(r.ha1, 'drain'), new RegExp(`handed over ${HA}`));
    await until('the service address gone from ha1', async () => !(await holdsServiceAddress(w.ha1)));
    await failedOver(w, r, t, 'drain', cut, refreshesBefore);
    assert.equal(await activeForHa(r.ha1), false);
    assert.match(await mcoactl(r.ha1, 'show', 'cluster'), /2001:db8:aa::1 +standby \(drained\) +ha2/);
    assert.ok(linesMatching(r.ha1, /drained by the operator/).length > 0, 'the step-down names the drain');
    await mcoactl(r.ha1, 'undrain');
    await until('ha1 no longer drained', async () => ((await showCluster(r.ha1))?.services[0]?.draining === false ? true : undefined));
    // ha2 keeps the address (preemption off): ha1 campaigns only when it is vacant.
    assert.equal(await activeForHa(r.ha1), false);
    assert.equal((await showCluster(r.ha2))?.services[0]?.owner, 'ha2');
  });
});

// Cluster mode end to end (docs/cluster.md): two home agents and one etcd member on one home
// link (fixtures/cluster.ts), a mobile node with two care-of addresses, a continuous UDP echo
// from the correspondent to the home address. The active home agent is killed with SIGKILL
// and its links taken down; the standby, which already holds the bindings in its kernel
// (warm), takes the service address, proxies and announces: the flow resumes and the mobile
// node's next refresh is accepted by it. The interruption (datagrams lost × interval) is
// printed, not asserted: it depends on the lease TTL and on how busy the machine is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CN_PREFIX, ERROR_LINE, HA, HOA, SCENARIO_TIMEOUT_MS, bindings, counter, echoFromCnInBackground, homeAgentForwards, killDaemon, linesMatching, mcoactl, registeredWith, until,
  writeMobileNodeConfig, type Daemon,
} from './fixtures/index.js';
import { CLUSTER_COAS, activeForHa, holdsServiceAddress, showCluster, withClusterWorld, writeClusterHomeAgentConfig } from './fixtures/cluster.js';

/** Echo datagrams from the correspondent this far apart: the interruption's resolution. */
const INTERVAL_MS = 50;
/** BU lifetime the mobile node asks for: it refreshes every ~14 s, so a refresh comes soon after the failover. */
const MN_LIFETIME = 16;

test('kill -9 of the active home agent: the standby takes the service address, the flow resumes, the next refresh is accepted; interruption measured', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await withClusterWorld(async (w) => {
    const start = (ns: typeof w.ha1, node: 'ha1' | 'ha2', preference: number): Promise<Daemon> =>
      w.scope.startDaemon(ns, `home agent ${node}`, (dir) => writeClusterHomeAgentConfig(dir, { node, preference, endpoint: w.etcd.endpoint }));
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
    const text = await mcoactl(ha2, 'show', 'cluster');
    t.diagnostic(`show cluster on the standby:\n${text}`);
    assert.match(text, /etcd .*: reachable/);

    const flow = echoFromCnInBackground(w.cn, 0, INTERVAL_MS);
    await flow.started;
    await until('the flow answered through ha1', () => flow.answered().size >= 20);

    // The crash: SIGKILL, then its links down (a dead box answers nothing).
    const refreshesBefore = await counter(ha2, 'status', '0');
    await killDaemon(ha1);
    const lastBeforeKill = flow.lastSent();
    await w.ha1.ip('link', 'set', 'home0', 'down');
    await w.ha1.ip('link', 'set', 'cl0', 'down');

    await until('ha2 active', () => activeForHa(ha2));
    await until('the service address on ha2', () => holdsServiceAddress(w.ha2));
    await until('the flow answered again after the kill', () => [...flow.answered()].some((n) => n > lastBeforeKill + 5));
    await until("the mobile node's next refresh accepted by ha2", async () => (await counter(ha2, 'status', '0')) > refreshesBefore);
    await until('the mobile node still registered at both care-of addresses', async () => (await registeredWith(mnD, HA)).length === 2);
    const result = await flow.stop();

    const lost = result.missing.length;
    const interruptionMs = lost * INTERVAL_MS;
    const view = await showCluster(ha2);
    t.diagnostic(`failover: ${lost} of ${result.sent} datagrams lost at ${INTERVAL_MS} ms intervals: interruption ${interruptionMs} ms (lease TTL ${2} s, margin 500 ms)`);
    console.log(`RESULT cluster-failover interruption_ms=${interruptionMs} lost=${lost} sent=${result.sent} interval_ms=${INTERVAL_MS}`);
    assert.ok(result.received > 0 && [...flow.answered()].some((n) => n > lastBeforeKill), 'the flow resumed');
    assert.equal(view?.services[0]?.owner, 'ha2');
    assert.deepEqual(linesMatching(ha2, ERROR_LINE), []);
  });
});

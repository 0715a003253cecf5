// Cluster mode: a failed node restarted (docs/cluster.md, "Restart"). The active home agent
// is killed with SIGKILL and its links taken down; the standby takes over (as in
// cluster-failover.test.ts). Then the dead node's links come back and mcoad starts again on
// the same state directory: it rejoins as a standby, loads the replicated records its journal
// saved, adopts its kernel objects and watches etcd from the saved revision (no full load),
// holds both bindings in its kernel again, takes no address and announces nothing, and the
// flow through the new active loses no datagram meanwhile.
// Second case: the active killed with its links up keeps the service address on its home link
// (the kernel does not know mcoad died); restarted while the other node is active, it removes
// that address before it joins, and stays a standby without it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HA, HOA, SCENARIO_TIMEOUT_MS, bindings, counter, echoFromCnInBackground, homeAgentForwards, killDaemon, mcoactl, until, type Daemon } from './fixtures/index.js';
import { CLUSTER_COAS, CLUSTER_LINK_ADDRESSES, HOME_ROUTER, activeForHa, holdsServiceAddress, showCluster, withClusterWorld, writeClusterHomeAgentConfig } from './fixtures/cluster.js';
import { crashActive, failedOver, running } from './fixtures/cluster-run.js';

test('a failed node restarted: it rejoins as standby, resumes from its saved revision, catches up, and the flow loses nothing', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await withClusterWorld(async (w) => {
    const r = await running(w, t);
    const { cut, refreshesBefore } = await crashActive(w, r);
    await failedOver(w, r, t, 'failover-before-restart', cut, refreshesBefore);

    // A new flow through ha2, answered before the restart.
    const flow = echoFromCnInBackground(w.cn, 0, 50);
    await flow.started;
    await until('the flow answered through ha2', () => flow.answered().size >= 20);
    const firstAnswered = Math.min(...flow.answered());

    // The box comes back (IPv6 addresses went with the links), and mcoad on the same state directory.
    await w.ha1.ip('link', 'set', 'home0', 'up');
    await w.ha1.ip('link', 'set', 'cl0', 'up');
    await w.ha1.ip('-6', 'addr', 'replace', '2001:db8:aa::11/64', 'dev', 'home0', 'nodad');
    await w.ha1.ip('-6', 'addr', 'replace', `${CLUSTER_LINK_ADDRESSES.ha1}/64`, 'dev', 'cl0', 'nodad');
    await w.ha1.ip('-6', 'route', 'replace', 'default', 'via', HOME_ROUTER, 'dev', 'home0');
    const ha1 = await w.scope.restartDaemon(r.ha1, 'SIGKILL');
    await until('ha1 a standby that sees ha2 active', async () => {
      const v = await showCluster(ha1);
      return v?.etcdReachable && v.services[0]?.owner === 'ha2' && v.services[0]?.role === 'standby' ? true : undefined;
    });
    const view = (await showCluster(ha1))!;
    t.diagnostic(`restarted ha1: ${JSON.stringify(view.watch)}, revision ${view.revision}, etcd ${view.etcdRevision}`);
    assert.equal(view.watch.fullLoads, 0, 'resumed from the saved revision, not a full load');
    assert.equal(view.watch.resumes, 1);
    assert.ok(ha1.output.some((l) => l.includes('cluster: joined, resumed from the saved revision')), 'the resume logged');
    await until('both bindings at the restarted standby', async () => (await bindings(ha1)).length === 2);
    await until('the restarted standby forwards through both care-of addresses', () => homeAgentForwards(w.ha1, HOA, `${HOA}/128`, CLUSTER_COAS));
    assert.equal(await holdsServiceAddress(w.ha1), false, 'the restarted standby takes no address');
    assert.equal(await counter(ha1, 'nd', 'proxy-announced'), 0, 'and announces nothing');
    assert.equal(await activeForHa(r.ha2), true, 'ha2 stays active (preemption off)');

    // The flow went on through ha2 all along.
    const restartedAt = flow.lastSent();
    await until('the flow answered well after the restart', () => [...flow.answered()].some((n) => n > restartedAt + 20));
    const result = await flow.stop();
    const lost = result.missing.filter((n) => n > firstAnswered);
    t.diagnostic(`flow during the restart: ${lost.length} of ${result.sent - firstAnswered} datagrams lost`);
    console.log(`RESULT cluster-restart lost=${lost.length} sent=${result.sent - firstAnswered}`);
    assert.deepEqual(lost, [], 'no datagram lost while the failed node rejoined');
  });
});

test('killed while active with its links up: restarted while the other node is active, it removes the service address it left and stays standby', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await withClusterWorld(async (w) => {
    const start = (ns: typeof w.ha1, node: 'ha1' | 'ha2', preference: number): Promise<Daemon> =>
      w.scope.startDaemon(ns, `home agent ${node}`, (dir) => writeClusterHomeAgentConfig(dir, { node, preference, endpoint: w.endpoints }));
    const ha1 = await start(w.ha1, 'ha1', 200);
    await until('ha1 active for the service address', () => activeForHa(ha1));
    const ha2 = await start(w.ha2, 'ha2', 100);
    await until('ha2 a member', async () => ((await showCluster(ha2))?.members.length === 2 ? true : undefined));
    await until('the service address on ha1', () => holdsServiceAddress(w.ha1));

    await killDaemon(ha1);
    await until('ha2 active', () => activeForHa(ha2));
    await until('the service address on ha2', () => holdsServiceAddress(w.ha2));
    // The point of the fix: the kernel kept what the killed daemon added.
    assert.equal(await holdsServiceAddress(w.ha1), true, 'the killed active left the service address on its home0');
    const failovers = new RegExp(`^mcoa_cluster_failovers_total\\{address="${HA}"\\} 1$`, 'm');
    assert.match(await mcoactl(ha2, 'show', 'stats', '--prometheus'), failovers, 'ha2 counted the takeover as a failover');

    const again = await w.scope.restartDaemon(ha1, 'SIGKILL');
    await until('the restarted ha1 a standby that sees ha2 active', async () => {
      const v = await showCluster(again);
      return v?.etcdReachable && v.services[0]?.owner === 'ha2' && v.services[0]?.role === 'standby' ? true : undefined;
    });
    const home0 = await w.ha1.ip('-6', 'addr', 'show', 'dev', 'home0');
    t.diagnostic(`restarted ha1's home0:\n${home0.trim()}`);
    assert.ok(!home0.includes(`inet6 ${HA}/`), 'the restarted standby does not hold the service address');
    assert.equal(await counter(again, 'cluster', 'leftover-removed'), 1);
    assert.ok(again.output.some((l) => l.includes('removed a service address left on the home link')), 'the removal logged');
    const metrics = await mcoactl(again, 'show', 'stats', '--prometheus');
    assert.match(metrics, new RegExp(`^mcoa_cluster_role\\{address="${HA}"\\} 0$`, 'm'));
    assert.match(metrics, /^mcoa_cluster_etcd_reachable 1$/m);
    assert.equal(await activeForHa(ha2), true, 'ha2 stays active (preemption off)');
    assert.equal(await holdsServiceAddress(w.ha2), true, 'and keeps the service address');
  });
});

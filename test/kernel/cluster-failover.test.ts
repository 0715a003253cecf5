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
import { HA, HOA, SCENARIO_TIMEOUT_MS, bindings, counter, linesMatching, mcoactl, tsharkFields, until, untilLogged } from './fixtures/index.js';
import { activeForHa, holdsServiceAddress, showCluster, withClusterWorld, writeClusterHomeAgentConfig, type ClusterWorld } from './fixtures/cluster.js';
import { crashActive, failedOver, proxyEntries, running } from './fixtures/cluster-run.js';

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
    const { cut, refreshesBefore } = await crashActive(w, r);
    await failedOver(w, r, t, 'failover', cut, refreshesBefore);
  });
});

test('kill -9 with proxy_nd: kernel: the new active installs the proxy entry, the flow resumes', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await withClusterWorld(async (w) => {
    const r = await running(w, t, 'kernel');
    const { cut, refreshesBefore } = await crashActive(w, r);
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

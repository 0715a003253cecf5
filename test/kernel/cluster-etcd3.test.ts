// Cluster mode on three etcd members (fixtures/cluster.ts with members 3): a follower (not
// the raft leader, as etcdctl reports) is killed (SIGKILL) while the flow runs; the active's
// keep-alives go to every member at once (lib/cluster/member-keepalives.ts), so it keeps its
// lease and stays active, and the flow loses no datagram; then the active is killed
// as in cluster-failover.test.ts: the standby wins through the two members, the flow resumes,
// the mobile node's next refresh is accepted, and no acknowledged binding is lost (both are
// at the new active and in its kernel).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HOA, SCENARIO_TIMEOUT_MS, bindings, counter, homeAgentForwards, killDaemon, linesMatching, until } from './fixtures/index.js';
import { CLUSTER_COAS, activeForHa, showCluster, withClusterWorld, type ClusterWorld } from './fixtures/cluster.js';

/** The client URL of a member that is not the raft leader, from `etcdctl endpoint status` (ids compared as text: they are 64-bit). */
async function followerEndpoint(w: ClusterWorld): Promise<string> {
  const text = await w.ed.exec('etcdctl', '--endpoints', w.endpoints.join(','), 'endpoint', 'status', '-w', 'json');
  for (const entry of text.split('{"Endpoint":').slice(1)) {
    const endpoint = /^"([^"]+)"/.exec(entry)?.[1];
    const member = /"member_id":(\d+)/.exec(entry)?.[1];
    const leader = /"leader":(\d+)/.exec(entry)?.[1];
    if (endpoint && member && leader && member !== leader) return endpoint;
  }
  throw new Error(`no follower in etcdctl endpoint status:\n${text}`);
}
import { failedOver, running } from './fixtures/cluster-run.js';

test('three etcd members, a follower killed during the flow: the active keeps its lease, nothing lost; then kill -9 of the active: failover through the two left, no acknowledged binding lost', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await withClusterWorld(async (w) => {
    const r = await running(w, t);
    const follower = await followerEndpoint(w);
    t.diagnostic(`killing the follower at ${follower}`);
    await w.etcds.find((e) => e.endpoint === follower)!.kill();
    const memberKilledAt = r.flow.lastSent();
    // A hundred more datagrams answered (5 s, over two lease TTLs): the flow goes on, through ha1.
    await until('the flow answered after the member died', () => [...r.flow.answered()].filter((n) => n > memberKilledAt).length >= 100);
    await until('ha1 active (still, or again)', () => activeForHa(r.ha1));
    await until('ha1 reads etcd through the members left', async () => ((await showCluster(r.ha1))?.etcdReachable ? true : undefined));
    const lostAfterMember = r.flow.lastSent() - memberKilledAt - [...r.flow.answered()].filter((n) => n > memberKilledAt && n <= r.flow.lastSent()).length;
    t.diagnostic(`one etcd member killed: at most ${lostAfterMember} datagrams unanswered yet of ${r.flow.lastSent() - memberKilledAt} sent since`);
    // What the active said about its lease meanwhile (reported: its etcd3 client's move to another member can take longer than the lease margin).
    const leaseLines = linesMatching(r.ha1, /cluster: (lease lost|stepped down|active for|etcd answers again)/).map((l) => /"msg":"([^"]*)"/.exec(l)?.[1] ?? l);
    t.diagnostic(`ha1 after the member died: ${leaseLines.join(' | ')}`);
    console.log(`RESULT cluster-etcd-member-killed unanswered=${lostAfterMember} sent=${r.flow.lastSent() - memberKilledAt} ha1_lease_lost=${leaseLines.filter((l) => l.includes('lease lost')).length}`);
    assert.deepEqual(leaseLines.filter((l) => /lease lost|stepped down/.test(l)), [], 'the active kept its lease through the follower\'s death');

    const refreshesBefore = await counter(r.ha2, 'status', '0');
    await killDaemon(r.ha1);
    const cut = r.flow.lastSent();
    await w.ha1.ip('link', 'set', 'home0', 'down');
    await w.ha1.ip('link', 'set', 'cl0', 'down');
    await failedOver(w, r, t, 'failover-3-members', cut, refreshesBefore);
    assert.equal((await bindings(r.ha2)).length, 2, 'both acknowledged bindings at the new active');
    await until('the new active forwards through both care-of addresses', () => homeAgentForwards(w.ha2, HOA, `${HOA}/128`, CLUSTER_COAS));
  }, 3);
});

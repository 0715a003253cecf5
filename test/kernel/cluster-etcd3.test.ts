// Cluster mode on three etcd members (fixtures/cluster.ts with members 3): one member is
// killed (SIGKILL) while the flow runs; the flow goes on and ha1 is active again once it has
// (in some runs the active loses its lease meanwhile, steps down and wins the address back:
// reported, with the datagrams it cost, not asserted); then the active is killed
// as in cluster-failover.test.ts: the standby wins through the two members, the flow resumes,
// the mobile node's next refresh is accepted, and no acknowledged binding is lost (both are
// at the new active and in its kernel).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HOA, SCENARIO_TIMEOUT_MS, bindings, homeAgentForwards, linesMatching, until } from './fixtures/index.js';
import { CLUSTER_COAS, activeForHa, showCluster, withClusterWorld } from './fixtures/cluster.js';
import { crashActive, failedOver, running } from './fixtures/cluster-run.js';

test('three etcd members, one killed during the flow: the flow goes on; then kill -9 of the active: failover through the two left, no acknowledged binding lost', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await withClusterWorld(async (w) => {
    const r = await running(w, t);
    await w.etcds[0]!.kill();
    const memberKilledAt = r.flow.lastSent();
    // Forty more datagrams answered: the flow goes on, through ha1.
    await until('the flow answered after the member died', () => [...r.flow.answered()].filter((n) => n > memberKilledAt).length >= 40);
    await until('ha1 active (still, or again)', () => activeForHa(r.ha1));
    await until('ha1 reads etcd through the members left', async () => ((await showCluster(r.ha1))?.etcdReachable ? true : undefined));
    const lostAfterMember = r.flow.lastSent() - memberKilledAt - [...r.flow.answered()].filter((n) => n > memberKilledAt && n <= r.flow.lastSent()).length;
    t.diagnostic(`one etcd member killed: at most ${lostAfterMember} datagrams unanswered yet of ${r.flow.lastSent() - memberKilledAt} sent since`);
    // What the active said about its lease meanwhile (reported: its etcd3 client's move to another member can take longer than the lease margin).
    const leaseLines = linesMatching(r.ha1, /cluster: (lease lost|stepped down|active for|etcd answers again)/).map((l) => /"msg":"([^"]*)"/.exec(l)?.[1] ?? l);
    t.diagnostic(`ha1 after the member died: ${leaseLines.join(' | ')}`);
    console.log(`RESULT cluster-etcd-member-killed unanswered=${lostAfterMember} sent=${r.flow.lastSent() - memberKilledAt} ha1_lease_lost=${leaseLines.filter((l) => l.includes('lease lost')).length}`);

    const { cut, refreshesBefore } = await crashActive(w, r);
    await failedOver(w, r, t, 'failover-3-members', cut, refreshesBefore);
    assert.equal((await bindings(r.ha2)).length, 2, 'both acknowledged bindings at the new active');
    await until('the new active forwards through both care-of addresses', () => homeAgentForwards(w.ha2, HOA, `${HOA}/128`, CLUSTER_COAS));
  }, 3);
});

// Cluster mode with RFC 6089 flow bindings (docs/cluster.md, "Replicated bindings"): the
// mobile node binds a UDP flow to mn1's care-of address and a TCP flow to mn2's. The flows
// travel in the home address's record, so the warm standby holds them and has their flow
// filters (tc flower on the shared device, tunnel_key to the bound care-of address) in its
// kernel before any failover. After kill -9 of the active the new active serves them as they
// were, and the mobile node's next refresh is accepted. (The mobile node names every flow
// with its selector in each BU, so that refresh alone would teach a new active the flows:
// what replication adds is the standby's, and the flow filters', state before it.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COAS, HOA, SCENARIO_TIMEOUT_MS, haFlowFilters, mcoactl, until, type Daemon } from './fixtures/index.js';
import { withClusterWorld } from './fixtures/cluster.js';
import { crashActive, failedOver, running } from './fixtures/cluster-run.js';

const FLOWS = [
  '{ id: 1, priority: 10, protocol: udp, destination_port: 5004, interface: mn1 }',
  '{ id: 2, priority: 20, protocol: tcp, destination_port: 5001, interface: mn2 }',
];

interface FlowJson { hoa: string; fid: number; priority: number; bids: number[]; active: boolean }

/** `mcoactl show flows --json` as "fid@priority->bids" (inactive marked), sorted. */
async function flowsOf(d: Daemon): Promise<string[]> {
  const list = JSON.parse(await mcoactl(d, 'show', 'flows', '--json')) as FlowJson[];
  return list.filter((f) => f.hoa === HOA).map((f) => `${f.fid}@${f.priority}->${f.bids.join(',')}${f.active ? '' : ' (inactive)'}`).sort();
}

/** The tunnel_key destinations of `ns`'s flow filters, sorted. */
async function flowFilterDestinations(ns: Parameters<typeof haFlowFilters>[0]): Promise<string[]> {
  return (await haFlowFilters(ns)).map((f) => f.dst).sort();
}

test('flow bindings are replicated: the standby holds them and their filters, the new active serves them after kill -9', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await withClusterWorld(async (w) => {
    const r = await running(w, t, undefined, FLOWS);
    const atActive = await until('two flows at the active', async () => {
      const f = await flowsOf(r.ha1);
      return f.length === 2 && f.every((x) => !x.endsWith('(inactive)')) ? f : undefined;
    });
    t.diagnostic(`flows at the active: ${atActive.join(', ')}`);
    const want = [COAS[0], COAS[1]].sort();
    await until("the active's flow filters to both care-of addresses", async () => ((await flowFilterDestinations(w.ha1)).join() === want.join() ? true : undefined));
    // Warm standby: the flows came through etcd, and their filters are in its kernel.
    await until('the same flows at the standby', async () => ((await flowsOf(r.ha2)).join() === atActive.join() ? true : undefined));
    await until("the standby's flow filters to both care-of addresses", async () => ((await flowFilterDestinations(w.ha2)).join() === want.join() ? true : undefined));

    const { cut, refreshesBefore } = await crashActive(w, r);
    await failedOver(w, r, t, 'failover-with-flows', cut, refreshesBefore);
    assert.deepEqual(await flowsOf(r.ha2), atActive, 'the new active serves the flows as they were');
    assert.deepEqual(await flowFilterDestinations(w.ha2), want, 'and its flow filters are the same');
  });
});

// The home agent's side of cluster mode (lib/daemon/ha/cluster.ts) against a real etcd, with
// the real protocol core: BUs decided by the active are written before their BA and reach
// the standby's core; the standby cannot write (the owner key fences it); a refresh that
// changes only lifetime and sequence is not written; concurrent writes of one home address
// by the active and another writer lose nothing either acknowledged; RFC 6089 flow bindings
// travel with the bindings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { parseConfig } from '../../../lib/config/index.js';
import type { ClusterConfig } from '../../../lib/config/cluster-section.js';
import { HomeAgentCluster, type ClusterHost } from '../../../lib/daemon/ha/cluster.js';
import { Metrics } from '../../../lib/daemon/metrics/metrics.js';
import { HomeAgent } from '../../../lib/proto/ha/home-agent.js';
import type { CacheEvent } from '../../../lib/proto/common/outcome.js';
import { ReplicatedBindingStore, NotOwnerError } from '../../../lib/cluster/replicated-store.js';
import { ClusterKeys } from '../../../lib/cluster/keys.js';
import { storedFromBinding } from '../../../lib/store/index.js';
import type { Ip6 } from '../../../lib/inet/ip6.js';
import type { FlowIdentificationOption, FlowSubOption } from '../../../lib/wire/flow/flow-types.js';
import { COA1, COA2, HOA, bid, haConfig, makeBu, received } from '../proto/fixtures.js';
import { skip, until, useEtcd } from './etcd-fixture.js';

const etcd = useEtcd();

function clusterConfig(node: string, prefix: string, services = '    2001:db8:1::1:\n'): ClusterConfig {
  return parseConfig(`role: home-agent
home_agent:
  interface: eth0
  address: 2001:db8:1::1
  served_prefixes: [2001:db8:1::/64]
cluster:
  endpoints: [${etcd.server().endpoint}]
  node: ${node}
  key_prefix: ${prefix}
  service_addresses:
${services}`, 'mcoad.yaml').cluster!;
}

/** A home agent's core and what the cluster did to it (serving, applied events). */
function host(): ClusterHost & { ha: HomeAgent; serving: boolean; active: Set<Ip6>; appliedEvents: CacheEvent[] } {
  const h = {
    ha: new HomeAgent(haConfig()),
    serving: false,
    active: new Set<Ip6>(),
    appliedEvents: [] as CacheEvent[],
    core: () => h.ha,
    now: () => Date.now(),
    wallOffsetMs: () => 0,
    applied: (events: CacheEvent[]) => void h.appliedEvents.push(...events),
    serve: (address: Ip6) => void ((h.serving = true), h.active.add(address)),
    stopServing: (address: Ip6) => void ((h.serving = false), h.active.delete(address)),
    persist: () => {},
    flowsChanged: () => {},
  };
  return h;
}

const log = pino({ level: 'silent' });
const coas = (ha: HomeAgent): string[] => ha.cache.bindingsOf(HOA).map((b) => `${b.bid} ${b.coa}`).sort();

test('active writes before the BA, the standby follows, the standby cannot write, refreshes are not written', { skip }, async () => {
  const prefix = '/t-ha-cluster-1/';
  const h1 = host();
  const a = await HomeAgentCluster.start(clusterConfig('ha1', prefix), h1, log, new Metrics('home-agent'));
  await until('ha1 active', () => h1.serving);
  const h2 = host();
  const b = await HomeAgentCluster.start(clusterConfig('ha2', prefix), h2, log, new Metrics('home-agent'));
  try {
    assert.equal(a.serves(haConfig().homeAgentAddress), true);
    assert.equal(b.serves(haConfig().homeAgentAddress), false);
    const bu = received(makeBu({ seq: 10, options: [bid(1, { coa: COA1 }), bid(2, { coa: COA2 })] }), { nowMs: Date.now() });
    const first = await a.decide(HOA, () => h1.ha.processBu(bu));
    assert.equal(first.outcome.statuses.every((s) => s.status < 128), true);
    const written = (await a.status()).store.writes;
    assert.equal(written, 1, 'the creation was written');
    await until('the standby holds both bindings', () => coas(h2.ha).length === 2);
    assert.deepEqual(coas(h2.ha), coas(h1.ha));
    assert.equal(h2.ha.cache.lastSequence(HOA), 10);

    // The standby's decision is not written: the owner key names ha1.
    const wrong = received(makeBu({ seq: 11, options: [bid(1, { coa: COA2 })] }), { src: COA2, nowMs: Date.now() });
    await assert.rejects(b.decide(HOA, () => h2.ha.processBu(wrong)), NotOwnerError);
    assert.deepEqual(coas(h2.ha), coas(h1.ha), 'the standby went back to the stored record');

    // Refreshes (same care-of addresses, lifetime and sequence only): not written.
    for (let seq = 11; seq <= 15; seq++) {
      const r = received(makeBu({ seq, options: [bid(1, { coa: COA1 }), bid(2, { coa: COA2 })] }), { nowMs: Date.now() });
      await a.decide(HOA, () => h1.ha.processBu(r));
    }
    const s = await a.status();
    assert.equal(s.store.writes, written, 'no write for a refresh within the staleness bound');
    assert.equal(s.store.skipped, 5);
  } finally {
    await b.stop();
    await a.stop();
  }
});

test('the active and another writer add bindings to one home address at once: every acknowledged one is in the record and in the core', { skip }, async () => {
  const prefix = '/t-ha-cluster-2/';
  const h1 = host();
  const counters = new Metrics('home-agent');
  const a = await HomeAgentCluster.start(clusterConfig('ha1', prefix), h1, log, counters);
  await until('ha1 active', () => h1.serving);
  // Another writer on the same key (what a split, or a bug, would be): plain compare-and-swap.
  const other = new ReplicatedBindingStore(etcd.client(), new ClusterKeys(prefix), 'ha9', { expiryLagMs: 120_000, sequenceLag: 16 });
  try {
    // Both together stay within max_bindings_per_home_address (16).
    const N = 8;
    const ours = Array.from({ length: N }, (_, i) => {
      const r = received(makeBu({ seq: i + 1, options: [bid(i + 1, { coa: COA1 })] }), { nowMs: Date.now() });
      return a.decide(HOA, () => h1.ha.processBu(r));
    });
    const theirs = Array.from({ length: N }, (_, i) =>
      other.update(HOA, (current) => {
        const template = h1.ha.cache.bindingsOf(HOA)[0] ?? null;
        const base = current?.bindings ?? [];
        const now = Date.now();
        const mine = template
          ? { ...storedFromBinding(template, 0), bid: 100 + i, coa: COA2 as Ip6 }
          : { hoa: HOA, bid: 100 + i, coa: COA2 as Ip6, registeredAtWallMs: now, expiresAtWallMs: now + 400_000, lifetimeSeconds: 400, lastSequence: 0, flags: { homeRegistration: true, r: false, l: false, k: false }, mobileNetworkPrefixes: [], homeBinding: false };
        return { sequence: current?.sequence ?? 0, bindings: [...base.filter((x) => x.bid !== mine.bid), mine] };
      }),
    );
    const decided = await Promise.all(ours);
    await Promise.all(theirs);
    assert.deepEqual(decided.map((d) => d.outcome.statuses.map((x) => x.status).join()), Array.from({ length: N }, () => '0'), 'every BU of the active accepted');
    const final = await other.read(HOA);
    const bids = (final.record?.bindings ?? []).map((x) => x.bid).sort((x, y) => x - y);
    const want = [...Array.from({ length: N }, (_, i) => i + 1), ...Array.from({ length: N }, (_, i) => 100 + i)];
    assert.deepEqual(bids, want, 'no acknowledged binding lost in etcd');
    await until("the active's core caught up with the record", () => h1.ha.cache.bindingsOf(HOA).length === 2 * N);
    // How often it had to decide again depends on timing; reported, not asserted.
    console.log(`# BUs decided again after a lost compare-and-swap: ${counters.get('cluster', { event: 'redecided' })}`);
  } finally {
    await a.stop();
  }
});

const UDP: FlowSubOption = { kind: 'trafficSelector', selector: { format: 'ipv6', destinationPortStart: 5004, nextHeaderStart: 17 } };
const TCP: FlowSubOption = { kind: 'trafficSelector', selector: { format: 'ipv6', destinationPortStart: 443, nextHeaderStart: 6 } };
const fi = (fid: number, pri: number, ...subOptions: FlowSubOption[]): FlowIdentificationOption => ({ kind: 'flowIdentification', fid, fidPri: pri, status: 0, subOptions });
const br = (...bids: number[]): FlowSubOption => ({ kind: 'bindingReference', bids });
const flowsOf = (ha: HomeAgent): string[] => ha.flows.list(HOA).map((f) => `${f.fid}@${f.priority}->${f.bids.join(',')}${f.active ? '' : ' (inactive)'}`);

test('RFC 6089 flow bindings are replicated: written with the bindings, a flow-only change written too, the standby holds them and serves them after a takeover', { skip }, async () => {
  const prefix = '/t-ha-cluster-flows/';
  const h1 = host();
  const a = await HomeAgentCluster.start(clusterConfig('ha1', prefix), h1, log, new Metrics('home-agent'));
  await until('ha1 active', () => h1.serving);
  const h2 = host();
  const flowHoas: Ip6[] = [];
  h2.flowsChanged = (hoa) => void flowHoas.push(hoa);
  const b = await HomeAgentCluster.start(clusterConfig('ha2', prefix), h2, log, new Metrics('home-agent'));
  let bStopped = false;
  try {
    const bu = received(makeBu({ seq: 20, options: [bid(1, { coa: COA1 }), bid(2, { coa: COA2 }), fi(1, 10, UDP, br(1))] }), { nowMs: Date.now() });
    await a.decide(HOA, () => h1.ha.processBu(bu));
    // The first binding's BA waits for DAD; the probe is not this test's business.
    assert.ok(h1.ha.dadResult(HOA, true).ba);
    assert.deepEqual(flowsOf(h1.ha), ['1@10->1']);
    await until('the standby holds the flow', () => flowsOf(h2.ha).length === 1);
    assert.deepEqual(flowsOf(h2.ha), flowsOf(h1.ha));
    assert.deepEqual(flowHoas, [HOA], 'the standby was told to plan the flow filters');

    // Same care-of addresses (a refresh for the bindings), one more flow and one flow moved: written all the same.
    const writes = (await a.status()).store.writes;
    const move = received(makeBu({ seq: 21, options: [bid(1, { coa: COA1 }), bid(2, { coa: COA2 }), fi(1, 10, br(2)), fi(2, 20, TCP, br(1))] }), { nowMs: Date.now() });
    const d = await a.decide(HOA, () => h1.ha.processBu(move));
    assert.ok(d.outcome.ba);
    assert.deepEqual(flowsOf(h1.ha), ['1@10->2', '2@20->1']);
    assert.equal((await a.status()).store.writes, writes + 1, 'a change of flows alone is written');
    await until('the standby follows the flow change', () => flowsOf(h2.ha).join() === '1@10->2,2@20->1');

    // A refresh naming both flows in a Flow Summary changes nothing: not written.
    const summary = received(makeBu({ seq: 22, options: [bid(1, { coa: COA1 }), bid(2, { coa: COA2 }), { kind: 'flowSummary', fids: [1, 2] }] }), { nowMs: Date.now() });
    await a.decide(HOA, () => h1.ha.processBu(summary));
    assert.equal((await a.status()).store.writes, writes + 1, 'an unchanged flow list is not written again');

    // The active goes; the standby takes over and knows both flows: a Flow Summary is answered without 132 (FID not found).
    await a.stop();
    await until('ha2 active', () => h2.serving);
    const next = received(makeBu({ seq: 23, options: [bid(1, { coa: COA1 }), bid(2, { coa: COA2 }), { kind: 'flowSummary', fids: [1, 2] }] }), { nowMs: Date.now() });
    const after = await b.decide(HOA, () => h2.ha.processBu(next));
    const acks = (after.outcome.ba?.message.options ?? []).filter((o) => o.kind === 'flowIdentification');
    assert.deepEqual(acks, [], 'no Flow Identification status: both FIDs known to the new active');
    assert.deepEqual(flowsOf(h2.ha), ['1@10->2', '2@20->1']);
    await b.stop();
    bStopped = true;
  } finally {
    if (!bStopped) await b.stop();
    await a.stop();
  }
});

test('shares: opposite preferences for two addresses make each node active for one; a BU is written with the address it was sent to, fenced on it', { skip }, async () => {
  const prefix = '/t-ha-cluster-3/';
  const A = '2001:db8:1::1' as Ip6;
  const B = '2001:db8:1::2' as Ip6;
  const h1 = host();
  const h2 = host();
  const a = await HomeAgentCluster.start(clusterConfig('ha1', prefix, `    ${A}: { preference: 200 }\n    ${B}: { preference: 100 }\n  preempt: true\n`), h1, log, new Metrics('home-agent'));
  const b = await HomeAgentCluster.start(clusterConfig('ha2', prefix, `    ${A}: { preference: 100 }\n    ${B}: { preference: 200 }\n  preempt: true\n`), h2, log, new Metrics('home-agent'));
  try {
    // ha1 starts first and wins both; with preempt it hands B to ha2, the member preferred for it.
    await until('ha1 active for A, ha2 for B', () => h1.active.has(A) && !h1.active.has(B) && h2.active.has(B) && !h2.active.has(A));
    assert.deepEqual(a.activeAddresses(), [A]);
    assert.deepEqual(b.activeAddresses(), [B]);
    const bu = received(makeBu({ seq: 10, options: [bid(1, { coa: COA1 })] }), { nowMs: Date.now(), dst: B });
    const d = await b.decide(HOA, () => h2.ha.processBu({ ...bu, serviceAddress: B }), B);
    assert.ok(d.outcome.statuses.every((x) => x.status < 128));
    const stored = await new ReplicatedBindingStore(etcd.client(), new ClusterKeys(prefix), 'reader', { expiryLagMs: 120_000, sequenceLag: 16 }).read(HOA);
    assert.equal(stored.record?.serviceAddress, B, 'the record names the address the BU was sent to');
    await until('ha1 holds the binding, registered with B', () => h1.ha.cache.record(HOA)?.serviceAddress === B);
    // ha1 is active for A only: a write of this home address (registered with B) is fenced on B and refused.
    const wrong = received(makeBu({ seq: 11, options: [bid(1, { coa: COA2 })] }), { src: COA2, nowMs: Date.now(), dst: B });
    await assert.rejects(a.decide(HOA, () => h1.ha.processBu({ ...wrong, serviceAddress: B }), B), NotOwnerError);
    assert.equal(h1.ha.cache.lookupExact(HOA, 1)?.coa, COA1, 'ha1 went back to the stored record');
    const s = await b.status();
    assert.deepEqual(s.services.map((x) => `${x.address} ${x.role} ${x.owner} ${x.homeAddresses}`), [`${A} standby ha1 0`, `${B} active ha2 1`]);
  } finally {
    await b.stop();
    await a.stop();
  }
});

test('shares: drain of an address no other live member lists: the mobile nodes are told (Home Agent Switch) while it is still served, then it is given up; a drained member that lists it does not count', { skip }, async () => {
  const prefix = '/t-ha-cluster-4/';
  const A = '2001:db8:1::1' as Ip6;
  const B = '2001:db8:1::2' as Ip6;
  const h1 = host();
  const h2 = host();
  const a = await HomeAgentCluster.start(clusterConfig('ha1', prefix, `    ${A}: { preference: 200 }\n`), h1, log, new Metrics('home-agent'));
  await until('ha1 active for A', () => h1.active.has(A));
  const b = await HomeAgentCluster.start(clusterConfig('ha2', prefix, `    ${A}: { preference: 100 }\n    ${B}: { preference: 200 }\n`), h2, log, new Metrics('home-agent'));
  try {
    await until('ha1 active for A, ha2 for B, both members', () => h1.active.has(A) && h2.active.has(B));
    // Nobody else lists B: draining ha2 sends B's mobile nodes a switch naming A (served by ha1), then gives B up.
    const calls: string[] = [];
    const r2 = await b.drain(async (address, targets) => {
      calls.push(`${address} -> ${targets.join(',')} while active: ${b.activeAddresses().includes(address)}`);
      return { left: 2, stayed: 1 };
    });
    assert.deepEqual(calls, [`${B} -> ${A} while active: true`]);
    assert.deepEqual(r2.handedOver, [B]);
    assert.deepEqual(r2.switched, [{ address: B, targets: [A], left: 2, stayed: 1 }]);
    assert.deepEqual(b.activeAddresses(), []);
    // ha2's member key says drained: it would take nothing over, so ha1 draining A (which ha2
    // lists) must tell A's mobile nodes, with nowhere to send them (they run DHAAD).
    for (let i = 0; !(await a.status()).members.some((m) => m.node === 'ha2' && m.drained); i++) {
      assert.ok(i < 1500, 'ha1 sees ha2 drained');
      await new Promise((r) => setTimeout(r, 20));
    }
    const r1 = await a.drain(async (address, targets) => {
      calls.push(`${address} -> [${targets.join(',')}]`);
      return { left: 0, stayed: 0 };
    });
    assert.deepEqual(calls.slice(1), [`${A} -> []`]);
    assert.deepEqual(r1.handedOver, [A]);
    assert.deepEqual(r1.switched, [{ address: A, targets: [], left: 0, stayed: 0 }]);
    // Undrained, the key says so again.
    b.undrain();
    for (let i = 0; (await a.status()).members.some((m) => m.node === 'ha2' && m.drained); i++) {
      assert.ok(i < 1500, 'ha1 sees ha2 undrained');
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await b.stop();
    await a.stop();
  }
});

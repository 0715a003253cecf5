// A restarted cluster node resumes from what its journal saved (lib/daemon/ha/cluster.ts with
// store/replicated-records.ts) against a real etcd, with the real protocol core: it replays
// only the changes made since its saved revision, not every record, and ends with the same
// core as a node that read everything; a saved revision etcd has never reached (a new etcd
// cluster) falls back to a full load that also drops the saved records etcd does not hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { parseConfig } from '../../../lib/config/index.js';
import type { ClusterConfig } from '../../../lib/config/cluster-section.js';
import { HomeAgentCluster, restoreSaved, resumePoint, type ClusterHost } from '../../../lib/daemon/ha/cluster.js';
import { Metrics } from '../../../lib/daemon/metrics/metrics.js';
import { HomeAgent } from '../../../lib/proto/ha/home-agent.js';
import { encodeRecord } from '../../../lib/cluster/binding-record.js';
import { ClusterKeys } from '../../../lib/cluster/keys.js';
import { ReplicatedBindingStore } from '../../../lib/cluster/replicated-store.js';
import { ReplicaState, replicatedRecord, type SavedReplica } from '../../../lib/store/replicated-records.js';
import type { Ip6 } from '../../../lib/inet/ip6.js';
import { haConfig } from '../proto/fixtures.js';
import { hoaOf, stored } from '../store/fixtures.js';
import { skip, until, useEtcd } from './etcd-fixture.js';

const etcd = useEtcd();
const BOUNDS = { expiryLagMs: 120_000, sequenceLag: 16 };
const log = pino({ level: 'silent' });

function clusterConfig(node: string, prefix: string): ClusterConfig {
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
    2001:db8:1::1: { preference: 0 }
`, 'mcoad.yaml').cluster!;
}

/** A core, and a journal's replica state fed by persist() exactly as the daemon feeds its journal. */
function host(): ClusterHost & { ha: HomeAgent; journal: ReplicaState; persisted: number } {
  const h = {
    ha: new HomeAgent(haConfig()),
    journal: new ReplicaState(),
    persisted: 0,
    core: () => h.ha,
    now: () => 0,
    wallOffsetMs: () => 0,
    applied: () => {},
    serve: () => {},
    stopServing: () => {},
    flowsChanged: () => {},
    persist: (hoa: Ip6, known: { record: Parameters<typeof encodeRecord>[0] | null; modRevision: number; asOf: number }, revision: number) => {
      h.persisted++;
      h.journal.apply(replicatedRecord(hoa, known.record ? encodeRecord(known.record) : null, known.modRevision, known.asOf, revision));
    },
  };
  return h;
}

/** The core as home address -> "bid coa expiry" and its sequence number, for comparing two nodes. */
function coreView(ha: HomeAgent): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const hoa of [...ha.cache.homeAddresses()].sort()) {
    out[hoa] = [`seq ${ha.cache.lastSequence(hoa)}`, ...ha.cache.bindingsOf(hoa).map((b) => `${b.bid} ${b.coa} ${b.expiresAtMs}`).sort()];
  }
  return out;
}

async function put(w: ReplicatedBindingStore, n: number, bid: number): Promise<number> {
  const r = await w.update(hoaOf(n), (cur) => ({ sequence: ((cur?.sequence ?? 0) + 1) & 0xffff, bindings: [...(cur?.bindings ?? []), stored(n, { bid, expiresAtWallMs: Date.now() + 400_000 })] }));
  assert.ok(r.written);
  return r.revision;
}

/** A node restarted from `saved`: its core restored first (as the daemon does before joining), then the cluster. */
async function restarted(prefix: string, saved: SavedReplica | null): Promise<{ h: ReturnType<typeof host>; c: HomeAgentCluster }> {
  const h = host();
  const resume = resumePoint(saved);
  if (resume) restoreSaved(h.ha, resume, h.now(), h.wallOffsetMs());
  const c = await HomeAgentCluster.start(clusterConfig('ha2', prefix), h, log, new Metrics('home-agent'), resume);
  return { h, c };
}

test('a restarted node replays only the changes since its saved revision and ends with the same core as a full load', { skip }, async () => {
  const prefix = '/t-resume-node/';
  const writer = new ReplicatedBindingStore(etcd.client(), new ClusterKeys(prefix), 'ha1', BOUNDS);
  for (let n = 0; n < 20; n++) await put(writer, n, 1);
  const first = await restarted(prefix, null);
  assert.equal((await first.c.status()).watch.fullLoads, 1);
  assert.equal(first.h.persisted, 20, 'every record loaded was saved');
  const before = coreView(first.h.ha);
  assert.equal(Object.keys(before).length, 20);
  await first.c.stop();
  const saved = first.h.journal.load()!;
  assert.ok(saved.revision > 0 && saved.records.size === 20);

  // While the node is down: a new BID, a removal, a new home address.
  await put(writer, 0, 2);
  const removed = await writer.update(hoaOf(1), () => ({ sequence: 0, bindings: [] }));
  assert.ok(removed.written);
  const last = await put(writer, 20, 1);

  const again = await restarted(prefix, saved);
  try {
    await until('the changes applied', () => again.c !== undefined && again.h.ha.cache.bindingsOf(hoaOf(20)).length === 1);
    const s = await again.c.status();
    assert.equal(s.watch.fullLoads, 0, 'resumed, not reloaded');
    assert.equal(s.watch.resumes, 1);
    assert.equal(s.watch.events, 3, 'exactly the three changes');
    assert.ok(s.revision >= last);
    assert.equal(again.h.persisted, 3, 'only the three changes saved again');
    assert.equal(again.h.ha.cache.bindingsOf(hoaOf(1)).length, 0, 'the removal applied');
    assert.deepEqual(again.h.ha.cache.bindingsOf(hoaOf(0)).map((b) => b.bid).sort(), [1, 2]);

    // A node that reads everything holds the same.
    const fresh = await restarted(prefix, null);
    try {
      assert.equal((await fresh.c.status()).watch.fullLoads, 1);
      assert.deepEqual(coreView(again.h.ha), coreView(fresh.h.ha));
      assert.deepEqual(again.h.journal.load()!.revision >= last, true);
    } finally {
      await fresh.c.stop();
    }
  } finally {
    await again.c.stop();
  }
});

test('a saved revision etcd has not reached (a new etcd cluster): a full load, and saved records etcd lacks are dropped', { skip }, async () => {
  const prefix = '/t-resume-ahead/';
  const writer = new ReplicatedBindingStore(etcd.client(), new ClusterKeys(prefix), 'ha1', BOUNDS);
  const revision = await put(writer, 30, 1);
  const stale = hoaOf(31);
  const record = { hoa: stale, sequence: 1, bindings: [stored(31, { expiresAtWallMs: Date.now() + 400_000 })], writer: 'ha1', ...BOUNDS };
  const saved: SavedReplica = { revision: revision + 1_000_000, records: new Map([[stale, { value: encodeRecord(record), modRevision: 5, asOf: 5 }]]) };
  const node = await restarted(prefix, saved);
  try {
    assert.equal(node.h.ha.cache.bindingsOf(hoaOf(30)).length, 1, 'etcd\'s record loaded');
    assert.equal(node.h.ha.cache.bindingsOf(stale).length, 0, 'the saved record etcd does not hold is gone');
    const s = await node.c.status();
    assert.equal(s.watch.fullLoads, 1);
    assert.equal(s.watch.resumes, 0);
    assert.equal(node.h.journal.load()!.records.has(stale), false, 'its deletion saved');
  } finally {
    await node.c.stop();
  }
});

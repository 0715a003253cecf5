// A cluster node built from a parsed `cluster:` section against a real etcd: a clear error
// naming the endpoints when etcd is not there; two nodes, one active, a write by the active
// reaching the standby through the watcher, the standby taking over when the active stops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../lib/config/index.js';
import type { ClusterConfig } from '../../../lib/config/cluster-section.js';
import { ClusterNode, ClusterUnreachableError } from '../../../lib/cluster/cluster-node.js';
import type { KnownRecord } from '../../../lib/cluster/replicated-store.js';
import type { Ip6 } from '../../../lib/inet/ip6.js';
import { freePort } from '../../etcd-server.js';
import { hoaOf, stored } from '../store/fixtures.js';
import { skip, until, useEtcd } from './etcd-fixture.js';

const etcd = useEtcd();

function cluster(endpoint: string, node: string, prefix = '/t-node/'): ClusterConfig {
  const c = parseConfig(`role: home-agent
home_agent:
  interface: eth1
  address: 2001:db8:1::1
  served_prefixes: [2001:db8:1::/64]
cluster:
  endpoints: [${endpoint}]
  node: ${node}
  key_prefix: ${prefix}
  service_addresses:
    2001:db8:1::1:
`, 'mcoad.yaml');
  return c.cluster!;
}

function hooks() {
  const seen = new Map<Ip6, KnownRecord>();
  const roles: string[] = [];
  return {
    seen,
    roles,
    hooks: {
      active: (a: Ip6) => roles.push(`active ${a}`),
      standby: (a: Ip6, why: string) => roles.push(`standby ${a} ${why}`),
      recordChanged: (hoa: Ip6, k: KnownRecord) => void seen.set(hoa, k),
    },
  };
}

test('etcd not reachable at start: the error names the endpoints', async () => {
  const endpoint = `http://127.0.0.1:${await freePort()}`;
  await assert.rejects(ClusterNode.start(cluster(endpoint, 'ha1'), hooks().hooks, { connectTimeoutMs: 2000 }), (e: unknown) => {
    assert.ok(e instanceof ClusterUnreachableError, String(e));
    assert.match(e.message, new RegExp(`etcd not reachable at ${endpoint.replace(/\./g, '\\.')}`));
    return true;
  });
});

test('two nodes: one active, the active\'s write reaches the standby, the standby takes over on a clean stop', { skip }, async () => {
  const ha1 = hooks();
  const a = await ClusterNode.start(cluster(etcd.server().endpoint, 'ha1'), ha1.hooks);
  await until('ha1 active', () => a.status().services[0]?.role === 'active');
  const ha2 = hooks();
  const b = await ClusterNode.start(cluster(etcd.server().endpoint, 'ha2'), ha2.hooks);
  try {
    await until('ha2 sees ha1 own the address', () => b.status().services[0]?.owner === 'ha1');
    const hoa = hoaOf(7);
    const r = await a.store.update(hoa, () => ({ sequence: 1, bindings: [stored(7, { bid: 1 })] }));
    assert.ok(r.written);
    await until('the record at ha2', () => ha2.seen.get(hoa)?.modRevision === r.revision);
    assert.deepEqual(ha2.seen.get(hoa)?.record?.bindings.map((x) => x.bid), [1]);
    // ha2 learns its own membership through its watch, which may come after ha1's record.
    await until('ha2 lists both members', () => b.status().members.length === 2);
    const s = b.status();
    assert.equal(s.services[0]?.role, 'standby');
    assert.ok(s.revision >= r.revision);
    assert.deepEqual(s.members.map((m) => m.node).sort(), ['ha1', 'ha2']);
    await a.stop();
    await until('ha2 active', () => b.status().services[0]?.role === 'active');
    assert.deepEqual(ha1.roles, ['active 2001:db8:1::1', 'standby 2001:db8:1::1 stopping']);
    assert.deepEqual(ha2.roles, ['active 2001:db8:1::1']);
  } finally {
    // Both, so a failed assertion leaves no lease keeper holding the test file open.
    await a.stop();
    await b.stop();
  }
});

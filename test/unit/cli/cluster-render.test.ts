// `mcoactl show cluster` for people: not in cluster mode; a standby with etcd reachable; etcd unreachable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterLines } from '../../../lib/cli/commands/cluster-render.js';
import type { ClusterView } from '../../../lib/control/protocol.js';
import { ip6 } from '../../ip6.js';

const VIEW: ClusterView = {
  node: 'ha2',
  endpoints: ['http://[fd00:c1::10]:2379'],
  etcdReachable: true,
  etcdError: null,
  etcd: { reachable: true, sinceMs: Date.UTC(2026, 11, 5, 21, 0, 0), error: null },
  leaseRemainingMs: 874,
  revision: 6,
  etcdRevision: 7,
  lag: 1,
  members: [{ node: 'ha2', preferences: { '2001:db8:aa::1': 100 } }, { node: 'ha1', preferences: { '2001:db8:aa::1': 200 } }],
  services: [
    { address: ip6('2001:db8:aa::1'), role: 'standby', owner: 'ha1', draining: false, homeAddresses: 3 },
    { address: ip6('2001:db8:aa::2'), role: 'active', owner: 'ha2', draining: false, homeAddresses: 5 },
  ],
  store: { writes: 3, skipped: 17, conflicts: 1 },
  watch: { fullLoads: 0, resumes: 1, events: 4 },
};

test('show cluster: not in cluster mode', () => {
  assert.deepEqual(clusterLines(null), ['not in cluster mode (no cluster: section)']);
});

test('show cluster: node, etcd, lease, revision and lag, store counters, service addresses, members sorted', () => {
  const lines = clusterLines(VIEW);
  assert.equal(lines[0], 'node       ha2');
  assert.equal(lines[1], 'etcd       http://[fd00:c1::10]:2379: reachable, revision 7');
  assert.equal(lines[2], 'lease      874 ms left');
  assert.equal(lines[3], 'applied    revision 6, lag 1');
  assert.equal(lines[4], 'store      3 writes, 17 refreshes not written, 1 lost compare-and-swap rounds');
  assert.equal(lines[5], 'bindings   0 full loads, 1 resumes from the saved revision, 4 changes applied');
  // Shares: which node is active for which address, and how many home addresses register with each.
  assert.ok(lines.some((l) => /^2001:db8:aa::1 +standby +ha1 +3$/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /^2001:db8:aa::2 +active +ha2 +5$/.test(l)), lines.join('\n'));
  const members = lines.filter((l) => /^ha\d /.test(l));
  assert.deepEqual(members.map((l) => l.split(/ +/)[0]), ['ha1', 'ha2']);
});

test('show cluster: etcd unreachable and no lease', () => {
  const etcd = { reachable: false, sinceMs: Date.UTC(2026, 11, 5, 21, 30, 7, 412), error: 'keep-alive: deadline exceeded' };
  const lines = clusterLines({ ...VIEW, etcd, etcdReachable: false, etcdError: 'deadline exceeded', etcdRevision: null, lag: null, leaseRemainingMs: 0 });
  assert.equal(lines[1], 'etcd       http://[fd00:c1::10]:2379: UNREACHABLE since 2026-12-05T21:30:07Z (deadline exceeded), retrying');
  assert.equal(lines[2], 'lease      none (not serving)');
  assert.equal(lines[3], 'applied    revision 6');
});

test('show cluster: a drained member is marked in the member table', () => {
  const lines = clusterLines({ ...VIEW, members: [VIEW.members[0]!, { ...VIEW.members[1]!, drained: true }] });
  assert.ok(lines.some((l) => /^ha1 \(drained\) +2001:db8:aa::1=200$/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /^ha2 +2001:db8:aa::1=100$/.test(l)), lines.join('\n'));
});

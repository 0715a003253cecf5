// `mcoactl show cluster`: this node, etcd's reachability and revision, then one row per
// service address (who is active) and one per live member. etcd lost: since when (the first
// round trip it did not answer), and that the node keeps retrying.
import type { ClusterView } from '../../control/protocol.js';
import { table } from './format.js';

export function clusterLines(v: ClusterView | null): string[] {
  if (!v) return ['not in cluster mode (no cluster: section)'];
  const since = !v.etcd.reachable && v.etcd.sinceMs !== null ? ` since ${isoSeconds(v.etcd.sinceMs)}` : '';
  const etcd = v.etcdReachable ? `reachable, revision ${v.etcdRevision}` : `UNREACHABLE${since} (${v.etcdError ?? 'no answer'}), retrying`;
  const lines = [
    `node       ${v.node}`,
    `etcd       ${v.endpoints.join(', ')}: ${etcd}`,
    `lease      ${v.leaseRemainingMs > 0 ? `${v.leaseRemainingMs} ms left` : 'none (not serving)'}`,
    `applied    revision ${v.revision}${v.lag === null ? '' : `, lag ${v.lag}`}`,
    `store      ${v.store.writes} writes, ${v.store.skipped} refreshes not written, ${v.store.conflicts} lost compare-and-swap rounds`,
    `bindings   ${v.watch.fullLoads} full loads, ${v.watch.resumes} resumes from the saved revision, ${v.watch.events} changes applied`,
    '',
  ];
  lines.push(
    ...table(
      ['SERVICE ADDRESS', 'THIS NODE', 'ACTIVE NODE', 'HOME ADDRESSES'],
      v.services.map((s) => [s.address, s.draining ? `${s.role} (drained)` : s.role, s.owner ?? '-', s.homeAddresses === undefined ? '-' : String(s.homeAddresses)]),
    ),
  );
  lines.push('');
  const members = [...v.members].sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  lines.push(...table(['MEMBER', 'PREFERENCES'], members.map((m) => [m.drained ? `${m.node} (drained)` : m.node, Object.entries(m.preferences).map(([a, p]) => `${a}=${p}`).join(' ')])));
  return lines;
}

/** `2026-12-05T21:30:07Z`: wall clock ms, UTC, to the second. */
function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

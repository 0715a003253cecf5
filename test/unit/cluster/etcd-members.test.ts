// Three etcd members on loopback, one follower killed with SIGKILL while a lease is kept
// (lease-keeper.ts, member-keepalives.ts). The keeper's client is the worst case of etcd3's
// pool: it knows only the member that dies (the pool may pick a dead member for a keep-alive
// stream and, with SIGKILL, keep failing on it). With a keep-alive the pool's member does not
// answer hedged to every member at once, the lease is never in doubt: no `expiring`, keep-alives answered all along; the same keeper
// without them (the control, same client) loses the lease, so the test sees a loss when
// there is one. A third keeper with every endpoint (the configuration an operator writes)
// keeps its lease too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { EtcdServer, freePort } from '../../etcd-server.js';
import { etcdOptions } from '../../../lib/cluster/etcd-client.js';
import { LeaseKeeper } from '../../../lib/cluster/lease-keeper.js';
import { MemberKeepalives } from '../../../lib/cluster/member-keepalives.js';
import { skip, until } from './etcd-fixture.js';

const TIMERS = { ttlSeconds: 2, marginMs: 500, retryMs: 200 };

/** Three members started together (they need each other for a quorum). */
async function threeMembers(): Promise<EtcdServer[]> {
  const ports = await Promise.all([0, 1, 2].map(async (i) => ({ name: `m${i + 1}`, clientPort: await freePort(), peerPort: await freePort() })));
  const initialCluster = ports.map((p) => `${p.name}=http://127.0.0.1:${p.peerPort}`).join(',');
  return Promise.all(ports.map((p) => EtcdServer.start({ ...p, initialCluster })));
}

/** The members that are not the raft leader, as their own status says. */
async function followers(servers: readonly EtcdServer[]): Promise<EtcdServer[]> {
  const out: EtcdServer[] = [];
  for (const s of servers) {
    const c = new Etcd3(etcdOptions({ endpoints: [s.endpoint], tls: null }));
    try {
      const st = await c.maintenance.status();
      if (st.leader !== st.header.member_id) out.push(s);
    } finally {
      c.close();
    }
  }
  return out;
}

/** Counts a keeper's `expiring` events. */
function watch(k: LeaseKeeper): { expiries: string[] } {
  const seen = { expiries: [] as string[] };
  k.on('expiring', (why) => void seen.expiries.push(why));
  return seen;
}

test('a follower killed: keep-alives hedged to every member keep the lease; the same client without them loses it', { skip, timeout: 180_000 }, async () => {
  const servers = await threeMembers();
  const clients: Etcd3[] = [];
  const keepers: LeaseKeeper[] = [];
  const members: MemberKeepalives[] = [];
  const client = (endpoints: string[]): Etcd3 => {
    const c = new Etcd3(etcdOptions({ endpoints, tls: null }));
    clients.push(c);
    return c;
  };
  try {
    const all = servers.map((s) => s.endpoint);
    const victim = (await followers(servers))[0];
    assert.ok(victim, 'a follower among the three');
    const toVictim = client([victim.endpoint]);
    const m1 = new MemberKeepalives(all, etcdOptions({ endpoints: all, tls: null }));
    const m2 = new MemberKeepalives(all, etcdOptions({ endpoints: all, tls: null }));
    members.push(m1, m2);
    const withMembers = new LeaseKeeper(toVictim, TIMERS, {}, m1);
    const control = new LeaseKeeper(toVictim, TIMERS);
    const operator = new LeaseKeeper(client(all), TIMERS, {}, m2);
    keepers.push(withMembers, control, operator);
    const seen = { withMembers: watch(withMembers), control: watch(control), operator: watch(operator) };
    for (const k of keepers) k.start();
    await until('three leases granted', () => keepers.every((k) => k.valid()), 30_000);

    await victim.kill();
    const before = withMembers.stats.keepalives;
    // Five TTLs after the kill: long enough for the control to lose its lease (its keep-alives all go to the dead member).
    await until('the control lost its lease', () => seen.control.expiries.length > 0, 60_000);
    const start = withMembers.stats.keepalives;
    await until('ten more keep-alives answered through the members left', () => withMembers.stats.keepalives >= start + 10, 60_000);
    console.log(`# after the kill: ${withMembers.stats.keepalives - before} keep-alives answered (${withMembers.stats.hedged} hedged to every member, all endpoints: ${operator.stats.hedged}); control expiries: ${seen.control.expiries.length} (${seen.control.expiries[0]})`);
    assert.deepEqual(seen.withMembers.expiries, [], 'hedged keep-alives: the lease was never in doubt');
    assert.equal(withMembers.valid(), true);
    assert.deepEqual(seen.operator.expiries, [], 'every endpoint configured: the lease kept too');
    assert.equal(operator.valid(), true);
  } finally {
    for (const k of keepers) await k.stop(false);
    for (const m of members) m.close();
    for (const c of clients) c.close();
    for (const s of servers) await s.destroy();
  }
});

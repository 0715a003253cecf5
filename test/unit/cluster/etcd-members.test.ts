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

/**
 * Three members started together (they need each other for a quorum). The election timeout
 * is five times etcd's default: on a loaded CI machine a heartbeat late by a second would
 * otherwise start an election, which stalls every keep-alive whatever the client does; this
 * test is about a dead follower, not a leader change.
 */
async function threeMembers(): Promise<EtcdServer[]> {
  const ports = await Promise.all([0, 1, 2].map(async (i) => ({ name: `m${i + 1}`, clientPort: await freePort(), peerPort: await freePort() })));
  const initialCluster = ports.map((p) => `${p.name}=http://127.0.0.1:${p.peerPort}`).join(',');
  return Promise.all(ports.map((p) => EtcdServer.start({ ...p, initialCluster, raft: { heartbeatMs: 100, electionMs: 5000 } })));
}

/** Each member's status: its own ID and the leader it follows ('0': none yet). */
async function statuses(servers: readonly EtcdServer[]): Promise<{ server: EtcdServer; id: string; leader: string }[]> {
  return Promise.all(servers.map(async (server) => {
    const c = new Etcd3(etcdOptions({ endpoints: [server.endpoint], tls: null }));
    try {
      const st = await c.maintenance.status();
      return { server, id: st.header.member_id, leader: st.leader };
    } finally {
      c.close();
    }
  }));
}

/** The leader all members agree on (waits for one), and the members that follow it. */
async function followers(servers: readonly EtcdServer[]): Promise<{ leader: string; followers: EtcdServer[] }> {
  const end = Date.now() + 30_000;
  for (;;) {
    const st = await statuses(servers);
    const leader = st[0]!.leader;
    if (leader !== '0' && st.every((s) => s.leader === leader)) return { leader, followers: st.filter((s) => s.id !== leader).map((s) => s.server) };
    if (Date.now() > end) throw new Error(`no leader all three members agree on: ${JSON.stringify(st.map((s) => s.leader))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A keeper's `expiring` events and its slowest keep-alive round trip (for a failure's message). */
interface Seen {
  expiries: string[];
  slowestMs: number;
}

function observe(seen: Seen): { leaseRoundTrip: (kind: string, seconds: number) => void } {
  return { leaseRoundTrip: (kind, seconds) => void (seen.slowestMs = Math.max(seen.slowestMs, Math.round(seconds * 1000))) };
}

function watch(k: LeaseKeeper, seen: Seen): Seen {
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
    const { leader, followers: following } = await followers(servers);
    const victim = following[0];
    assert.equal(following.length, 2, 'two followers of one leader');
    assert.ok(victim, 'a follower among the three');
    const toVictim = client([victim.endpoint]);
    const m1 = new MemberKeepalives(all, etcdOptions({ endpoints: all, tls: null }));
    const m2 = new MemberKeepalives(all, etcdOptions({ endpoints: all, tls: null }));
    members.push(m1, m2);
    const fresh = (): Seen => ({ expiries: [], slowestMs: 0 });
    const seen = { withMembers: fresh(), control: fresh(), operator: fresh() };
    const withMembers = new LeaseKeeper(toVictim, TIMERS, observe(seen.withMembers), m1);
    const control = new LeaseKeeper(toVictim, TIMERS, observe(seen.control));
    const operator = new LeaseKeeper(client(all), TIMERS, observe(seen.operator), m2);
    keepers.push(withMembers, control, operator);
    watch(withMembers, seen.withMembers);
    watch(control, seen.control);
    watch(operator, seen.operator);
    // On a failure: what each keeper saw and what etcd logged (a slow disk, late heartbeats, an election).
    const why = (): string =>
      [`leader before the kill: ${leader}`, `keepers: ${JSON.stringify({ withMembers: { ...seen.withMembers, ...withMembers.stats }, operator: { ...seen.operator, ...operator.stats } })}`,
        ...servers.flatMap((s) => s.notices())].join('\n');
    const waitFor = (what: string, cond: () => boolean): Promise<void> =>
      until(what, cond, 60_000).catch((e: unknown) => {
        throw new Error(`${(e as Error).message}\n${why()}`);
      });
    for (const k of keepers) k.start();
    await until('three leases granted', () => keepers.every((k) => k.valid()), 30_000);

    await victim.kill();
    const before = withMembers.stats.keepalives;
    // Five TTLs after the kill: long enough for the control to lose its lease (its keep-alives all go to the dead member).
    await waitFor('the control lost its lease', () => seen.control.expiries.length > 0);
    const start = withMembers.stats.keepalives;
    await waitFor('ten more keep-alives answered through the members left', () => withMembers.stats.keepalives >= start + 10);
    console.log(`# after the kill: ${withMembers.stats.keepalives - before} keep-alives answered (${withMembers.stats.hedged} hedged to every member, all endpoints: ${operator.stats.hedged}); control expiries: ${seen.control.expiries.length} (${seen.control.expiries[0]}); slowest keep-alive ${seen.withMembers.slowestMs} ms hedged, ${seen.operator.slowestMs} ms all endpoints`);
    assert.deepEqual(seen.withMembers.expiries, [], `hedged keep-alives: the lease was never in doubt\n${why()}`);
    assert.equal(withMembers.valid(), true, why());
    assert.deepEqual(seen.operator.expiries, [], `every endpoint configured: the lease kept too\n${why()}`);
    assert.equal(operator.valid(), true, why());
  } finally {
    for (const k of keepers) await k.stop(false);
    for (const m of members) m.close();
    for (const c of clients) c.close();
    for (const s of servers) await s.destroy();
  }
});

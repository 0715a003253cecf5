// Dynamic Home Agent Address Discovery against a real kernel (RFC 6275 §10.5, §11.4.1).
// First test, the socket: a home agent namespace (A, a0) and a second home agent (B, b0) on
// one veth, B's radvd advertising H, Home Agent Information and its address with the R bit.
// Second, the daemons: two mcoad home agents with radvd each on one home link and a mobile
// node with home_agent: auto (fixtures/topology.ts twoHomeAgentsTopology).
import { ip6 } from '../ip6.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Icmp6Socket, type Icmp6Received } from '../../lib/net/icmp6-socket.js';
import { decodeDhaad, encodeDhaad, ICMP6_DHAAD_REPLY, ICMP6_DHAAD_REQUEST } from '../../lib/net/dhaad/dhaad-codec.js';
import { decodeRa, ND_ROUTER_ADVERT } from '../../lib/net/dhaad/ra-codec.js';
import { homeAgentsAnycast } from '../../lib/inet/home-agents-anycast.js';
import { parsePrefix } from '../../lib/inet/prefix.js';
import { formatIp6 } from '../../lib/inet/ip6.js';
import { addVethPair, withNetnsGroup, type Netns } from './netns.js';
import {
  HA,
  HA2,
  COA,
  HOA,
  KERNEL_TEST_TIMEOUT_MS,
  counter,
  killDaemon,
  logRecords,
  mcoactl,
  registeredWith,
  stats,
  twoHomeAgentsTopology,
  until,
  withScope,
  writeHomeAgentConfig,
  writeMobileNodeConfig,
} from './fixtures/index.js';
import { radvdStderr, startRadvd } from './fixtures/radvd.js';
import { readFileSync, writeFileSync } from 'node:fs';

/**
 * The node's binding lifetime is 600 s: it moves on once its Binding Updates go unanswered
 * (about 31 s, proto/mn/home-agent-failover.ts), far inside this bound; waiting for the
 * lifetime to run out (600 s + REGISTRATION_TIMEOUT_MS) would not be.
 */
const SCENARIO_WAIT_MS = 180_000;
const MOVED_COA = ip6('2001:db8:1::99');
const HOME = parsePrefix('2001:db8:aa::/64')!;
const ANYCAST = homeAgentsAnycast(HOME);

async function homeLink(a: Netns, b: Netns): Promise<void> {
  for (const ns of [a, b]) {
    await ns.exec('sysctl', '-q', '-w', 'net.ipv6.conf.default.accept_dad=0');
    await ns.exec('sysctl', '-q', '-w', 'net.ipv6.conf.all.forwarding=1');
  }
  await addVethPair(a, 'a0', b, 'b0');
  await a.ip('addr', 'add', '2001:db8:aa::1/64', 'dev', 'a0');
  await b.ip('addr', 'add', '2001:db8:aa::2/64', 'dev', 'b0');
  await a.ip('link', 'set', 'a0', 'up');
  await b.ip('link', 'set', 'b0', 'up');
}

function collect(sock: Icmp6Socket): Icmp6Received[] {
  const got: Icmp6Received[] = [];
  sock.on('message', (m) => got.push(m));
  return got;
}

test('Icmp6Socket: radvd RAs with H and Home Agent Information arrive; a Request to the joined Home-Agents anycast address arrives and the Reply goes back', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  await withNetnsGroup(2, ([a, b]) =>
    withScope(async (scope) => {
      await homeLink(a!, b!);
      const ha = scope.closeAtEnd(Icmp6Socket.open({ netns: a!.name, types: [ND_ROUTER_ADVERT, ICMP6_DHAAD_REQUEST] }));
      const got = collect(ha);
      const radvd = startRadvd(scope, b!, { iface: 'b0', address: '2001:db8:aa::2/64', preference: 20, lifetime: 600 });
      const ra = await until(`an RA from radvd (radvd said: ${radvdStderr(radvd)})`, () => got.find((m) => m.data[0] === ND_ROUTER_ADVERT));
      const decoded = decodeRa(ra.data);
      assert.ok(decoded.ok);
      assert.equal(decoded.value.homeAgent, true, 'H bit');
      assert.deepEqual(decoded.value.options.find((o) => o.kind === 'homeAgentInformation'), { kind: 'homeAgentInformation', mobileRouterSupport: false, preference: 20, lifetime: 600 });
      const pi = decoded.value.options.find((o) => o.kind === 'prefixInformation');
      assert.ok(pi && pi.routerAddress && formatIp6(pi.prefix) === ip6('2001:db8:aa::2'), 'the R bit with the full address');
      assert.equal(ra.hopLimit, 255);
      assert.match(ra.src, /^fe80:/);

      ha.joinAnycast(ha.interfaceIndex('a0'), ANYCAST);
      const anycast6 = await a!.exec('cat', '/proc/net/anycast6');
      assert.match(anycast6, /a0\s+20010db800aa0000fdfffffffffffffe/, anycast6);
      const mn = scope.closeAtEnd(Icmp6Socket.open({ netns: b!.name, types: [ICMP6_DHAAD_REPLY] }));
      const replies = collect(mn);
      mn.send({ dst: ANYCAST, src: ip6('2001:db8:aa::2'), data: encodeDhaad({ kind: 'dhaadRequest', identifier: 77, mobileRouter: false }) });
      const req = await until('the Request at the anycast address', () => got.find((m) => m.data[0] === ICMP6_DHAAD_REQUEST));
      assert.equal(req.dst, ANYCAST);
      assert.equal(req.src, ip6('2001:db8:aa::2'));
      ha.send({ dst: req.src, src: ip6('2001:db8:aa::1'), data: encodeDhaad({ kind: 'dhaadReply', identifier: 77, mobileRouter: false, homeAgents: [] }) });
      const reply = await until('the Reply', () => replies[0]);
      assert.deepEqual(decodeDhaad(reply.data), { ok: true, value: { kind: 'dhaadReply', identifier: 77, mobileRouter: false, homeAgents: [] } });
      assert.equal(reply.src, ip6('2001:db8:aa::1'));
    }),
  );
});

test('DHAAD end to end: two home agents with radvd on one home link; a mobile node with home_agent: auto registers with the preferred one, and moves to the other as soon as its Binding Updates go unanswered (§11.4.1), long before its binding lifetime', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  await withNetnsGroup(3, ([ha, ha2, mn]) =>
    withScope(async (scope) => {
      await twoHomeAgentsTopology(ha!, ha2!, mn!);
      const dhaad = (preference: number): string => `  dhaad:\n    preference: ${preference}\n    lifetime: 600\n`;
      const d1 = await scope.startDaemon(ha!, 'home agent 1', (dir) => writeHomeAgentConfig(dir, { ipsecRequired: false, homeAgent: dhaad(10) }));
      const d2 = await scope.startDaemon(ha2!, 'home agent 2', (dir) => writeHomeAgentConfig(dir, { address: HA2, ipsecRequired: false, homeAgent: dhaad(20) }));
      // HA2 is the preferred one (20 over 10); each advertises itself through its own radvd
      // (started once mcoad has turned forwarding on, as radvd expects of a router).
      startRadvd(scope, ha!, { iface: 'home0', address: `${HA}/64`, preference: 10, lifetime: 600 });
      const radvd2 = startRadvd(scope, ha2!, { iface: 'home0', address: `${HA2}/64`, preference: 20, lifetime: 600 });
      // Each home agent learns the other from its RAs (§10.5.1).
      await until('home agent 1 heard home agent 2 advertise', async () => (await counter(d1, 'dhaad', 'ra-added')) >= 1);
      await until('home agent 2 heard home agent 1 advertise', async () => (await counter(d2, 'dhaad', 'ra-added')) >= 1);

      const m = await scope.startDaemon(mn!, 'mobile node', (dir) => writeMobileNodeConfig(dir, { homeAgent: 'auto', interfaces: ['mn1'], lifetime: 600 }));
      await until('the mobile node registered with home agent 2', async () => (await registeredWith(m, HA2)).length > 0);
      // The Request went to the anycast address and reached home agent 1 (the route's first hop), which answered with both, HA2 first.
      assert.ok((await counter(d1, 'dhaad', 'reply')) >= 1, 'home agent 1 answered');
      const s = (await stats(m)) as Awaited<ReturnType<typeof stats>> & { homeAgent?: { address: string; candidates: string[] } };
      assert.deepEqual(s.homeAgent, { address: HA2, discovered: true, candidates: [HA2, HA] });
      assert.match(await mcoactl(m, 'show', 'stats'), new RegExp(`home agent\\s+${HA2} \\(discovered by DHAAD: ${HA2} ${HA}\\)`));

      // Home agent 2 goes: its daemon and radvd die, its address goes and so does the proxy
      // entry it left for the home address (else home agent 1's DAD would find it taken).
      // The link stays up: home agent 1 runs DAD on it.
      await killDaemon(d2);
      radvd2.kill('SIGKILL');
      await ha2!.ip('-6', 'addr', 'del', `${HA2}/64`, 'dev', 'home0');
      await ha2!.ip('-6', 'neigh', 'del', 'proxy', HOA, 'dev', 'home0').catch(() => '');
      // The node moves (a new care-of address on the same link): its Binding Update to home
      // agent 2, with 600 s of the old binding left, goes unanswered.
      await mn!.ip('-6', 'addr', 'add', `${MOVED_COA}/64`, 'dev', 'mn1', 'nodad');
      await mn!.ip('-6', 'addr', 'del', `${COA}/64`, 'dev', 'mn1');
      await until('the mobile node registered with home agent 1', async () => (await registeredWith(m, HA)).length > 0, SCENARIO_WAIT_MS);
      assert.equal((await stats(m) as { homeAgent?: { address: string } }).homeAgent?.address, HA);
      const moved = logRecords<{ msg: string; homeAgent: string; why: string }>(m).find((r) => r.msg === 'home agent chosen' && r.homeAgent === HA);
      assert.match(moved?.why ?? '', /binding updates unanswered/, 'moved on because home agent 2 stopped answering, not because the binding expired');

      // home_agent.dhaad applies on reload: home agent 1's own entry follows the file.
      writeFileSync(d1.config, readFileSync(d1.config, 'utf8').replace(dhaad(10), dhaad(30)));
      await mcoactl(d1, 'reload');
      await until('home agent 1 reloaded its own list entry', () =>
        logRecords<{ msg: string; preference: number }>(d1).find((r) => r.msg === 'own home agents list entry reloaded' && r.preference === 30));
    }),
  );
});

// Proxy Neighbour Discovery by the daemon (home_agent.proxy_nd: daemon) against a real
// kernel: HomeAgentProxyNd with its packet socket in the home agent's namespace, a neighbour
// B on the home link, and the mobile node M behind the home agent (a plain link standing for
// the tunnel: what matters here is the home link).
//
//   B  b0 (2001:db8:aa::2) ---- home0 (2001:db8:aa::1)  HA  h1 (fe80::1) ---- m1 (fe80::2)  M (HOA)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { ip6 } from '../ip6.js';
import type { Ip6 } from '../../lib/inet/ip6.js';
import { formatIp6 } from '../../lib/inet/ip6.js';
import { formatMac } from '../../lib/net/nd-codec.js';
import { NdSocket, type NdObserved } from '../../lib/net/nd-socket.js';
import { ProxyNdSocket } from '../../lib/net/proxy-nd-socket.js';
import { HomeAgentProxyNd } from '../../lib/daemon/ha/proxy-nd.js';
import { Metrics } from '../../lib/daemon/metrics/metrics.js';
import { systemClock } from '../../lib/daemon/service/host.js';
import type { DesiredState } from '../../lib/plan/ha/desired.js';
import { addVethPair, withNetnsGroup, type Netns } from './netns.js';
import { KERNEL_TEST_TIMEOUT_MS, bounded, until } from './fixtures/index.js';

const HOA = ip6('2001:db8:aa::100');
const UNREGISTERED = ip6('2001:db8:aa::101');
/** A DAD wait far longer than any answer takes: a 'duplicate' before it comes from an answer. */
const LONG_DAD_MS = 120_000;

const defending = (addrs: Ip6[]): DesiredState => ({
  tunnels: new Map(),
  routes: new Map(),
  proxies: new Map(addrs.map((a) => [`home0|${a}`, { key: `home0|${a}`, address: a, interface: 'home0', owners: [] }])),
});

/** A veth is operational once both ends are up: call after setting every end up. */
async function operational(ns: Netns, dev: string): Promise<void> {
  await until(`${dev} operational`, async () => (JSON.parse(await ns.ip('-j', 'link', 'show', dev)) as { operstate: string }[])[0]!.operstate === 'UP');
}

async function world(ha: Netns, b: Netns, m: Netns): Promise<void> {
  for (const ns of [ha, b, m]) await ns.exec('sysctl', '-qw', 'net.ipv6.conf.default.accept_dad=0');
  await ha.exec('sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1');
  await addVethPair(ha, 'home0', b, 'b0');
  await addVethPair(ha, 'h1', m, 'm1');
  await ha.ip('addr', 'add', '2001:db8:aa::1/64', 'dev', 'home0', 'nodad');
  await ha.ip('addr', 'add', 'fe80::1/64', 'dev', 'h1', 'nodad');
  await b.ip('addr', 'add', '2001:db8:aa::2/64', 'dev', 'b0', 'nodad');
  await m.ip('addr', 'add', 'fe80::2/64', 'dev', 'm1', 'nodad');
  await m.ip('addr', 'add', `${HOA}/128`, 'dev', 'm1', 'nodad');
  const ends = [[ha, 'home0'], [ha, 'h1'], [b, 'b0'], [m, 'm1']] as const;
  for (const [ns, dev] of ends) await ns.ip('link', 'set', dev, 'up');
  for (const [ns, dev] of ends) await operational(ns, dev);
  // The home agent's route to the home address (the tunnel in the real thing), and M's way back.
  await ha.ip('-6', 'route', 'add', `${HOA}/128`, 'via', 'fe80::2', 'dev', 'h1');
  await ha.ip('-6', 'route', 'add', `${UNREGISTERED}/128`, 'via', 'fe80::2', 'dev', 'h1');
  await m.ip('-6', 'route', 'add', 'default', 'via', 'fe80::1', 'dev', 'm1');
}

const macOf = async (ns: Netns, dev: string): Promise<string> => (JSON.parse(await ns.ip('-j', 'link', 'show', dev)) as { address: string }[])[0]!.address;
const neighbour = async (ns: Netns, addr: Ip6): Promise<string> => ns.ip('-6', 'neigh', 'show', addr, 'dev', 'b0');
const pingOnce = (ns: Netns, addr: Ip6): Promise<boolean> => ns.exec('ping', '-6', '-c', '1', '-W', '3', addr).then(() => true, () => false);

test('proxy ND by the daemon: a registered home address resolves to the home agent, an unregistered one gets no answer, DAD probes are defended', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  await withNetnsGroup(3, async ([ha, b, m]) => {
    await world(ha!, b!, m!);
    const metrics = new Metrics('home-agent');
    const proxy = new HomeAgentProxyNd('daemon', () => ProxyNdSocket.open({ ifname: 'home0', netns: ha!.name }), metrics, pino({ level: 'silent' }), systemClock);
    const peer = NdSocket.open({ netns: b!.name });
    const haMac = await macOf(ha!, 'home0');
    const nd = (): Record<string, number> => metrics.snapshot()['nd'] ?? {};
    try {
      // RFC 6275 §10.4.1: defending starts with an unsolicited NA (Override set, Solicited clear).
      const heard: NdObserved[] = [];
      peer.on('neighbor', (o) => heard.push(o));
      proxy.plan(HOA, defending([HOA]));
      const announced = await until('the unsolicited NA for the home address', () =>
        heard.find((o) => o.message.kind === 'na' && formatIp6(o.message.target) === HOA && o.dst === 'ff02::1'));
      assert.ok(announced.message.kind === 'na');
      assert.deepEqual([announced.message.override, announced.message.solicited, announced.message.router], [true, false, false]);
      assert.equal(formatMac(announced.message.targetLinkLayer!), haMac);

      // B resolves the home address by NS to its solicited-node group: the answer names the
      // home agent's link-layer address, and the echo goes through the home agent to M.
      await b!.ip('-6', 'neigh', 'flush', 'dev', 'b0');
      await until('an echo from B to the home address answered by M', () => pingOnce(b!, HOA));
      assert.match(await neighbour(b!, HOA), new RegExp(`lladdr ${haMac}`));
      assert.ok((nd()['proxy-answered'] ?? 0) >= 1, JSON.stringify(nd()));

      // An address nobody registered: B's resolution fails, nothing answered it.
      const answeredBefore = nd()['proxy-answered'];
      assert.equal(await pingOnce(b!, UNREGISTERED), false);
      await until('B gives up resolving the unregistered address', async () => /FAILED|^$/.test((await neighbour(b!, UNREGISTERED)).trim()));
      assert.doesNotMatch(await neighbour(b!, UNREGISTERED), /lladdr/);
      assert.equal(nd()['proxy-answered'], answeredBefore);

      // A DAD probe for the defended address is answered (to all nodes); one for the
      // unregistered address is not.
      assert.equal(await bounded('the DAD probe for the home address defended', peer.dad('b0', HOA, LONG_DAD_MS)), 'duplicate');
      assert.ok((nd()['proxy-defended'] ?? 0) >= 1, JSON.stringify(nd()));
      assert.equal(await peer.dad('b0', UNREGISTERED, 1500), 'unique');

      // The home link deleted and made again (a new interface index): within a link check
      // the daemon listens on the new one and defends again.
      await ha!.ip('link', 'del', 'home0');
      await addVethPair(ha!, 'home0', b!, 'b0');
      await ha!.ip('addr', 'add', '2001:db8:aa::1/64', 'dev', 'home0', 'nodad');
      await b!.ip('addr', 'add', '2001:db8:aa::2/64', 'dev', 'b0', 'nodad');
      for (const [ns, dev] of [[ha!, 'home0'], [b!, 'b0']] as const) await ns.ip('link', 'set', dev, 'up');
      for (const [ns, dev] of [[ha!, 'home0'], [b!, 'b0']] as const) await operational(ns, dev);
      await until('the DAD probe defended on the new home link', async () => (await peer.dad('b0', HOA, 2000)) === 'duplicate');

      // The node is home (a home binding, or no binding): the home agent stops defending.
      proxy.plan(HOA, defending([]));
      const defendedBefore = nd()['proxy-defended'];
      assert.equal(await peer.dad('b0', HOA, 1500), 'unique');
      assert.equal(nd()['proxy-defended'], defendedBefore);
      assert.equal(proxy.defended.size, 0);
    } finally {
      peer.close();
      proxy.close();
    }
  });
});

test("the home agent's own DAD hears another node's probe on the proxy ND socket, without joining the solicited-node group; its own probe is not a duplicate", { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  await withNetnsGroup(3, async ([ha, b, m]) => {
    await world(ha!, b!, m!);
    const proxy = new HomeAgentProxyNd('daemon', () => ProxyNdSocket.open({ ifname: 'home0', netns: ha!.name }), new Metrics('home-agent'), pino({ level: 'silent' }), systemClock);
    const nd = NdSocket.open({ netns: ha!.name });
    const peer = NdSocket.open({ netns: b!.name });
    proxy.onProbe = (r) => nd.probeHeard(r.ifindex, r.ns.target, r.ns.nonce);
    const contested = ip6('2001:db8:aa::200');
    const groups = async (): Promise<string> => ha!.ip('-6', 'maddr', 'show', 'dev', 'home0');
    try {
      assert.equal(proxy.hearsProbesOn('home0'), true);
      assert.equal(proxy.hearsProbesOn('h1'), false);
      // Alone on the link: unique (the home agent's own probe, not delivered back to the packet socket, is no duplicate).
      assert.equal(await nd.dad('home0', ip6('2001:db8:aa::201'), 1500, { probesHeardElsewhere: true }), 'unique');
      // B probes the same address while the home agent's DAD waits: duplicate, long before its timeout.
      const atHa = nd.dad('home0', contested, LONG_DAD_MS, { probesHeardElsewhere: true });
      assert.doesNotMatch(await groups(), /ff02::1:ff00:200/);
      await peer.dad('b0', contested, 1500);
      assert.equal(await bounded("the home agent's DAD ended by B's probe", atHa), 'duplicate');
    } finally {
      peer.close();
      nd.close();
      proxy.close();
    }
  });
});

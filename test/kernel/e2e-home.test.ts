// End to end, returning to the home link (draft-04 §5.5, Appendix A Figures 7, 8 and 9).
// Links are bridges in a switch namespace, so one of the mobile node's interfaces can
// really move from its foreign link to the home link: its bridge port changes bridge, its
// foreign address goes and an address from the home prefix arrives (as SLAAC would give it).
//
//   cn  cn0 ---- rtc  rt  rte ---- up0  ha  home0 ---- [brh] (home link, 2001:db8:aa::/64)
//   mn  mnN ---- [brN] ---- rtN  (foreign link N, 2001:db8:fN::/64, N = 1..3)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_XFRM_BANDS } from '../../lib/reconcile/drivers/xfrm.js';
import type { Netns } from './netns.js';
import {
  CN_PREFIX, COAS, FAILURE_LINE, HA, HOA, SCENARIO_TIMEOUT_MS, authorisedHomeAddress, bindings, counter, crossCheckCapture, echoFromCn, ipsecYaml, linesMatching,
  linkUp, mobileNodeSas, routeDevices, tsharkFields, tunnels, until, untilForwarding, withRoutedWorld, writeHomeAgentConfig, writeMobileNodeConfig, type Daemon, type RoutedNamespaces,
  type TestSas,
} from './fixtures/index.js';

type Policy = 'return-home' | 'disable-home-interface' | 'h-flag';
/** Static SAs for the runs with IPsec on (home agent's view). */
const SA: TestSas = {
  spiIn: 0x3001,
  spiOut: 0x3002,
  reqid: DEFAULT_XFRM_BANDS.reqidBase + 0x43,
  aeadName: 'rfc4106(gcm(aes))',
  key: `0x${'5a'.repeat(16)}0a0b0c0d`,
  icvBits: 128,
};
/** mn1's address once it is on the home link. */
const MN1_HOME = '2001:db8:aa::21';

interface Home extends RoutedNamespaces {
  sw: Netns;
  haD: Daemon;
  mnD: Daemon;
  /** With IPsec on: the capture on the home agent's uplink and home link so far, stopped. */
  capture?: () => Promise<string[]>;
}

/** mn1 leaves foreign link 1 for the home link: new bridge, home-prefix address, foreign address and route gone. */
async function moveMn1Home({ mn, sw }: Home): Promise<void> {
  await sw.ip('link', 'set', 'm1', 'master', 'brh');
  await mn.ip('addr', 'add', `${MN1_HOME}/64`, 'dev', 'mn1', 'nodad');
  // Figure 8's node may already have taken mn1 down (and the kernel its routes with it).
  await mn.ip('-6', 'route', 'del', '2001:db8::/32', 'via', '2001:db8:f1::1', 'dev', 'mn1').catch(() => undefined);
  await mn.ip('addr', 'del', `${COAS[0]}/64`, 'dev', 'mn1');
}

async function scenario(t: { diagnostic(s: string): void }, policy: Policy, fn: (h: Home) => Promise<void>, ipsec = false): Promise<void> {
  await withRoutedWorld({ switched: true }, async ({ ns, scope }) => {
    // Captures on both home agent links: with IPsec, only ESP may carry the signalling;
    // without, tshark and mcoactl decode --pcap must read the same messages.
    const captures = [await scope.capture(ns.ha, 'up0', 'up0.pcap', 'ip6'), await scope.capture(ns.ha, 'home0', 'home0.pcap', 'ip6')];
    const haD = await scope.startDaemon(ns.ha, 'home agent', (dir) =>
      writeHomeAgentConfig(dir, ipsec ? { homeAgent: authorisedHomeAddress(ipsecYaml(SA)), ipsecRequired: true } : { ipsecRequired: false }));
    const mnD = await scope.startDaemon(ns.mn, 'mobile node', (dir) =>
      writeMobileNodeConfig(dir, { homeLinkPolicy: policy, ...(ipsec ? { ipsec: ipsecYaml(mobileNodeSas(SA), '  ') } : {}) }));
    await scope.echoServer(ns.mn);
    const capture = async (): Promise<string[]> => {
      const rows: string[] = [];
      for (const c of captures) {
        await c.stop();
        rows.push(...(await tsharkFields(c.file, 'esp || mipv6', ['ipv6.src', 'ipv6.dst', 'frame.protocols'])).map((r) => r.join(' ')));
      }
      return rows;
    };
    const h: Home = { ...ns, sw: ns.sw!, haD, mnD, ...(ipsec ? { capture } : {}) };
    await until('three bindings at the home agent', async () => (await bindings(haD)).length === 3);
    await moveMn1Home(h);
    await fn(h);
    if (!ipsec) {
      await capture();
      t.diagnostic(`capture on up0: ${await crossCheckCapture(captures[0]!.file)}`);
      t.diagnostic(`capture on home0: ${await crossCheckCapture(captures[1]!.file, false)}`);
    }
    assert.deepEqual([...linesMatching(haD, FAILURE_LINE), ...linesMatching(mnD, FAILURE_LINE)], []);
  });
}

const proxied = async (ha: Netns): Promise<boolean> => new RegExp(`^${HOA} dev home0`, 'm').test(await ha.ip('-6', 'neigh', 'show', 'proxy'));
const homeAddressOn = async (mn: Netns, dev: string): Promise<boolean> => (await mn.ip('-6', 'addr', 'show', 'dev', dev)).includes(`inet6 ${HOA}/64`);

async function figure7(h: Home): Promise<void> {
  await until('no binding left at the home agent', async () => ((await bindings(h.haD)).length === 0 ? true : undefined));
  await until('the home agent to stop defending the home address', async () => !(await proxied(h.ha)));
  assert.deepEqual(await until('home agent tunnels gone', async () => ((await tunnels(h.ha)).length === 0 ? [] : undefined)), []);
  assert.deepEqual(await until('mobile node tunnels gone', async () => ((await tunnels(h.mn)).length === 0 ? [] : undefined)), []);
  assert.equal(await homeAddressOn(h.mn, 'mn1'), true, 'the home address is on the interface at home');
  await until('the home address announced', async () => (await counter(h.mnD, 'home-link', 'home-address-announced')) > 0);
  // The node's way out is now the home link (its router advertisement would say so).
  await h.mn.ip('-6', 'route', 'add', '2001:db8::/32', 'via', HA, 'dev', 'mn1', 'metric', '50');
  const r = await echoFromCn(h.cn, 10, 50);
  assert.equal(r.received, 10, `echo over the home link: ${JSON.stringify(r)}`);
}

async function figure8(h: Home): Promise<void> {
  const left = await until('two bindings at the home agent', async () => {
    const l = await bindings(h.haD);
    return l.length === 2 ? l.map((b) => b.coa).sort() : undefined;
  });
  assert.deepEqual(left, [COAS[1], COAS[2]]);
  await until('mn1 disabled', async () => ((await linkUp(h.mn, 'mn1')) ? undefined : true));
  assert.equal(await proxied(h.ha), true, 'the home agent still defends the home address');
  assert.equal(await homeAddressOn(h.mn, 'mn1'), false);
  await untilForwarding(h, [COAS[1], COAS[2]]);
  const r = await echoFromCn(h.cn, 20, 50);
  assert.equal(r.received, 20, `echo over the foreign interfaces: ${JSON.stringify(r)}`);
  // The interface kept its addresses while down: bringing it up again needs no reconfiguration.
  assert.match(await h.mn.ip('-6', 'addr', 'show', 'dev', 'mn1'), new RegExp(`inet6 ${MN1_HOME}/64`));

  // No foreign interface left: staying away is no longer possible, so the node enables mn1
  // again and returns home through it (Figure 7's way).
  await h.mn.ip('link', 'set', 'mn2', 'down');
  await h.mn.ip('link', 'set', 'mn3', 'down');
  await until('mn1 enabled again', async () => ((await linkUp(h.mn, 'mn1')) ? true : undefined));
  await until('every binding de-registered', async () => ((await bindings(h.haD)).length === 0 ? true : undefined));
  await until('the home address on mn1', async () => ((await homeAddressOn(h.mn, 'mn1')) ? true : undefined));
  await until('the home agent to stop defending the home address', async () => !(await proxied(h.ha)));
}

/** With IPsec on: every Mobility Header between the node and the home agent went as ESP. */
async function onlyEsp(h: Home, t: { diagnostic(s: string): void }): Promise<void> {
  const rows = await h.capture!();
  const clear = rows.filter((r) => r.includes('mipv6') && !r.includes(':esp'));
  const esp = rows.filter((r) => r.includes(':esp'));
  t.diagnostic(`capture on up0 and home0: ${esp.length} ESP packets, ${clear.length} Mobility Headers in clear`);
  assert.deepEqual(clear, []);
  assert.ok(esp.length >= 4, rows.join('\n'));
}

test('Figure 7: one interface returns home -> every binding de-registered, proxy and tunnels gone, traffic over the home link', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await scenario(t, 'return-home', figure7);
});

test('Figure 7 with IPsec on: the same, every BU and BA over ESP', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await scenario(t, 'return-home', async (h) => {
    await figure7(h);
    await onlyEsp(h, t);
  }, true);
});

test('Figure 8: the interface on the home link is disabled and only its BID de-registered; the rest carry traffic; with none left it returns home', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await scenario(t, 'disable-home-interface', figure8);
});

test('Figure 8 with IPsec on: the same, every BU and BA over ESP', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await scenario(t, 'disable-home-interface', async (h) => {
    await figure8(h);
    await onlyEsp(h, t);
  }, true);
});

test('Figure 9 / H flag: home and foreign interfaces together; a home binding, proxy ND stopped, traffic flows', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await scenario(t, 'h-flag', async (h) => {
    const list = await until('a home binding and two foreign ones', async () => {
      const l = await bindings(h.haD);
      return l.length === 3 && l.some((b) => b.homeBinding) ? l : undefined;
    });
    const home = list.find((b) => b.homeBinding)!;
    assert.equal(home.coa, HOA, 'a home binding carries the home address as care-of address (§6.3)');
    assert.deepEqual(list.filter((b) => !b.homeBinding).map((b) => b.coa).sort(), [COAS[1], COAS[2]]);
    await until('proxy ND stopped', async () => ((await proxied(h.ha)) ? undefined : true));
    assert.equal(await homeAddressOn(h.mn, 'mn1'), true);
    assert.equal(await linkUp(h.mn, 'mn1'), true, 'the interface on the home link stays in use');
    // The home agent's route to the home address spreads over both tunnels and the home link;
    // the mobile node's route to the correspondent over its two tunnels at least.
    await until('the home agent route over both tunnels and the home link', async () => {
      const [ts, devs] = [await tunnels(h.ha), await routeDevices(h.ha, `${HOA}/128`)];
      return ts.length === 2 && [...ts.map((x) => x.name), 'home0'].every((d) => devs.includes(d));
    });
    await until('the mobile node route over its two tunnels', async () => {
      const [ts, devs] = [await tunnels(h.mn), await routeDevices(h.mn, CN_PREFIX)];
      return ts.length === 2 && ts.every((x) => devs.includes(x.name));
    });
    assert.equal((await tunnels(h.ha)).length, 2);
    const nh = (await h.ha.ip('nexthop', 'show')).split('\n');
    assert.ok(nh.some((l) => /dev home0/.test(l)), nh.join('\n'));
    const r = await echoFromCn(h.cn, 20, 50);
    assert.equal(r.received, 20, `echo: ${JSON.stringify(r)}`);
  });
});

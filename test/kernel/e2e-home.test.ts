// End to end, returning to the home link (draft-04 §5.5, Appendix A Figures 7, 8 and 9).
// Links are bridges in a switch namespace, so one of the mobile node's interfaces can
// really move from its foreign link to the home link: its bridge port changes bridge, its
// foreign address goes and an address from the home prefix arrives (as SLAAC would give it).
//
//   cn  cn0 ---- rtc  rt  rte ---- up0  ha  home0 ---- [brh] (home link, 2001:db8:aa::/64)
//   mn  mnN ---- [brN] ---- rtN  (foreign link N, 2001:db8:fN::/64, N = 1..3)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CN_PREFIX, COAS, DEFAULT_DATAPLANE, HOA, SCENARIO_TIMEOUT_MS, bindings, echoFromCn, homeAgentForwards, linkUp, routeDevices, tunnels, until } from './fixtures/index.js';
import { defending, figure7, figure8, homeAddressOn, proxied, scenario } from './fixtures/home-return.js';

test('Figure 7: one interface returns home -> every binding de-registered, proxy and tunnels gone, traffic over the home link', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await scenario(t, 'return-home', figure7);
});

test('Figure 8: the interface on the home link is disabled and only its BID de-registered; the rest carry traffic; with none left it returns home', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await scenario(t, 'disable-home-interface', figure8);
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
    await until('proxy ND stopped', async () => ((await defending(h)) ? undefined : true));
    assert.equal(await proxied(h.ha), false, 'proxy ND by the daemon (the default): no kernel proxy entry');
    assert.equal(await homeAddressOn(h.mn, 'mn1'), true);
    assert.equal(await linkUp(h.mn, 'mn1'), true, 'the interface on the home link stays in use');
    // The home agent's route to the home address spreads over both tunnels and the home link;
    // the mobile node's route to the correspondent over its two tunnels at least.
    const overBoth = (): Promise<boolean> => homeAgentForwards(h.ha, HOA, `${HOA}/128`, [COAS[1], COAS[2]], DEFAULT_DATAPLANE, ['home0']);
    await until('the home agent route over both tunnels and the home link', overBoth);
    await until('the mobile node route over its two tunnels', async () => {
      const [ts, devs] = [await tunnels(h.mn), await routeDevices(h.mn, CN_PREFIX)];
      return ts.length === 2 && ts.every((x) => devs.includes(x.name));
    });
    assert.equal(await overBoth(), true);
    const nh = (await h.ha.ip('nexthop', 'show')).split('\n');
    assert.ok(nh.some((l) => /dev home0/.test(l)), nh.join('\n'));
    const r = await echoFromCn(h.cn, 20, 50);
    assert.equal(r.received, 20, `echo: ${JSON.stringify(r)}`);
  });
});

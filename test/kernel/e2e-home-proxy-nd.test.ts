// End to end, returning to the home link with proxy ND answered by the daemon
// (home_agent.proxy_nd: daemon; draft-04 §5.5, Appendix A Figures 7 and 9): the daemon
// defends the home address while the node is away, stops when it is home, and the kernel
// holds no proxy entry at any time.
//
//   cn  cn0 ---- rtc  rt  rte ---- up0  ha  home0 ---- [brh] (home link, 2001:db8:aa::/64)
//   mn  mnN ---- [brN] ---- rtN  (foreign link N, 2001:db8:fN::/64, N = 1..3)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COAS, SCENARIO_TIMEOUT_MS, bindings, counter, echoFromCn, until } from './fixtures/index.js';
import { defending, figure7, homeAddressOn, proxied, scenario } from './fixtures/home-return.js';

test('proxy_nd daemon, Figure 7: the daemon defended the home address while away, stops when the node returns home; no kernel proxy entry', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await scenario(t, 'return-home', async (h) => {
    // The node was registered away (scenario): the daemon announced the home address.
    assert.ok((await counter(h.haD, 'nd', 'proxy-announced')) >= 1, 'an unsolicited NA for the home address');
    await figure7(h);
    assert.equal(await proxied(h.ha), false, 'no kernel proxy entry');
  }, false, 'daemon');
});

test('proxy_nd daemon, Figure 9 / H flag: a home binding stops the defence while foreign bindings stay; traffic flows', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await scenario(t, 'h-flag', async (h) => {
    const list = await until('a home binding and two foreign ones', async () => {
      const l = await bindings(h.haD);
      return l.length === 3 && l.some((b) => b.homeBinding) ? l : undefined;
    });
    assert.deepEqual(list.filter((b) => !b.homeBinding).map((b) => b.coa).sort(), [COAS[1], COAS[2]]);
    await until('the daemon stops defending the home address', async () => ((await defending(h)) ? undefined : true));
    assert.equal(await proxied(h.ha), false, 'no kernel proxy entry');
    assert.equal(await homeAddressOn(h.mn, 'mn1'), true);
    const r = await echoFromCn(h.cn, 20, 50);
    assert.equal(r.received, 20, `echo: ${JSON.stringify(r)}`);
  }, false, 'daemon');
});

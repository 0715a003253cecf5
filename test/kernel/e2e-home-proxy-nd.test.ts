// End to end, returning to the home link with kernel proxy entries (home_agent.proxy_nd:
// kernel; draft-04 §5.5, Appendix A Figures 7 and 9). e2e-home.test.ts runs the same figures
// with the default, proxy ND by the daemon.
//
//   cn  cn0 ---- rtc  rt  rte ---- up0  ha  home0 ---- [brh] (home link, 2001:db8:aa::/64)
//   mn  mnN ---- [brN] ---- rtN  (foreign link N, 2001:db8:fN::/64, N = 1..3)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COAS, SCENARIO_TIMEOUT_MS, bindings, counter, echoFromCn, stats, until } from './fixtures/index.js';
import { defending, figure7, homeAddressOn, scenario } from './fixtures/home-return.js';

test('proxy_nd kernel, Figure 7: a kernel proxy entry while away, gone when the node returns home; the daemon answers nothing', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await scenario(t, 'return-home', async (h) => {
    await figure7(h);
    assert.equal((await stats(h.haD)).counters['proxy-nd'], undefined, 'no proxy ND socket in kernel mode');
    assert.equal(await counter(h.haD, 'nd', 'proxy-announced'), 0);
  }, false, 'kernel');
});

test('proxy_nd kernel, Figure 9 / H flag: a home binding removes the kernel proxy entry while foreign bindings stay; traffic flows', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await scenario(t, 'h-flag', async (h) => {
    const list = await until('a home binding and two foreign ones', async () => {
      const l = await bindings(h.haD);
      return l.length === 3 && l.some((b) => b.homeBinding) ? l : undefined;
    });
    assert.deepEqual(list.filter((b) => !b.homeBinding).map((b) => b.coa).sort(), [COAS[1], COAS[2]]);
    await until('the kernel proxy entry gone', async () => ((await defending(h)) ? undefined : true));
    assert.equal(await homeAddressOn(h.mn, 'mn1'), true);
    const r = await echoFromCn(h.cn, 20, 50);
    assert.equal(r.received, 20, `echo: ${JSON.stringify(r)}`);
  }, false, 'kernel');
});

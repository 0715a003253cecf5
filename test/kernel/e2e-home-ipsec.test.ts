// End to end, returning to the home link with IPsec on (draft-04 §5.5, Appendix A Figures 7
// and 8): the same runs as e2e-home.test.ts, every BU and BA over ESP.
// Links are bridges in a switch namespace, so one of the mobile node's interfaces can
// really move from its foreign link to the home link: its bridge port changes bridge, its
// foreign address goes and an address from the home prefix arrives (as SLAAC would give it).
//
//   cn  cn0 ---- rtc  rt  rte ---- up0  ha  home0 ---- [brh] (home link, 2001:db8:aa::/64)
//   mn  mnN ---- [brN] ---- rtN  (foreign link N, 2001:db8:fN::/64, N = 1..3)
import { test } from 'node:test';
import { SCENARIO_TIMEOUT_MS } from './fixtures/index.js';
import { figure7, figure8, onlyEsp, scenario } from './fixtures/home-return.js';

test('Figure 7 with IPsec on: the same, every BU and BA over ESP', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await scenario(t, 'return-home', async (h) => {
    await figure7(h);
    await onlyEsp(h, t);
  }, true);
});

test('Figure 8 with IPsec on: the same, every BU and BA over ESP', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await scenario(t, 'disable-home-interface', async (h) => {
    await figure8(h);
    await onlyEsp(h, t);
  }, true);
});


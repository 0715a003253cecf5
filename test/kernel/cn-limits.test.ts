// The correspondent's binding cap on a real kernel (issue 12): a mobile node with three
// care-of addresses runs return routability with a correspondent whose limits.max_bindings
// is 2. Two BIDs register; the third BU is answered 130 (RFC 6275 §6.1.8), sealed with the
// binding management key so the mobile node takes it, and counted; the cache and the
// route-optimisation states never pass the cap. The mobile node treats 130 as transient
// and retries; once a reload raises the cap to 3, its retry registers the third BID.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CN, HOA, SCENARIO_TIMEOUT_MS, bindings, mcoactl, stats, until, withRoutedWorld, writeCorrespondentConfig, writeHomeAgentConfig, writeMobileNodeConfig,
} from './fixtures/index.js';

test('correspondent max_bindings: the BU past the cap gets 130 and nothing more is installed; a reload raising the cap lets the retry in', { timeout: SCENARIO_TIMEOUT_MS }, async () => {
  await withRoutedWorld({}, async ({ ns, scope }) => {
    await scope.startDaemon(ns.ha, 'home agent', (dir) => writeHomeAgentConfig(dir, { ipsecRequired: false }));
    const cnD = await scope.startDaemon(ns.cn, 'correspondent', (dir) => writeCorrespondentConfig(dir, { limits: '{ max_bindings: 2 }' }));
    const mnD = await scope.startDaemon(ns.mn, 'mobile node', (dir) => writeMobileNodeConfig(dir, { routes: ['2001:db8:dd::/64'], correspondents: [CN] }));

    let most = 0;
    const refused = await until('a BU refused with 130 by the cap, two bindings at the correspondent', async () => {
      const s = await stats(cnD);
      const n = (await bindings(cnD)).filter((b) => b.hoa === HOA).length;
      most = Math.max(most, n);
      const r = s.counters['limits']?.['bindings'] ?? 0;
      return r >= 1 && n === 2 ? r : undefined;
    });
    assert.ok(refused >= 1);
    assert.ok(most <= 2, `the cache held ${most}`);
    assert.ok(((await stats(cnD)).counters['status']?.['130'] ?? 0) >= 1, 'counted by status too');
    // The kernel holds route-optimisation states for that one home address only (one route2 state, the lowest BID's).
    const route2 = (await ns.cn.ip('xfrm', 'state', 'list', 'proto', 'route2')).split(/^(?=src )/m).filter((b) => b.startsWith('src '));
    assert.ok(route2.length <= 1, route2.join('\n'));
    // The mobile node took the 130 as transient (a sealed BA it could verify), not as a failure.
    assert.ok(mnD.output.some((l) => l.includes('registrationDeferred')), 'the mobile node deferred the refused BID');

    writeCorrespondentConfig(cnD.dir, { limits: '{ max_bindings: 3 }' });
    assert.match(await mcoactl(cnD, 'reload'), /limits/);
    await until('the third BID registered after the reload', async () => ((await bindings(cnD)).filter((b) => b.hoa === HOA).length === 3 ? true : undefined));
  });
});

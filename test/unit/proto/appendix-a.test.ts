// draft-04 Appendix A, Figures 6-10: the message sequences that lead to each figure's
// binding caches, at the home agent and at a correspondent node, and the kernel state the
// home agent then wants (tunnels, routes, proxy ND).
import { ip6 } from '../../ip6.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HomeAgent } from '../../../lib/proto/ha/home-agent.js';
import type { CorrespondentNode } from '../../../lib/proto/cn/correspondent.js';
import { bid, cacheLines, COA1, COA2, COA3, desiredSummary, HA, haConfig, HOA, makeBu, received, type BuSpec } from './fixtures.js';
import { newCn, sealedBu } from './cn-fixtures.js';
import { homeAgentDesired } from '../../../lib/plan/ha/desired.js';

const binding = (coa: string, n: number) => `${HOA} ${coa} BID${n}`;
const tunnel = (coa: string) => `${HA}|${coa}`;

/** The MN's three interfaces registered with the HA (one bulk BU) and the CN (one BU each). */
function figure6(coa1 = COA1): { ha: HomeAgent; cn: CorrespondentNode } {
  const ha = new HomeAgent(haConfig({ servedPrefixes: ['2001:db8:1::/64'] }));
  const o = ha.processBu(received(makeBu({ seq: 1, options: [bid(1, { coa: coa1 }), bid(2, { coa: COA2 }), bid(3, { coa: COA3 })] }), { src: coa1 }));
  assert.ok(o.dad);
  assert.equal(ha.dadResult(HOA, true).ba?.message.status, 0);
  const cn = newCn();
  [coa1, COA2, COA3].forEach((coa, i) => {
    const r = cn.processBu(sealedBu(cn, { seq: 1 + i, options: [bid(i + 1)], coa }));
    assert.equal(r.status, 0);
  });
  return { ha, cn };
}

function haBu(ha: HomeAgent, spec: Omit<BuSpec, 'seq'>, src: string, seq: number) {
  const o = ha.processBu(received(makeBu({ ...spec, seq }), { src }));
  assert.equal(o.status, 0, `HA accepts BU ${seq}`);
  return o;
}

test('Appendix A Figure 6: multiple interfaces attached to foreign links', () => {
  const { ha, cn } = figure6();
  assert.deepEqual(cacheLines(ha.cache), [binding(COA1, 1), binding(COA2, 2), binding(COA3, 3)]);
  assert.deepEqual(cacheLines(cn.cache), [binding(COA1, 1), binding(COA2, 2), binding(COA3, 3)]);
  // Proxy neighbour advertisement is active; traffic spread over three tunnels.
  assert.deepEqual(desiredSummary(homeAgentDesired(ha)), {
    tunnels: [tunnel(COA1), tunnel(COA2), tunnel(COA3)],
    routes: [`${HOA}/128 -> ${tunnel(COA1)}, ${tunnel(COA2)}, ${tunnel(COA3)}`],
    proxies: [`eth0|${HOA}`],
  });
});

test('Appendix A Figure 7: one interface attached to the home link, returning home', () => {
  const { ha, cn } = figure6();
  // §5.5: from the home link (no Home Address option: source = home address) a regular
  // de-registration flushes every binding at the home agent.
  const o = haBu(ha, { lifetime: 0 }, HOA, 2);
  assert.equal(o.ba?.homeAddress, null, 'sent on the home link, no routing header');
  // The correspondent keeps the foreign interfaces: only BID1 (now at home) is removed.
  assert.equal(cn.processBu(sealedBu(cn, { seq: 4, lifetime: 0, options: [bid(1)], coa: HOA })).status, 0);
  assert.deepEqual(cacheLines(ha.cache), []);
  assert.deepEqual(cacheLines(cn.cache), [binding(COA2, 2), binding(COA3, 3)]);
  // Proxy neighbour advertisement is inactive; nothing left to install.
  assert.deepEqual(desiredSummary(homeAgentDesired(ha)), { tunnels: [], routes: [], proxies: [] });
});

test('Appendix A Figure 8: one interface attached to the home link, not returning home', () => {
  const { ha, cn } = figure6();
  // The MN disables its home-link interface (was CoA3) and de-registers that binding from
  // a foreign interface.
  haBu(ha, { lifetime: 0, options: [bid(3)] }, COA1, 2);
  assert.equal(cn.processBu(sealedBu(cn, { seq: 4, lifetime: 0, options: [bid(3)], coa: COA1 })).status, 0);
  assert.deepEqual(cacheLines(ha.cache), [binding(COA1, 1), binding(COA2, 2)]);
  assert.deepEqual(cacheLines(cn.cache), [binding(COA1, 1), binding(COA2, 2)]);
  // Proxy ND still active: the HA intercepts and tunnels to the foreign interfaces.
  assert.deepEqual(desiredSummary(homeAgentDesired(ha)), {
    tunnels: [tunnel(COA1), tunnel(COA2)],
    routes: [`${HOA}/128 -> ${tunnel(COA1)}, ${tunnel(COA2)}`],
    proxies: [`eth0|${HOA}`],
  });
});

test('Appendix A Figure 9: several interfaces attached to the home link, returning home', () => {
  const { ha, cn } = figure6();
  haBu(ha, { lifetime: 0 }, HOA, 2);
  assert.equal(cn.processBu(sealedBu(cn, { seq: 4, lifetime: 0, options: [bid(1)], coa: HOA })).status, 0);
  assert.equal(cn.processBu(sealedBu(cn, { seq: 5, lifetime: 0, options: [bid(3)], coa: HOA })).status, 0);
  assert.deepEqual(cacheLines(ha.cache), []);
  assert.deepEqual(cacheLines(cn.cache), [binding(COA2, 2)]);
  assert.deepEqual(desiredSummary(homeAgentDesired(ha)), { tunnels: [], routes: [], proxies: [] });
});

test('Appendix A Figure 10: one foreign link is managed by the home agent', () => {
  // CoA1 comes from a prefix the HA advertises on another of its links (not a home prefix).
  const nearCoa = ip6('2001:db8:2::a1');
  const { ha, cn } = figure6(nearCoa);
  assert.deepEqual(cacheLines(ha.cache), [binding(nearCoa, 1), binding(COA2, 2), binding(COA3, 3)]);
  assert.deepEqual(cacheLines(cn.cache), [binding(nearCoa, 1), binding(COA2, 2), binding(COA3, 3)]);
  assert.deepEqual(desiredSummary(homeAgentDesired(ha)), {
    tunnels: [tunnel(nearCoa), tunnel(COA2), tunnel(COA3)],
    routes: [`${HOA}/128 -> ${tunnel(nearCoa)}, ${tunnel(COA2)}, ${tunnel(COA3)}`],
    proxies: [`eth0|${HOA}`],
  });
});

test('§5.5 home binding (H flag) beside foreign bindings: proxy ND off, route over tunnels and the home link', () => {
  const { ha } = figure6();
  const o = haBu(ha, { lifetime: 0, options: [bid(3, { h: true })] }, COA1, 2);
  assert.deepEqual(o.events.map((e) => `${e.type}:${e.reason}`), ['updated:home-binding']);
  assert.deepEqual(cacheLines(ha.cache), [`${HOA} ${HOA} BID3 (home)`, binding(COA1, 1), binding(COA2, 2)]);
  assert.deepEqual(desiredSummary(homeAgentDesired(ha)), {
    tunnels: [tunnel(COA1), tunnel(COA2)],
    routes: [`${HOA}/128 -> ${tunnel(COA1)}, ${tunnel(COA2)}, eth0`],
    proxies: [],
  });
  // Leaving the home link: the home binding becomes a normal binding again, proxy ND resumes.
  haBu(ha, { options: [bid(3, { coa: COA3 })] }, COA3, 3);
  assert.deepEqual(desiredSummary(homeAgentDesired(ha)).proxies, [`eth0|${HOA}`]);
});

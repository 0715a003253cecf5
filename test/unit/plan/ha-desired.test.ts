// Desired kernel state: tunnels, routes (home address and mobile network prefixes) and
// proxy entries with owners, whole and per home address.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HomeAgent } from '../../../lib/proto/ha/home-agent.js';
import { emptyDesired, mergeDesired } from '../../../lib/plan/ha/desired.js';
import { bid, COA1, COA2, desiredSummary, HA, haConfig, HOA, HOA2, makeBu, mnp, received } from '../proto/fixtures.js';

function ha() {
  return new HomeAgent(
    haConfig({ authorisation: { default: { allowed: true, mobileRouter: true, mobileNetworkPrefixes: ['2001:db8:99::/48'] }, homeAddresses: {} } }),
  );
}

test('a tunnel shared by two home addresses has both as owners; each route its own', () => {
  const h = ha();
  h.processBu(received(makeBu({ seq: 1, options: [bid(1, { coa: COA1 })] }), { hoa: HOA }));
  h.processBu(received(makeBu({ seq: 1, options: [bid(1, { coa: COA1 }), bid(2, { coa: COA2 })] }), { hoa: HOA2 }));
  h.dadResult(HOA, true);
  h.dadResult(HOA2, true);
  const d = h.desiredState();
  assert.deepEqual(d.tunnels.get(`${HA}|${COA1}`)?.owners, [`${HOA2}#1`, `${HOA}#1`].sort());
  assert.deepEqual(d.tunnels.get(`${HA}|${COA2}`)?.owners, [`${HOA2}#2`]);
  assert.deepEqual(d.routes.get(`${HOA2}/128`)?.nexthops, [
    { kind: 'tunnel', tunnelKey: `${HA}|${COA1}`, weight: 1 },
    { kind: 'tunnel', tunnelKey: `${HA}|${COA2}`, weight: 1 },
  ]);
  assert.deepEqual(d.proxies.get(`eth0|${HOA}`), { key: `eth0|${HOA}`, address: HOA, interface: 'eth0', owners: [`${HOA}#1`] });
});

test('incremental path: merging per-home-address states gives the whole state', () => {
  const h = ha();
  h.processBu(received(makeBu({ seq: 1, options: [bid(1, { coa: COA1 })] }), { hoa: HOA }));
  h.processBu(received(makeBu({ seq: 1, options: [bid(1, { coa: COA1 })] }), { hoa: HOA2 }));
  h.dadResult(HOA, true);
  h.dadResult(HOA2, true);
  const merged = mergeDesired(mergeDesired(emptyDesired(), h.desiredFor(HOA)), h.desiredFor(HOA2));
  assert.deepEqual(merged, h.desiredState());
  assert.deepEqual(desiredSummary(h.desiredFor(HOA)).routes, [`${HOA}/128 -> ${HA}|${COA1}`]);
});

test('RFC 3963: a mobile network prefix is routed over the same tunnels; via the router at home', () => {
  const h = ha();
  h.processBu(received(makeBu({ seq: 1, r: true, options: [bid(1, { coa: COA1 }), bid(2, { coa: COA2 }), mnp('2001:db8:99:5::', 64)] })));
  h.dadResult(HOA, true);
  assert.deepEqual(desiredSummary(h.desiredState()).routes, [
    `${HOA}/128 -> ${HA}|${COA1}, ${HA}|${COA2}`,
    `2001:db8:99:5::/64 -> ${HA}|${COA1}, ${HA}|${COA2}`,
  ]);
  h.processBu(received(makeBu({ seq: 2, r: true, lifetime: 0, options: [bid(2, { h: true })] })));
  const routes = h.desiredState().routes;
  assert.deepEqual(routes.get('2001:db8:99:5::/64')?.nexthops, [
    { kind: 'tunnel', tunnelKey: `${HA}|${COA1}`, weight: 1 },
    { kind: 'home-link', interface: 'eth0', gateway: HOA, weight: 1 },
  ]);
  assert.deepEqual(routes.get(`${HOA}/128`)?.nexthops.at(-1), { kind: 'home-link', interface: 'eth0', gateway: null, weight: 1 });
});

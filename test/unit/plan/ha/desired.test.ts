// The home agent's desired kernel state (lib/plan/ha/desired.ts): tunnels, routes (home
// address and mobile network prefixes) and proxy entries with their owners, per home
// address and whole; one row per rule, named by the section it comes from.
import { ip6 } from '../../../ip6.js';
import type { Ip6 } from '../../../../lib/inet/ip6.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HomeAgent } from '../../../../lib/proto/ha/home-agent.js';
import { bindingFlags, NO_PREFIXES, type Binding } from '../../../../lib/proto/common/binding.js';
import { BindingCache } from '../../../../lib/proto/common/cache.js';
import {
  desiredForHomeAddress, desiredState, emptyDesired, homeAgentDesired, homeAgentDesiredFor, mergeDesired, type DesiredState,
} from '../../../../lib/plan/ha/desired.js';
import { bid, COA1, COA2, desiredSummary, HA, haConfig, HOA, HOA2, IFACE, makeBu, mnp, received } from '../../proto/fixtures.js';

const CFG = { homeAgentAddress: HA, homeLinkInterface: IFACE };
const HOA_LL = ip6('fe80::200:ff:fe00:a2a2');

interface B {
  hoa?: Ip6;
  bid: number;
  coa?: Ip6;
  home?: boolean;
  l?: boolean;
  mnps?: string[];
}

function binding(b: B): Binding {
  const hoa = b.hoa ?? HOA;
  return {
    hoa,
    bid: b.bid,
    coa: b.home ? hoa : (b.coa ?? COA1),
    registeredAtMs: 0,
    expiresAtMs: 400_000,
    lifetimeSeconds: 400,
    lastSequence: 1,
    flags: bindingFlags(true, (b.mnps ?? []).length > 0, b.l ?? false, false),
    mobileNetworkPrefixes: b.mnps ?? NO_PREFIXES,
    homeBinding: b.home ?? false,
  };
}

function cacheOf(bindings: B[], dadPending: Ip6[] = []): BindingCache {
  const cache = new BindingCache();
  for (const b of bindings) cache.put(binding(b));
  for (const h of dadPending) cache.setDadPending(h, true);
  return cache;
}

/** Objects with their owners, one line each. */
function owned(d: DesiredState): string[] {
  return [
    ...[...d.tunnels.values()].map((t) => `tunnel ${t.local}>${t.remote} [${t.owners.join(' ')}]`),
    ...[...d.routes.values()].map((r) => `route ${desiredSummary({ ...emptyDesired(), routes: new Map([[r.key, r]]) }).routes[0]} [${r.owners.join(' ')}]`),
    ...[...d.proxies.values()].map((p) => `proxy ${p.interface} ${p.address} [${p.owners.join(' ')}]`),
  ];
}

const T1 = `${HA}|${COA1}`;
const T2 = `${HA}|${COA2}`;

const ROWS: [string, B[], Ip6[], string[]][] = [
  // [rule, bindings of HOA, DAD pending for, objects]
  ['no binding: nothing', [], [], []],
  ['RFC 6275 §10.3.1: nothing while DAD runs for the home address (not in force before the BA)', [{ bid: 1 }], [HOA], []],
  ['RFC 6275 §10.4.1: one binding: a tunnel to the care-of address, the home address routed into it, proxy ND on the home link', [{ bid: 0 }], [], [
    `tunnel ${HA}>${COA1} [${HOA}#0]`,
    `route ${HOA}/128 -> ${T1} [${HOA}#0]`,
    `proxy ${IFACE} ${HOA} [${HOA}#0]`,
  ]],
  ['MCoA §5: two BIDs at two care-of addresses: a tunnel each, one route over both', [{ bid: 1, coa: COA1 }, { bid: 2, coa: COA2 }], [], [
    `tunnel ${HA}>${COA1} [${HOA}#1]`,
    `tunnel ${HA}>${COA2} [${HOA}#2]`,
    `route ${HOA}/128 -> ${T1}, ${T2} [${HOA}#1 ${HOA}#2]`,
    `proxy ${IFACE} ${HOA} [${HOA}#1 ${HOA}#2]`,
  ]],
  ['MCoA §5: two BIDs at one care-of address: one tunnel owned by both', [{ bid: 2, coa: COA1 }, { bid: 1, coa: COA1 }], [], [
    `tunnel ${HA}>${COA1} [${HOA}#1 ${HOA}#2]`,
    `route ${HOA}/128 -> ${T1} [${HOA}#1 ${HOA}#2]`,
    `proxy ${IFACE} ${HOA} [${HOA}#1 ${HOA}#2]`,
  ]],
  ['RFC 6275 §10.3.1: with the L flag the link-local address is defended too, owned by the bindings with L', [{ bid: 1, l: true }, { bid: 2, coa: COA2 }], [], [
    `tunnel ${HA}>${COA1} [${HOA}#1]`,
    `tunnel ${HA}>${COA2} [${HOA}#2]`,
    `route ${HOA}/128 -> ${T1}, ${T2} [${HOA}#1 ${HOA}#2]`,
    `proxy ${IFACE} ${HOA} [${HOA}#1 ${HOA}#2]`,
    `proxy ${IFACE} ${HOA_LL} [${HOA}#1]`,
  ]],
  ['MCoA §5.5: a home binding: no tunnel for it, the home link as a next hop, proxy ND stops', [{ bid: 1 }, { bid: 2, home: true }], [], [
    `tunnel ${HA}>${COA1} [${HOA}#1]`,
    `route ${HOA}/128 -> ${T1}, ${IFACE} [${HOA}#1 ${HOA}#2]`,
  ]],
  ['MCoA §5.5: only a home binding: the home link alone, no tunnel, no proxy', [{ bid: 1, home: true, l: true }], [], [
    `route ${HOA}/128 -> ${IFACE} [${HOA}#1]`,
  ]],
  ['RFC 3963 §6.2: a mobile network prefix is routed over the same tunnels, owned by the bindings that carry it', [{ bid: 1, mnps: ['2001:db8:99:5::/64'] }, { bid: 2, coa: COA2 }], [], [
    `tunnel ${HA}>${COA1} [${HOA}#1]`,
    `tunnel ${HA}>${COA2} [${HOA}#2]`,
    `route ${HOA}/128 -> ${T1}, ${T2} [${HOA}#1 ${HOA}#2]`,
    `route 2001:db8:99:5::/64 -> ${T1}, ${T2} [${HOA}#1]`,
    `proxy ${IFACE} ${HOA} [${HOA}#1 ${HOA}#2]`,
  ]],
  ['RFC 3963 §6.2 with MCoA §5.5: at home the prefix goes via the mobile router\'s home address', [{ bid: 1, home: true, mnps: ['2001:db8:99:5::/64'] }], [], [
    `route ${HOA}/128 -> ${IFACE} [${HOA}#1]`,
    `route 2001:db8:99:5::/64 -> ${IFACE} via ${HOA} [${HOA}#1]`,
  ]],
];

for (const [name, bindings, dad, want] of ROWS) {
  test(name, () => {
    assert.deepEqual(owned(desiredForHomeAddress(cacheOf(bindings, dad), HOA, CFG)), want);
  });
}

test('keys: tunnels by (home agent, care-of address), routes by prefix, proxies by (interface, address)', () => {
  const d = desiredForHomeAddress(cacheOf([{ bid: 1, l: true, mnps: ['2001:db8:99::/48'] }]), HOA, CFG);
  assert.deepEqual([...d.tunnels.keys()], [T1]);
  assert.deepEqual([...d.routes.keys()], [`${HOA}/128`, '2001:db8:99::/48']);
  assert.deepEqual([...d.proxies.keys()], [`${IFACE}|${HOA}`, `${IFACE}|${HOA_LL}`]);
});

test('merge: a tunnel shared by two home addresses has both as owners; routes and next hops are united, none twice', () => {
  const cache = cacheOf([{ bid: 1 }, { hoa: HOA2, bid: 1 }, { hoa: HOA2, bid: 2, coa: COA2 }]);
  const whole = desiredState(cache, CFG);
  assert.deepEqual(owned(whole), [
    `tunnel ${HA}>${COA1} [${HOA}#1 ${HOA2}#1]`,
    `tunnel ${HA}>${COA2} [${HOA2}#2]`,
    `route ${HOA}/128 -> ${T1} [${HOA}#1]`,
    `route ${HOA2}/128 -> ${T1}, ${T2} [${HOA2}#1 ${HOA2}#2]`,
    `proxy ${IFACE} ${HOA} [${HOA}#1]`,
    `proxy ${IFACE} ${HOA2} [${HOA2}#1 ${HOA2}#2]`,
  ]);
  const twice = mergeDesired(mergeDesired(emptyDesired(), desiredForHomeAddress(cache, HOA2, CFG)), desiredForHomeAddress(cache, HOA2, CFG));
  assert.deepEqual(twice, desiredForHomeAddress(cache, HOA2, CFG), 'merging the same part again changes nothing');
  // The parts are copied, not shared: merging into one state leaves the part as it was.
  const part = desiredForHomeAddress(cache, HOA, CFG);
  const before = JSON.stringify(owned(part));
  mergeDesired(mergeDesired(emptyDesired(), part), desiredForHomeAddress(cache, HOA2, CFG));
  assert.equal(JSON.stringify(owned(part)), before);
});

function ha() {
  return new HomeAgent(
    haConfig({ authorisation: { default: { allowed: true, mobileRouter: true, mobileNetworkPrefixes: ['2001:db8:99::/48'] }, homeAddresses: {} } }),
  );
}

test('from the core: a tunnel shared by two home addresses has both as owners; each route its own', () => {
  const h = ha();
  h.processBu(received(makeBu({ seq: 1, options: [bid(1, { coa: COA1 })] }), { hoa: HOA }));
  h.processBu(received(makeBu({ seq: 1, options: [bid(1, { coa: COA1 }), bid(2, { coa: COA2 })] }), { hoa: HOA2 }));
  h.dadResult(HOA, true);
  h.dadResult(HOA2, true);
  const d = homeAgentDesired(h);
  assert.deepEqual(d.tunnels.get(`${HA}|${COA1}`)?.owners, [`${HOA2}#1`, `${HOA}#1`].sort());
  assert.deepEqual(d.tunnels.get(`${HA}|${COA2}`)?.owners, [`${HOA2}#2`]);
  assert.deepEqual(d.routes.get(`${HOA2}/128`)?.nexthops, [
    { kind: 'tunnel', tunnelKey: `${HA}|${COA1}`, weight: 1 },
    { kind: 'tunnel', tunnelKey: `${HA}|${COA2}`, weight: 1 },
  ]);
  assert.deepEqual(d.proxies.get(`eth0|${HOA}`), { key: `eth0|${HOA}`, address: HOA, interface: 'eth0', owners: [`${HOA}#1`] });
});

test('from the core, incremental path: merging per-home-address states gives the whole state', () => {
  const h = ha();
  h.processBu(received(makeBu({ seq: 1, options: [bid(1, { coa: COA1 })] }), { hoa: HOA }));
  h.processBu(received(makeBu({ seq: 1, options: [bid(1, { coa: COA1 })] }), { hoa: HOA2 }));
  h.dadResult(HOA, true);
  h.dadResult(HOA2, true);
  const merged = mergeDesired(mergeDesired(emptyDesired(), homeAgentDesiredFor(h, HOA)), homeAgentDesiredFor(h, HOA2));
  assert.deepEqual(merged, homeAgentDesired(h));
  assert.deepEqual(desiredSummary(homeAgentDesiredFor(h, HOA)).routes, [`${HOA}/128 -> ${HA}|${COA1}`]);
});

test('from the core, RFC 3963: a mobile network prefix is routed over the same tunnels; via the router at home', () => {
  const h = ha();
  h.processBu(received(makeBu({ seq: 1, r: true, options: [bid(1, { coa: COA1 }), bid(2, { coa: COA2 }), mnp('2001:db8:99:5::', 64)] })));
  h.dadResult(HOA, true);
  assert.deepEqual(desiredSummary(homeAgentDesired(h)).routes, [
    `${HOA}/128 -> ${HA}|${COA1}, ${HA}|${COA2}`,
    `2001:db8:99:5::/64 -> ${HA}|${COA1}, ${HA}|${COA2}`,
  ]);
  h.processBu(received(makeBu({ seq: 2, r: true, lifetime: 0, options: [bid(2, { h: true })] })));
  const routes = homeAgentDesired(h).routes;
  assert.deepEqual(routes.get('2001:db8:99:5::/64')?.nexthops, [
    { kind: 'tunnel', tunnelKey: `${HA}|${COA1}`, weight: 1 },
    { kind: 'home-link', interface: 'eth0', gateway: HOA, weight: 1 },
  ]);
  assert.deepEqual(routes.get(`${HOA}/128`)?.nexthops.at(-1), { kind: 'home-link', interface: 'eth0', gateway: null, weight: 1 });
});

test('shares: the tunnels of a home address start at its service address; the others keep the configured one', () => {
  const cache = new BindingCache();
  const B = ip6('2001:db8:1::b');
  cache.put(binding({ bid: 1, coa: COA1 }));
  cache.put(binding({ hoa: HOA2, bid: 1, coa: COA2 }));
  cache.setServiceAddress(HOA, B);
  const d = desiredState(cache, CFG);
  assert.deepEqual([...d.tunnels.values()].map((t) => `${t.local} -> ${t.remote}`).sort(), [`${B} -> ${COA1}`, `${HA} -> ${COA2}`].sort());
  cache.setServiceAddress(HOA, undefined);
  assert.deepEqual([...desiredForHomeAddress(cache, HOA, CFG).tunnels.values()].map((t) => t.local), [HA]);
});

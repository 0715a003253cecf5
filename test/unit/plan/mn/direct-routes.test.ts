// Route optimisation's host routes (lib/plan/mn/direct-routes.ts): which interface each
// correspondent's traffic leaves from, and the gateway that interface's own routes give for
// it; one row per rule.
import type { Ip6 } from '../../../../lib/inet/ip6.js';
import { ip6 } from '../../../ip6.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BulView } from '../../../../lib/proto/mn/index.js';
import type { Route6 } from '../../../../lib/platform/rtnl/route.js';
import { directInterfaces, directRoutes, gatewayVia } from '../../../../lib/plan/mn/direct-routes.js';

const OURS = 135;
const CN = ip6('2001:db8:c::10');
const CN2 = ip6('2001:db8:d::20');
const [C1, C2] = [ip6('2001:db8:f1::10'), ip6('2001:db8:f2::10')];

const rt = (dst: Ip6, dstLen: number, oif: number, more: Partial<Route6> = {}): Route6 => ({ dst, dstLen, oif, table: 254, protocol: 3, metric: 1024, ...more });

const GATEWAY_ROWS: [string, Route6[], { gateway: Ip6 | null } | undefined][] = [
  ['the default route of the interface: its gateway', [rt(ip6('::'), 0, 3, { gateway: ip6('fe80::1') })], { gateway: ip6('fe80::1') }],
  ['an on-link prefix covering the correspondent: no gateway', [rt(ip6('2001:db8:c::'), 64, 3)], { gateway: null }],
  ['the longest prefix wins over the default', [rt(ip6('::'), 0, 3, { gateway: ip6('fe80::1') }), rt(ip6('2001:db8:c::'), 48, 3, { gateway: ip6('fe80::2') })], { gateway: ip6('fe80::2') }],
  ['same length: the lowest metric wins', [rt(ip6('::'), 0, 3, { gateway: ip6('fe80::1'), metric: 1024 }), rt(ip6('::'), 0, 3, { gateway: ip6('fe80::3'), metric: 100 })], { gateway: ip6('fe80::3') }],
  ['routes of another interface do not count', [rt(ip6('::'), 0, 4, { gateway: ip6('fe80::1') })], undefined],
  ['our own routes (the tunnels\') do not count', [rt(ip6('::'), 0, 3, { gateway: ip6('fe80::1'), protocol: OURS })], undefined],
  ['routes over nexthop objects do not count', [rt(ip6('::'), 0, 3, { nhid: 7 })], undefined],
  ['only unicast routes count (not unreachable, blackhole...)', [rt(ip6('::'), 0, 3, { type: 7 })], undefined],
  ['a prefix that does not cover the correspondent: no way there', [rt(ip6('2001:db8:e::'), 48, 3, { gateway: ip6('fe80::1') })], undefined],
];

for (const [name, routes, want] of GATEWAY_ROWS) test(`gateway: ${name}`, () => assert.deepEqual(gatewayVia(routes, 3, CN, OURS), want));

const entry = (peer: Ip6, bid: number | null, iface: string, careOf: Ip6, state: BulView['state'] = 'registered'): BulView =>
  ({ peer, role: 'cn', bid, iface, careOf, homeBinding: false, state, sequence: 1, lifetimeSeconds: 420, expiresAtMs: 0, failedStatus: null });

const INTERFACE_ROWS: [string, BulView[], [string, string][]][] = [
  ['one registered binding: its interface', [entry(CN, 1, 'mn1', C1)], [[CN, 'mn1']]],
  ['several BIDs: the interface of the lowest BID (where the hao state points)', [entry(CN, 2, 'mn2', C2), entry(CN, 1, 'mn1', C1)], [[CN, 'mn1']]],
  ['the lowest BID\'s interface lost its address: the next one at once', [entry(CN, 1, 'gone', C1), entry(CN, 2, 'mn2', C2)], [[CN, 'mn2']]],
  ['pending bindings do not count yet', [entry(CN, 1, 'mn1', C1, 'pending')], []],
  ['one interface per correspondent', [entry(CN, 1, 'mn1', C1), entry(CN2, 1, 'mn2', C2)], [[CN, 'mn1'], [CN2, 'mn2']]],
];

for (const [name, bul, want] of INTERFACE_ROWS) {
  test(`interface: ${name}`, () => assert.deepEqual([...directInterfaces(bul, (iface) => iface !== 'gone')], want));
}

test('routes: per wanted correspondent with a way out of its interface, sorted by correspondent', () => {
  const table = [rt(ip6('::'), 0, 3, { gateway: ip6('fe80::1') }), rt(ip6('2001:db8:c::'), 64, 4)];
  const ifindex = (iface: string): number | undefined => ({ mn1: 3, mn2: 4 })[iface];
  assert.deepEqual(directRoutes(new Map([[CN2, 'mn1'], [CN, 'mn2']]), ifindex, table, OURS), [
    { correspondent: CN, iface: 'mn2', gateway: null },
    { correspondent: CN2, iface: 'mn1', gateway: ip6('fe80::1') },
  ]);
  // An interface the node does not know, or with no way there: no route (traffic stays in the tunnels).
  assert.deepEqual(directRoutes(new Map([[CN, 'mn9'], [CN2, 'mn2']]), ifindex, table, OURS), []);
});

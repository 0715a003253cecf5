// Routes over next hops -> nexthop objects, groups and routes (lib/plan/common/route-wants.ts),
// shared by the home agent and the mobile node: one row per rule.
import { ip6 } from '../../../ip6.js';
import type { Ip6 } from '../../../../lib/inet/ip6.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NextHopSpec, RouteOverNextHops } from '../../../../lib/plan/common/kernel-objects.js';
import { routeWants } from '../../../../lib/plan/common/route-wants.js';
import { routePrefixParts } from '../../../../lib/inet/prefix.js';

const t = (tunnelKey: string, weight = 1): NextHopSpec => ({ kind: 'tunnel', tunnelKey, weight });
const link = (iface: string, gateway: Ip6 | null): NextHopSpec => ({ kind: 'home-link', interface: iface, gateway, weight: 1 });
const route = (prefix: string, ...nexthops: NextHopSpec[]): [string, RouteOverNextHops] => {
  const { address: dst, length: dstLen } = routePrefixParts(prefix);
  return [prefix, { dst, dstLen, nexthops }];
};

/** Every object as one line: nexthops, groups, then routes, each in insertion order. */
function lines(routes: [string, RouteOverNextHops][]): string[] {
  const w = routeWants(new Map(routes));
  return [
    ...[...w.nexthop].map(([k, n]) => `nexthop ${k} = ${n.kind === 'tunnel' ? `tunnel ${n.tunnelKey}` : `dev ${n.interface}${n.gateway ? ` via ${n.gateway}` : ''}`}`),
    ...[...w.group].map(([k, g]) => `group ${k} = ${g.members.map((m) => `${m.nexthopKey}*${m.weight}`).join(' ')}`),
    ...[...w.route].map(([k, r]) => `route ${k} = ${r.dst}/${r.dstLen} -> ${r.via.kind} ${r.via.key}`),
  ];
}

const ROWS: [string, [string, RouteOverNextHops][], string[]][] = [
  ['one next hop: the route points at its nexthop object', [route('2001:db8::a/128', t('A'))], [
    'nexthop t|A = tunnel A',
    'route 2001:db8::a/128 = 2001:db8::a/128 -> nexthop t|A',
  ]],
  ['several next hops: one group, members sorted by key', [route('2001:db8::a/128', t('B'), t('A'))], [
    'nexthop t|B = tunnel B',
    'nexthop t|A = tunnel A',
    'group t|A*1;t|B*1 = t|A*1 t|B*1',
    'route 2001:db8::a/128 = 2001:db8::a/128 -> group t|A*1;t|B*1',
  ]],
  ['two routes over the same next hops (any order): one group, one nexthop object each', [route('2001:db8::a/128', t('A'), t('B')), route('2001:db8:9::/48', t('B'), t('A'))], [
    'nexthop t|A = tunnel A',
    'nexthop t|B = tunnel B',
    'group t|A*1;t|B*1 = t|A*1 t|B*1',
    'route 2001:db8::a/128 = 2001:db8::a/128 -> group t|A*1;t|B*1',
    'route 2001:db8:9::/48 = 2001:db8:9::/48 -> group t|A*1;t|B*1',
  ]],
  ['no next hop: no route (and nothing else)', [route('2001:db8::a/128')], []],
  ['a bare address is a host route', [route('2001:db8::a', t('A'))], [
    'nexthop t|A = tunnel A',
    'route 2001:db8::a = 2001:db8::a/128 -> nexthop t|A',
  ]],
  ['weights kept in the kernel\'s 1..256, rounded; a different weight is a different group', [route('2001:db8::a/128', t('A', 0), t('B', 300), t('C', 2.6))], [
    'nexthop t|A = tunnel A',
    'nexthop t|B = tunnel B',
    'nexthop t|C = tunnel C',
    'group t|A*1;t|B*256;t|C*3 = t|A*1 t|B*256 t|C*3',
    'route 2001:db8::a/128 = 2001:db8::a/128 -> group t|A*1;t|B*256;t|C*3',
  ]],
  ['out of an interface: on-link, or via a gateway; each its own nexthop object', [route('2001:db8::a/128', link('eth0', null)), route('2001:db8:9::/48', link('eth0', ip6('2001:db8::a')))], [
    'nexthop h|eth0| = dev eth0',
    'nexthop h|eth0|2001:db8::a = dev eth0 via 2001:db8::a',
    'route 2001:db8::a/128 = 2001:db8::a/128 -> nexthop h|eth0|',
    'route 2001:db8:9::/48 = 2001:db8:9::/48 -> nexthop h|eth0|2001:db8::a',
  ]],
];

for (const [name, routes, want] of ROWS) test(name, () => assert.deepEqual(lines(routes), want));

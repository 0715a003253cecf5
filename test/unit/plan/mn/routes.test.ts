// The mobile node's tunnels and routes (lib/plan/mn/routes.ts): one tunnel per accepted
// care-of address bound to its interface, `mobile_node.routes` over all of them, and the host
// routes of route optimisation straight out of an interface; one row per case.
import { ip6 } from '../../../ip6.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePrefix } from '../../../../lib/inet/prefix.js';
import { MN_ROUTE_KINDS, mnTunnelKey, mobileNodeRouteWants, type MobileNodeRoutePlan } from '../../../../lib/plan/mn/routes.js';

const HA = ip6('2001:db8:1::1');
const C1 = ip6('2001:db8:a::10');
const C2 = ip6('2001:db8:b::10');
const CN = ip6('2001:db8:c::10');
const GW = ip6('fe80::1');
const DEFAULT = [parsePrefix('::/0')!];

function lines(p: Partial<MobileNodeRoutePlan>): string[] {
  const w = mobileNodeRouteWants({ accepted: [], homeAgent: HA, routes: DEFAULT, direct: [], ...p });
  return [
    ...[...w.tunnel].map(([k, t]) => `tunnel ${k} = ${t.local}>${t.remote} link ${t.link}`),
    ...[...w.group].map(([k]) => `group ${k}`),
    ...[...w.route].map(([k, r]) => `route ${k} -> ${r.via.kind} ${r.via.key}`),
  ];
}

const T1 = mnTunnelKey(C1, HA);
const T2 = mnTunnelKey(C2, HA);

const ROWS: [string, Partial<MobileNodeRoutePlan>, string[]][] = [
  ['no accepted care-of address: no tunnel, no route (traffic stays on the plain table)', {}, []],
  ['one accepted care-of address: its tunnel bound to its interface, the routes through it', { accepted: [{ coa: C1, ifindex: 3 }] }, [
    `tunnel ${T1} = ${C1}>${HA} link 3`,
    `route ::/0 -> nexthop t|${T1}`,
  ]],
  ['MCoA: two care-of addresses: a tunnel each, the routes spread over both (one group)', { accepted: [{ coa: C1, ifindex: 3 }, { coa: C2, ifindex: 4 }] }, [
    `tunnel ${T1} = ${C1}>${HA} link 3`,
    `tunnel ${T2} = ${C2}>${HA} link 4`,
    `group t|${T1}*1;t|${T2}*1`,
    `route ::/0 -> group t|${T1}*1;t|${T2}*1`,
  ]],
  ['several routes share the one group', { accepted: [{ coa: C1, ifindex: 3 }, { coa: C2, ifindex: 4 }], routes: [...DEFAULT, parsePrefix('2001:db8:99::/48')!] }, [
    `tunnel ${T1} = ${C1}>${HA} link 3`,
    `tunnel ${T2} = ${C2}>${HA} link 4`,
    `group t|${T1}*1;t|${T2}*1`,
    `route ::/0 -> group t|${T1}*1;t|${T2}*1`,
    `route 2001:db8:99::/48 -> group t|${T1}*1;t|${T2}*1`,
  ]],
  ['RFC 6275 §11.3.1: a route-optimised correspondent: a host route out of its interface, via the gateway', { accepted: [{ coa: C1, ifindex: 3 }], direct: [{ correspondent: CN, iface: 'mn1', gateway: GW }] }, [
    `tunnel ${T1} = ${C1}>${HA} link 3`,
    `route ::/0 -> nexthop t|${T1}`,
    `route ${CN}/128 -> nexthop h|mn1|${GW}`,
  ]],
  ['an on-link correspondent: no gateway; and a direct route needs no tunnel', { direct: [{ correspondent: CN, iface: 'mn1', gateway: null }] }, [
    `route ${CN}/128 -> nexthop h|mn1|`,
  ]],
  ['a configured host route to the correspondent gives way to the direct one', { accepted: [{ coa: C1, ifindex: 3 }], routes: [parsePrefix(`${CN}/128`)!], direct: [{ correspondent: CN, iface: 'mn1', gateway: GW }] }, [
    `tunnel ${T1} = ${C1}>${HA} link 3`,
    `route ${CN}/128 -> nexthop h|mn1|${GW}`,
  ]],
];

for (const [name, plan, want] of ROWS) test(name, () => assert.deepEqual(lines(plan), want));

test('the kinds planned, in creation order; tunnel keys are (care-of address, home agent)', () => {
  assert.deepEqual(MN_ROUTE_KINDS, ['tunnel', 'nexthop', 'group', 'route']);
  assert.equal(mnTunnelKey(C1, HA), `${C1}|${HA}`);
  const w = mobileNodeRouteWants({ accepted: [{ coa: C1, ifindex: 3 }], homeAgent: HA, routes: DEFAULT, direct: [] });
  assert.deepEqual(Object.keys(w).sort(), [...MN_ROUTE_KINDS].sort());
  assert.deepEqual([...w.nexthop], [[`t|${T1}`, { kind: 'tunnel', tunnelKey: T1 }]]);
});

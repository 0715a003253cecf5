// `mcoactl purge`'s planner (lib/plan/common/purge.ts): from kernel dumps to the objects
// that carry mcoad's marks, in deletion order, keeping ours that others still use.
import type { Ip6 } from '../../../lib/inet/ip6.js';
import { ip6 } from '../../ip6.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeStep, planPurge, PURGE_ORDER, type KernelDump, type PurgeStep } from '../../../lib/plan/common/purge.js';
import { DEFAULT_MARKS, type OwnershipMarks } from '../../../lib/reconcile/marks.js';
import { DEFAULT_XFRM_BANDS } from '../../../lib/reconcile/drivers/xfrm.js';
import type { Route6 } from '../../../lib/platform/rtnl/route.js';
import type { Nexthop } from '../../../lib/platform/rtnl/nexthop.js';
import type { XfrmPolicy } from '../../../lib/platform/xfrm/policy.js';
import type { XfrmState } from '../../../lib/platform/xfrm/state.js';

const M = DEFAULT_MARKS;
const B = DEFAULT_XFRM_BANDS;
const NH = M.nexthopIdBase;
const empty = (): KernelDump => ({ links: [], routes: [], nexthops: [], proxies: [], policies: [], states: [] });
const route = (dst: Ip6, over: Partial<Route6> = {}): Route6 => ({ dst, dstLen: 128, table: 254, protocol: 135, metric: 1024, ...over });
const nexthop = (id: number, over: Partial<Nexthop> = {}): Nexthop => ({ id, protocol: 135, oif: 10, ...over });
const group = (id: number, members: number[], over: Partial<Nexthop> = {}): Nexthop => ({ id, protocol: 135, group: members.map((m) => ({ id: m, weight: 1 })), ...over });
const policy = (priority: number): XfrmPolicy => ({ selector: { src: ip6('::'), srcLen: 0, dst: ip6('2001:db8:aa::1'), dstLen: 128, proto: 135 }, dir: 'in', priority, templates: [] });
const state = (reqid: number): XfrmState => ({ src: ip6('::'), dst: ip6('2001:db8:aa::1'), proto: 60, spi: 0, mode: 2, reqid });
const tunnel = (ifindex: number, name: string) => ({ ifindex, name, kind: 'ip6tnl' });

function ids(steps: readonly PurgeStep[]): string[] {
  return steps.map((s) => `${s.kind} ${describeStep(s, (i) => `if${i}`)}`);
}

test('each mark selects its kind, and only that', () => {
  const rows: [string, (d: KernelDump) => void, string[], OwnershipMarks?][] = [
    ['route: protocol 135 in the marks table', (d) => d.routes.push(route(ip6('2001:db8:aa::100'), { nhid: NH })), ['route 2001:db8:aa::100/128 nhid 1296236544 table 254 metric 1024']],
    ['route: another protocol is not ours', (d) => d.routes.push(route(ip6('2001:db8:aa::100'), { protocol: 4 })), []],
    ['route: protocol 135 in another table is not ours', (d) => d.routes.push(route(ip6('2001:db8:aa::100'), { table: 100 })), []],
    ['route: a configured table and protocol', (d) => d.routes.push(route(ip6('2001:db8:aa::100'), { table: 100, protocol: 77 })), ['route 2001:db8:aa::100/128 table 100 metric 1024'], { ...M, table: 100, protocol: 77 }],
    ['nexthop: protocol and id band', (d) => d.nexthops.push(nexthop(NH + 5)), [`nexthop id ${NH + 5} dev if10`]],
    ['nexthop: protocol 135 outside the band is not ours', (d) => d.nexthops.push(nexthop(7)), []],
    ['nexthop: in the band with another protocol is not ours', (d) => d.nexthops.push(nexthop(NH + 1, { protocol: 4 })), []],
    ['nexthop: last id of the band', (d) => d.nexthops.push(nexthop(NH + M.nexthopIdCount - 1)), [`nexthop id ${NH + M.nexthopIdCount - 1} dev if10`]],
    ['nexthop: first id past the band (a configured band apart from the shared one)', (d) => d.nexthops.push(nexthop(0x1000 + 16)), [], { ...M, nexthopIdBase: 0x1000, nexthopIdCount: 16 }],
    ['nexthop: the shared data plane band', (d) => d.nexthops.push(nexthop(M.sharedNexthopIdBase + 9)), [`nexthop id ${M.sharedNexthopIdBase + 9} dev if10`]],
    ['nexthop: first id past the shared band', (d) => d.nexthops.push(nexthop(M.sharedNexthopIdBase + M.sharedNexthopIdCount)), []],
    ['tunnel: ip6tnl named with the prefix', (d) => d.links.push(tunnel(10, 'mip6t0')), ['tunnel mip6t0']],
    ['tunnel: ip6tnl without the prefix is not ours', (d) => d.links.push(tunnel(10, 'tun0')), []],
    ['tunnel: the prefix on another kind is not ours', (d) => d.links.push({ ifindex: 10, name: 'mip6tveth', kind: 'veth' }), []],
    ['tunnel: configured prefix', (d) => d.links.push(tunnel(10, 'ha7x'), tunnel(11, 'mip6t0')), ['tunnel ha7x'], { ...M, tunnelPrefix: 'ha7' }],
    ['proxy: protocol 135', (d) => d.proxies.push({ dst: ip6('2001:db8:aa::100'), ifindex: 3, protocol: 135 }), ['proxy 2001:db8:aa::100 dev if3']],
    ['proxy: without a protocol is not ours', (d) => d.proxies.push({ dst: ip6('2001:db8:aa::100'), ifindex: 3 }), []],
    ['xfrm policy: first priority of the band', (d) => d.policies.push(policy(B.priorityBase)), [`xfrm-policy src ::/0 dst 2001:db8:aa::1/128 proto 135 dir in priority ${B.priorityBase}`]],
    ['xfrm policy: below the band is not ours', (d) => d.policies.push(policy(B.priorityBase - 1)), []],
    ['xfrm policy: past the band is not ours', (d) => d.policies.push(policy(B.priorityBase + B.priorityCount)), []],
    ['xfrm state: reqid in the band', (d) => d.states.push(state(B.reqidBase + 1)), [`xfrm-state src :: dst 2001:db8:aa::1 proto hao spi 0x00000000 reqid ${B.reqidBase + 1}`]],
    ['xfrm state: reqid 0 is not ours', (d) => d.states.push(state(0)), []],
  ];
  for (const [name, fill, want, marks] of rows) {
    const d = empty();
    fill(d);
    const plan = planPurge(d, marks ?? M, B);
    assert.deepEqual(ids(plan.steps), want, name);
    assert.deepEqual(plan.kept, [], name);
  }
});

test('deletion order: routes, groups, nexthops, tunnels, proxy entries, policies, states', () => {
  const d = empty();
  // Dumped in the reverse order, to show the order comes from the planner.
  d.states.push(state(B.reqidBase));
  d.policies.push(policy(B.priorityBase));
  d.proxies.push({ dst: ip6('2001:db8:aa::100'), ifindex: 3, protocol: 135 });
  d.links.push({ ifindex: 3, name: 'home0', kind: 'veth' }, tunnel(10, 'mip6t0'), tunnel(11, 'mip6t1'));
  d.nexthops.push(group(NH + 2, [NH, NH + 1]), nexthop(NH, { oif: 10 }), nexthop(NH + 1, { oif: 11 }));
  d.routes.push(route(ip6('2001:db8:aa::100'), { nhid: NH + 2 }), route(ip6('fe80::'), { dstLen: 64, protocol: 2, oif: 10 }));
  const plan = planPurge(d, M, B);
  assert.deepEqual(plan.steps.map((s) => s.kind), ['route', 'group', 'nexthop', 'nexthop', 'tunnel', 'tunnel', 'proxy', 'xfrm-policy', 'xfrm-state']);
  const order = plan.steps.map((s) => PURGE_ORDER.indexOf(s.kind));
  assert.deepEqual(order, [...order].sort((a, b) => a - b));
  assert.deepEqual(plan.kept, []);
});

test('ours that something not ours uses is kept and named (the kernel would delete the user with it)', () => {
  const rows: [string, (d: KernelDump) => void, string[], string[]][] = [
    [
      'a hand-made route over our nexthop keeps the nexthop and its tunnel',
      (d) => {
        d.links.push(tunnel(10, 'mip6t0'));
        d.nexthops.push(nexthop(NH, { oif: 10 }));
        d.routes.push(route(ip6('2001:db8:77::'), { dstLen: 64, protocol: 4, nhid: NH }));
      },
      [],
      [`nexthop id ${NH} dev if10 <- route 2001:db8:77::/64 table 254 proto 4`, `tunnel mip6t0 <- nexthop id ${NH}`],
    ],
    [
      'a hand-made route over our group keeps the group and its members',
      (d) => {
        d.nexthops.push(group(NH + 2, [NH]), nexthop(NH, { oif: 10 }));
        d.routes.push(route(ip6('2001:db8:77::'), { dstLen: 64, protocol: 4, nhid: NH + 2 }));
      },
      [],
      [`group id ${NH + 2} group ${NH},1 <- route 2001:db8:77::/64 table 254 proto 4`, `nexthop id ${NH} dev if10 <- nexthop id ${NH + 2}`],
    ],
    [
      'a hand-made group holding our nexthop keeps the nexthop; our route still goes',
      (d) => {
        d.nexthops.push(group(500, [NH], { protocol: 4 }), nexthop(NH, { oif: 10 }));
        d.routes.push(route(ip6('2001:db8:aa::100'), { nhid: NH }));
      },
      ['route 2001:db8:aa::100/128 nhid 1296236544 table 254 metric 1024'],
      [`nexthop id ${NH} dev if10 <- nexthop id 500`],
    ],
    [
      'a hand-made route through our tunnel keeps the tunnel; kernel routes on it do not',
      (d) => {
        d.links.push(tunnel(10, 'mip6t0'), tunnel(11, 'mip6t1'));
        d.routes.push(route(ip6('2001:db8:77::'), { dstLen: 64, protocol: 3, oif: 10 }), route(ip6('fe80::'), { dstLen: 64, protocol: 2, oif: 11 }));
      },
      ['tunnel mip6t1'],
      ['tunnel mip6t0 <- route 2001:db8:77::/64 table 254 proto 3'],
    ],
    [
      'a hand-made nexthop through our tunnel keeps the tunnel',
      (d) => {
        d.links.push(tunnel(10, 'mip6t0'));
        d.nexthops.push(nexthop(9, { protocol: 4, oif: 10 }));
      },
      [],
      ['tunnel mip6t0 <- nexthop id 9'],
    ],
    [
      'a hand-made proxy entry on our tunnel keeps the tunnel',
      (d) => {
        d.links.push(tunnel(10, 'mip6t0'));
        d.proxies.push({ dst: ip6('2001:db8:77::1'), ifindex: 10 });
      },
      [],
      ['tunnel mip6t0 <- proxy 2001:db8:77::1'],
    ],
  ];
  for (const [name, fill, steps, kept] of rows) {
    const d = empty();
    fill(d);
    const plan = planPurge(d, M, B);
    assert.deepEqual(ids(plan.steps), steps, name);
    assert.deepEqual(plan.kept.map((k) => `${ids([k.step])[0]} <- ${k.usedBy}`), kept, name);
  }
});

test('an empty kernel plans nothing', () => {
  assert.deepEqual(planPurge(empty(), M, B), { steps: [], kept: [] });
});

// The care-of addresses the mobile node tunnels from (lib/plan/mn/live-care-of.ts), one row
// per case: an address that leaves its interface leaves the nexthop group at once, before
// any new registration, whatever the Binding Update List still says.
import type { Ip6 } from '../../../../lib/inet/ip6.js';
import { ip6 } from '../../../ip6.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { liveCareOfs, type Adoption } from '../../../../lib/plan/mn/live-care-of.js';
import { mnTunnelKey, mobileNodeRouteWants } from '../../../../lib/plan/mn/routes.js';
import { parsePrefix } from '../../../../lib/inet/prefix.js';
import type { BulState, BulView } from '../../../../lib/proto/mn/types.js';

const HA = ip6('2001:db8:aa::1');
const CN = ip6('2001:db8:c::10');
const [C1, C2, C3] = [ip6('2001:db8:f1::10'), ip6('2001:db8:f2::10'), ip6('2001:db8:f3::10')] as const;
const IFINDEX: Record<string, number> = { mn1: 11, mn2: 12, mn3: 13 };

function entry(iface: string, careOf: Ip6, state: BulState = 'registered', over: Partial<BulView> = {}): BulView {
  return { peer: HA, role: 'ha', bid: IFINDEX[iface]!, iface, careOf, homeBinding: false, state, sequence: 1, lifetimeSeconds: 300, expiresAtMs: 300_000, failedStatus: null, ...over };
}

/** The interfaces holding these addresses now. */
const holding = (held: Record<string, Ip6>) => ({
  careOf: (iface: string): Ip6 | undefined => held[iface],
  ifindexOf: (iface: string): number | undefined => IFINDEX[iface],
});

const ALL = { mn1: C1, mn2: C2, mn3: C3 };
const { mn3: _gone, ...TWO } = ALL;
const adoption = (adopted: Ip6[]): Adoption => ({ interfaces: ['mn1', 'mn2', 'mn3'], adopted: new Set(adopted) });

const ROWS: [string, BulView[], Record<string, Ip6>, Adoption | null, Ip6[]][] = [
  ['three registered, three held: three members', [entry('mn1', C1), entry('mn2', C2), entry('mn3', C3)], ALL, null, [C1, C2, C3]],
  ['an address gone from its interface, its BID still registered: out at once', [entry('mn1', C1), entry('mn2', C2), entry('mn3', C3)], TWO, null, [C1, C2]],
  ['the interface holds another address now: out until that one is registered', [entry('mn1', C1), entry('mn3', C3)], { ...TWO, mn3: ip6('2001:db8:f3::99') }, null, [C1]],
  ['pending, de-registering or failed entries: no member', [entry('mn1', C1, 'pending'), entry('mn2', C2, 'deregistering'), entry('mn3', C3, 'failed')], ALL, null, []],
  ['a home binding (H flag) or a correspondent entry: no member', [entry('mn1', C1, 'registered', { homeBinding: true }), entry('mn2', C2, 'registered', { role: 'cn', peer: CN })], ALL, null, []],
  ['restart, adopting: the previous run\'s tunnels whose address is still held, none registered yet', [entry('mn1', C1, 'pending'), entry('mn2', C2, 'pending')], TWO, adoption([C1, C2, C3]), [C1, C2]],
  ['restart, adopting: an adopted address removed while the daemon was down is no member, before any BU', [], TWO, adoption([C1, C2, C3]), [C1, C2]],
  ['adopting: a registered address is listed once', [entry('mn1', C1)], TWO, adoption([C1, C2]), [C1, C2]],
];

for (const [name, bul, held, adopting, want] of ROWS) {
  test(name, () => {
    const live = liveCareOfs(bul, holding(held), adopting);
    assert.deepEqual(live.map((a) => a.coa), want);
    for (const a of live) assert.equal(a.ifindex, Object.entries(IFINDEX).find(([i]) => held[i] === a.coa)?.[1], 'the tunnel is bound to the interface holding the address');
  });
}

test('the nexthop group follows: the gone address\'s tunnel leaves the group and the route the moment the interface loses it', () => {
  const bul = [entry('mn1', C1), entry('mn2', C2), entry('mn3', C3)];
  const plan = (held: Record<string, Ip6>) => mobileNodeRouteWants({ accepted: liveCareOfs(bul, holding(held), null), homeAgent: HA, routes: [parsePrefix('::/0')!], direct: [] });
  const members = (held: Record<string, Ip6>): string[] => [...plan(held).tunnel.keys()].sort();
  assert.deepEqual(members(ALL), [mnTunnelKey(C1, HA), mnTunnelKey(C2, HA), mnTunnelKey(C3, HA)].sort());
  assert.deepEqual(members(TWO), [mnTunnelKey(C1, HA), mnTunnelKey(C2, HA)].sort());
  assert.equal(plan(TWO).group.size, 1, 'one group, over the two tunnels left');
});

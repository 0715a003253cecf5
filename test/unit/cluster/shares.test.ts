// Shares (docs/cluster.md): which service address a home address registers with, which home
// addresses an election's change concerns, and where a drained address's mobile nodes are sent
// (RFC 5142 Home Agent Switch) when no other live member lists it. Pure, one row per rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { homeAddressesOf, recordService, switchTargets } from '../../../lib/cluster/shares.js';
import type { Member } from '../../../lib/cluster/membership.js';
import { ip6 } from '../../ip6.js';

const A = ip6('2001:db8:1::a');
const B = ip6('2001:db8:1::b');
const C = ip6('2001:db8:1::c');
const HA = ip6('2001:db8:1::1');

test('recordService: the record\'s service address; a record written before shares (none) registers with home_agent.address', () => {
  assert.equal(recordService({ serviceAddress: B }, HA), B);
  assert.equal(recordService({}, HA), HA);
  assert.equal(recordService(null, HA), HA);
  assert.equal(recordService(undefined, HA), HA);
});

test('homeAddressesOf: only the home addresses registered with the address (those a take-over or step-down re-plans)', () => {
  const service = new Map([[ip6('2001:db8:1::100'), A], [ip6('2001:db8:1::101'), B], [ip6('2001:db8:1::102'), A]]);
  assert.deepEqual(homeAddressesOf(A, service.keys(), (h) => service.get(h)!), [ip6('2001:db8:1::100'), ip6('2001:db8:1::102')]);
  assert.deepEqual(homeAddressesOf(C, service.keys(), (h) => service.get(h)!), []);
});

const m = (node: string, preferences: Record<string, number>): Member => ({ node, preferences });
const drained = (node: string, preferences: Record<string, number>): Member => ({ node, preferences, drained: true });
const none = new Map<ReturnType<typeof ip6>, string | null>();

const ROWS: [string, Member[], Map<ReturnType<typeof ip6>, string | null>, ReturnType<typeof ip6>[] | null][] = [
  ['another live member lists the address: a standby takes it over, no switch', [m('ha1', { [A]: 200, [B]: 100 }), m('ha2', { [A]: 100, [B]: 200 })], none, null],
  ['another member lists it with the lowest preference: still taken over', [m('ha1', { [A]: 200 }), m('ha2', { [A]: 0, [B]: 200 })], none, null],
  ['nobody else lists it: the addresses the others list', [m('ha1', { [A]: 200, [B]: 100 }), m('ha2', { [B]: 200 })], none, [B]],
  ['the address only this node lists is never a target, nor is the drained one', [m('ha1', { [A]: 200, [C]: 5 }), m('ha2', { [B]: 200 })], none, [B]],
  ['served by another node first, then by best preference among the others', [m('ha1', { [A]: 200 }), m('ha2', { [B]: 10, [C]: 300 }), m('ha3', { [C]: 50 })], new Map([[B, 'ha2']]), [B, C]],
  ['owned by this node (it resigns it too) counts as not served', [m('ha1', { [A]: 200, [B]: 100 }), m('ha2', { [B]: 10, [C]: 20 })], new Map([[B, 'ha1']]), [C, B]],
  ['no other live member: nowhere to send them (empty list: the mobile nodes run DHAAD)', [m('ha1', { [A]: 200 })], none, []],
  ['a drained member that lists it would not take it over: a switch, to what undrained members list', [m('ha1', { [A]: 200 }), drained('ha2', { [A]: 100, [C]: 100 }), m('ha3', { [B]: 1 })], none, [B]],
  ['every other member drained: nowhere to send them', [m('ha1', { [A]: 200 }), drained('ha2', { [A]: 100, [B]: 100 })], none, []],
];

for (const [name, members, owners, want] of ROWS) {
  test(`switchTargets (RFC 5142 §4, addresses in order of preference): ${name}`, () => {
    assert.deepEqual(switchTargets(A, 'ha1', members, owners), want);
  });
}

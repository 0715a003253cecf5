// The home agent's desired state in the kernel's object kinds (lib/plan/ha/kernel-wants.ts).
import { ip6 } from '../../../ip6.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyDesired, type DesiredState } from '../../../../lib/plan/ha/desired.js';
import { KIND_ORDER, kernelWants } from '../../../../lib/plan/ha/kernel-wants.js';

const HA = ip6('2001:db8:1::1');
const HOA = ip6('2001:db8:1::a');
const COA = ip6('2001:db8:a::1');
const TK = `${HA}|${COA}`;

function state(): DesiredState {
  const d = emptyDesired();
  d.tunnels.set(TK, { key: TK, local: HA, remote: COA, owners: [`${HOA}#1`] });
  d.routes.set(`${HOA}/128`, { key: `${HOA}/128`, dst: HOA, dstLen: 128, nexthops: [{ kind: 'tunnel', tunnelKey: TK, weight: 1 }], owners: [`${HOA}#1`] });
  d.proxies.set(`eth0|${HOA}`, { key: `eth0|${HOA}`, address: HOA, interface: 'eth0', owners: [`${HOA}#1`] });
  return d;
}

const ROWS: [string, () => void][] = [
  ['creation order: tunnels before the next hops that use them, routes after groups, proxies last', () => {
    assert.deepEqual(KIND_ORDER, ['tunnel', 'nexthop', 'group', 'route', 'proxy']);
    assert.deepEqual(Object.keys(kernelWants(emptyDesired())).sort(), [...KIND_ORDER].sort());
  }],
  ['a tunnel: its endpoints only (owners stay in the plan; the driver names the device)', () => {
    assert.deepEqual([...kernelWants(state()).tunnel], [[TK, { local: HA, remote: COA }]]);
  }],
  ['a route: through the nexthop object of its tunnel, keyed by its prefix', () => {
    const w = kernelWants(state());
    assert.deepEqual([...w.nexthop], [[`t|${TK}`, { kind: 'tunnel', tunnelKey: TK }]]);
    assert.deepEqual([...w.route], [[`${HOA}/128`, { dst: HOA, dstLen: 128, via: { kind: 'nexthop', key: `t|${TK}` } }]]);
    assert.equal(w.group.size, 0);
  }],
  ['a proxy entry: address and interface', () => {
    assert.deepEqual([...kernelWants(state()).proxy], [[`eth0|${HOA}`, { dst: HOA, interface: 'eth0' }]]);
  }],
  ['nothing desired: nothing wanted', () => {
    for (const kind of KIND_ORDER) assert.equal(kernelWants(emptyDesired())[kind].size, 0, kind);
  }],
];

for (const [name, check] of ROWS) test(name, check);

// RFC 6089 end to end in the cores: a mobile node configured with flows (lib/proto/mn/flows.ts)
// against lib/proto's HomeAgent, every message through lib/wire. Its registrations carry
// the flows; the home agent's list follows; an interface that goes away has its flow
// re-bound by the next registration (a modify) to the most preferred interface still
// registered (RFC 6089 mobile node considerations), and back when it returns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MnFlow } from '../../../../lib/proto/mn/index.js';
import { COA1, COA2, COA3, Mn } from './harness.js';
import { Net } from './interop-net.js';

const FLOWS: MnFlow[] = [
  { fid: 1, priority: 10, selector: { format: 'ipv6', nextHeaderStart: 17, destinationPortStart: 5004 }, target: { kind: 'interface', name: 'eth0' } },
  { fid: 2, priority: 20, selector: { format: 'ipv6', nextHeaderStart: 6, destinationPortStart: 443 }, target: { kind: 'bid', bid: 2 } },
  { fid: 3, priority: 30, selector: { format: 'ipv6', nextHeaderStart: 58 }, target: { kind: 'discard' } },
];

const haFlows = (net: Net) => net.ha.flows.list().map((f) => [f.fid, f.priority, f.action, [...f.bids], f.active]);

test('mobile node flows: the bulk registration binds them at the home agent; BAs carry success for each', () => {
  const mn = new Mn({ flows: FLOWS });
  const net = new Net(mn);
  net.settle(mn.start([['eth0', COA1], ['eth1', COA2], ['eth2', COA3]]));
  assert.deepEqual(haFlows(net), [
    [1, 10, 'forward', [1], true],
    [2, 20, 'forward', [2], true],
    [3, 30, 'discard', [], true],
  ]);
  const bus = mn.all.flatMap((a) => (a.kind === 'send' && a.message.kind === 'bu' ? [a.message] : []));
  assert.ok(bus.length >= 1 && bus.every((b) => b.options.filter((o) => o.kind === 'flowIdentification').length === 3), 'every BU to the home agent carries every flow');
  assert.equal(net.dropped, 0);
});

test('mobile node flows: eth0 loses its address -> its flow is re-bound to another BID (lowest registered without preferences); back -> bound to eth0 again', () => {
  const mn = new Mn({ flows: FLOWS });
  const net = new Net(mn);
  net.settle(mn.start([['eth0', COA1], ['eth1', COA2], ['eth2', COA3]]));
  mn.now = 10_000;
  net.settle(mn.send({ kind: 'careOfAddress', iface: 'eth0', address: null }));
  assert.deepEqual(net.haBindings().map((b) => b[0]), [2, 3]);
  assert.deepEqual(haFlows(net), [
    [1, 10, 'forward', [2], true],
    [2, 20, 'forward', [2], true],
    [3, 30, 'discard', [], true],
  ]);
  mn.now = 20_000;
  net.settle(mn.send({ kind: 'careOfAddress', iface: 'eth0', address: COA1 }));
  assert.deepEqual(haFlows(net).map((f) => f[0]), [1, 2, 3]);
  assert.deepEqual(haFlows(net)[0], [1, 10, 'forward', [1], true]);
});

test('mobile node flows: the fallback follows the preferred interfaces', () => {
  const mn = new Mn({ flows: FLOWS, preferredInterfaces: ['eth0', 'eth2', 'eth1'] });
  const net = new Net(mn);
  net.settle(mn.start([['eth0', COA1], ['eth1', COA2], ['eth2', COA3]]));
  mn.now = 10_000;
  net.settle(mn.send({ kind: 'careOfAddress', iface: 'eth0', address: null }));
  assert.deepEqual(haFlows(net)[0], [1, 10, 'forward', [3], true]);
});

test('mobile node flows: a reload (setFlows) sends the registration again and the home agent follows', () => {
  const mn = new Mn({ flows: FLOWS });
  const net = new Net(mn);
  net.settle(mn.start([['eth0', COA1], ['eth1', COA2], ['eth2', COA3]]));
  mn.now = 10_000;
  net.settle(mn.send({ kind: 'operator', command: { op: 'setFlows', flows: [FLOWS[1]!] } }));
  assert.deepEqual(haFlows(net), [[2, 20, 'forward', [2], true]]);
});

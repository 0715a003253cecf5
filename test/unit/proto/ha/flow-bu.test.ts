// RFC 6089 flow options inside the home agent's BU processing (proto/ha/home-agent.ts): the
// Flow Identification options are processed after the BU's BIDs (a flow may name a BID the
// same BU registers), the BA carries their statuses beside the BID statuses, a refused BU
// changes no flow, and flows follow bindings that go away outside a BU.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HomeAgent } from '../../../../lib/proto/ha/home-agent.js';
import type { FlowIdentificationOption, FlowSubOption } from '../../../../lib/wire/flow/flow-types.js';
import type { MobilityOption } from '../../../../lib/wire/types.js';
import { bid, COA1, COA2, haConfig, HOA, makeBu, received } from '../fixtures.js';

const UDP: FlowSubOption = { kind: 'trafficSelector', selector: { format: 'ipv6', destinationPortStart: 5004, nextHeaderStart: 17 } };
const TCP: FlowSubOption = { kind: 'trafficSelector', selector: { format: 'ipv6', destinationPortStart: 443, nextHeaderStart: 6 } };
const br = (...bids: number[]): FlowSubOption => ({ kind: 'bindingReference', bids });
const fi = (fid: number, pri: number, ...subOptions: FlowSubOption[]): FlowIdentificationOption => ({ kind: 'flowIdentification', fid, fidPri: pri, status: 0, subOptions });

function flowAcks(options: readonly MobilityOption[]): [number, number][] {
  return options.filter((o): o is FlowIdentificationOption => o.kind === 'flowIdentification').map((o) => [o.fid, o.status]);
}

const flows = (ha: HomeAgent) => ha.flows.list().map((f) => `${f.fid}->${f.bids.join(',') || 'discard'}${f.active ? '' : ' (inactive)'}`);

test('a bulk BU registering BIDs 1 and 2 binds flows to them in the same BU; the BA carries BID and flow statuses', () => {
  const ha = new HomeAgent(haConfig());
  const o = ha.processBu(received(makeBu({ seq: 1, options: [bid(1, { coa: COA1 }), bid(2, { coa: COA2 }), fi(1, 10, UDP, br(1)), fi(2, 20, TCP, br(2)), fi(3, 30, UDP, br(7))] })));
  // The first binding of a home address waits for DAD; its BA is held until the result.
  const ba = o.ba ?? ha.dadResult(HOA, true).ba;
  assert.ok(ba);
  assert.equal(ba.message.status, 0);
  assert.deepEqual(ba.message.options.filter((x) => x.kind === 'bid').map((x) => (x.kind === 'bid' ? x.bid : 0)), [1, 2]);
  assert.deepEqual(flowAcks(ba.message.options), [[1, 0], [2, 0], [3, 131]]);
  assert.deepEqual(flows(ha), ['1->1', '2->2']);
  assert.deepEqual(ha.flows.takeChanged(), [HOA], 'to be journalled');
});

test('a refused BU (sequence out of window) leaves the flows as they were and its BA has no flow option', () => {
  const ha = new HomeAgent(haConfig());
  ha.processBu(received(makeBu({ seq: 10, options: [bid(1, { coa: COA1 }), fi(1, 10, UDP, br(1))] })));
  ha.dadResult(HOA, true);
  const o = ha.processBu(received(makeBu({ seq: 5, options: [bid(1, { coa: COA1 }), fi(2, 20, TCP, br(1))] })));
  assert.equal(o.ba?.message.status, 135);
  assert.deepEqual(flowAcks(o.ba!.message.options), []);
  assert.deepEqual(flows(ha), ['1->1']);
});

test('BID 1 de-registered by a BU that refreshes its flow (Flow Summary): kept inactive; BID 1 back: active', () => {
  const ha = new HomeAgent(haConfig());
  ha.processBu(received(makeBu({ seq: 1, options: [bid(1, { coa: COA1 }), bid(2, { coa: COA2 }), fi(1, 10, UDP, br(1)), fi(2, 20, TCP, br(2))] })));
  ha.dadResult(HOA, true);
  const dereg = ha.processBu(received(makeBu({ seq: 2, lifetime: 0, options: [bid(1), { kind: 'flowSummary', fids: [1, 2] }] })));
  assert.equal(dereg.ba?.message.status, 0);
  assert.deepEqual(flows(ha), ['1->1 (inactive)', '2->2']);
  ha.processBu(received(makeBu({ seq: 3, options: [bid(1, { coa: COA1 }), { kind: 'flowSummary', fids: [1, 2] }] })));
  assert.deepEqual(flows(ha), ['1->1', '2->2']);
});

test('bindings going outside a BU: expiry of one BID makes its flow inactive; operator removal of the home address drops every flow', () => {
  const ha = new HomeAgent(haConfig());
  ha.processBu(received(makeBu({ seq: 1, lifetime: 400, options: [bid(1, { coa: COA1 }), fi(1, 10, UDP, br(1)), fi(2, 20, TCP, br())] })));
  ha.dadResult(HOA, true);
  ha.processBu(received(makeBu({ seq: 2, lifetime: 100, options: [bid(2, { coa: COA2 }), { kind: 'flowSummary', fids: [1, 2] }] }), { nowMs: 0 }));
  ha.flows.takeChanged();
  // BID 2 expires first (100 s); BID 1 lives on.
  ha.expire(200_000);
  assert.deepEqual(flows(ha), ['1->1', '2->discard']);
  ha.expire(500_000);
  assert.deepEqual(flows(ha), [], 'the last binding gone: the home address has no flows');
  assert.deepEqual(ha.flows.takeChanged(), [HOA]);
  ha.processBu(received(makeBu({ seq: 3, options: [bid(1, { coa: COA1 }), fi(1, 10, UDP, br(1))] }), { nowMs: 600_000 }));
  ha.dadResult(HOA, true);
  assert.deepEqual(flows(ha), ['1->1']);
  ha.removeByOperator(HOA);
  assert.deepEqual(flows(ha), []);
});

// The home agent's flow binding list (lib/proto/ha/flow-bindings.ts), one row per rule of
// RFC 6089's home agent processing (named by the option's section, §4.1 Flow Summary, §4.2
// Flow Identification, §4.2.1.1 Binding Reference, §4.2.1.2 Traffic Selector) and RFC 6088
// §3 for the selectors. Each row: the flows held before, the BU's flow options and the BIDs
// the binding cache holds after the BU; then the BA's flow statuses and the list after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mustIp6 } from '../../../../lib/inet/ip6.js';
import { FlowBindingList, MAX_FLOWS_PER_HOME_ADDRESS, type FlowBinding } from '../../../../lib/proto/ha/flow-bindings.js';
import { FlowStatus as S, type FlowIdentificationOption, type FlowSubOption, type TrafficSelector } from '../../../../lib/wire/flow/flow-types.js';
import type { MobilityOption } from '../../../../lib/wire/types.js';
import { ip } from '../../wire/fixtures.js';

const HOA = mustIp6('2001:db8::100');
const UDP_5004: TrafficSelector = { format: 'ipv6', destinationPortStart: 5004, nextHeaderStart: 17 };
const TCP_443: TrafficSelector = { format: 'ipv6', sourcePortStart: 443, nextHeaderStart: 6 };

const ts = (selector: TrafficSelector): FlowSubOption => ({ kind: 'trafficSelector', selector });
const br = (...bids: number[]): FlowSubOption => ({ kind: 'bindingReference', bids });
const fi = (fid: number, fidPri: number, ...subOptions: FlowSubOption[]): FlowIdentificationOption => ({ kind: 'flowIdentification', fid, fidPri, status: 0, subOptions });
const fs = (...fids: number[]): MobilityOption => ({ kind: 'flowSummary', fids });

interface Row {
  name: string;
  before?: MobilityOption[];
  bu: MobilityOption[];
  bids?: number[];
  /** [fid, status] of each Flow Identification option in the BA, in order. */
  ack: [number, number][];
  /** [fid, priority, action, bids, active] after, in priority order. */
  after: [number, number, 'forward' | 'discard', number[], boolean][];
}

const ROWS: Row[] = [
  { name: '§4.2 add: new FID with a selector and a Binding Reference', bu: [fi(1, 10, ts(UDP_5004), br(1))], ack: [[1, S.SUCCESS]], after: [[1, 10, 'forward', [1], true]] },
  { name: '§4.2 add: several flows in one BU, listed by priority', bu: [fi(2, 20, ts(TCP_443), br(2)), fi(1, 10, ts(UDP_5004), br(1))], ack: [[2, 0], [1, 0]], after: [[1, 10, 'forward', [1], true], [2, 20, 'forward', [2], true]] },
  { name: '§4.2.1.1 a flow bound to several BIDs', bu: [fi(1, 10, ts(UDP_5004), br(1, 2))], ack: [[1, 0]], after: [[1, 10, 'forward', [1, 2], true]] },
  { name: '§4.2.1.1 a Binding Reference without BID: discard (this build)', bu: [fi(1, 10, ts(UDP_5004), br())], ack: [[1, 0]], after: [[1, 10, 'discard', [], true]] },
  { name: '§4.2 add without a Traffic Selector: 130 MALFORMED', bu: [fi(1, 10, br(1))], ack: [[1, S.OPTION_MALFORMED]], after: [] },
  { name: '§4.2 add without a Binding Reference: 130 MALFORMED', bu: [fi(1, 10, ts(UDP_5004))], ack: [[1, S.OPTION_MALFORMED]], after: [] },
  { name: '§4.2 two Traffic Selectors in one option: 130 MALFORMED', bu: [fi(1, 10, ts(UDP_5004), ts(TCP_443), br(1))], ack: [[1, S.OPTION_MALFORMED]], after: [] },
  { name: '§4.2 the same FID twice in a BU: the second is 130 MALFORMED', bu: [fi(1, 10, ts(UDP_5004), br(1)), fi(1, 11, ts(TCP_443), br(2))], ack: [[1, 0], [1, S.OPTION_MALFORMED]], after: [[1, 10, 'forward', [1], true]] },
  { name: '§4.2.1.1 a BID not in the binding cache: 131 BID NOT FOUND', bu: [fi(1, 10, ts(UDP_5004), br(1, 9))], ack: [[1, S.BID_NOT_FOUND]], after: [] },
  { name: '§4.2 an unknown FID without selector (a refresh or modify of nothing): 132 FID NOT FOUND', bu: [fi(7, 10)], ack: [[7, S.FID_NOT_FOUND]], after: [] },
  { name: '§4.2.1.2 an IPv4 selector (no DSMIPv6): 133 TS FORMAT NOT SUPPORTED', bu: [fi(1, 10, ts({ format: 'ipv4', protocolStart: 17 }), br(1))], ack: [[1, S.TS_FORMAT_NOT_SUPPORTED]], after: [] },
  { name: '§4.2.1.2 an unknown TS Format: 133', bu: [fi(1, 10, ts({ format: 'unknown', tsFormat: 9, data: new Uint8Array(2) }), br(1))], ack: [[1, S.TS_FORMAT_NOT_SUPPORTED]], after: [] },
  { name: 'RFC 6088 §3.2 an End without its Start: 130', bu: [fi(1, 10, ts({ format: 'ipv6', destinationPortEnd: 80 }), br(1))], ack: [[1, S.OPTION_MALFORMED]], after: [] },
  { name: 'RFC 6088 §3.2 Start above End: 130', bu: [fi(1, 10, ts({ format: 'ipv6', destinationPortStart: 90, destinationPortEnd: 80 }), br(1))], ack: [[1, S.OPTION_MALFORMED]], after: [] },
  { name: 'RFC 6088 §3.2 an address range upside down: 130', bu: [fi(1, 10, ts({ format: 'ipv6', sourceAddressStart: ip('2001:db8::9'), sourceAddressEnd: ip('2001:db8::1') }), br(1))], ack: [[1, S.OPTION_MALFORMED]], after: [] },
  { name: '§4.2 FID-PRI taken by another flow: 129', bu: [fi(1, 10, ts(UDP_5004), br(1)), fi(2, 10, ts(TCP_443), br(2))], ack: [[1, 0], [2, S.REJECTED_UNSPECIFIED]], after: [[1, 10, 'forward', [1], true]] },
  { name: '§4.2 FID-PRI of a held flow: the newcomer is refused, the held flow kept', before: [fi(1, 10, ts(UDP_5004), br(1))], bu: [fs(1), fi(2, 10, ts(TCP_443), br(2))], ack: [[2, S.REJECTED_UNSPECIFIED]], after: [[1, 10, 'forward', [1], true]] },
  { name: '§4.2 modify: a held FID with a new Binding Reference moves to that BID', before: [fi(1, 10, ts(UDP_5004), br(1))], bu: [fi(1, 10, br(2))], ack: [[1, 0]], after: [[1, 10, 'forward', [2], true]] },
  { name: '§4.2 modify: a new selector and priority, the BIDs kept', before: [fi(1, 10, ts(UDP_5004), br(1))], bu: [fi(1, 5, ts(TCP_443))], ack: [[1, 0]], after: [[1, 5, 'forward', [1], true]] },
  { name: '§4.2 modify refused (BID not found): the held flow is kept as it was', before: [fi(1, 10, ts(UDP_5004), br(1))], bu: [fi(1, 10, br(9))], ack: [[1, S.BID_NOT_FOUND]], after: [[1, 10, 'forward', [1], true]] },
  { name: '§4.2 refresh: a held FID without sub-options', before: [fi(1, 10, ts(UDP_5004), br(1))], bu: [fi(1, 10)], ack: [[1, 0]], after: [[1, 10, 'forward', [1], true]] },
  { name: '§4.1 refresh: a held FID in a Flow Summary, no FI option in the BA', before: [fi(1, 10, ts(UDP_5004), br(1)), fi(2, 20, ts(TCP_443), br(2))], bu: [fs(1, 2)], ack: [], after: [[1, 10, 'forward', [1], true], [2, 20, 'forward', [2], true]] },
  { name: '§4.1 an unknown FID in a Flow Summary: an FI option with 132', bu: [fs(5)], ack: [[5, S.FID_NOT_FOUND]], after: [] },
  { name: 'removal by omission: a held flow the BU does not name is removed', before: [fi(1, 10, ts(UDP_5004), br(1)), fi(2, 20, ts(TCP_443), br(2))], bu: [fs(2)], ack: [], after: [[2, 20, 'forward', [2], true]] },
  { name: 'removal by omission: a BU without flow options removes every flow', before: [fi(1, 10, ts(UDP_5004), br(1))], bu: [], ack: [], after: [] },
  { name: 'a refreshed flow whose BID the BU de-registered is kept inactive', before: [fi(1, 10, ts(UDP_5004), br(1))], bu: [fs(1)], bids: [2, 3], ack: [], after: [[1, 10, 'forward', [1], false]] },
  { name: 'a flow bound to two BIDs, one gone: active on the other', before: [fi(1, 10, ts(UDP_5004), br(1, 2))], bu: [fs(1)], bids: [2], ack: [], after: [[1, 10, 'forward', [1, 2], true]] },
  { name: 'unknown sub-options are skipped', bu: [fi(1, 10, { kind: 'unknownSubOption', subType: 9, data: new Uint8Array(1) }, ts(UDP_5004), br(1))], ack: [[1, 0]], after: [[1, 10, 'forward', [1], true]] },
];

function view(list: FlowBindingList): Row['after'] {
  return list.list(HOA).map((f: FlowBinding) => [f.fid, f.priority, f.action, [...f.bids], f.active]);
}

for (const row of ROWS) {
  test(`flow bindings: ${row.name}`, () => {
    const list = new FlowBindingList();
    if (row.before) {
      const r = list.processBu(HOA, row.before, new Set([1, 2, 3]));
      assert.ok(r.ackOptions.every((o) => o.status === 0), 'set-up accepted');
    }
    const r = list.processBu(HOA, row.bu, new Set(row.bids ?? [1, 2, 3]));
    assert.deepEqual(r.ackOptions.map((o) => [o.fid, o.status]), row.ack, 'BA flow statuses');
    assert.ok(r.ackOptions.every((o) => o.subOptions.length === 0), 'BA options carry no sub-options');
    for (const o of r.ackOptions) {
      // Each FI option of the BA echoes the FID and FID-PRI of an option of the BU (a Flow Summary's FID: FID-PRI 0).
      const echoed = row.bu.some((x) => (x.kind === 'flowIdentification' && x.fid === o.fid && x.fidPri === o.fidPri) || (x.kind === 'flowSummary' && x.fids.includes(o.fid) && o.fidPri === 0));
      assert.ok(echoed, `BA option for FID ${o.fid} echoes the BU`);
    }
    assert.deepEqual(view(list), row.after, 'flow binding list after');
    assert.equal(r.changed, r.changes.length > 0);
  });
}

test('flow bindings: changes name what happened (added, modified, removed by omission)', () => {
  const list = new FlowBindingList();
  const all = new Set([1, 2]);
  assert.deepEqual(list.processBu(HOA, [fi(1, 10, ts(UDP_5004), br(1)), fi(2, 20, ts(TCP_443), br(2))], all).changes.map((c) => [c.type, c.flow.fid]), [['added', 1], ['added', 2]]);
  const r = list.processBu(HOA, [fi(1, 10, br(2))], all);
  assert.deepEqual(r.changes.map((c) => [c.type, c.flow.fid, c.type === 'removed' ? c.reason : '']), [['modified', 1, ''], ['removed', 2, 'omitted']]);
  assert.equal(list.processBu(HOA, [fs(1)], all).changed, false, 'a refresh changes nothing');
});

test('flow bindings: a BID removed outside a BU makes its flows inactive, its return active again; the last binding gone removes them', () => {
  const list = new FlowBindingList();
  list.processBu(HOA, [fi(1, 10, ts(UDP_5004), br(1)), fi(2, 20, ts(TCP_443), br(2)), fi(3, 30, ts(TCP_443), br())], new Set([1, 2]));
  assert.deepEqual(list.bindingsChanged(HOA, new Set([2])).map((c) => [c.type, c.flow.fid, c.flow.active]), [['activity', 1, false]]);
  assert.deepEqual(view(list).map((f) => f[4]), [false, true, true], 'discard stays active');
  assert.deepEqual(list.bindingsChanged(HOA, new Set([1, 2])).map((c) => [c.type, c.flow.fid, c.flow.active]), [['activity', 1, true]]);
  assert.deepEqual(list.bindingsChanged(HOA, new Set()).map((c) => [c.type, c.flow.fid]), [['removed', 1], ['removed', 2], ['removed', 3]]);
  assert.equal(list.size, 0);
});

test(`flow bindings: at most ${MAX_FLOWS_PER_HOME_ADDRESS} flows per home address, the rest refused with 129`, () => {
  const list = new FlowBindingList();
  const opts = Array.from({ length: MAX_FLOWS_PER_HOME_ADDRESS + 2 }, (_, i) => fi(i + 1, i + 1, ts(UDP_5004), br(1)));
  const r = list.processBu(HOA, opts, new Set([1]));
  assert.equal(list.size, MAX_FLOWS_PER_HOME_ADDRESS);
  assert.deepEqual(r.ackOptions.filter((o) => o.status !== 0).map((o) => [o.fid, o.status]), [[MAX_FLOWS_PER_HOME_ADDRESS + 2, 129], [MAX_FLOWS_PER_HOME_ADDRESS + 1, 129]].reverse());
});

test('flow bindings: restore puts flows back with their activity from the binding cache', () => {
  const list = new FlowBindingList();
  const n = list.restore(
    [
      { hoa: HOA, fid: 1, priority: 10, action: 'forward', selector: { format: 'ipv6', destinationPortStart: 5004 }, bids: [1] },
      { hoa: HOA, fid: 2, priority: 20, action: 'forward', selector: { format: 'ipv6' }, bids: [2] },
    ],
    () => new Set([2]),
  );
  assert.equal(n, 2);
  assert.deepEqual(view(list), [[1, 10, 'forward', [1], false], [2, 20, 'forward', [2], true]]);
});

test('a home agent that cannot steer flows (per-binding data plane): every FI option answered 128 ADMINISTRATIVELY PROHIBITED, none held', () => {
  const l = new FlowBindingList();
  l.processBu(HOA, [fi(1, 10, ts(UDP_5004), br(1))], new Set([1]));
  l.prohibited = true;
  const r = l.processBu(HOA, [fi(1, 10, ts(UDP_5004), br(1)), fi(2, 20, ts(TCP_443), br(1)), fs(1)], new Set([1]));
  assert.deepEqual(r.ackOptions.map((o) => [o.fid, o.status]), [[1, S.ADMINISTRATIVELY_PROHIBITED], [2, S.ADMINISTRATIVELY_PROHIBITED], [1, S.FID_NOT_FOUND]]);
  assert.deepEqual(l.list(HOA), [], 'the held flow went with it');
});

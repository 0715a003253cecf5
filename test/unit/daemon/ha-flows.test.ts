// RFC 6089 flow bindings through the home agent daemon on the host doubles: a BU with flow
// options is answered with their statuses once the journal holds them, `show flows` lists
// them, and a home agent started on that journal (a restart) has them again.
import test, { afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { FlowView } from '../../../lib/control/flow-view.js';
import { HOME_AGENT_ROLE } from '../../../lib/daemon/ha/daemon.js';
import { mustParseIp6 } from '../../../lib/inet/ip6.js';
import { BindingStore, putRecord, seqRecord, type LoadedState, type StoreRecord } from '../../../lib/store/index.js';
import { decodeMessage, encodeMessage } from '../../../lib/wire/mh.js';
import { DRAFT04_PROFILE } from '../../../lib/wire/profiles.js';
import type { BindingAck, BindingUpdate, MobilityOption } from '../../../lib/wire/types.js';
import { COA, HA_ADDRESS, HOA, command, homeAgentYaml, serveRole, stop, stopAll, until, type FakeMhSocket } from './fake-host.js';

afterEach(stopAll);

function receiveBu(mh: FakeMhSocket, sequence: number, options: MobilityOption[]): void {
  const bu: BindingUpdate = {
    kind: 'bu', payloadProto: 59, checksum: 0, sequence, lifetimeSeconds: 400, options,
    flags: { a: true, h: true, l: false, k: false, m: false, r: false, p: false },
  };
  mh.receive({ data: encodeMessage(bu, DRAFT04_PROFILE), src: HOA, dst: HA_ADDRESS, ifindex: 2, homeAddressOption: COA });
}

function acks(mh: FakeMhSocket): BindingAck[] {
  return mh.sent.map((s) => decodeMessage(s.data, DRAFT04_PROFILE)).flatMap((d) => (d.ok && d.value.kind === 'ba' ? [d.value] : []));
}

async function loaded(dir: string): Promise<LoadedState> {
  const s = await BindingStore.open(dir);
  try {
    return s.loadAll();
  } finally {
    await s.close();
  }
}

const BID1: MobilityOption = { kind: 'bid', bid: 1, status: 0, c: true, o: false, h: false, coa: mustParseIp6(COA) };
const UDP_TO_BID1: MobilityOption = {
  kind: 'flowIdentification', fid: 7, fidPri: 10, status: 0,
  subOptions: [
    { kind: 'trafficSelector', selector: { format: 'ipv6', sourceAddressStart: mustParseIp6('2001:db8:c::'), sourceAddressEnd: mustParseIp6('2001:db8:c::ff'), destinationPortStart: 5004, nextHeaderStart: 17 } },
    { kind: 'bindingReference', bids: [1] },
  ],
};
const UNKNOWN_BID: MobilityOption = { kind: 'flowIdentification', fid: 8, fidPri: 20, status: 0, subOptions: [{ kind: 'trafficSelector', selector: { format: 'ipv6' } }, { kind: 'bindingReference', bids: [4] }] };

const WANT: FlowView[] = [
  { hoa: HOA, fid: 7, priority: 10, action: 'forward', bids: [1], active: true, selector: { sourceAddressStart: '2001:db8:c::', sourceAddressEnd: '2001:db8:c::ff', destinationPortStart: 5004, nextHeaderStart: 17 } },
];

test('home agent daemon: flow statuses in the BA, show flows, the journal, and a restart on it', async () => {
  const r = await serveRole(HOME_AGENT_ROLE, homeAgentYaml());
  const mh = r.host.mh[0]!;
  receiveBu(mh, 10, [BID1, UDP_TO_BID1, UNKNOWN_BID]);
  await until('the BA', () => acks(mh).length === 1);
  const ba = acks(mh)[0]!;
  assert.equal(ba.status, 0);
  assert.deepEqual(ba.options.flatMap((o) => (o.kind === 'flowIdentification' ? [[o.fid, o.fidPri, o.status]] : [])), [[7, 10, 0], [8, 20, 131]]);
  assert.deepEqual(await command<FlowView[]>(r, 'show-flows'), WANT);
  assert.deepEqual(await command<FlowView[]>(r, 'show-flows', { hoa: '2001:db8:1::9' }), []);

  // The BA went out after the commit: the journal holds the flow now.
  const state = await loaded(r.dir.state);
  assert.deepEqual([...state.flows.keys()], [HOA]);
  assert.deepEqual(state.flows.get(HOA)!.map((f) => f.fid), [7]);
  assert.equal(await stop(r), 0);

  // A restart: a home agent on a journal holding the same records has the flow again.
  const again = await serveRole(HOME_AGENT_ROLE, homeAgentYaml(), {
    prepare: async (_host, dir) => {
      const s = await BindingStore.open(dir.state);
      const records: StoreRecord[] = [...state.bindings.map(putRecord), ...[...state.sequences].map(([h, q]) => seqRecord(h, q))];
      for (const [hoa, flows] of state.flows) records.push({ op: 'flows', hoa, flows });
      s.append(records);
      await s.commit();
      await s.close();
    },
  });
  assert.deepEqual(await command<FlowView[]>(again, 'show-flows'), WANT);
  // A refresh that omits the flow removes it (RFC 6089 removal by omission), journalled too.
  const mh2 = again.host.mh[0]!;
  receiveBu(mh2, 11, [BID1]);
  await until('the BA', () => acks(mh2).length === 1);
  assert.deepEqual(await command<FlowView[]>(again, 'show-flows'), []);
  assert.equal((await loaded(again.dir.state)).flows.size, 0);
  assert.equal(await stop(again), 0);
});

test('home agent daemon with dataplane: per-binding: flows answered 128 ADMINISTRATIVELY PROHIBITED, none held (no flow classification there)', async () => {
  const r = await serveRole(HOME_AGENT_ROLE, homeAgentYaml().replace('  max_lifetime: 600\n', '  max_lifetime: 600\n  dataplane: per-binding\n'));
  const mh = r.host.mh[0]!;
  receiveBu(mh, 10, [BID1, UDP_TO_BID1]);
  await until('the BA', () => acks(mh).length === 1);
  const ba = acks(mh)[0]!;
  assert.equal(ba.status, 0, 'the binding itself is accepted');
  assert.deepEqual(ba.options.flatMap((o) => (o.kind === 'flowIdentification' ? [[o.fid, o.status]] : [])), [[7, 128]]);
  assert.deepEqual(await command<FlowView[]>(r, 'show-flows'), []);
  await stop(r);
});

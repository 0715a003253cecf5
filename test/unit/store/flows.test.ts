// RFC 6089 flow lists in the journal (store/flow-records.ts): a `flows` record replaces a
// home address's list, lives only while the home address has bindings, survives a reopen and
// a compaction, and a record that does not check out is corruption.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mustIp6, mustParseIp6 } from '../../../lib/inet/ip6.js';
import { BindingStore, checkRecord, delRecord, putRecord, seqRecord } from '../../../lib/store/index.js';
import { flowFromStored, flowsRecord, storedFromFlow, type StoredFlow } from '../../../lib/store/flow-records.js';
import type { FlowBinding } from '../../../lib/proto/ha/flow-bindings.js';
import { hoaOf, stored, tempDir } from './fixtures.js';

const HOA = hoaOf(0);
const FLOW: FlowBinding = {
  hoa: HOA, fid: 7, priority: 10, action: 'forward', bids: [1, 2], active: true,
  selector: { format: 'ipv6', sourceAddressStart: mustParseIp6('2001:db8:c::'), destinationPortStart: 5004, destinationPortEnd: 5010, flowLabelStart: 0xfffff, nextHeaderStart: 17 },
};

async function withStore(fn: (dir: string) => Promise<void>): Promise<void> {
  const t = tempDir();
  try {
    await fn(t.dir);
  } finally {
    t.cleanup();
  }
}

test('flow record: stored form round-trips to the core\'s flow (addresses as text)', () => {
  const s = storedFromFlow(FLOW);
  assert.deepEqual(s.selector, { sourceAddressStart: '2001:db8:c::', destinationPortStart: 5004, destinationPortEnd: 5010, flowLabelStart: 0xfffff, nextHeaderStart: 17 });
  const { active: _active, ...rest } = FLOW;
  assert.deepEqual(flowFromStored(HOA, JSON.parse(JSON.stringify(s)) as StoredFlow), rest);
  assert.deepEqual(checkRecord(JSON.parse(JSON.stringify(flowsRecord(HOA, [FLOW])))), { ok: true, record: JSON.parse(JSON.stringify(flowsRecord(HOA, [FLOW]))) });
});

const BAD: [string, Record<string, unknown>][] = [
  ['address not canonical', { hoa: '2001:DB8:1::1', flows: [] }],
  ['no list', { hoa: HOA }],
  ['fid out of range', { hoa: HOA, flows: [{ ...storedFromFlow(FLOW), fid: 70000 }] }],
  ['action unknown', { hoa: HOA, flows: [{ ...storedFromFlow(FLOW), action: 'mirror' }] }],
  ['BID 0', { hoa: HOA, flows: [{ ...storedFromFlow(FLOW), bids: [0] }] }],
  ['selector field unknown', { hoa: HOA, flows: [{ ...storedFromFlow(FLOW), selector: { port: 1 } }] }],
  ['selector flow label above 20 bits', { hoa: HOA, flows: [{ ...storedFromFlow(FLOW), selector: { flowLabelStart: 0x100000 } }] }],
  ['selector address not text', { hoa: HOA, flows: [{ ...storedFromFlow(FLOW), selector: { sourceAddressStart: 5 } }] }],
];
for (const [name, body] of BAD) {
  test(`flow record refused: ${name}`, () => {
    const r = checkRecord({ op: 'flows', ...body });
    assert.equal(r.ok, false);
  });
}

test('journal: flows survive a reopen and a compaction; a later record replaces the list; the last binding gone takes them', () =>
  withStore(async (dir) => {
    const s = await BindingStore.open(dir, { compactAfterRecords: 10 });
    s.append([putRecord(stored(0)), seqRecord(HOA, 1), flowsRecord(HOA, [FLOW])]);
    // Records without bindings for their home address keep nothing.
    s.append([flowsRecord(mustIp6('2001:db8:9::1'), [{ ...FLOW, hoa: mustIp6('2001:db8:9::1') }])]);
    for (let i = 1; i < 30; i++) s.append([putRecord(stored(i)), seqRecord(hoaOf(i), 1)]);
    await s.commit();
    assert.deepEqual([...s.loadAll().flows.keys()], [HOA]);
    await s.close();
    assert.ok(s.stats.compactions >= 1, 'compacted at least once');

    const r = await BindingStore.open(dir);
    assert.deepEqual(r.loadAll().flows.get(HOA), [storedFromFlow(FLOW)]);
    r.append([flowsRecord(HOA, [{ ...FLOW, fid: 8 }])]);
    await r.commit();
    assert.deepEqual(r.loadAll().flows.get(HOA)!.map((f) => f.fid), [8]);
    r.append([delRecord(HOA, 1)]);
    await r.commit();
    assert.equal(r.loadAll().flows.has(HOA), false);
    await r.close();
  }));

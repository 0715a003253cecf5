// `mcoactl show flows` as a table and `mcoactl decode` lines for RFC 6089 options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flowsTable } from '../../../lib/cli/commands/flows-render.js';
import { describeMessage, renderMessage } from '../../../lib/cli/decode/describe.js';
import { encodeMessage } from '../../../lib/wire/mh.js';
import { DRAFT04_PROFILE as P } from '../../../lib/wire/profiles.js';
import { mustIp6 } from '../../../lib/inet/ip6.js';
import { ba, bu } from '../wire/fixtures.js';
import { SAMPLE_FLOWS } from '../wire/flow-arb.js';

test('show flows: one row per flow by home address then priority; discard and inactive said so', () => {
  const hoa = mustIp6('2001:db8:1::a2a2');
  const lines = flowsTable([
    { hoa, fid: 2, priority: 20, action: 'discard', bids: [], active: true, selector: { nextHeaderStart: 6 } },
    { hoa, fid: 1, priority: 10, action: 'forward', bids: [1, 2], active: false, selector: { sourceAddressStart: '2001:db8:c::', sourceAddressEnd: '2001:db8:c::ff', destinationPortStart: 5004 } },
  ]);
  assert.deepEqual(lines.map((l) => l.replace(/\s+/g, ' ').trim()), [
    'HOME ADDRESS FID PRI TO STATE SELECTOR',
    '2001:db8:1::a2a2 1 10 BID 1,2 inactive ipv6 src 2001:db8:c::-2001:db8:c::ff dport 5004',
    '2001:db8:1::a2a2 2 20 discard active ipv6 nexthdr 6',
  ]);
  assert.deepEqual(flowsTable([]), ['no flow bindings']);
});

test('decode: flow options as lines, statuses named', () => {
  const msg = bu([SAMPLE_FLOWS[0]!, { kind: 'flowSummary', fids: [4, 5] }]);
  const lines = renderMessage(describeMessage(msg, encodeMessage(msg, P), P)).join('\n').split('\n').map((l) => l.replace(/\s+/g, ' ').trim());
  assert.ok(lines.includes('flow FID 1 FID-PRI 10 status 0'), lines.join('\n'));
  assert.ok(lines.includes('traffic selector ipv6 dport 5004 nexthdr 17'));
  assert.ok(lines.includes('binding reference BIDs 1'));
  assert.ok(lines.includes('flow summary FIDs 4 5'));
  const ack = ba([{ kind: 'flowIdentification', fid: 1, fidPri: 10, status: 131, subOptions: [] }]);
  const ackLines = renderMessage(describeMessage(ack, encodeMessage(ack, P), P)).map((l) => l.replace(/\s+/g, ' ').trim());
  assert.ok(ackLines.includes('flow FID 1 FID-PRI 10 status 131 (BID NOT FOUND)'), ackLines.join('\n'));
});

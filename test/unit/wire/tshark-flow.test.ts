// Capture cross-check of RFC 6089's options. Wireshark 4.0 (Debian 12's tshark) names
// mobility options 44 (Flow Summary) and 45 (Flow Identification) but has no dissector for
// their contents: no field for FID, FID-PRI, status, sub-options or RFC 6088 selectors
// (`tshark -G fields` lists none), it adds the note "IE data not dissected yet" to each, and
// the Length it shows for them is not the option's Length octet (15 or 20 whatever the
// option holds), so it cannot be compared. tshark is compared where it can be: the option
// types in order (`mip6.mobility_opt`: it walked every option by its real length and
// found the next), no malformed mark, and no expert note but the undissected one per flow
// option. The contents are compared with `mcoactl decode --pcap`, field by field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { DRAFT04_PROFILE as P } from '../../../lib/wire/profiles.js';
import { encodeMessage } from '../../../lib/wire/mh.js';
import { writeMhChecksum } from '../../../lib/wire/checksum.js';
import { buildIp6Packet, homeAddressHeader } from '../../../lib/wire/ip6-packet.js';
import { LINKTYPE_RAW, writePcap } from '../../../lib/cli/decode/pcap.js';
import { main } from '../../../lib/cli/main.js';
import { describeFlowOption } from '../../../lib/cli/decode/describe-flow.js';
import { IPPROTO_MH, type BindingUpdate, type MobilityOption } from '../../../lib/wire/types.js';
import type { FlowIdentificationOption, FlowSummaryOption } from '../../../lib/wire/flow/flow-types.js';
import { bid, bu, ip } from './fixtures.js';
import { flowIdArb, flowSummaryArb, SAMPLE_FLOWS } from './flow-arb.js';
import { tsharkAvailable, tsharkFields } from './tshark-run.js';

const HA = ip('2001:db8::1');
const HOA = ip('2001:db8::100');
const COA = ip('2001:db8:1::2');

function packetFor(msg: BindingUpdate): Uint8Array {
  const mh = encodeMessage(msg, P);
  writeMhChecksum(mh, HOA, HA);
  return buildIp6Packet({ src: COA, dst: HA, headers: [homeAddressHeader(HOA)], nextHeader: IPPROTO_MH, payload: mh });
}

/** Types of the flow options (44, 45; the only ones tshark puts in `mip6.mobility_opt`), walked over the encoded octets. */
function optionTypes(msg: BindingUpdate): string[] {
  const wire = encodeMessage(msg, P);
  const types: string[] = [];
  for (let p = 12; p < wire.length; ) {
    const t = wire[p]!;
    if (t === 0) {
      p += 1;
      continue;
    }
    if (t === 44 || t === 45) types.push(String(t));
    p += 2 + wire[p + 1]!;
  }
  return types;
}

test('RFC 6089 options: tshark walks every option (types in order, nothing malformed); mcoactl decode --pcap reads back every field', async (t) => {
  if (!tsharkAvailable(t)) return;
  const flows = fc.array(fc.oneof(flowIdArb, flowSummaryArb), { minLength: 1, maxLength: 3 });
  const messages: BindingUpdate[] = fc.sample(flows, { numRuns: 40, seed: 6089 }).map((o) => bu(o));
  messages.push(bu([bid(1, '2001:db8:a::1'), bid(2, '2001:db8:b::1'), ...SAMPLE_FLOWS, { kind: 'flowSummary', fids: [4, 5] }]));
  const dir = mkdtempSync(join(tmpdir(), 'mcoa-tshark-6089-'));
  try {
    const file = join(dir, 'rfc6089.pcap');
    writeFileSync(file, writePcap(LINKTYPE_RAW, messages.map(packetFor)));
    const rows = tsharkFields(file, ['mip6.mobility_opt', '_ws.malformed', '_ws.expert.message']);
    assert.equal(rows.length, messages.length, 'one tshark row per frame');
    const out: string[] = [];
    const code = await main(['decode', '--json', '--pcap', file], { out: (l) => out.push(l), err: (l) => out.push(l) });
    assert.equal(code, 0, out.join('\n'));
    assert.equal(out.length, messages.length, 'one mcoactl line per frame');
    messages.forEach((m, i) => {
      const row = rows[i]!;
      const types = optionTypes(m);
      assert.deepEqual(row.get('mip6.mobility_opt'), types, `frame ${i + 1}: option types`);
      assert.deepEqual(row.get('_ws.malformed'), [], `frame ${i + 1}: tshark finds it malformed`);
      const undissected = types.map(() => 'IE data not dissected yet');
      assert.deepEqual(row.get('_ws.expert.message'), undissected, `frame ${i + 1}: tshark's notes`);
      const decoded = JSON.parse(out[i]!) as { message: { options: { kind: string }[] } };
      const flowsSent = m.options.filter(isFlow).map((o) => describeFlowOption(o));
      const flowsRead = decoded.message.options.filter((o) => o.kind === 'flowIdentification' || o.kind === 'flowSummary');
      assert.deepEqual(flowsRead, JSON.parse(JSON.stringify(flowsSent)), `frame ${i + 1}: mcoactl decode`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function isFlow(o: MobilityOption): o is FlowIdentificationOption | FlowSummaryOption {
  return o.kind === 'flowIdentification' || o.kind === 'flowSummary';
}

// Every behaviour rule in which draft-04 and RFC 5648 differ, as one row run against both
// profiles: the row names the section of each document and what each profile's core does
// (home agent and correspondent cores; the mobile node's side is the codec's, in
// test/unit/wire/rfc5648.test.ts). Rows marked `same` are rules both documents share that
// the issue asked to see under RFC 5648 too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BaStatus, type BidOption, type MobilityOption } from '../../../lib/wire/types.js';
import { DRAFT04_PROFILE, RFC5648_PROFILE } from '../../../lib/wire/profiles.js';
import type { WireProfile } from '../../../lib/wire/profile.js';
import { HomeAgent } from '../../../lib/proto/ha/home-agent.js';
import { altCoa, bid, cacheLines, COA1, COA2, COA3, haConfig, HOA, makeBu, received, type BuSpec, type PacketSpec } from './fixtures.js';
import { newCn, sealedBu, type CnBuSpec } from './cn-fixtures.js';
import { mustParseIp6 } from '../../../lib/inet/ip6.js';
import { decodeMessage, encodeMessage } from '../../../lib/wire/mh.js';

interface Outcome {
  status: number;
  bids?: [number, number][];
  cache?: string[];
}
interface HaRow {
  name: string;
  before?: BuSpec[];
  step: BuSpec;
  packet?: PacketSpec;
  draft04: Outcome;
  rfc5648: Outcome | 'same';
}

const B = (n: number, coa = [COA1, COA2, COA3][n - 1]!) => `${HOA} ${coa} BID${n}`;
const REG = `${HOA} ${COA1} BID0`;
const ipv4Bid = (id: number): BidOption => ({ kind: 'bid', bid: id, status: 0, c: false, o: false, h: false, coa4: Uint8Array.of(192, 0, 2, 7) });
const three: BuSpec = { seq: 1, options: [bid(1, { coa: COA1 }), bid(2, { coa: COA2 }), bid(3, { coa: COA3 })] };

const haRows: HaRow[] = [
  {
    name: 'bulk registration partly refused: draft-04 §6.3 overall success / RFC 5648 §4.4, §6.2 MCOA NOTCOMPLETE (4)',
    step: { seq: 1, options: [bid(1, { coa: COA1 }), bid(2, { coa: 'ff02::1' })] },
    draft04: { status: 0, bids: [[1, 0], [2, 164]], cache: [B(1)] },
    rfc5648: { status: 4, bids: [[1, 0], [2, 164]], cache: [B(1)] },
  },
  {
    name: 'care-of address not routable, from the packet: draft-04 §6.3 (RFC 6275 §9.5.1) 128 / RFC 5648 §6.2 MCOA MALFORMED',
    step: { seq: 1, options: [bid(1), altCoa('ff02::1')] },
    draft04: { status: 128, cache: [] },
    rfc5648: { status: 164, cache: [] },
  },
  {
    name: 'care-of address not routable, in the option: draft-04 §6.3 MCOA INCOMPLIANT / RFC 5648 §6.2 MCOA MALFORMED (both 164)',
    step: { seq: 1, options: [bid(1, { coa: 'fe80::1' })] },
    draft04: { status: 164, cache: [] },
    rfc5648: 'same',
  },
  {
    name: 'regular binding exists, BID registration without O: draft-04 §6.3 replaced + MCOA BID CONFLICT / RFC 5648 §6.2 not processed, MCOA NON-MCOA BINDING EXISTS',
    before: [{ seq: 1 }],
    step: { seq: 2, options: [bid(1, { coa: COA2 })] },
    draft04: { status: 165, cache: [B(1, COA2)] },
    rfc5648: { status: 165, bids: [[1, 0]], cache: [REG] },
  },
  {
    name: 'regular binding exists, BID registration with O: draft-04 §6.3 / RFC 5648 §6.2 all bindings replaced (same)',
    before: [{ seq: 1 }],
    step: { seq: 2, options: [bid(1, { coa: COA2, o: true })] },
    draft04: { status: 0, cache: [B(1, COA2)] },
    rfc5648: 'same',
  },
  {
    name: 'flags differ between the options of one BU: draft-04 §6.3 MCOA FLAG CONFLICTS / RFC 5648 §4.3, §5.6.2 H is per binding, accepted',
    before: [three],
    step: { seq: 2, options: [bid(1, { coa: COA1 }), bid(2, { h: true })] },
    draft04: { status: 170, cache: [B(1), B(2), B(3)] },
    rfc5648: { status: 0, cache: [B(1), `${HOA} ${HOA} BID2 (home)`, B(3)] },
  },
  {
    name: 'IPv4 care-of address (DSMIPv6 not supported): draft-04 §4.2.1 cannot carry one, MCOA INCOMPLIANT / RFC 5648 §4.3, §4.4 MCOA UNKNOWN COA (167)',
    step: { seq: 1, options: [ipv4Bid(1)] },
    draft04: { status: 164, cache: [] },
    rfc5648: { status: 167, bids: [[1, 0]], cache: [] },
  },
  {
    name: 'IPv4 care-of address in a bulk registration: RFC 5648 §6.2 refused in its option only, MCOA NOTCOMPLETE',
    step: { seq: 1, options: [bid(1, { coa: COA1 }), ipv4Bid(2)] },
    draft04: { status: 164, cache: [] },
    rfc5648: { status: 4, bids: [[1, 0], [2, 167]], cache: [B(1)] },
  },
  {
    name: 'de-registration of an unknown BID: draft-04 §6.3 / RFC 5648 §6.2 rejected, 133 (same)',
    before: [three],
    step: { seq: 2, lifetime: 0, options: [bid(9)] },
    draft04: { status: BaStatus.NOT_HOME_AGENT_FOR_THIS_MN, cache: [B(1), B(2), B(3)] },
    rfc5648: 'same',
  },
  {
    name: 'bulk de-registration with one unknown BID: draft-04 §6.3 success, 133 in its option / RFC 5648 §6.2 MCOA NOTCOMPLETE, 133 in its option',
    before: [three],
    step: { seq: 2, lifetime: 0, options: [bid(1), bid(9)] },
    draft04: { status: 0, bids: [[1, 0], [9, 133]], cache: [B(2), B(3)] },
    rfc5648: { status: 4, bids: [[1, 0], [9, 133]], cache: [B(2), B(3)] },
  },
];

function runHa(profile: WireProfile, row: HaRow, want: Outcome): void {
  const ha = new HomeAgent(haConfig({ profile }));
  let now = 0;
  for (const b of row.before ?? []) {
    const o = ha.processBu(received(makeBu(b), { nowMs: now }));
    if (o.dad) ha.dadResult(o.dad.hoa, true);
    now += 1000;
  }
  const o = ha.processBu(received(makeBu(row.step), { nowMs: now, ...row.packet }));
  const ba = o.baDeferred && o.dad ? ha.dadResult(o.dad.hoa, true).ba : o.ba;
  assert.ok(ba, 'a BA is sent');
  assert.equal(ba.message.status, want.status, `${profile.name}: BA status`);
  if (want.bids) {
    const bids = ba.message.options.flatMap((x) => (x.kind === 'bid' ? [[x.bid, x.status] as [number, number]] : []));
    assert.deepEqual(bids, want.bids, `${profile.name}: BID options in the BA`);
  }
  if (want.cache) assert.deepEqual(cacheLines(ha.cache), [...want.cache].sort(), `${profile.name}: binding cache`);
}

for (const row of haRows) {
  test(`home agent: ${row.name}`, () => {
    runHa(DRAFT04_PROFILE, row, row.draft04);
    runHa(RFC5648_PROFILE, row, row.rfc5648 === 'same' ? row.draft04 : row.rfc5648);
  });
}

interface CnRow {
  name: string;
  before?: CnBuSpec[];
  step: CnBuSpec;
  /** 'cannot-carry': draft-04's layout has no encoding for the option. */
  draft04: Outcome | 'cannot-carry';
  rfc5648: Outcome | 'same';
}

const cnBid = (id: number, coa?: string): MobilityOption => bid(id, coa === undefined ? {} : { coa });
const CN_B = (n: number) => `${HOA} ${COA1} BID${n}`;

const cnRows: CnRow[] = [
  {
    name: 'care-of address inside the option: draft-04 §4.2.1 C valid towards a home agent only, MCOA INCOMPLIANT / RFC 5648 §4.3 an IPv6 care-of address is allowed',
    step: { seq: 1, options: [cnBid(1, COA1)] },
    draft04: { status: 164, cache: [] },
    rfc5648: { status: 0, cache: [CN_B(1)] },
  },
  {
    name: 'care-of address inside the option differs from the tested one: RFC 5648 §4.3 MCOA MALFORMED',
    step: { seq: 1, options: [cnBid(1, COA2)] },
    draft04: { status: 164, cache: [] },
    rfc5648: 'same',
  },
  {
    name: 'bulk registration at a correspondent: draft-04 §6.3 BULK REGISTRATION NOT SUPPORTED / RFC 5648 §6.2 MCOA BULK REGISTRATION PROHIBITED (both 168)',
    step: { seq: 1, options: [cnBid(1), cnBid(2)] },
    draft04: { status: 168, cache: [] },
    rfc5648: 'same',
  },
  {
    name: 'regular binding exists: draft-04 §6.3 replaced + MCOA BID CONFLICT / RFC 5648 §6.2 not processed, MCOA NON-MCOA BINDING EXISTS',
    before: [{ seq: 1 }],
    step: { seq: 2, options: [cnBid(1)] },
    draft04: { status: 165, cache: [CN_B(1)] },
    rfc5648: { status: 165, cache: [`${HOA} ${COA1} BID0`] },
  },
  {
    name: 'IPv4 care-of address at a correspondent: draft-04 §4.2.1 no such field / RFC 5648 §4.3 only IPv6 for route optimisation, MCOA MALFORMED',
    step: { seq: 1, options: [ipv4Bid(1)] },
    draft04: 'cannot-carry',
    rfc5648: { status: 164, cache: [] },
  },
];

function runCn(profile: WireProfile, row: CnRow, want: Outcome | 'cannot-carry'): void {
  const cn = newCn({ profile });
  let now = 0;
  for (const b of row.before ?? []) {
    cn.processBu(sealedBu(cn, { nowMs: now, profile, ...b }));
    now += 1000;
  }
  if (want === 'cannot-carry') {
    assert.throws(() => sealedBu(cn, { nowMs: now, profile, ...row.step }), /draft-04 cannot carry/);
    return;
  }
  const o = cn.processBu(sealedBu(cn, { nowMs: now, profile, ...row.step }));
  assert.ok(o.ba, 'a BA is sent');
  assert.equal(o.ba.message.status, want.status, `${profile.name}: BA status`);
  if (want.cache) assert.deepEqual(cacheLines(cn.cache), [...want.cache].sort(), `${profile.name}: binding cache`);
}

for (const row of cnRows) {
  test(`correspondent: ${row.name}`, () => {
    runCn(DRAFT04_PROFILE, row, row.draft04);
    const rfc = row.rfc5648 === 'same' ? row.draft04 : row.rfc5648;
    assert.notEqual(rfc, 'cannot-carry', 'a row the draft cannot carry states what RFC 5648 does');
    runCn(RFC5648_PROFILE, row, rfc);
  });
}

test('the IPv4 care-of address of the rows is 192.0.2.7 (RFC 5737 documentation range)', () => {
  assert.deepEqual([...ipv4Bid(1).coa4!], [192, 0, 2, 7]);
  assert.equal(mustParseIp6(COA1).length, 16);
});

test('home agent: a Binding Identifier option of length 8 is MCOA MALFORMED under draft-04 (§4.2.1 lengths 4/20) and a decoded IPv4 care-of address under RFC 5648 (§4.3); length 5 is 164 under both', () => {
  const withIpv4 = encodeMessage(makeBu({ seq: 3, options: [ipv4Bid(1)] }), RFC5648_PROFILE);
  const length5 = Uint8Array.from(encodeMessage(makeBu({ seq: 4, options: [bid(1)] }), RFC5648_PROFILE));
  length5[13] = 5; // Type at 12, Length at 13: 5 octets, which neither document allows
  for (const [profile, wire, want] of [
    [DRAFT04_PROFILE, withIpv4, 164],
    [RFC5648_PROFILE, withIpv4, 167],
    [DRAFT04_PROFILE, length5, 164],
    [RFC5648_PROFILE, length5, 164],
  ] as const) {
    const ha = new HomeAgent(haConfig({ profile }));
    const d = decodeMessage(wire, profile);
    const o = d.ok
      ? ha.processBu(received(d.value as ReturnType<typeof makeBu>))
      : ha.processDecodeError({ ...received(makeBu({ seq: 0 })), error: d.error });
    assert.equal(o.ba?.message.status, want, `${profile.name}, ${wire.length} octets`);
  }
});

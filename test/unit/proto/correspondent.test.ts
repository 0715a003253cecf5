// Correspondent node: return routability answers (§6.2) and BU processing without bulk
// registration (§6.3), each BU built, encoded and authenticated the way a mobile node would.
import { ip6 } from '../../ip6.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mustParseIp6 } from '../../../lib/inet/ip6.js';
import { decodeMessage, encodeMessage } from '../../../lib/wire/mh.js';
import { DRAFT04_PROFILE } from '../../../lib/wire/profiles.js';
import { BaStatus, IPPROTO_NONE, type BidOption, type MobilityOption } from '../../../lib/wire/types.js';
import type { CorrespondentConfig } from '../../../lib/proto/common/core-config.js';
import type { CorrespondentNode, ReceivedCnBu } from '../../../lib/proto/cn/correspondent.js';
import { bindingManagementKey, sealBindingAuthorization, verifyBindingAuthorization } from '../../../lib/proto/common/rr-crypto.js';
import { altCoa, bid, cacheLines, CN, COA1, COA2, HOA, makeBu, ST } from './fixtures.js';
import { cookie, newCn, returnRoutability, sealedBu, type CnBuSpec } from './cn-fixtures.js';

const bidsOf = (opts: readonly MobilityOption[]) => opts.filter((o): o is BidOption => o.kind === 'bid').map((o) => [o.bid, o.status, o.c, o.o, o.h]);

interface Row {
  name: string;
  config?: Partial<CorrespondentConfig>;
  before?: CnBuSpec[];
  step: CnBuSpec | ((cn: CorrespondentNode) => ReceivedCnBu);
  expect: { status?: number; ba?: null | { status?: number; sequence?: number; lifetime?: number; bids?: unknown[] }; cache?: string[]; refusal?: string };
}

const rows: Row[] = [
  { name: '§3 CN: BU with one BID sub-option registers that binding', step: { seq: 1, options: [bid(1)] }, expect: { status: 0, cache: [`${HOA} ${COA1} BID1`], ba: { status: 0, bids: [[1, 0, false, false, false]] } } },
  { name: '§6.3 CN: several BID sub-options -> MCOA BULK REGISTRATION NOT SUPPORTED', step: { seq: 1, options: [bid(1), bid(2)] }, expect: { status: ST.bulkNotSupported, cache: [], ba: { status: ST.bulkNotSupported, bids: [[1, 0, false, false, false], [2, 0, false, false, false]] } } },
  { name: '§4.2.1 CN: C flag is home-agent only -> MCOA INCOMPLIANT', step: { seq: 1, options: [bid(1, { coa: COA1 })] }, expect: { status: ST.incompliant, cache: [] } },
  { name: '§4.2.1 CN: O flag is home-agent only -> MCOA INCOMPLIANT', step: { seq: 1, options: [bid(1, { o: true })] }, expect: { status: ST.incompliant } },
  { name: '§4.2.1 CN: H flag is home-agent only -> MCOA INCOMPLIANT', step: { seq: 1, options: [bid(1, { h: true })] }, expect: { status: ST.incompliant } },
  { name: '§4.3 CN configured without MCoA -> MCOA PROHIBITED', config: { mcoaAllowed: false }, step: { seq: 1, options: [bid(1)] }, expect: { status: ST.prohibited } },
  { name: '§6.3 CN: regular binding replaced by a BID binding, status in the BA field, sub-option 0', before: [{ seq: 1 }], step: { seq: 2, options: [bid(1)] }, expect: { status: ST.bidConflict, cache: [`${HOA} ${COA1} BID1`], ba: { status: ST.bidConflict, bids: [[1, 0, false, false, false]] } } },
  { name: '§6.3 CN: BU without BID replaces all BID bindings', before: [{ seq: 1, options: [bid(1)] }, { seq: 2, options: [bid(2)], coa: COA2 }], step: { seq: 3 }, expect: { status: 0, cache: [`${HOA} ${COA1} BID0`] } },
  { name: '§6.3 CN: lifetime 0 with a BID deletes that binding only', before: [{ seq: 1, options: [bid(1)] }, { seq: 2, options: [bid(2)], coa: COA2 }], step: { seq: 3, lifetime: 0, options: [bid(1)] }, expect: { status: 0, cache: [`${HOA} ${COA2} BID2`] } },
  { name: '§6.3 CN: lifetime 0 with an unknown BID is rejected', before: [{ seq: 1, options: [bid(1)] }], step: { seq: 2, lifetime: 0, options: [bid(5)] }, expect: { status: BaStatus.REASON_UNSPECIFIED, cache: [`${HOA} ${COA1} BID1`] } },
  { name: 'RFC 6275 §9.5.3 CN: regular de-registration deletes every binding', before: [{ seq: 1, options: [bid(1)] }, { seq: 2, options: [bid(2)], coa: COA2 }], step: { seq: 3, lifetime: 0 }, expect: { status: 0, cache: [] } },
  {
    name: 'RFC 6275 §9.5.1 CN: Alternate Care-of Address is the bound (and authenticated) address',
    // The care-of keygen token comes from a CoTI sent from the alternate address.
    step: (cn) => sealedBu(cn, { seq: 1, options: [bid(1), altCoa(COA2)], coa: COA1, rr: returnRoutability(cn, COA2, 0) }),
    expect: { status: 0, cache: [`${HOA} ${COA2} BID1`] },
  },
  {
    name: 'RFC 6275 §9.5.1 CN: Alternate Care-of Address without its own care-of token -> dropped',
    step: { seq: 1, options: [bid(1), altCoa(COA2)], coa: COA1 },
    expect: { ba: null, refusal: 'authenticator-mismatch' },
  },
  { name: 'RFC 6275 §5.2.6 CN: lifetime capped at MAX_RR_BINDING_LIFETIME (420 s)', config: { maxLifetimeSeconds: 100000 }, step: { seq: 1, lifetime: 4000 }, expect: { ba: { lifetime: 420 } } },
  { name: 'RFC 6275 §9.5.1 CN: sequence not newer -> 135 even with A clear', before: [{ seq: 10 }], step: { seq: 9, a: false }, expect: { status: 135, ba: { sequence: 10 } } },
  { name: 'RFC 6275 §9.5.4 CN: accepted with A clear -> no BA', step: { seq: 1, a: false, options: [bid(1)] }, expect: { status: 0, ba: null, cache: [`${HOA} ${COA1} BID1`] } },
  { name: 'RFC 6275 §10.3.1 CN: home registration -> 131', step: { seq: 1, h: true }, expect: { status: BaStatus.HOME_REGISTRATION_NOT_SUPPORTED, ba: { status: 131 } } },
  { name: 'RFC 6275 §9.5.1 CN: no Nonce Indices option -> silently dropped', step: { seq: 1, omit: 'nonceIndices' }, expect: { ba: null, refusal: 'nonce-indices-missing' } },
  { name: 'RFC 6275 §9.5.1 CN: no Binding Authorization Data -> silently dropped', step: { seq: 1, omit: 'bindingAuthData' }, expect: { ba: null, refusal: 'authorization-data-missing' } },
  {
    name: '§3 CN: the authenticator covers the BID sub-option (BID changed after sealing -> dropped)',
    step: { seq: 1, options: [bid(1)], tamper: (mh) => void (mh[mh.indexOf(35, 12) + 3] = 2) },
    expect: { ba: null, refusal: 'authenticator-mismatch', cache: [] },
  },
  {
    name: 'RFC 6275 §9.5.1 CN: expired home nonce index -> 136',
    step: (cn) => {
      const old = returnRoutability(cn, COA1, 0);
      const fresh = returnRoutability(cn, COA1, 230_000);
      return sealedBu(cn, { seq: 1, nowMs: 250_000, rr: { hot: old.hot, cot: fresh.cot } });
    },
    expect: { status: 136, ba: { status: 136 } },
  },
  {
    name: 'RFC 6275 §9.5.1 CN: expired care-of nonce index -> 137',
    step: (cn) => {
      const old = returnRoutability(cn, COA1, 0);
      const fresh = returnRoutability(cn, COA1, 230_000);
      return sealedBu(cn, { seq: 1, nowMs: 250_000, rr: { hot: fresh.hot, cot: old.cot } });
    },
    expect: { status: 137 },
  },
  { name: 'RFC 6275 §9.5.1 CN: both nonce indices expired -> 138', step: (cn) => sealedBu(cn, { seq: 1, nowMs: 241_000, rr: returnRoutability(cn, COA1, 0) }), expect: { status: 138, cache: [] } },
  {
    name: 'RFC 6275 §9.5.1 CN: de-registration ignores the care-of nonce (Kbm from the home token)',
    before: [{ seq: 1, options: [bid(1)] }],
    step: (cn) => {
      const old = returnRoutability(cn, COA1, 0);
      const fresh = returnRoutability(cn, COA1, 230_000);
      return sealedBu(cn, { seq: 2, lifetime: 0, options: [bid(1)], nowMs: 250_000, rr: { hot: fresh.hot, cot: old.cot } });
    },
    expect: { status: 0, cache: [] },
  },
];

for (const row of rows) {
  test(row.name, () => {
    const cn = newCn(row.config);
    for (const s of row.before ?? []) assert.equal(cn.processBu(sealedBu(cn, s)).status < 128, true);
    const input = typeof row.step === 'function' ? row.step(cn) : sealedBu(cn, row.step);
    const o = cn.processBu(input);
    const e = row.expect;
    if (e.status !== undefined) assert.equal(o.status, e.status);
    if (e.refusal !== undefined) assert.equal(o.refusal?.reason, e.refusal);
    else assert.equal(o.refusal, null);
    if (e.cache) assert.deepEqual(cacheLines(cn.cache), e.cache);
    if (e.ba === null) assert.equal(o.ba, null);
    else if (e.ba) {
      assert.ok(o.ba);
      const m = o.ba.message;
      if (e.ba.status !== undefined) assert.equal(m.status, e.ba.status);
      if (e.ba.sequence !== undefined) assert.equal(m.sequence, e.ba.sequence);
      if (e.ba.lifetime !== undefined) assert.equal(m.lifetimeSeconds, e.ba.lifetime);
      if (e.ba.bids) assert.deepEqual(bidsOf(m.options), e.ba.bids);
    }
  });
}

test('RFC 6275 §6.1.8 CN: the BA is authenticated with Kbm over its own encoding', () => {
  const cn = newCn();
  const rr = returnRoutability(cn, COA1, 0);
  const o = cn.processBu(sealedBu(cn, { seq: 1, options: [bid(4)], rr }));
  assert.ok(o.ba?.authorization);
  const raw = Uint8Array.from(encodeMessage(o.ba.message, DRAFT04_PROFILE));
  const { kbm, coa, correspondent } = o.ba.authorization;
  assert.ok(sealBindingAuthorization(raw, kbm, coa, correspondent));
  const mnKbm = bindingManagementKey(rr.hot.keygenToken, rr.cot.keygenToken);
  assert.ok(verifyBindingAuthorization(raw, mnKbm, mustParseIp6(COA1), mustParseIp6(CN)), 'the mobile node can verify it');
});

test('§6.2 CoTI with a BID sub-option -> CoT with the sub-option copied (CoA omitted), status 0', () => {
  const cn = newCn();
  const { cot, hot } = returnRoutability(cn, COA1, 0, [bid(3)]);
  assert.deepEqual(bidsOf(cot.options), [[3, 0, false, false, false]]);
  assert.notDeepEqual(cot.keygenToken, new Uint8Array(8));
  assert.deepEqual(cot.cookie, cookie);
  assert.equal(hot.nonceIndex, cot.nonceIndex, 'same current nonce');
});

test('§6.2 CoTI sub-option with C or O -> no token (zeros), MCOA INCOMPLIANT in the sub-option', () => {
  const cn = newCn();
  for (const sub of [bid(3, { coa: COA2 }), bid(3, { o: true })]) {
    const { cot } = returnRoutability(cn, COA1, 0, [sub]);
    assert.deepEqual(cot.keygenToken, new Uint8Array(8));
    assert.equal(bidsOf(cot.options)[0]?.[1], ST.incompliant);
    assert.ok(bidsOf(cot.options).every((b) => b[2] === false), 'care-of address omitted');
  }
});

test('§6.2 CN without MCoA ignores the sub-option: CoT without it, token computed', () => {
  const cn = newCn({ mcoaAllowed: false });
  const { cot } = returnRoutability(cn, COA1, 0, [bid(3)]);
  assert.deepEqual(cot.options, []);
  assert.notDeepEqual(cot.keygenToken, new Uint8Array(8));
});

test('RFC 6275 §9.4.2 HoT: to the home address, cookie copied, token of the current nonce', () => {
  const cn = newCn();
  const hot = cn.processHoti({ message: { kind: 'hoti', payloadProto: IPPROTO_NONE, checksum: 0, cookie, options: [] }, src: ip6(HOA), dst: ip6(CN), nowMs: 5 });
  assert.equal(hot.dst, HOA);
  assert.equal(hot.src, CN);
  assert.deepEqual(hot.message.cookie, cookie);
  assert.ok(cn.nonces.lookup(hot.message.nonceIndex, 5));
});

test('§6.3 CN: undecodable BID sub-option -> MCOA INCOMPLIANT when A is set', () => {
  const cn = newCn();
  const bytes = Uint8Array.from(encodeMessage(makeBu({ seq: 4, h: false, options: [bid(1)] }), DRAFT04_PROFILE));
  bytes[bytes.indexOf(35, 12) + 5] = 0x80;
  const d = decodeMessage(bytes, DRAFT04_PROFILE);
  assert.ok(!d.ok);
  const o = cn.processDecodeError({ error: d.error, hoa: ip6(HOA), careOfSource: ip6(COA1), dst: ip6(CN), ipsecProtected: false, nowMs: 0 });
  assert.equal(o.ba?.message.status, ST.incompliant);
  assert.equal(o.ba?.message.sequence, 4);
});

test('CN expiry and nonce regeneration limits', () => {
  const cn = newCn();
  cn.processBu(sealedBu(cn, { seq: 1, lifetime: 40 }));
  assert.equal(cn.nextExpiryMs(), 40_000);
  assert.equal(cn.expire(40_000).events.length, 1);
  assert.throws(() => newCn({ nonceRegenerateSeconds: 31 }), /nonceRegenerateSeconds/);
});

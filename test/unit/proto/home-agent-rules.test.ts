// One row per rule of draft-04 §6.3 and the base protocol checks a home agent applies
// (RFC 6275 §9.5.1, §10.3.1-2, RFC 3963 §6.2). Each row replays `before` (completing DAD),
// processes `step`, and checks what the row names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BaStatus } from '../../../lib/wire/types.js';
import { HomeAgent } from '../../../lib/proto/ha/home-agent.js';
import type { HomeAgentConfig } from '../../../lib/proto/common/core-config.js';
import { altCoa, bid, cacheLines, COA1, COA2, COA3, HA, haConfig, HOA, makeBu, mnp, received, ST, type BuSpec, type PacketSpec } from './fixtures.js';
import { homeAgentDesired } from '../../../lib/plan/ha/desired.js';

interface Step {
  bu: BuSpec;
  packet?: PacketSpec;
}
interface Expect {
  status?: number;
  /** null: no BA at all. */
  ba?: null | { status?: number; sequence?: number; lifetime?: number; bids?: [number, number][]; k?: boolean; r?: boolean; dst?: string };
  cache?: string[];
  dad?: boolean;
  refusal?: string;
  reasons?: string[];
  prefixes?: string[];
  proxy?: boolean;
}
interface Row {
  name: string;
  config?: Partial<HomeAgentConfig>;
  before?: Step[];
  step: Step;
  expect: Expect;
}

const B = (n: number, coa = [COA1, COA2, COA3][n - 1]!) => `${HOA} ${coa} BID${n}`;
const REG = (coa = COA1) => `${HOA} ${coa} BID0`;
const three: Step = { bu: { seq: 1, options: [bid(1, { coa: COA1 }), bid(2, { coa: COA2 }), bid(3, { coa: COA3 })] } };

const rows: Row[] = [
  { name: 'RFC 6275 §10.3.1 first BU of a home address: accepted after DAD', step: { bu: { seq: 5 } }, expect: { status: 0, dad: true, cache: [REG()], ba: { status: 0, sequence: 5, lifetime: 400 } } },
  { name: '§6.3 first bullet: no DAD when the home address already has a binding', before: [{ bu: { seq: 1, options: [bid(1)] } }], step: { bu: { seq: 2, options: [bid(2)] }, packet: { src: COA2 } }, expect: { dad: false, cache: [B(1), B(2)] } },
  { name: '§6.3 no BID sub-option: existing BID bindings all replaced by one regular binding', before: [three], step: { bu: { seq: 2 }, packet: { src: COA2 } }, expect: { status: 0, cache: [REG(COA2)], reasons: ['replaced-by-regular', 'replaced-by-regular', 'replaced-by-regular'] } },
  { name: '§6.3 no BID sub-option, lifetime 0: every binding deleted', before: [three], step: { bu: { seq: 2, lifetime: 0 } }, expect: { status: 0, cache: [], ba: { status: 0, lifetime: 0 } } },
  { name: 'RFC 6275 §10.3.2 de-registration with no binding -> 133', step: { bu: { seq: 2, lifetime: 0 } }, expect: { status: BaStatus.NOT_HOME_AGENT_FOR_THIS_MN, cache: [] } },
  { name: '§6.3 C flag without care-of address -> MCOA INCOMPLIANT', step: { bu: { seq: 1, options: [{ kind: 'bid', bid: 1, status: 0, c: true, o: false, h: false }] } }, expect: { status: ST.incompliant, cache: [], ba: { status: ST.incompliant, bids: [[1, 0]] } } },
  { name: '§4.2.1 BID 0 is reserved -> MCOA INCOMPLIANT', step: { bu: { seq: 1, options: [bid(0)] } }, expect: { status: ST.incompliant, cache: [] } },
  { name: '§6.3 one BID twice in a BU -> MCOA INCOMPLIANT', step: { bu: { seq: 1, options: [bid(1, { coa: COA1 }), bid(1, { coa: COA2 })] } }, expect: { status: ST.incompliant, cache: [] } },
  { name: '§6.3 several sub-options: bulk registration at the home agent', step: three, expect: { status: 0, dad: true, cache: [B(1), B(2), B(3)], ba: { status: 0, bids: [[1, 0], [2, 0], [3, 0]] } } },
  { name: '§6.3 bulk registration disabled -> MCOA BULK REGISTRATION NOT SUPPORTED', config: { bulkAllowed: false }, step: three, expect: { status: ST.bulkNotSupported, cache: [] } },
  { name: '§6.3 flags differ between sub-options -> MCOA FLAG CONFLICTS', step: { bu: { seq: 1, options: [bid(1, { coa: COA1, o: true }), bid(2, { coa: COA2 })] } }, expect: { status: ST.flagConflicts, cache: [] } },
  { name: '§6.3 lifetime 0 deletes the binding with the matching BID only', before: [three], step: { bu: { seq: 2, lifetime: 0, options: [bid(2)] } }, expect: { status: 0, cache: [B(1), B(3)], reasons: ['deregistered'], ba: { lifetime: 0 } } },
  { name: '§6.3 lifetime 0 with an unknown BID -> rejected, 133', before: [three], step: { bu: { seq: 2, lifetime: 0, options: [bid(9)] } }, expect: { status: BaStatus.NOT_HOME_AGENT_FOR_THIS_MN, cache: [B(1), B(2), B(3)] } },
  { name: '§6.3 bulk de-registration, one BID unknown: 133 in that sub-option only', before: [three], step: { bu: { seq: 2, lifetime: 0, options: [bid(1), bid(9)] } }, expect: { status: 0, cache: [B(2), B(3)], ba: { status: 0, bids: [[1, 0], [9, 133]] } } },
  { name: '§6.3 O flag ignored on de-registration', before: [three], step: { bu: { seq: 2, lifetime: 0, options: [bid(3, { o: true })] } }, expect: { status: 0, cache: [B(1), B(2)] } },
  { name: '§6.3 H flag: home address stored as care-of address, proxy ND stops', before: [three], step: { bu: { seq: 2, lifetime: 0, options: [bid(1, { h: true })] } }, expect: { status: 0, cache: [`${HOA} ${HOA} BID1 (home)`, B(2), B(3)], proxy: false, ba: { lifetime: 3600 } } },
  { name: '§6.3 care-of address from the C sub-option', step: { bu: { seq: 1, options: [bid(1, { coa: COA2 })] }, packet: { src: COA1 } }, expect: { cache: [B(1, COA2)] } },
  { name: '§6.3 C clear: care-of address from the Alternate Care-of Address option', step: { bu: { seq: 1, options: [bid(1), altCoa(COA3)] } }, expect: { cache: [B(1, COA3)] } },
  { name: '§6.3 C clear, no alternate: care-of address from the packet source', step: { bu: { seq: 1, options: [bid(1)] }, packet: { src: COA2 } }, expect: { cache: [B(1, COA2)] } },
  { name: '§6.3 C set: the sub-option address wins over an Alternate Care-of Address', step: { bu: { seq: 1, options: [bid(1, { coa: COA2 }), altCoa(COA3)] } }, expect: { cache: [B(1, COA2)] } },
  { name: '§6.3 O flag: the BU bindings replace all others', before: [three], step: { bu: { seq: 2, options: [bid(2, { coa: COA2, o: true }), bid(4, { coa: COA3, o: true })] } }, expect: { status: 0, cache: [B(2), B(4, COA3)], reasons: ['overwritten', 'overwritten'] } },
  { name: '§6.3 regular binding exists: replaced, BA says MCOA BID CONFLICT', before: [{ bu: { seq: 1 } }], step: { bu: { seq: 2, options: [bid(1, { coa: COA2 })] } }, expect: { status: ST.bidConflict, cache: [B(1, COA2)], reasons: ['bid-conflict'], ba: { status: ST.bidConflict, bids: [[1, 0]], lifetime: 400 } } },
  { name: '§6.3 existing BID: binding updated, 0', before: [three], step: { bu: { seq: 2, options: [bid(2, { coa: '2001:db8:d::4' })] } }, expect: { status: 0, cache: [B(1), B(2, '2001:db8:d::4'), B(3)] } },
  { name: '§6.3 new BID: added beside the others, 0', before: [three], step: { bu: { seq: 2, options: [bid(4, { coa: '2001:db8:d::4' })] } }, expect: { status: 0, cache: [B(1), B(2), B(3), B(4, '2001:db8:d::4')] } },
  { name: 'RFC 6275 §9.5.1 care-of address = home address with a BID: de-registers that BID', before: [three], step: { bu: { seq: 2, options: [bid(3, { coa: HOA })] } }, expect: { status: 0, cache: [B(1), B(2)] } },
  { name: 'RFC 6275 §9.5.1 sequence not newer -> 135 carrying the last accepted', before: [{ bu: { seq: 15 } }], step: { bu: { seq: 14, a: false } }, expect: { status: 135, ba: { status: 135, sequence: 15 } } },
  { name: 'RFC 6275 §9.5.1 sequence 32783 after 15 is old (modulo 2^16) -> 135', before: [{ bu: { seq: 15 } }], step: { bu: { seq: 32783 } }, expect: { status: 135, ba: { sequence: 15 } } },
  { name: 'RFC 6275 §9.5.1 sequence wraps: 2 is newer than 65535', before: [{ bu: { seq: 65535 } }], step: { bu: { seq: 2 } }, expect: { status: 0 } },
  { name: '§5.4 bulk registration: one sequence number covers all its bindings', before: [three], step: { bu: { seq: 1, options: [bid(2, { coa: COA2 })] } }, expect: { status: 135, ba: { sequence: 1 } } },
  { name: 'RFC 6275 §9.5.1 home registration exists, BU without H -> 139', before: [{ bu: { seq: 1 } }], step: { bu: { seq: 2, h: false } }, expect: { status: BaStatus.REGISTRATION_TYPE_CHANGE_DISALLOWED, cache: [REG()] } },
  { name: 'RFC 3963 §6.2 mobile router flag differs from the binding -> 139', config: { authorisation: { default: { allowed: true, mobileRouter: true, mobileNetworkPrefixes: ['2001:db8:99::/48'] }, homeAddresses: {} } }, before: [{ bu: { seq: 1 } }], step: { bu: { seq: 2, r: true } }, expect: { status: 139 } },
  { name: 'RFC 6275 §10.3.1 BU without H at a home agent -> 131', step: { bu: { seq: 1, h: false } }, expect: { status: BaStatus.HOME_REGISTRATION_NOT_SUPPORTED, cache: [] } },
  { name: 'RFC 6275 §10.3.1 home address outside the served prefixes -> 132', step: { bu: { seq: 1 }, packet: { hoa: '2001:db8:2::5' } }, expect: { status: BaStatus.NOT_HOME_SUBNET, cache: [] } },
  { name: 'RFC 6275 §10.3.1 home address not authorised -> 129', config: { authorisation: { default: { allowed: false }, homeAddresses: {} } }, step: { bu: { seq: 1 } }, expect: { status: BaStatus.ADMINISTRATIVELY_PROHIBITED, cache: [] } },
  { name: 'RFC 6275 §10.3.1 authorisation per home address overrides the default', config: { authorisation: { default: { allowed: false }, homeAddresses: { [HOA]: { allowed: true } } } }, step: { bu: { seq: 1 } }, expect: { status: 0 } },
  { name: '§4.3 multiple care-of registration disabled -> MCOA PROHIBITED', config: { mcoaAllowed: false }, step: { bu: { seq: 1, options: [bid(1)] } }, expect: { status: ST.prohibited, cache: [] } },
  { name: '§4.3 MCoA prohibited for this home address -> MCOA PROHIBITED; regular BU still fine', config: { authorisation: { default: { allowed: true }, homeAddresses: { [HOA]: { allowed: true, mcoa: false } } } }, before: [{ bu: { seq: 1 } }], step: { bu: { seq: 2, options: [bid(1)] } }, expect: { status: ST.prohibited, cache: [REG()] } },
  { name: 'RFC 6275 §10.3.1 lifetime capped at the configured maximum (whole 4 s units)', config: { maxLifetimeSeconds: 302 }, step: { bu: { seq: 1, lifetime: 4000 } }, expect: { ba: { lifetime: 300 } } },
  { name: 'RFC 3963 §6.2 R flag without permission -> 140', config: { authorisation: { default: { allowed: true }, homeAddresses: {} } }, step: { bu: { seq: 1, r: true } }, expect: { status: BaStatus.MR_OPERATION_NOT_PERMITTED, cache: [], ba: { r: true } } },
  { name: 'RFC 3963 §6.2 invalid mobile network prefix -> 141', config: { authorisation: { default: { allowed: true, mobileRouter: true, mobileNetworkPrefixes: ['2001:db8:99::/48'] }, homeAddresses: {} } }, step: { bu: { seq: 1, r: true, options: [mnp('fe80::', 64)] } }, expect: { status: BaStatus.INVALID_PREFIX } },
  { name: 'RFC 3963 §6.2 prefix not authorised -> 142', config: { authorisation: { default: { allowed: true, mobileRouter: true, mobileNetworkPrefixes: ['2001:db8:99::/48'] }, homeAddresses: {} } }, step: { bu: { seq: 1, r: true, options: [mnp('2001:db8:98::', 64)] } }, expect: { status: BaStatus.NOT_AUTHORIZED_FOR_PREFIX } },
  { name: 'RFC 3963 §6.2 explicit prefixes stored with the binding', config: { authorisation: { default: { allowed: true, mobileRouter: true, mobileNetworkPrefixes: ['2001:db8:99::/48'] }, homeAddresses: {} } }, step: { bu: { seq: 1, r: true, options: [bid(1, { coa: COA1 }), mnp('2001:db8:99:1::', 64)] } }, expect: { status: 0, prefixes: ['2001:db8:99:1::/64'], ba: { r: true } } },
  { name: 'RFC 3963 §6.2 implicit mode uses the configured prefixes', config: { authorisation: { default: { allowed: true, mobileRouter: true, mobileNetworkPrefixes: ['2001:db8:99::/48'] }, homeAddresses: {} } }, step: { bu: { seq: 1, r: true } }, expect: { status: 0, prefixes: ['2001:db8:99::/48'] } },
  { name: 'RFC 6275 §5.1 IPsec required and the BU unprotected -> silently dropped', step: { bu: { seq: 1 }, packet: { ipsec: false } }, expect: { ba: null, refusal: 'ipsec-required', cache: [] } },
  { name: 'RFC 6275 §5.1 unprotected BU accepted when IPsec is not required', config: { ipsecRequired: false }, step: { bu: { seq: 1 }, packet: { ipsec: false } }, expect: { status: 0 } },
  { name: 'RFC 6275 §10.3.1 the home agent returns a BA whatever the A bit', step: { bu: { seq: 1, a: false } }, expect: { ba: { status: 0, sequence: 1 } } },
  { name: 'RFC 6275 §10.3.1 rejection also answered with A clear (132)', step: { bu: { seq: 1, a: false }, packet: { hoa: '2001:db8:2::5' } }, expect: { ba: { status: 132 } } },
  { name: 'RFC 6275 §10.3.1 K bit set only if asked and key management can follow', config: { keyManagementMobility: true }, step: { bu: { seq: 1, k: true } }, expect: { ba: { k: true } } },
  { name: 'RFC 6275 §10.3.1 K bit clear when key management cannot follow', step: { bu: { seq: 1, k: true } }, expect: { ba: { k: false } } },
  { name: '§6.3 BA copies every BID sub-option, care-of address omitted', step: { bu: { seq: 1, options: [bid(7, { coa: COA1 }), bid(8, { coa: COA2 })] } }, expect: { ba: { bids: [[7, 0], [8, 0]] } } },
  { name: '§6.3 C-flag care-of address not unicast routable -> MCOA INCOMPLIANT in its sub-option', step: { bu: { seq: 1, options: [bid(1, { coa: COA1 }), bid(2, { coa: 'ff02::1' })] } }, expect: { status: 0, cache: [B(1)], ba: { status: 0, bids: [[1, 0], [2, ST.incompliant]] } } },
];

for (const row of rows) {
  test(row.name, () => {
    const ha = new HomeAgent(haConfig(row.config));
    let now = 0;
    for (const s of row.before ?? []) {
      const o = ha.processBu(received(makeBu(s.bu), { nowMs: now, ...s.packet }));
      if (o.dad) ha.dadResult(o.dad.hoa, true);
      now += 1000;
    }
    const o = ha.processBu(received(makeBu(row.step.bu), { nowMs: now, ...row.step.packet }));
    const e = row.expect;
    let ba = o.ba;
    if (o.baDeferred) {
      assert.ok(o.dad, 'a BA is held only while DAD runs');
      ba = ha.dadResult(o.dad.hoa, true).ba;
    }
    if (e.status !== undefined) assert.equal(o.status, e.status, 'overall status');
    if (e.dad !== undefined) assert.equal(o.dad !== null, e.dad, 'DAD requested');
    if (e.refusal !== undefined) assert.equal(o.refusal?.reason, e.refusal);
    else assert.equal(o.refusal, null);
    if (e.ba === null) assert.equal(ba, null);
    else if (e.ba) {
      assert.ok(ba, 'a BA is sent');
      const m = ba.message;
      if (e.ba.status !== undefined) assert.equal(m.status, e.ba.status, 'BA status');
      if (e.ba.sequence !== undefined) assert.equal(m.sequence, e.ba.sequence, 'BA sequence');
      if (e.ba.lifetime !== undefined) assert.equal(m.lifetimeSeconds, e.ba.lifetime, 'BA lifetime');
      if (e.ba.k !== undefined) assert.equal(m.flags.k, e.ba.k, 'BA K');
      if (e.ba.r !== undefined) assert.equal(m.flags.r, e.ba.r, 'BA R');
      if (e.ba.bids) {
        const bids = m.options.flatMap((x) => (x.kind === 'bid' ? [[x.bid, x.status] as [number, number]] : []));
        assert.deepEqual(bids, e.ba.bids, 'BID sub-options in the BA');
        for (const x of m.options) if (x.kind === 'bid') assert.ok(!x.c && x.coa === undefined, 'CoA omitted');
      }
      assert.equal(ba.src, HA);
    }
    if (e.cache) assert.deepEqual(cacheLines(ha.cache), [...e.cache].sort());
    if (e.reasons) assert.deepEqual(o.events.filter((x) => x.type === 'removed').map((x) => x.reason), e.reasons);
    if (e.prefixes) assert.deepEqual([...(ha.cache.lookup(HOA)?.mobileNetworkPrefixes ?? [])], e.prefixes);
    if (e.proxy !== undefined) assert.equal(homeAgentDesired(ha).proxies.has(`eth0|${HOA}`), e.proxy);
  });
}

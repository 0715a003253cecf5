// The mobile node's ESP objects (lib/plan/mn/signalling-ipsec.ts): the mirror image of the home agent's, one row
// per rule (RFC 3776 §4-5, RFC 4877 §4), checked against what the home agent derives from
// the matching configuration, so the two ends agree on SPIs, addresses, keys and reqids.
import { ip6 } from '../../../ip6.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HoaIpsecSas } from '../../../../lib/config/daemon-config.js';
import { POLICY_PRIORITY_OFFSET, signallingIpsecXfrm } from '../../../../lib/plan/ha/signalling-ipsec.js';
import { routingHeaderXfrm } from '../../../../lib/plan/mn/xfrm.js';
import { MN_POLICY_PRIORITY_OFFSET, mobileNodeIpsecXfrm, mobilePrefixSolicitHaoState } from '../../../../lib/plan/mn/signalling-ipsec.js';
import { mobileNodeXfrm } from '../../../../lib/plan/mn/xfrm.js';
import { RO_REQID_OFFSET } from '../../../../lib/plan/common/ro-xfrm.js';
import { DEFAULT_XFRM_BANDS, policyKey, stateKey } from '../../../../lib/reconcile/drivers/xfrm.js';

const HOA = ip6('2001:db8:aa::100');
const HA = ip6('2001:db8:aa::1');
const AEAD = { name: 'rfc4106(gcm(aes))', key: new Uint8Array(20).fill(7), icvBits: 128 };
/** The mobile node's view: spiOut carries its BUs, spiIn the BAs. */
const MN: HoaIpsecSas = { spiIn: 0x1002, spiOut: 0x1001, aead: AEAD };
/** The home agent's for the same home address: the SPIs swap. */
const HA_SIDE: HoaIpsecSas = { spiIn: 0x1001, spiOut: 0x1002, aead: AEAD };
const BANDS = DEFAULT_XFRM_BANDS;

const x = mobileNodeIpsecXfrm(MN, HOA, HA, BANDS);
const [buState, baState] = x.states;
const [buPolicy, baPolicy, mpaPolicy, mpsPolicy] = x.policies;
const COA = ip6('2001:db8:f1::2');
const R = BANDS.reqidBase + 1;

const ROWS: [string, () => void][] = [
  ['RFC 3776 §4.1: BU out (MH type 5, any source to HA/128) requires ESP in transport mode', () => {
    assert.deepEqual(buPolicy, {
      selector: { src: '::', srcLen: 0, dst: HA, dstLen: 128, proto: 135, mhType: 5 },
      dir: 'out',
      priority: BANDS.priorityBase + POLICY_PRIORITY_OFFSET.ipsec,
      templates: [{ proto: 50, mode: 0, reqid: R }],
    });
  }],
  ['RFC 3776 §4.1: BA in (MH type 6, HA/128 to HOA/128) requires ESP, then an optional route2 template', () => {
    assert.deepEqual(baPolicy, {
      selector: { src: HA, srcLen: 128, dst: HOA, dstLen: 128, proto: 135, mhType: 6 },
      dir: 'in',
      priority: BANDS.priorityBase + POLICY_PRIORITY_OFFSET.ipsec,
      templates: [{ proto: 50, mode: 0, reqid: R }, { proto: 43, mode: 2, optional: true }],
    });
  }],
  ['RFC 6275 §5.4 / RFC 4877 §4.1: a Mobile Prefix Advertisement in (ICMPv6 147, HA/128 to HOA/128) requires ESP under the BA\'s SA', () => {
    assert.deepEqual(mpaPolicy, {
      selector: { src: HA, srcLen: 128, dst: HOA, dstLen: 128, proto: 58, sport: 147, sportMask: 0xffff },
      dir: 'in',
      priority: BANDS.priorityBase + POLICY_PRIORITY_OFFSET.ipsec,
      templates: [{ proto: 50, mode: 0, reqid: R }],
    });
  }],
  ['RFC 6275 §11.4.2 / RFC 4877 §4.1: a Mobile Prefix Solicitation out (ICMPv6 146, HOA/128 to HA/128) requires ESP under the BU\'s SA, then the Home Address option', () => {
    assert.deepEqual(mpsPolicy, {
      selector: { src: HOA, srcLen: 128, dst: HA, dstLen: 128, proto: 58, sport: 146, sportMask: 0xffff },
      dir: 'out',
      priority: BANDS.priorityBase + POLICY_PRIORITY_OFFSET.ipsec,
      templates: [{ proto: 50, mode: 0, reqid: R }, { proto: 60, mode: 2, reqid: BANDS.reqidBase + RO_REQID_OFFSET }],
    });
  }],
  ['§11.4.2: the Home Address option state of the solicitation: HOA -> HA from the care-of address, the template\'s reqid', () => {
    assert.deepEqual(mobilePrefixSolicitHaoState(HOA, HA, COA, BANDS), { src: HOA, dst: HA, proto: 60, spi: 0, mode: 2, reqid: BANDS.reqidBase + RO_REQID_OFFSET, coaddr: COA });
    const parts = { bands: BANDS, homeAddress: HOA, homeAgent: HA, sas: MN };
    assert.equal(mobileNodeXfrm({ ...parts, solicitFrom: COA }).states.filter((s) => s.proto === 60).length, 1);
    assert.equal(mobileNodeXfrm(parts).states.filter((s) => s.proto === 60).length, 0, 'no care-of address yet: no state, so a solicitation cannot leave (in clear or at all)');
    assert.equal(mobileNodeXfrm({ bands: BANDS, homeAddress: HOA, homeAgent: HA, solicitFrom: COA }).states.filter((s) => s.proto === 60).length, 0, 'without SAs: none');
  }],
  ['BU SA: wildcard source (BUs leave from whichever care-of address), dst HA, spi_out', () => {
    assert.deepEqual(buState, { proto: 50, mode: 0, reqid: R, aead: AEAD, src: '::', dst: HA, spi: 0x1001 });
  }],
  ['BA SA: HA -> HOA (the routing header is processed first), spi_in', () => {
    assert.deepEqual(baState, { proto: 50, mode: 0, reqid: R, aead: AEAD, src: HA, dst: HOA, spi: 0x1002 });
  }],
  ['reqid: the same rule as the home agent (first after the route2 state\'s, or the pinned one)', () => {
    assert.equal(R, signallingIpsecXfrm({ [HOA]: HA_SIDE }, HA, BANDS).states[0]!.reqid);
    const pinned = mobileNodeIpsecXfrm({ ...MN, reqid: BANDS.reqidBase + 0x42 }, HOA, HA, BANDS);
    assert.deepEqual([...pinned.states, ...pinned.policies.map((p) => p.templates[0]!)].map((o) => o.reqid), Array(6).fill(BANDS.reqidBase + 0x42));
  }],
  ['the two ends agree: each SA the mobile node sends with is one the home agent receives with (dst, spi, key)', () => {
    const ha = signallingIpsecXfrm({ [HOA]: HA_SIDE }, HA, BANDS);
    const wire = (s: { dst: string; spi: number; aead?: unknown; reqid: number }) => JSON.stringify([s.dst, s.spi, s.aead, s.reqid]);
    assert.deepEqual(x.states.map(wire).sort(), ha.states.map(wire).sort());
    // The mobile node's directions are the home agent's reversed.
    const d = (p: (typeof x.policies)[number]) => `${p.dir} ${p.selector.mhType ?? `icmp ${p.selector.sport}`}`;
    assert.deepEqual(x.policies.map(d), ['out 5', 'in 6', 'in icmp 147', 'out icmp 146']);
    // The home agent's fifth: the solicitation as Linux 6.1 classifies it (plan/ha/signalling-ipsec.ts).
    assert.deepEqual(ha.policies.map(d), ['in 5', 'out 6', 'out icmp 147', 'in icmp 146', 'in icmp 58']);
    assert.deepEqual(x.policies[2]!.selector, ha.policies[2]!.selector, 'the advertisement: the same selector at both ends');
    assert.deepEqual(x.policies[3]!.selector, ha.policies[3]!.selector, 'the solicitation: the same selector at both ends');
  }],
  ['the ESP BA policy takes precedence over the wildcard route2 policy (lower number), both in our band', () => {
    const rh = routingHeaderXfrm(BANDS).policies[0]!;
    assert.equal(rh.priority, BANDS.priorityBase + MN_POLICY_PRIORITY_OFFSET.routingHeader);
    assert.ok(baPolicy!.priority < rh.priority);
    for (const p of [...x.policies, rh]) assert.ok(p.priority >= BANDS.priorityBase && p.priority < BANDS.priorityBase + BANDS.priorityCount);
    for (const s of [...x.states, ...routingHeaderXfrm(BANDS).states]) assert.ok(s.reqid >= BANDS.reqidBase && s.reqid < BANDS.reqidBase + BANDS.reqidCount);
  }],
  ['keys: the objects are distinct from each other and from the route2 objects', () => {
    const rh = routingHeaderXfrm(BANDS);
    assert.equal(new Set([...x.states, ...rh.states].map(stateKey)).size, 3);
    assert.equal(new Set([...x.policies, ...rh.policies].map(policyKey)).size, 5);
  }],
  ['other bands: priorities and reqids move with them', () => {
    const bands = { priorityBase: 1000, priorityCount: 256, reqidBase: 500, reqidCount: 100 };
    const y = mobileNodeIpsecXfrm(MN, HOA, HA, bands);
    assert.deepEqual(y.policies.map((p) => p.priority), Array(4).fill(1000 + MN_POLICY_PRIORITY_OFFSET.ipsec));
    assert.deepEqual(y.states.map((s) => s.reqid), [501, 501]);
  }],
];

for (const [name, check] of ROWS) test(name, check);

// The home agent's configured XFRM objects (lib/plan/ha/xfrm.ts): the wildcard Home Address
// option objects (RFC 6275 §9.5.1 needs the BU's home address after the kernel swapped it in)
// and the signalling ESP objects after them; one row per rule.
import { ip6 } from '../../../ip6.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HoaIpsecSas } from '../../../../lib/config/daemon-config.js';
import { homeAddressOptionXfrm, homeAgentConfiguredXfrm } from '../../../../lib/plan/ha/xfrm.js';
import { POLICY_PRIORITY_OFFSET, signallingIpsecXfrm } from '../../../../lib/plan/ha/signalling-ipsec.js';
import { DEFAULT_XFRM_BANDS as BANDS, policyKey, stateKey } from '../../../../lib/plan/common/xfrm-objects.js';

const HA = ip6('2001:db8:1::1');
const H1 = ip6('2001:db8:1::a');
const H2 = ip6('2001:db8:1::b');
const aead = { name: 'rfc4106(gcm(aes))', key: new Uint8Array(20).fill(3), icvBits: 128 };
const SAS: Record<string, HoaIpsecSas> = { [H1]: { spiIn: 0x100, spiOut: 0x101, aead } };
const DSTOPTS = 60;

const ROWS: [string, () => void][] = [
  ['§9.5.1: one wildcard hao state (any source and destination, wildrecv) at the band\'s base reqid', () => {
    assert.deepEqual(homeAddressOptionXfrm(BANDS).states, [
      { src: '::', dst: '::', proto: DSTOPTS, spi: 0, mode: 2, reqid: BANDS.reqidBase, flags: 8, selector: { src: '::', srcLen: 0, dst: '::', dstLen: 0, proto: 0 }, coaddr: '::' },
    ]);
  }],
  ['§9.5.1: one inbound policy for every Mobility Header message, hao optional (a BU at home has none)', () => {
    assert.deepEqual(homeAddressOptionXfrm(BANDS).policies, [{
      selector: { src: '::', srcLen: 0, dst: '::', dstLen: 0, proto: 135 },
      dir: 'in',
      priority: BANDS.priorityBase + POLICY_PRIORITY_OFFSET.homeAddressOption,
      templates: [{ proto: DSTOPTS, mode: 2, optional: true }],
    }]);
  }],
  ['no SAs configured: the Home Address option objects alone, nothing proves ESP', () => {
    const x = homeAgentConfiguredXfrm({ bands: BANDS, ha: HA, sas: {} });
    assert.deepEqual({ states: x.states, policies: x.policies }, homeAddressOptionXfrm(BANDS));
    assert.equal(x.inbound.size, 0);
  }],
  ['RFC 3776 §5: with SAs, the signalling ESP objects follow, and each home address\'s BU policy proves ESP', () => {
    const x = homeAgentConfiguredXfrm({ bands: BANDS, ha: HA, sas: SAS });
    const esp = signallingIpsecXfrm(SAS, HA, BANDS);
    assert.deepEqual(x.states, [...homeAddressOptionXfrm(BANDS).states, ...esp.states]);
    assert.deepEqual(x.policies, [...homeAddressOptionXfrm(BANDS).policies, ...esp.policies]);
    assert.deepEqual([...x.inbound.keys()], [H1]);
    assert.equal(x.inbound.get(H1)?.state?.spi, 0x100);
  }],
  ['RFC 4877 §4: SAs from an IKE daemon: the policies (with its reqid) but no SA of ours', () => {
    const x = homeAgentConfiguredXfrm({ bands: BANDS, ha: HA, sas: SAS, ike: { [H2]: { reqid: 77 } } });
    assert.equal(x.inbound.get(H2)?.state, undefined);
    assert.equal(x.inbound.get(H2)?.policy.templates[0]?.reqid, 77);
    assert.ok(!x.states.some((s) => s.dst === H2 || s.src === H2));
  }],
  ['every object once (distinct kernel identities), all inside our bands', () => {
    const x = homeAgentConfiguredXfrm({ bands: BANDS, ha: HA, sas: SAS, ike: { [H2]: { reqid: 77 } } });
    assert.equal(new Set(x.states.map(stateKey)).size, x.states.length);
    assert.equal(new Set(x.policies.map(policyKey)).size, x.policies.length);
    for (const p of x.policies) assert.ok(p.priority >= BANDS.priorityBase && p.priority < BANDS.priorityBase + BANDS.priorityCount);
    // The ESP policies take precedence over the wildcard one (lower number wins).
    const hao = homeAddressOptionXfrm(BANDS).policies[0]!;
    for (const p of x.policies.filter((q) => q !== x.policies[0])) assert.ok(p.priority < hao.priority);
  }],
];

for (const [name, check] of ROWS) test(name, check);

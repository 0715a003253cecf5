// Binding Updates and Acknowledgements protected by ESP in transport mode (RFC 3776/4877),
// with the SAs and policies mcoad installs from its configuration: a protected BU registers
// and its BA returns over ESP; a BU without ESP is dropped by the kernel (the binding stays
// as it was, and `mcoactl show stats` shows the kernel's counter); a home address without
// SAs is still refused while ipsec.required is on.
import { ip6 } from '../ip6.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DRAFT04_PROFILE } from '../../lib/wire/profiles.js';
import { encodeMessage } from '../../lib/wire/mh.js';
import { DEFAULT_XFRM_BANDS } from '../../lib/reconcile/drivers/xfrm.js';
import {
  COA, HA, HOA, KERNEL_TEST_TIMEOUT_MS, authorisedHomeAddress, bindings, bu, coaBid, counter, dropMobileNodeBuPolicy, espPackets, ipsecYaml, mcoactl,
  mobileNodeIpsec, stats, until, withPairHomeAgent, type TestSas,
} from './fixtures/index.js';

const SA: TestSas = {
  spiIn: 0x1001,
  spiOut: 0x1002,
  reqid: DEFAULT_XFRM_BANDS.reqidBase + 0x42,
  aeadName: 'rfc4106(gcm(aes))',
  key: `0x${'a5'.repeat(16)}01020304`,
  icvBits: 128,
};
/** Authorised by default, but without SAs. */
const HOA_WITHOUT_SAS = ip6('2001:db8:aa::200');

const HOME_AGENT = authorisedHomeAddress(ipsecYaml(SA));

test('ESP-protected BU registers and the BA returns over ESP; BUs without ESP change nothing', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  await withPairHomeAgent({ homeAgent: HOME_AGENT }, async ({ ha, mn, mnSide, scope, d: first }) => {
    let d = first;
    // What mcoad installed: two ESP transport SAs and two policies for the home address.
    const states = await ha.ip('xfrm', 'state', 'list', 'proto', 'esp');
    assert.match(states, new RegExp(`src ${HOA} dst ${HA}\\s+proto esp spi 0x0*1001 reqid ${SA.reqid}\\b.*mode transport`));
    assert.match(states, new RegExp(`src ${HA} dst ${HOA}\\s+proto esp spi 0x0*1002 reqid ${SA.reqid}\\b.*mode transport`));
    const policies = await ha.ip('xfrm', 'policy', 'list');
    // ESP template required (no "level use"), then the optional Home Address option template.
    assert.match(policies, new RegExp(`src ${HOA}/128 dst ${HA}/128 proto mobility-header type 5\\s+dir in[^]*?proto esp reqid ${SA.reqid} mode transport\\s+tmpl src :: dst ::\\s+proto hao reqid 0 mode ro\\s+level use`));
    assert.match(policies, new RegExp(`src ${HA}/128 dst ${HOA}/128 proto mobility-header type 6\\s+dir out[^]*?proto esp reqid ${SA.reqid} mode transport\\s*(?:src|$)`));

    // A home address without SAs reaches the socket (no ESP policy covers it) and is refused.
    const bas = mnSide.collectBas();
    mnSide.sock.send({ data: encodeMessage(bu(5, 400, [coaBid(1, COA)]), DRAFT04_PROFILE), src: COA, dst: HA, homeAddressOption: HOA_WITHOUT_SAS });
    // A BU for the protected home address without ESP never reaches it.
    mnSide.sendBu(bu(9, 400, [coaBid(1, COA)]));
    // The daemon's refusal and the kernel's drop, counted: no BA can come after them.
    await until('the refusal and the drop counted', async () =>
      (await counter(d, 'refused', 'ipsec-required')) >= 1 && (await counter(d, 'xfrm', 'XfrmInTmplMismatch')) >= 1);
    bas.stop();
    assert.deepEqual(bas.list, [], 'no BA');
    let s = await stats(d);
    assert.equal(s.counters['refused']?.['ipsec-required'], 1);
    assert.equal(s.counters['received']?.['bu'], 1); // only the one without SAs
    const mismatchBefore = s.counters['xfrm']?.['XfrmInTmplMismatch'] ?? -1;
    assert.ok(mismatchBefore >= 1, JSON.stringify(s.counters['xfrm']));
    assert.deepEqual(await bindings(d), []);

    // With the mobile node's SAs and policies the BU goes out over ESP and registers.
    await mobileNodeIpsec(mn, SA);
    mnSide.sendBu(bu(10, 400, [coaBid(1, COA)]));
    const { ba, received } = await mnSide.nextBa();
    assert.equal(ba.status, 0);
    assert.equal(ba.sequence, 10);
    assert.equal(received.dst, HOA);
    assert.equal(received.routingHeader, COA);
    assert.equal(await espPackets(mn, COA, HA, SA.spiIn), 1); // the BU left through the SA ...
    assert.equal(await espPackets(ha, HOA, HA, SA.spiIn), 1); // ... and was decrypted by the home agent's
    assert.equal(await espPackets(ha, HA, HOA, SA.spiOut), 1); // the BA left over ESP ...
    assert.equal(await espPackets(mn, HA, HOA, SA.spiOut), 1); // ... and was decrypted at the mobile node
    let list = await bindings(d);
    assert.deepEqual(list.map((b) => `${b.hoa} ${b.bid} ${b.coa} ${b.sequence}`), [`${HOA} 1 ${COA} 10`]);

    // kill -9 and restart: the SAs are adopted, not re-made (their packet counters survive),
    // and BUs are still taken as protected.
    d = await scope.restartDaemon(d, 'SIGKILL');
    assert.equal(await espPackets(ha, HOA, HA, SA.spiIn), 1);
    assert.equal(await espPackets(ha, HA, HOA, SA.spiOut), 1);
    mnSide.sendBu(bu(11, 400, [coaBid(1, COA)]));
    assert.equal((await mnSide.nextBa()).ba.status, 0);
    assert.equal(await espPackets(ha, HOA, HA, SA.spiIn), 2);

    // Without the mobile node's BU policy a de-registration leaves in clear: dropped, binding unchanged.
    await dropMobileNodeBuPolicy(mn);
    const mismatchAfterRestart = (await stats(d)).counters['xfrm']?.['XfrmInTmplMismatch'] ?? -1;
    const late = mnSide.collectBas();
    mnSide.sendBu(bu(12, 0, [coaBid(1, COA)]));
    await until('the kernel to drop the BU', async () => (await counter(d, 'xfrm', 'XfrmInTmplMismatch')) >= mismatchAfterRestart + 1);
    late.stop();
    assert.deepEqual(late.list, [], 'no BA');
    list = await bindings(d);
    assert.deepEqual(list.map((b) => `${b.hoa} ${b.bid} ${b.coa} ${b.sequence}`), [`${HOA} 1 ${COA} 11`]);
    s = await stats(d);
    assert.equal(s.counters['received']?.['bu'], 1); // since the restart: only the protected refresh
    assert.equal(s.counters['xfrm']?.['XfrmInTmplMismatch'], mismatchAfterRestart + 1);
    assert.equal(await espPackets(ha, HOA, HA, SA.spiIn), 2);
    // The text view shows the kernel's counter to an operator.
    assert.match(await mcoactl(d, 'show', 'stats'), /XfrmInTmplMismatch\s+\d+/);
  });
});

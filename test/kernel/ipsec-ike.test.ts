// Signalling SAs supplied by an IKE daemon (`ipsec: { sas: ike, reqid: R }`): mcoad installs
// the two policies with reqid R and no SA. Here the "IKE daemon" is `ip xfrm state add` with
// reqid R, as strongSwan would install them for existing policies. Until the SAs exist a BU
// is dropped by the kernel; once they do it registers; mcoad's resyncs and restarts never
// touch SAs outside its reqid band.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Netns } from './netns.js';
import {
  COA, HA, HOA, KERNEL_TEST_TIMEOUT_MS, bindings, bu, coaBid, counter, espPackets, mobileNodeIpsec, procCounter, until, withPairHomeAgent,
  type TestSas,
} from './fixtures/index.js';

/** Outside mcoad's reqid band, as an IKE daemon's own numbering would be. */
const REQID = 42;
const SA: TestSas = { spiIn: 0x5001, spiOut: 0x5002, reqid: REQID, aeadName: 'rfc4106(gcm(aes))', key: `0x${'c3'.repeat(16)}01020304`, icvBits: 128 };

const HOME_AGENT = `  authorisation:
    home_addresses:
      ${HOA}:
        ipsec:
          sas: ike
          reqid: ${REQID}
`;

/** What the IKE daemon installs on the home agent for the existing policies. */
async function ikeInstallsSas(ha: Netns): Promise<void> {
  const esp = (spi: number): string[] => ['proto', 'esp', 'spi', `0x${spi.toString(16)}`, 'reqid', String(REQID), 'mode', 'transport', 'aead', SA.aeadName, SA.key, String(SA.icvBits)];
  await ha.ip('xfrm', 'state', 'add', 'src', HOA, 'dst', HA, ...esp(SA.spiIn));
  await ha.ip('xfrm', 'state', 'add', 'src', HA, 'dst', HOA, ...esp(SA.spiOut));
}

const espStates = async (ha: Netns): Promise<number> => ((await ha.ip('xfrm', 'state', 'list', 'proto', 'esp')).match(/^src /gm) ?? []).length;

test('SAs from an IKE daemon: mcoad installs only the policies, the IKE SAs protect the BU and survive resyncs and restarts', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  await withPairHomeAgent({ homeAgent: HOME_AGENT }, async ({ ha, mn, mnSide, scope, d: first }) => {
    let d = first;
    const policies = await ha.ip('xfrm', 'policy', 'list');
    assert.match(policies, new RegExp(`src ${HOA}/128 dst ${HA}/128 proto mobility-header type 5\\s+dir in[^]*?proto esp reqid ${REQID} mode transport`));
    assert.match(policies, new RegExp(`src ${HA}/128 dst ${HOA}/128 proto mobility-header type 6\\s+dir out[^]*?proto esp reqid ${REQID} mode transport`));
    assert.equal(await espStates(ha), 0, 'mcoad installed no SA');

    // The mobile node protects its BU, but the IKE daemon has not installed the home agent's SAs yet: dropped.
    await mobileNodeIpsec(mn, SA);
    const noState = await procCounter(ha, 'xfrm_stat', 'XfrmInNoStates');
    const bas = mnSide.collectBas();
    mnSide.sendBu(bu(20, 400, [coaBid(1, COA)]));
    // ESP for which the home agent has no SA yet: the kernel's drop, counted, means no BA can come.
    await until('the kernel to drop the BU', async () => (await procCounter(ha, 'xfrm_stat', 'XfrmInNoStates')) > noState);
    bas.stop();
    assert.deepEqual(bas.list, [], 'no BA');
    assert.deepEqual(await bindings(d), []);

    await ikeInstallsSas(ha);
    mnSide.sendBu(bu(21, 400, [coaBid(1, COA)]));
    const { ba } = await mnSide.nextBa();
    assert.equal(ba.status, 0, 'the BU counts as protected: the kernel demanded ESP for it');
    assert.equal(await espPackets(ha, HOA, HA, SA.spiIn), 1);
    assert.equal(await espPackets(ha, HA, HOA, SA.spiOut), 1, 'the BA left through the IKE SA');
    assert.deepEqual((await bindings(d)).map((b) => `${b.hoa} ${b.bid} ${b.coa}`), [`${HOA} 1 ${COA}`]);

    // A full resync on restart (kill -9) leaves the IKE daemon's SAs alone.
    d = await scope.restartDaemon(d, 'SIGKILL');
    assert.equal(await espStates(ha), 2);
    assert.equal(await espPackets(ha, HOA, HA, SA.spiIn), 1, 'the same SA, not a re-made one');
    mnSide.sendBu(bu(22, 400, [coaBid(1, COA)]));
    assert.equal((await mnSide.nextBa()).ba.status, 0);
    assert.equal(await counter(d, 'refused', 'ipsec-required'), 0);
  });
});

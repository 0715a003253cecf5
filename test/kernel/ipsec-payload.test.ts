// MCoA §8.3.2 / §8.1 with mcoad: ESP protection of the payload tunnelled between the home
// agent and each binding's care-of address (`ipsec.payload`), and the K bit: a BU with K
// that moves a binding moves its outbound SA (XFRM_MSG_MIGRATE: same SPI, sequence numbers
// kept, BA with K); without K the SA is re-installed at the new address and the log says
// what an operator with IKE-made SAs must do. The mobile node's side is made by hand with
// `ip xfrm`: one outbound SA with source :: for all its care-of addresses, one inbound SA
// per care-of address, policies on the proto-41 outer flow of its ip6ip6 tunnels.
import { ip6 } from '../ip6.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_XFRM_BANDS } from '../../lib/reconcile/drivers/xfrm.js';
import type { Netns } from './netns.js';
import {
  COA, HA, HOA, KERNEL_TEST_TIMEOUT_MS, PAIR_CN, authorisedHomeAddress, bu, coaBid, espOseq, espPackets, ipsecYaml, mobileNodeTunnel, procCounter,
  sendEchoRequest, stats, until, untilLogged, withK, withPair, writeHomeAgentConfig, type TestSas,
} from './fixtures/index.js';

const COA_B = ip6('2001:db8:1::11');
const SA: TestSas = {
  spiIn: 0x1001,
  spiOut: 0x1002,
  reqid: DEFAULT_XFRM_BANDS.reqidBase + 0x42,
  aeadName: 'rfc4106(gcm(aes))',
  key: `0x${'a5'.repeat(16)}01020304`,
  icvBits: 128,
};
const PAYLOAD = { spiIn: 0x2001, spiOut: 0x2002, key: `0x${'5a'.repeat(16)}0a0b0c0d` };
/** The mobile node's own reqid for its payload SAs (its signalling SAs use SA.reqid). */
const MN_PAYLOAD_REQID = 0x77;

const HOME_AGENT = `  key_management_mobility: true
${authorisedHomeAddress(`${ipsecYaml(SA)}
          payload:
            spi_in: 0x${PAYLOAD.spiIn.toString(16)}
            spi_out: 0x${PAYLOAD.spiOut.toString(16)}
            aead: { name: '${SA.aeadName}', key: '${PAYLOAD.key}', icv_bits: ${SA.icvBits} }`)}`;

const hex = (n: number): string => `0x${n.toString(16)}`;

/** The mobile node's SAs and policies, signalling and payload, for BUs from either care-of address. */
async function mobileNodeSasByHand(mn: Netns): Promise<void> {
  const aead = (key: string): string[] => ['aead', SA.aeadName, key, String(SA.icvBits)];
  const sig = (spi: number): string[] => ['proto', 'esp', 'spi', hex(spi), 'reqid', String(SA.reqid), 'mode', 'transport', ...aead(SA.key)];
  const pay = (spi: number): string[] => ['proto', 'esp', 'spi', hex(spi), 'reqid', String(MN_PAYLOAD_REQID), 'mode', 'transport', ...aead(PAYLOAD.key)];
  const tmpl = (reqid: number): string[] => ['tmpl', 'proto', 'esp', 'mode', 'transport', 'reqid', String(reqid), 'level', 'required'];
  // Signalling: BUs out from any source (the Home Address option is written by MobileNodeSide), BAs in.
  await mn.ip('xfrm', 'state', 'add', 'src', '::', 'dst', HA, ...sig(SA.spiIn));
  await mn.ip('xfrm', 'state', 'add', 'src', HA, 'dst', HOA, ...sig(SA.spiOut));
  await mn.ip('xfrm', 'policy', 'add', 'src', '::/0', 'dst', `${HA}/128`, 'proto', '135', 'type', '5', 'dir', 'out', 'priority', '100', ...tmpl(SA.reqid));
  await mn.ip('xfrm', 'policy', 'add', 'src', `${HA}/128`, 'dst', `${HOA}/128`, 'proto', '135', 'type', '6', 'dir', 'in', 'priority', '100', ...tmpl(SA.reqid),
    'tmpl', 'proto', 'route2', 'mode', 'ro', 'level', 'use');
  await mn.ip('xfrm', 'policy', 'delete', 'src', '::/0', 'dst', '::/0', 'proto', '135', 'dir', 'in');
  await mn.ip('xfrm', 'policy', 'add', 'src', '::/0', 'dst', '::/0', 'proto', '135', 'dir', 'in', 'priority', '200', 'tmpl', 'proto', 'route2', 'mode', 'ro', 'level', 'use');
  // Payload: one outbound SA for every care-of address, one inbound SA per care-of address.
  await mn.ip('xfrm', 'state', 'add', 'src', '::', 'dst', HA, ...pay(PAYLOAD.spiIn));
  for (const coa of [COA, COA_B]) {
    await mn.ip('xfrm', 'state', 'add', 'src', HA, 'dst', coa, ...pay(PAYLOAD.spiOut));
    await mn.ip('xfrm', 'policy', 'add', 'src', `${coa}/128`, 'dst', `${HA}/128`, 'proto', '41', 'dir', 'out', ...tmpl(MN_PAYLOAD_REQID));
    await mn.ip('xfrm', 'policy', 'add', 'src', `${HA}/128`, 'dst', `${coa}/128`, 'proto', '41', 'dir', 'in', ...tmpl(MN_PAYLOAD_REQID));
  }
}

/** One echo through the tunnel; resolves once the reply is back at the mobile node. */
async function echoRoundTrip(mn: Netns, cn: Netns, id: number): Promise<void> {
  const echos = await procCounter(cn, 'snmp6', 'Icmp6InEchos');
  const replies = await procCounter(mn, 'snmp6', 'Icmp6InEchoReplies');
  sendEchoRequest(mn, { to: PAIR_CN, from: HOA, id });
  await until('the echo at the correspondent', async () => (await procCounter(cn, 'snmp6', 'Icmp6InEchos')) === echos + 1);
  await until('the reply at the mobile node', async () => (await procCounter(mn, 'snmp6', 'Icmp6InEchoReplies')) === replies + 1);
}

const outboundStates = async (ha: Netns): Promise<string> => ha.ip('xfrm', 'state', 'list', 'src', HA, 'proto', 'esp', 'spi', hex(PAYLOAD.spiOut));

test('§8.3.2/§8.1: payload ESP per binding; plain ip6ip6 from the care-of address dropped; K bit migrates, no K re-installs', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  await withPair({ correspondent: true }, async ({ ha, mn, cn: maybeCn, mnSide, scope }) => {
    const cn = maybeCn!;
    await mn.ip('addr', 'add', `${COA_B}/64`, 'dev', 'mn0', 'nodad');
    await mobileNodeTunnel(mn, 'rt1', COA);
    await mobileNodeTunnel(mn, 'rt2', COA_B);
    await mobileNodeSasByHand(mn);
    let d = await scope.startDaemon(ha, 'home agent', (dir) => writeHomeAgentConfig(dir, { homeAgent: HOME_AGENT }));
    mnSide.sendBu(withK(bu(10, 400, [coaBid(1, COA)])));
    const first = await mnSide.nextBa();
    assert.equal(first.ba.status, 0);
    assert.equal(first.ba.flags.k, true, 'K: the payload SAs follow the node');
    await until('the payload SAs, policies and the route', async () =>
      (await outboundStates(ha)).includes(`dst ${COA}`) && (await ha.ip('-6', 'route', 'show', 'proto', '135')).includes(HOA) &&
      (await ha.ip('xfrm', 'policy', 'list')).includes(`src ${COA}/128 dst ${HA}/128 proto ipv6`));
    const policies = await ha.ip('xfrm', 'policy', 'list');
    assert.match(policies, new RegExp(`src ${HA}/128 dst ${COA}/128 proto ipv6\\s+dir out[^]*?proto esp reqid ${SA.reqid} mode transport`));
    assert.match(policies, new RegExp(`src ${COA}/128 dst ${HA}/128 proto ipv6\\s+dir in[^]*?proto esp reqid ${SA.reqid} mode transport`));

    // (1) Traffic through the tunnel is ESP both ways: both ends' SA counters move.
    await mn.ip('-6', 'route', 'add', `${PAIR_CN}/128`, 'dev', 'rt1');
    await echoRoundTrip(mn, cn, 1);
    await echoRoundTrip(mn, cn, 2);
    assert.equal(await espPackets(mn, '::', HA, PAYLOAD.spiIn), 2);
    assert.equal(await espPackets(ha, '::', HA, PAYLOAD.spiIn), 2);
    assert.equal(await espPackets(ha, HA, COA, PAYLOAD.spiOut), 2);
    assert.equal(await espPackets(mn, HA, COA, PAYLOAD.spiOut), 2);

    // (2) A plain ip6ip6 packet from the registered care-of address is not decapsulated.
    await mn.ip('xfrm', 'policy', 'delete', 'src', `${COA}/128`, 'dst', `${HA}/128`, 'proto', '41', 'dir', 'out');
    const mismatch = await procCounter(ha, 'xfrm_stat', 'XfrmInTmplMismatch');
    const echos = await procCounter(cn, 'snmp6', 'Icmp6InEchos');
    sendEchoRequest(mn, { to: PAIR_CN, from: HOA, id: 3 });
    await until('the drop at the home agent', async () => (await procCounter(ha, 'xfrm_stat', 'XfrmInTmplMismatch')) === mismatch + 1);
    // Dropped at the home agent: it cannot reach the correspondent any more.
    assert.equal(await procCounter(cn, 'snmp6', 'Icmp6InEchos'), echos);
    assert.equal(await espPackets(ha, '::', HA, PAYLOAD.spiIn), 2);
    await mn.ip('xfrm', 'policy', 'add', 'src', `${COA}/128`, 'dst', `${HA}/128`, 'proto', '41', 'dir', 'out',
      'tmpl', 'proto', 'esp', 'mode', 'transport', 'reqid', String(MN_PAYLOAD_REQID), 'level', 'required');

    // kill -9 and restart: the payload SAs and policies are adopted as read back, not re-made.
    d = await scope.restartDaemon(d, 'SIGKILL');
    assert.equal(await espPackets(ha, HA, COA, PAYLOAD.spiOut), 2);
    assert.equal(await espPackets(ha, '::', HA, PAYLOAD.spiIn), 2);
    assert.ok(!d.output.some((l) => l.includes('kernel changes applied')), d.output.join('\n'));

    // (3) K bit, BID 1 moves to COA_B: the same SA now goes to COA_B, its counters kept.
    const oseq = await espOseq(ha, HA, COA, PAYLOAD.spiOut);
    assert.equal(oseq, 2);
    mnSide.sendBu(withK(bu(11, 400, [coaBid(1, COA_B)])), COA_B);
    const moved = await mnSide.nextBa();
    assert.equal(moved.ba.status, 0);
    assert.equal(moved.ba.flags.k, true, 'K: the SA was migrated');
    await until('the outbound SA at COA_B only', async () => {
      const s = await outboundStates(ha);
      return s.includes(`dst ${COA_B}`) && !s.includes(`dst ${COA}\n`);
    });
    await until('the old policies gone', async () => !(await ha.ip('xfrm', 'policy', 'list')).includes(`${COA}/128`));
    assert.equal(await espOseq(ha, HA, COA_B, PAYLOAD.spiOut), oseq, 'sequence number kept');
    assert.equal(await espPackets(ha, HA, COA_B, PAYLOAD.spiOut), 2, 'lifetime counters kept');
    await mn.ip('-6', 'route', 'replace', `${PAIR_CN}/128`, 'dev', 'rt2');
    await echoRoundTrip(mn, cn, 4);
    assert.equal(await espOseq(ha, HA, COA_B, PAYLOAD.spiOut), oseq + 1);
    assert.equal(await espPackets(mn, HA, COA_B, PAYLOAD.spiOut), 1);
    await untilLogged(d, 'the payload SA moved', (l) => l.includes('payload SA moved') && l.includes(COA_B));

    // (4) No K bit, back to COA: the SA is re-installed there (a new one) and the log says what to do.
    mnSide.sendBu(bu(12, 400, [coaBid(1, COA)]));
    const back = await mnSide.nextBa();
    assert.equal(back.ba.status, 0);
    assert.equal(back.ba.flags.k, false);
    await until('the outbound SA at COA only', async () => {
      const s = await outboundStates(ha);
      return s.includes(`dst ${COA}\n`) && !s.includes(`dst ${COA_B}`);
    });
    assert.equal(await espOseq(ha, HA, COA, PAYLOAD.spiOut), 0, 'a new SA');
    await mn.ip('-6', 'route', 'replace', `${PAIR_CN}/128`, 'dev', 'rt1');
    await echoRoundTrip(mn, cn, 5);
    assert.equal(await espOseq(ha, HA, COA, PAYLOAD.spiOut), 1);
    await untilLogged(d, 'the advice for a move without the K bit', (l) => l.includes('without the K bit'));
    const advice = d.output.filter((l) => l.includes('without the K bit'));
    assert.equal(advice.length, 1, d.output.join('\n'));
    assert.match(advice[0]!, /IKE/);
    assert.match(advice[0]!, /MOBIKE/);
    assert.deepEqual((await stats(d)).counters['ipsec'], { 'payload-migrated': 1, 'payload-reinstalled': 1, 'payload-migrate-failed': 0 });
    // No key in the log.
    assert.ok(!d.output.some((l) => l.includes('5a'.repeat(16))));
  });
});

// A mobile router (RFC 3963) on the shared data plane (the default): its mobile network
// prefix comes back through the reverse tunnel with its own sources (§6.2), so besides the
// (care-of address, home address) pair filter the home agent programs a (care-of address,
// prefix/len) one. Traffic from the prefix through a registered care-of address reaches the
// correspondent and its replies come back; a source outside the prefix, and the prefix
// through an unregistered care-of address, are dropped by the kernel and counted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mustParseIp6 } from '../../lib/inet/ip6.js';
import {
  COA, HA_CN_SIDE, HOA, KERNEL_TEST_TIMEOUT_MS, PAIR_CN, SHARED_DEVICE, bu, coaBid, counter, mobileNodeTunnel, procCounter, sendEchoRequest, txPackets, until, withPair,
  writeHomeAgentConfig,
} from './fixtures/index.js';
import { tcFilters } from './fixtures/dataplane.js';

const MNP = '2001:db8:99::';
const MNP_LEN = 64;
/** A host of the mobile network (on the mobile router's lo here), and one outside it. */
const MNP_HOST = '2001:db8:99::1';
const OUTSIDE_HOST = '2001:db8:98::1';
const UNREGISTERED_COA = '2001:db8:1::20';

const routerAuthorisation = `  authorisation:
    home_addresses:
      ${HOA}:
        allowed: true
        mobile_router: true
        mobile_network_prefixes: [${MNP}/${MNP_LEN}]
`;

test('RFC 3963 §6.2 on the shared data plane: a prefix pair filter passes the mobile network prefix, other sources are dropped and counted', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  await withPair({ correspondent: true }, async ({ ha, mn, cn: maybeCn, mnSide, scope }) => {
    const cn = maybeCn!;
    await mn.ip('addr', 'add', `${UNREGISTERED_COA}/64`, 'dev', 'mn0', 'nodad');
    for (const a of [MNP_HOST, OUTSIDE_HOST]) await mn.ip('addr', 'add', `${a}/128`, 'dev', 'lo', 'nodad');
    await mobileNodeTunnel(mn, 'rt1', COA);
    await mobileNodeTunnel(mn, 'rt2', UNREGISTERED_COA);
    await cn.ip('-6', 'route', 'add', `${MNP}/${MNP_LEN}`, 'via', HA_CN_SIDE, 'dev', 'cn0');
    const d = await scope.startDaemon(ha, 'home agent', (dir) => writeHomeAgentConfig(dir, { ipsecRequired: false, homeAgent: routerAuthorisation }));
    const m = bu(1, 400, [coaBid(1, COA)]);
    mnSide.sendBu({ ...m, flags: { ...m.flags, r: true }, options: [...m.options, { kind: 'mobileNetworkPrefix', prefixLength: MNP_LEN, prefix: mustParseIp6(MNP) }] });
    const { ba } = await mnSide.nextBa();
    assert.equal(ba.status, 0);
    assert.equal(ba.flags.r, true, 'the home agent acts as a mobile router\'s home agent');

    // Read back with ip and tc: the prefix route over the group, and both pair filters.
    await until(`the route for ${MNP}/${MNP_LEN} over a nexthop group`, async () => /nhid \d+/.test(await ha.ip('-6', 'route', 'show', `${MNP}/${MNP_LEN}`, 'proto', '135')));
    const pairs = await until('the home address and the prefix pair filters', async () => {
      const fs = (await tcFilters(ha, SHARED_DEVICE)).filter((f) => f.kind === 'flower').map((f) => `${f.keys['enc_src_ip']} ${f.keys['src_ip']}`).sort();
      return fs.length === 2 ? fs : undefined;
    });
    assert.deepEqual(pairs, [`${COA} ${HOA}`, `${COA} ${MNP}/${MNP_LEN}`].sort());

    // From the prefix through the registered care-of address: to the correspondent and back.
    let id = 1;
    await mn.ip('-6', 'route', 'replace', `${PAIR_CN}/128`, 'dev', 'rt1');
    const echos = await procCounter(cn, 'snmp6', 'Icmp6InEchos');
    const replies = await procCounter(mn, 'snmp6', 'Icmp6InEchoReplies');
    sendEchoRequest(mn, { to: PAIR_CN, from: MNP_HOST, id: id++ });
    await until('the echo from the mobile network at the correspondent', async () => (await procCounter(cn, 'snmp6', 'Icmp6InEchos')) === echos + 1);
    await until('the reply to the mobile network back through the shared device', async () => (await procCounter(mn, 'snmp6', 'Icmp6InEchoReplies')) === replies + 1);

    // A source outside the prefix through the registered care-of address, and the prefix
    // through an unregistered one: each dropped by the kernel and counted.
    for (const [rt, from] of [['rt1', OUTSIDE_HOST], ['rt2', MNP_HOST]] as const) {
      await mn.ip('-6', 'route', 'replace', `${PAIR_CN}/128`, 'dev', rt);
      const before = await procCounter(cn, 'snmp6', 'Icmp6InEchos');
      const drops = await counter(d, 'dataplane', 'pair-check-drops');
      const sent = await txPackets(mn, rt);
      sendEchoRequest(mn, { to: PAIR_CN, from, id: id++ });
      await until(`the packet from ${from} to leave through ${rt}`, async () => (await txPackets(mn, rt)) >= sent + 1);
      await until(`the drop of ${from} via ${rt} counted in show stats`, async () => (await counter(d, 'dataplane', 'pair-check-drops')) >= drops + 1);
      assert.equal(await procCounter(cn, 'snmp6', 'Icmp6InEchos'), before, `${from} via ${rt} never reached the correspondent`);
    }
  });
});

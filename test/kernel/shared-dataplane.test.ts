// The home agent on the shared data plane (home_agent.dataplane: shared, issue 13): one
// external ip6tnl device, an encap nexthop per care-of address, a resilient group per home
// address, and the §8.3 reverse-tunnel check as flower pair filters with a matchall drop.
// Two care-of addresses for one home address, traffic both ways, spoofed pairs dropped and
// counted in `mcoactl show stats`, and a restart that adopts every object (same nexthop ids,
// filter handles and device) instead of re-creating it. Read back with ip and tc.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  COA, HA, HOA, KERNEL_TEST_TIMEOUT_MS, PAIR_CN, bu, coaBid, counter, mcoactl, mobileNodeTunnel, procCounter, txPackets, sendEchoRequest, until, withPair, writeHomeAgentConfig,
} from './fixtures/index.js';
import type { Netns } from './netns.js';

const COA2 = '2001:db8:1::11';
const UNREGISTERED_COA = '2001:db8:1::20';
/** Another home address of the home prefix, not registered from any care-of address. */
const OTHER_HOA = '2001:db8:aa::200';
const DEV = 'mip6t-0';

/** What a restart must leave as it was: the device, our nexthops (ids, encap, groups) and our filters (handles, keys). */
async function ownedObjects(ha: Netns): Promise<{ device: string; nexthops: string; filters: string[] }> {
  const device = (await ha.ip('-o', 'link', 'show', DEV)).split(':')[0]!;
  const nexthops = await ha.ip('nexthop', 'show', 'proto', '135');
  const filters = (await ha.exec('tc', 'filter', 'show', 'dev', DEV, 'ingress'))
    .split('\n')
    .filter((l) => /handle 0x/.test(l))
    .map((l) => l.trim().replace(/\s+/g, ' '));
  return { device, nexthops, filters };
}

test('shared data plane: two care-of addresses, traffic both ways, spoofed pairs dropped and counted, restart adopts', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  await withPair({ correspondent: true }, async ({ ha, mn, cn: maybeCn, mnSide, scope }) => {
    const cn = maybeCn!;
    for (const a of [COA2, UNREGISTERED_COA]) await mn.ip('addr', 'add', `${a}/64`, 'dev', 'mn0', 'nodad');
    await mn.ip('addr', 'add', `${OTHER_HOA}/128`, 'dev', 'lo', 'nodad');
    await mobileNodeTunnel(mn, 'rt1', COA);
    await mobileNodeTunnel(mn, 'rt2', COA2);
    await mobileNodeTunnel(mn, 'rt3', UNREGISTERED_COA);
    const write = (dir: string) => writeHomeAgentConfig(dir, { ipsecRequired: false, homeAgent: '  dataplane: shared\n' });
    let d = await scope.startDaemon(ha, 'home agent', write);
    mnSide.sendBu(bu(1, 400, [coaBid(1, COA), coaBid(2, COA2)]));
    assert.equal((await mnSide.nextBa()).ba.status, 0);

    // The objects, read back with ip and tc.
    await until('the home address route over a nexthop group', async () => /nhid \d+/.test(await ha.ip('-6', 'route', 'show', `${HOA}/128`, 'proto', '135')));
    assert.match(await ha.ip('-d', 'link', 'show', DEV), /ip6tnl external/);
    await until('both encap nexthops and the resilient group', async () => {
      const nh = await ha.ip('nexthop', 'show', 'proto', '135');
      return nh.includes(`dst ${COA} `) && nh.includes(`dst ${COA2} `) && /group \d+\/\d+ type resilient buckets 16/.test(nh);
    });
    const nh = await ha.ip('nexthop', 'show', 'proto', '135');
    assert.match(nh, new RegExp(`encap ip6 .*src ${HA} dst ${COA} .*dev ${DEV}`));
    await until('a pair filter per care-of address and the drop', async () => {
      const f = await ha.exec('tc', 'filter', 'show', 'dev', DEV, 'ingress');
      return f.includes(`enc_src_ip ${COA}`) && f.includes(`enc_src_ip ${COA2}`) && f.includes('matchall');
    });
    // No per-binding tunnel devices.
    assert.doesNotMatch(await ha.ip('link', 'show'), /mip6t[0-9a-z]+[@:]/);

    // Reverse (mobile node -> correspondent through the pair check) and forward (the reply,
    // correspondent -> home address through the group's encapsulation), from each care-of address.
    let id = 1;
    for (const rt of ['rt1', 'rt2']) {
      await mn.ip('-6', 'route', 'replace', `${PAIR_CN}/128`, 'dev', rt);
      const echos = await procCounter(cn, 'snmp6', 'Icmp6InEchos');
      const replies = await procCounter(mn, 'snmp6', 'Icmp6InEchoReplies');
      sendEchoRequest(mn, { to: PAIR_CN, from: HOA, id: id++ });
      await until(`the echo from ${rt} at the correspondent`, async () => (await procCounter(cn, 'snmp6', 'Icmp6InEchos')) === echos + 1);
      await until(`the reply through ${DEV} back at the mobile node`, async () => (await procCounter(mn, 'snmp6', 'Icmp6InEchoReplies')) === replies + 1);
    }
    assert.ok((await txPackets(ha, DEV)) >= 2, 'the replies left through the shared device');

    // Spoofed pairs: an unregistered care-of address with the home address, and a registered
    // care-of address with another home address. Each is dropped by the kernel and counted.
    for (const [rt, from] of [['rt3', HOA], ['rt1', OTHER_HOA]] as const) {
      await mn.ip('-6', 'route', 'replace', `${PAIR_CN}/128`, 'dev', rt);
      const echos = await procCounter(cn, 'snmp6', 'Icmp6InEchos');
      const drops = await counter(d, 'dataplane', 'pair-check-drops');
      const sent = await txPackets(mn, rt);
      sendEchoRequest(mn, { to: PAIR_CN, from, id: id++ });
      await until(`the spoofed packet to leave through ${rt}`, async () => (await txPackets(mn, rt)) >= sent + 1);
      await until(`the drop of ${from} via ${rt} counted in show stats`, async () => (await counter(d, 'dataplane', 'pair-check-drops')) >= drops + 1);
      assert.equal(await procCounter(cn, 'snmp6', 'Icmp6InEchos'), echos, `${from} via ${rt} never reached the correspondent`);
    }
    assert.match(await mcoactl(d, 'show', 'stats'), /pair-check-drops/);

    // Restart: the journal's bindings and the kernel's objects are adopted, nothing re-created.
    const before = await ownedObjects(ha);
    assert.equal(before.filters.length, 3, before.filters.join('\n'));
    d = await scope.restartDaemon(d, 'SIGTERM');
    const after = await ownedObjects(ha);
    assert.deepEqual(after, before);
    // And it still forwards both ways.
    await mn.ip('-6', 'route', 'replace', `${PAIR_CN}/128`, 'dev', 'rt2');
    const replies = await procCounter(mn, 'snmp6', 'Icmp6InEchoReplies');
    sendEchoRequest(mn, { to: PAIR_CN, from: HOA, id: id++ });
    await until('the reply after the restart', async () => (await procCounter(mn, 'snmp6', 'Icmp6InEchoReplies')) === replies + 1);
    assert.deepEqual(await ownedObjects(ha), before, 'a pass after the restart changed nothing either');
  });
});

// MCoA §8.3.2 / §8.3.1 with mcoad: the home agent decapsulates reverse-tunnelled packets
// only when the outer source is a registered care-of address. In the per-binding data plane
// (pinned here; shared-dataplane.test.ts has the shared one's pair check) the daemon makes one
// ip6tnl per (home agent address, care-of address); the kernel picks a tunnel by its
// remote address, and the fallback device ip6tnl0 stays down, so a packet from any other
// address matches no tunnel and is not decapsulated.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MhSocket, type MhReceived } from '../../lib/net/mh-socket.js';
import { decodeMessage, encodeMessage } from '../../lib/wire/mh.js';
import { DRAFT04_PROFILE } from '../../lib/wire/profiles.js';
import {
  COA, HOA, KERNEL_TEST_TIMEOUT_MS, PAIR_CN, bounded, bu, coaBid, mobileNodeTunnel, procCounter, sendEchoRequest, txPackets, until, withPair, writeHomeAgentConfig,
} from './fixtures/index.js';
import type { Netns } from './netns.js';

const UNREGISTERED_COA = '2001:db8:1::20';

async function counterTexts(ns: Netns): Promise<string> {
  return (await ns.exec('cat', '/proc/net/snmp6')) + (await ns.exec('cat', '/proc/net/xfrm_stat')) + (await ns.exec('cat', '/proc/net/netstat'));
}

/** `name before -> after` for every counter line that differs (diagnostics). */
function changedCounters(before: string, after: string): string {
  const pairs = (t: string): [string, string][] => t.split('\n').map((l) => l.trim().split(/\s+/)).map(([k, v]) => [k ?? '', v ?? '']);
  const b = new Map(pairs(before));
  return pairs(after).filter(([k, v]) => k !== '' && b.get(k) !== v).map(([k, v]) => `${k} ${b.get(k)} -> ${v}`).join('\n');
}

test('§8.3.2/§8.3.1: tunnelled from the registered care-of address: forwarded (echo and HoTI); from an unregistered one: dropped', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  await withPair({ correspondent: true }, async ({ ha, mn, cn: maybeCn, mnSide, scope }) => {
    const cn = maybeCn!;
    await mn.ip('addr', 'add', `${UNREGISTERED_COA}/64`, 'dev', 'mn0', 'nodad');
    await mobileNodeTunnel(mn, 'rt1', COA);
    await mobileNodeTunnel(mn, 'rt2', UNREGISTERED_COA);
    const cnMh = scope.closeAtEnd(MhSocket.open({ netns: cn.name }));
    await scope.startDaemon(ha, 'home agent', (dir) => writeHomeAgentConfig(dir, { ipsecRequired: false, dataplane: 'per-binding' }));
    mnSide.sendBu(bu(1, 400, [coaBid(1, COA)]));
    assert.equal((await mnSide.nextBa()).ba.status, 0);
    await until('the tunnel to the care-of address', async () => (await ha.ip('-6', 'route', 'show', 'proto', '135')).includes(HOA));
    // The fallback tunnel, which would take packets from any remote address, is down.
    assert.doesNotMatch(await ha.ip('link', 'show', 'ip6tnl0'), /<[^>]*\bUP\b/);

    // Registered care-of address: the echo reaches the correspondent, whose reply comes back.
    await mn.ip('-6', 'route', 'add', `${PAIR_CN}/128`, 'dev', 'rt1');
    const echos0 = await procCounter(cn, 'snmp6', 'Icmp6InEchos');
    const replies0 = await procCounter(mn, 'snmp6', 'Icmp6InEchoReplies');
    sendEchoRequest(mn, { to: PAIR_CN, from: HOA, id: 1 });
    await until('the echo at the correspondent', async () => (await procCounter(cn, 'snmp6', 'Icmp6InEchos')) === echos0 + 1);
    await until('the reply through the home agent tunnel', async () => (await procCounter(mn, 'snmp6', 'Icmp6InEchoReplies')) === replies0 + 1);

    // §8.3.1: a HoTI tunnelled the same way is decapsulated and forwarded.
    const hoti = new Promise<MhReceived>((resolve) => cnMh.on('message', (m) => {
      const r = decodeMessage(m.data, DRAFT04_PROFILE);
      if (r.ok && r.value.kind === 'hoti') resolve(m);
    }));
    const cookie = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    const mnMh = scope.closeAtEnd(MhSocket.open({ netns: mn.name }));
    mnMh.send({ data: encodeMessage({ kind: 'hoti', payloadProto: 59, checksum: 0, cookie, options: [] }, DRAFT04_PROFILE), src: HOA, dst: PAIR_CN });
    const got = await bounded('the HoTI at the correspondent', hoti);
    assert.equal(got.src, HOA);
    assert.equal(got.dst, PAIR_CN);

    // Unregistered care-of address: the home agent decapsulates nothing.
    await mn.ip('-6', 'route', 'replace', `${PAIR_CN}/128`, 'dev', 'rt2');
    const echos1 = await procCounter(cn, 'snmp6', 'Icmp6InEchos');
    const sent0 = await txPackets(mn, 'rt2');
    const drops = async (): Promise<number> => (await procCounter(ha, 'xfrm_stat', 'XfrmInHdrError')) + (await procCounter(ha, 'snmp6', 'Ip6InUnknownProtos'));
    const drops0 = await drops();
    const haStats0 = await counterTexts(ha);
    sendEchoRequest(mn, { to: PAIR_CN, from: HOA, id: 2 });
    await until('the packet to leave through rt2', async () => (await txPackets(mn, 'rt2')) >= sent0 + 1);
    // No ip6tnl matches; the next IPv6-in-IPv6 handler (xfrm6_tunnel, when loaded) finds no
    // SA and drops it (XfrmInHdrError), else the protocol is unknown (Ip6InUnknownProtos).
    try {
      await until('the drop at the home agent', async () => (await drops()) >= drops0 + 1);
    } catch (err) {
      (err as Error).message += `\nhome agent counters changed:\n${changedCounters(haStats0, await counterTexts(ha))}`;
      throw err;
    }
    // Dropped at the home agent: it cannot reach the correspondent any more.
    assert.equal(await procCounter(cn, 'snmp6', 'Icmp6InEchos'), echos1);
  });
});

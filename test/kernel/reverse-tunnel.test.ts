// MCoA §8.3.2 / §8.3.1 with mcoad: the home agent decapsulates reverse-tunnelled packets
// only when the outer source is a registered care-of address. The daemon makes one
// ip6tnl per (home agent address, care-of address); the kernel picks a tunnel by its
// remote address, and the fallback device ip6tnl0 stays down, so a packet from any other
// address matches no tunnel and is not decapsulated.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodePktinfo } from '../../lib/net/ancillary.js';
import { MhSocket, type MhReceived } from '../../lib/net/mh-socket.js';
import { encodeCmsgs, MsgIo } from '../../lib/platform/sys/msghdr.js';
import { AF_INET6, IPPROTO_ICMPV6, IPPROTO_IPV6, IPV6_PKTINFO, SOCK_RAW, closeFd, encodeSockaddrIn6, openSocket } from '../../lib/platform/sys/socket.js';
import { decodeMessage, encodeMessage } from '../../lib/wire/mh.js';
import { mustParseIp6 } from '../../lib/inet/ip6.js';
import { DRAFT04_PROFILE } from '../../lib/wire/profiles.js';
import {
  CN, COA, HOA, MobileNodeSide, bu, coaBid, correspondent, labConfig, mobileNodeTunnel, removeDir, startDaemon, stopDaemon, tempDir, topology, writeConfig, type Daemon,
} from './ha-fixture.js';
import { withNetnsGroup, type Netns } from './netns.js';

const UNREGISTERED_COA = '2001:db8:1::20';

/** An ICMPv6 echo request from the home address to the correspondent (routed by `mn`). */
function echoFromHome(mn: Netns, id: number): void {
  const fd = openSocket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6, { netns: mn.name });
  try {
    const io = new MsgIo({ bufferSize: 64 });
    const sent = io.sendmsg(fd, [Uint8Array.of(128, 0, 0, 0, 0, id, 0, 1)], {
      name: encodeSockaddrIn6({ address: mustParseIp6(CN), port: 0 }),
      control: encodeCmsgs([{ level: IPPROTO_IPV6, type: IPV6_PKTINFO, data: encodePktinfo(mustParseIp6(HOA)) }]),
    });
    assert.ok(sent > 0, `sendmsg: ${sent}`);
  } finally {
    closeFd(fd);
  }
}

/** One counter of /proc/net/snmp6 in `ns`. */
async function snmp6(ns: Netns, name: string): Promise<number> {
  const m = new RegExp(`^${name}\\s+(\\d+)$`, 'm').exec(await ns.exec('cat', '/proc/net/snmp6'));
  if (!m) throw new Error(`no ${name} in /proc/net/snmp6`);
  return Number(m[1]);
}

/** One counter of /proc/net/xfrm_stat in `ns`. */
async function xfrmStat(ns: Netns, name: string): Promise<number> {
  const m = new RegExp(`^${name}\\s+(\\d+)$`, 'm').exec(await ns.exec('cat', '/proc/net/xfrm_stat'));
  if (!m) throw new Error(`no ${name} in /proc/net/xfrm_stat`);
  return Number(m[1]);
}

/** Packets a link has sent (`ip -s -j link show NAME`). */
async function txPackets(ns: Netns, link: string): Promise<number> {
  const [l] = JSON.parse(await ns.ip('-s', '-j', 'link', 'show', link)) as { stats64: { tx: { packets: number } } }[];
  return l!.stats64.tx.packets;
}

async function counterTexts(ns: Netns): Promise<string> {
  return (await ns.exec('cat', '/proc/net/snmp6')) + (await ns.exec('cat', '/proc/net/xfrm_stat')) + (await ns.exec('cat', '/proc/net/netstat'));
}

/** `name before -> after` for every counter line that differs (diagnostics). */
function changedCounters(before: string, after: string): string {
  const pairs = (t: string): [string, string][] => t.split('\n').map((l) => l.trim().split(/\s+/)).map(([k, v]) => [k ?? '', v ?? '']);
  const b = new Map(pairs(before));
  return pairs(after).filter(([k, v]) => k !== '' && b.get(k) !== v).map(([k, v]) => `${k} ${b.get(k)} -> ${v}`).join('\n');
}

async function until(what: string, ms: number, ok: () => Promise<boolean> | boolean): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) if (await ok()) return;
  assert.fail(`timed out waiting for ${what}`);
}

test('§8.3.2/§8.3.1: tunnelled from the registered care-of address: forwarded (echo and HoTI); from an unregistered one: dropped', { timeout: 90_000 }, async () => {
  await withNetnsGroup(3, async ([ha, mn, cn]) => {
    await topology(ha!, mn!);
    await correspondent(ha!, cn!);
    await mn!.ip('addr', 'add', `${UNREGISTERED_COA}/64`, 'dev', 'mn0', 'nodad');
    await mobileNodeTunnel(mn!, 'rt1', COA);
    await mobileNodeTunnel(mn!, 'rt2', UNREGISTERED_COA);
    const dir = tempDir();
    const mnSide = new MobileNodeSide(mn!);
    const cnMh = MhSocket.open({ netns: cn!.name });
    let d: Daemon | undefined;
    try {
      d = await startDaemon(ha!, dir, writeConfig(dir, labConfig()));
      mnSide.sendBu(bu(1, 400, [coaBid(1, COA)]));
      assert.equal((await mnSide.nextBa()).ba.status, 0);
      await until('the tunnel to the care-of address', 5000, async () => (await ha!.ip('-6', 'route', 'show', 'proto', '135')).includes(HOA));
      // The fallback tunnel, which would take packets from any remote address, is down.
      assert.doesNotMatch(await ha!.ip('link', 'show', 'ip6tnl0'), /<[^>]*\bUP\b/);

      // Registered care-of address: the echo reaches the correspondent, whose reply comes back.
      await mn!.ip('-6', 'route', 'add', `${CN}/128`, 'dev', 'rt1');
      const echos0 = await snmp6(cn!, 'Icmp6InEchos');
      const replies0 = await snmp6(mn!, 'Icmp6InEchoReplies');
      echoFromHome(mn!, 1);
      await until('the echo at the correspondent', 5000, async () => (await snmp6(cn!, 'Icmp6InEchos')) === echos0 + 1);
      await until('the reply through the home agent tunnel', 5000, async () => (await snmp6(mn!, 'Icmp6InEchoReplies')) === replies0 + 1);

      // §8.3.1: a HoTI tunnelled the same way is decapsulated and forwarded.
      const hoti = new Promise<MhReceived>((resolve) => cnMh.on('message', (m) => {
        const r = decodeMessage(m.data, DRAFT04_PROFILE);
        if (r.ok && r.value.kind === 'hoti') resolve(m);
      }));
      const cookie = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
      const mnMh = MhSocket.open({ netns: mn!.name });
      try {
        mnMh.send({ data: encodeMessage({ kind: 'hoti', payloadProto: 59, checksum: 0, cookie, options: [] }, DRAFT04_PROFILE), src: HOA, dst: CN });
        const got = await Promise.race([hoti, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('no HoTI at the correspondent')), 5000))]);
        assert.equal(got.src, HOA);
        assert.equal(got.dst, CN);
      } finally {
        mnMh.close();
      }

      // Unregistered care-of address: the home agent decapsulates nothing.
      await mn!.ip('-6', 'route', 'replace', `${CN}/128`, 'dev', 'rt2');
      const echos1 = await snmp6(cn!, 'Icmp6InEchos');
      const sent0 = await txPackets(mn!, 'rt2');
      const drops = async (): Promise<number> => (await xfrmStat(ha!, 'XfrmInHdrError')) + (await snmp6(ha!, 'Ip6InUnknownProtos'));
      const drops0 = await drops();
      const haStats0 = await counterTexts(ha!);
      echoFromHome(mn!, 2);
      await until('the packet to leave through rt2', 5000, async () => (await txPackets(mn!, 'rt2')) >= sent0 + 1);
      // No ip6tnl matches; the next IPv6-in-IPv6 handler (xfrm6_tunnel, when loaded) finds no
      // SA and drops it (XfrmInHdrError), else the protocol is unknown (Ip6InUnknownProtos).
      try {
        await until('the drop at the home agent', 5000, async () => (await drops()) >= drops0 + 1);
      } catch (err) {
        (err as Error).message += `\nhome agent counters changed:\n${changedCounters(haStats0, await counterTexts(ha!))}`;
        throw err;
      }
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(await snmp6(cn!, 'Icmp6InEchos'), echos1);
    } catch (err) {
      if (d) (err as Error).message += `\n--- mcoad output ---\n${d.output.slice(-40).join('\n')}`;
      throw err;
    } finally {
      cnMh.close();
      mnSide.close();
      if (d) await stopDaemon(d, 'SIGKILL');
      removeDir(dir);
    }
  });
});

// NdSocket against a real kernel: a home agent namespace (A, link a0) and a peer (B, link
// b0) on one veth. A's interfaces skip kernel DAD (accept_dad 0) so its link-local address is
// usable at once; B keeps normal DAD, so its addresses answer probes as any host would.
import { ip6 } from '../ip6.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KernelError } from '../../lib/platform/kernel-errors.js';
import { NdSocket, type NdObserved } from '../../lib/net/nd-socket.js';
import { formatMac } from '../../lib/net/nd-codec.js';
import { Errno, SyscallError } from '../../lib/platform/sys/errno.js';
import { formatIp6 } from '../../lib/inet/ip6.js';
import { addVethPair, withNetnsGroup, type Netns } from './netns.js';
import { KERNEL_TEST_TIMEOUT_MS, bounded, until, watchPackets } from './fixtures/index.js';

/** A DAD wait far longer than any answer takes: a result before it comes from an answer, not the timer. */
const LONG_DAD_MS = 120_000;

async function link(a: Netns, b: Netns): Promise<void> {
  await a.exec('sysctl', '-q', '-w', 'net.ipv6.conf.default.accept_dad=0');
  await addVethPair(a, 'a0', b, 'b0');
  await a.ip('addr', 'add', '2001:db8:aa::1/64', 'dev', 'a0');
  await a.ip('link', 'set', 'a0', 'up');
  await b.ip('link', 'set', 'b0', 'up');
  // Until the kernel's link watch marks a link operational (up to a second after `up`),
  // frames sent on it vanish; NdSocket.dad refuses such a link with ENETDOWN.
  await until('the veth link operational', async () => (await operstate(a, 'a0')) === 'UP' && (await operstate(b, 'b0')) === 'UP');
}

async function operstate(ns: Netns, ifname: string): Promise<string> {
  const rows = JSON.parse(await ns.ip('-j', 'link', 'show', ifname)) as { operstate: string }[];
  return rows[0]!.operstate;
}

/** Adds the addresses on B without nodad and waits until B's own DAD has finished with them. */
async function addAndSettle(b: Netns, ...addrs: string[]): Promise<void> {
  for (const addr of addrs) await b.ip('addr', 'add', `${addr}/64`, 'dev', 'b0');
  await until(`${addrs.join(', ')} no longer tentative on B`, async () => {
    const text = await b.ip('-6', 'addr', 'show', 'dev', 'b0');
    return addrs.every((addr) => text.includes(addr)) && !/tentative/.test(text);
  });
}

async function macOf(ns: Netns, ifname: string): Promise<string> {
  const rows = JSON.parse(await ns.ip('-j', 'link', 'show', ifname)) as { address: string }[];
  return rows[0]!.address;
}

test('DAD: unique when nothing answers while it waits, duplicate when the peer holds the address or answers meanwhile, many at once', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  await withNetnsGroup(2, async ([a, b]) => {
    await link(a!, b!);
    await addAndSettle(b!, '2001:db8:aa::300', '2001:db8:aa::301');
    const nd = NdSocket.open({ netns: a!.name });
    const peer = NdSocket.open({ netns: b!.name });
    try {
      // Nothing answers: unique once the wait is over (and a node's own probe is no answer).
      assert.equal(await nd.dad('a0', ip6('2001:db8:aa::200')), 'unique');

      // An answer while it waits ends it: B advertises the target after A's probe has gone
      // out (at the end of dad()'s turn; the DAD is pending from the call), well inside A's wait.
      const answered = nd.dad('a0', ip6('2001:db8:aa::210'), LONG_DAD_MS);
      peer.unsolicitedNa('b0', ip6('2001:db8:aa::210'));
      assert.equal(await bounded('the DAD answered by an NA', answered), 'duplicate');

      // B holds the address: its kernel answers the probe, long before the wait is over.
      assert.equal(await bounded('the DAD answered by the holder', nd.dad('a0', ip6('2001:db8:aa::300'), LONG_DAD_MS)), 'duplicate');

      // Four at once, two sharing a target: every probe leaves at once (each DAD waits on its
      // own timer, not after the others), and the shared one is one DAD.
      const sent0 = nd.stats.sent;
      const p1 = nd.dad('a0', ip6('2001:db8:aa::201'), 3000);
      const p2 = nd.dad('a0', ip6('2001:db8:aa::202'), 700);
      const p3 = nd.dad('a0', ip6('2001:db8:aa::301'), LONG_DAD_MS);
      const p4 = nd.dad('a0', ip6('2001:db8:aa::201'));
      assert.equal(p4, p1, 'a second DAD for a pending target shares the first');
      assert.equal(nd.stats.dadPending, 3);
      assert.equal(nd.stats.sent - sent0, 0, 'the probes wait for the end of the turn (one sendmmsg)');
      await new Promise((r) => setImmediate(r));
      assert.equal(nd.stats.sent - sent0, 3, 'three probes sent before any DAD ended');
      assert.equal(await bounded('the duplicate among the four', p3), 'duplicate');
      assert.equal(await p2, 'unique');
      assert.deepEqual(await Promise.all([p1, p4]), ['unique', 'unique']);
      assert.equal(nd.stats.dadPending, 0);
      // The solicited-node groups joined for the probes were left again.
      const groups = await a!.ip('-6', 'maddr', 'show', 'dev', 'a0');
      assert.doesNotMatch(groups, /ff02::1:ff00:2[01][0-9]/);
    } finally {
      nd.close();
      peer.close();
    }
  });
});

test("DAD: another node's probe for the same target means duplicate; a node's own probe does not", { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  await withNetnsGroup(2, async ([a, b]) => {
    await link(a!, b!);
    const ndA = NdSocket.open({ netns: a!.name });
    const ndB = NdSocket.open({ netns: b!.name });
    const seenByB: NdObserved[] = [];
    ndB.on('neighbor', (m) => seenByB.push(m));
    // B's probe for ::400 as it passes a0: NS (135) with the target's last four octets 0x400.
    const bProbeAtA = await watchPackets(a!, 'a0', 'icmp6 and ip6[40] == 135 and ip6[60:4] == 0x00000400');
    try {
      // B (which has no address at all yet: its link-local is still tentative) joins the
      // target's solicited-node group and probes, waiting long; A starts only once B's probe
      // has passed a0 (and A's stack, not yet in the group, has dropped it). B hears A's
      // probe: duplicate. A never hears B's, nor its own: unique.
      const atB = ndB.dad('b0', ip6('2001:db8:aa::400'), LONG_DAD_MS);
      await bounded("B's probe at A", bProbeAtA.seen);
      const atA = ndA.dad('a0', ip6('2001:db8:aa::400'));
      assert.deepEqual(await bounded('both DADs', Promise.all([atA, atB])), ['unique', 'duplicate']);
      const probe = seenByB.find((m) => m.message.kind === 'ns');
      assert.ok(probe, 'B observed the probe');
      assert.equal(probe.src, '::');
      assert.equal(probe.dst, 'ff02::1:ff00:400');
      assert.equal(formatIp6(probe.message.target), '2001:db8:aa::400');
      assert.ok(probe.message.kind === 'ns' && probe.message.sourceLinkLayer === undefined, 'no source link-layer option from ::');
    } finally {
      await bProbeAtA.stop();
      ndA.close();
      ndB.close();
    }
  });
});

test("DAD: 2,000 at once, each in its own solicited-node group (past one socket's option memory), another node's probe for the last still heard", { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  await withNetnsGroup(2, async ([a, b]) => {
    await link(a!, b!);
    const nd = NdSocket.open({ netns: a!.name });
    const peer = NdSocket.open({ netns: b!.name });
    const COUNT = 2000;
    // Solicited-node group ff02::1:ff00:XXXX for each: 2,000 groups, where Linux 6.1's 20 KiB
    // of option memory holds a few hundred memberships per socket.
    const target = (i: number) => ip6(`2001:db8:aa::1:0:${(0x1000 + i).toString(16)}`);
    // ff02::1:ff00:1000 .. ff02::1:ff00:17cf: none is a group the kernel joined for a0's own addresses.
    const ours = async () => (await a!.ip('-6', 'maddr', 'show', 'dev', 'a0')).split('\n').filter((l) => /ff02::1:ff00:1[0-7][0-9a-f]{2}\b/.test(l)).length;
    try {
      const last = target(COUNT - 1);
      const dads = Array.from({ length: COUNT - 1 }, (_, i) => nd.dad('a0', target(i), 10_000));
      const atA = nd.dad('a0', last, LONG_DAD_MS);
      assert.equal(nd.stats.dadPending, COUNT);
      assert.equal(await ours(), COUNT, 'a solicited-node group per pending DAD joined on a0');
      // B probes for the last target (its NS goes to that target's group only): A hears it.
      const atB = peer.dad('b0', last);
      assert.deepEqual(await bounded('both DADs for the last target', Promise.all([atA, atB])), ['duplicate', 'unique']);
      const results = await bounded('the 1,999 other DADs', Promise.all(dads));
      assert.ok(results.every((r) => r === 'unique'));
      assert.equal(nd.stats.dadPending, 0);
      assert.equal(await ours(), 0, 'every group left again');
    } finally {
      nd.close();
      peer.close();
    }
  });
});

test('unsolicited NA: seen by a peer socket and by tcpdump with override, router and the MAC', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  await withNetnsGroup(2, async ([a, b]) => {
    await link(a!, b!);
    const nd = NdSocket.open({ netns: a!.name });
    const peer = NdSocket.open({ netns: b!.name });
    const dump = await watchPackets(b!, 'b0', 'icmp6 and ip6[40] == 136');
    try {
      const mac = await macOf(a!, 'a0');
      const observed = new Promise<NdObserved>((resolve) => peer.once('neighbor', resolve));
      const octets = nd.unsolicitedNa('a0', ip6('2001:db8:aa::100'));
      assert.equal(octets, 32, 'NA of 24 octets and a target link-layer option of 8');
      const m = await bounded('the NA at the peer', observed);
      assert.equal(m.dst, 'ff02::1');
      assert.match(m.src, /^fe80::/, 'from the link-local address the kernel chose');
      assert.ok(m.message.kind === 'na');
      assert.equal(formatIp6(m.message.target), '2001:db8:aa::100');
      assert.deepEqual([m.message.override, m.message.solicited, m.message.router], [true, false, true]);
      assert.equal(formatMac(m.message.targetLinkLayer!), mac);
      const out = await bounded('the NA in tcpdump', dump.seen);
      assert.match(out, /neighbor advertisement, length 32, tgt is 2001:db8:aa::100, Flags \[router, override\]/);
      assert.match(out, new RegExp(`destination link-address option \\(2\\), length 8 \\(1\\): ${mac}`));
      assert.match(out, /hlim 255/);
      // An explicit link-layer address is used as given.
      const again = new Promise<NdObserved>((resolve) => peer.once('neighbor', resolve));
      nd.unsolicitedNa('a0', ip6('2001:db8:aa::101'), '02:00:00:00:aa:01');
      const m2 = await bounded('the second NA at the peer', again);
      assert.ok(m2.message.kind === 'na' && formatMac(m2.message.targetLinkLayer!) === '02:00:00:00:aa:01');
    } finally {
      await dump.stop();
      nd.close();
      peer.close();
    }
  });
});

test('errors: unknown interface, closing with DADs pending', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  await withNetnsGroup(2, async ([a, b]) => {
    await link(a!, b!);
    const nd = NdSocket.open({ netns: a!.name });
    await assert.rejects(nd.dad('nosuch0', ip6('2001:db8:aa::5')), (e: unknown) => e instanceof SyscallError && e.code === 'ENODEV');
    assert.throws(() => nd.unsolicitedNa('nosuch0', ip6('2001:db8:aa::5')), (e: unknown) => e instanceof SyscallError && e.code === 'ENODEV');
    // libuv names errno 95 ENOTSUP (Linux: EOPNOTSUPP and ENOTSUP are the same number).
    const notEthernet = (e: unknown): boolean => e instanceof KernelError && e.errno === Errno.EOPNOTSUPP;
    assert.throws(() => nd.unsolicitedNa('lo', ip6('2001:db8:aa::5')), notEthernet);
    await assert.rejects(nd.dad('lo', ip6('2001:db8:aa::5')), notEthernet);
    await a!.ip('link', 'add', 'x0', 'type', 'veth', 'peer', 'name', 'x1');
    await assert.rejects(nd.dad('x0', ip6('2001:db8:aa::5')), (e: unknown) => e instanceof KernelError && e.code === 'ENETDOWN');
    const pending = nd.dad('a0', ip6('2001:db8:aa::6'));
    nd.close();
    await assert.rejects(pending, (e: unknown) => e instanceof KernelError && e.code === 'ECANCELED');
    await assert.rejects(nd.dad('a0', ip6('2001:db8:aa::6')), (e: unknown) => e instanceof KernelError && e.code === 'EBADF');
    assert.equal(nd.stats.receiveErrors, 0);
  });
});

// NdSocket against a real kernel: a home agent namespace (A, link a0) and a peer (B, link
// b0) on one veth. A's interfaces skip kernel DAD (accept_dad 0) so its link-local address is
// usable at once; B keeps normal DAD, so its addresses answer probes as any host would.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { KernelError } from '../../lib/platform/kernel-errors.js';
import { NdSocket, type NdObserved } from '../../lib/net/nd-socket.js';
import { formatMac } from '../../lib/net/nd-codec.js';
import { Errno, SyscallError } from '../../lib/platform/sys/errno.js';
import { formatIp6 } from '../../lib/inet/ip6.js';
import { addVethPair, withNetnsGroup, type Netns } from './netns.js';

async function link(a: Netns, b: Netns): Promise<void> {
  await a.exec('sysctl', '-q', '-w', 'net.ipv6.conf.default.accept_dad=0');
  await addVethPair(a, 'a0', b, 'b0');
  await a.ip('addr', 'add', '2001:db8:aa::1/64', 'dev', 'a0');
  await a.ip('link', 'set', 'a0', 'up');
  await b.ip('link', 'set', 'b0', 'up');
  // Until the kernel's link watch marks a link operational (up to a second after `up`),
  // frames sent on it vanish; NdSocket.dad refuses such a link with ENETDOWN.
  for (let i = 0; i < 100; i++) {
    const up = await Promise.all([
      operstate(a, 'a0'),
      operstate(b, 'b0'),
    ]);
    if (up.every((s) => s === 'UP')) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the veth link did not become operational');
}

async function operstate(ns: Netns, ifname: string): Promise<string> {
  const rows = JSON.parse(await ns.ip('-j', 'link', 'show', ifname)) as { operstate: string }[];
  return rows[0]!.operstate;
}

/** Adds the addresses on B without nodad and waits until B's own DAD has finished with them. */
async function addAndSettle(b: Netns, ...addrs: string[]): Promise<void> {
  for (const addr of addrs) await b.ip('addr', 'add', `${addr}/64`, 'dev', 'b0');
  for (let i = 0; i < 60; i++) {
    const text = await b.ip('-6', 'addr', 'show', 'dev', 'b0');
    if (addrs.every((addr) => text.includes(addr)) && !/tentative/.test(text)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${addrs.join(', ')} still tentative on B`);
}

async function macOf(ns: Netns, ifname: string): Promise<string> {
  const rows = JSON.parse(await ns.ip('-j', 'link', 'show', ifname)) as { address: string }[];
  return rows[0]!.address;
}

async function timed<T>(p: Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await p;
  return { value, ms: performance.now() - t0 };
}

test('DAD: unique after the timeout, duplicate when the peer holds the address, many at once', async () => {
  await withNetnsGroup(2, async ([a, b]) => {
    await link(a!, b!);
    await addAndSettle(b!, '2001:db8:aa::300', '2001:db8:aa::301');
    const nd = NdSocket.open({ netns: a!.name });
    try {
      const unique = await timed(nd.dad('a0', '2001:db8:aa::200'));
      assert.equal(unique.value, 'unique');
      assert.ok(unique.ms >= 990 && unique.ms < 2500, `took ${unique.ms} ms`);

      const dup = await timed(nd.dad('a0', '2001:db8:aa::300'));
      assert.equal(dup.value, 'duplicate');
      assert.ok(dup.ms < 900, `the peer's NA should end it early, took ${dup.ms} ms`);

      // Four at once, two sharing a target: about one timeout in all, not one each.
      const t0 = performance.now();
      const p1 = nd.dad('a0', '2001:db8:aa::201');
      const p2 = nd.dad('a0', '2001:db8:aa::202', 700);
      const p3 = nd.dad('a0', '2001:db8:aa::301');
      const p4 = nd.dad('a0', '2001:db8:aa::201');
      assert.equal(p4, p1, 'a second DAD for a pending target shares the first');
      assert.equal(nd.stats.dadPending, 3);
      assert.equal(await p3, 'duplicate');
      assert.ok(performance.now() - t0 < 650);
      assert.equal(await p2, 'unique');
      assert.deepEqual(await Promise.all([p1, p4]), ['unique', 'unique']);
      assert.ok(performance.now() - t0 < 2000, `concurrent DADs took ${performance.now() - t0} ms`);
      assert.equal(nd.stats.dadPending, 0);
      // The solicited-node groups joined for the probes were left again.
      const groups = await a!.ip('-6', 'maddr', 'show', 'dev', 'a0');
      assert.doesNotMatch(groups, /ff02::1:ff00:20[0-2]/);
    } finally {
      nd.close();
    }
  });
});

test("DAD: another node's probe for the same target means duplicate; a node's own probe does not", async () => {
  await withNetnsGroup(2, async ([a, b]) => {
    await link(a!, b!);
    const ndA = NdSocket.open({ netns: a!.name });
    const ndB = NdSocket.open({ netns: b!.name });
    const seenByB: NdObserved[] = [];
    ndB.on('neighbor', (m) => seenByB.push(m));
    try {
      // B (which has no address at all yet: its link-local is still tentative) joins the
      // target's solicited-node group and probes; A starts only after B's probe has passed.
      // B hears A's probe: duplicate. A never hears B's, nor its own: unique.
      const atB = ndB.dad('b0', '2001:db8:aa::400', 1500);
      await new Promise((r) => setTimeout(r, 200));
      const atA = ndA.dad('a0', '2001:db8:aa::400');
      assert.deepEqual(await Promise.all([atA, atB]), ['unique', 'duplicate']);
      const probe = seenByB.find((m) => m.message.kind === 'ns');
      assert.ok(probe, 'B observed the probe');
      assert.equal(probe.src, '::');
      assert.equal(probe.dst, 'ff02::1:ff00:400');
      assert.equal(formatIp6(probe.message.target), '2001:db8:aa::400');
      assert.ok(probe.message.kind === 'ns' && probe.message.sourceLinkLayer === undefined, 'no source link-layer option from ::');
    } finally {
      ndA.close();
      ndB.close();
    }
  });
});

test('unsolicited NA: seen by a peer socket and by tcpdump with override, router and the MAC', async () => {
  await withNetnsGroup(2, async ([a, b]) => {
    await link(a!, b!);
    const nd = NdSocket.open({ netns: a!.name });
    const peer = NdSocket.open({ netns: b!.name });
    const dump = spawn('ip', ['netns', 'exec', b!.name, 'tcpdump', '-l', '-n', '-vv', '-c', '1', '-i', 'b0', 'icmp6 and ip6[40] == 136'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      dump.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      const exited = new Promise<number | null>((resolve) => dump.on('close', resolve));
      await new Promise<void>((resolve, reject) => {
        let err = '';
        dump.stderr.setEncoding('utf8').on('data', (d: string) => {
          err += d;
          if (err.includes('listening on')) resolve();
        });
        setTimeout(() => reject(new Error(`tcpdump did not start: ${err}`)), 10_000);
      });
      const mac = await macOf(a!, 'a0');
      const observed = new Promise<NdObserved>((resolve) => peer.once('neighbor', resolve));
      const octets = nd.unsolicitedNa('a0', '2001:db8:aa::100');
      assert.equal(octets, 32, 'NA of 24 octets and a target link-layer option of 8');
      const m = await observed;
      assert.equal(m.dst, 'ff02::1');
      assert.match(m.src, /^fe80::/, 'from the link-local address the kernel chose');
      assert.ok(m.message.kind === 'na');
      assert.equal(formatIp6(m.message.target), '2001:db8:aa::100');
      assert.deepEqual([m.message.override, m.message.solicited, m.message.router], [true, false, true]);
      assert.equal(formatMac(m.message.targetLinkLayer!), mac);
      assert.equal(await exited, 0);
      assert.match(out, /neighbor advertisement, length 32, tgt is 2001:db8:aa::100, Flags \[router, override\]/);
      assert.match(out, new RegExp(`destination link-address option \\(2\\), length 8 \\(1\\): ${mac}`));
      assert.match(out, /hlim 255/);
      // An explicit link-layer address is used as given.
      const again = new Promise<NdObserved>((resolve) => peer.once('neighbor', resolve));
      nd.unsolicitedNa('a0', '2001:db8:aa::101', '02:00:00:00:aa:01');
      const m2 = await again;
      assert.ok(m2.message.kind === 'na' && formatMac(m2.message.targetLinkLayer!) === '02:00:00:00:aa:01');
    } finally {
      dump.kill();
      nd.close();
      peer.close();
    }
  });
});

test('errors: unknown interface, closing with DADs pending', async () => {
  await withNetnsGroup(2, async ([a, b]) => {
    await link(a!, b!);
    const nd = NdSocket.open({ netns: a!.name });
    await assert.rejects(nd.dad('nosuch0', '2001:db8:aa::5'), (e: unknown) => e instanceof SyscallError && e.code === 'ENODEV');
    assert.throws(() => nd.unsolicitedNa('nosuch0', '2001:db8:aa::5'), (e: unknown) => e instanceof SyscallError && e.code === 'ENODEV');
    // libuv names errno 95 ENOTSUP (Linux: EOPNOTSUPP and ENOTSUP are the same number).
    const notEthernet = (e: unknown): boolean => e instanceof KernelError && e.errno === Errno.EOPNOTSUPP;
    assert.throws(() => nd.unsolicitedNa('lo', '2001:db8:aa::5'), notEthernet);
    await assert.rejects(nd.dad('lo', '2001:db8:aa::5'), notEthernet);
    await a!.ip('link', 'add', 'x0', 'type', 'veth', 'peer', 'name', 'x1');
    await assert.rejects(nd.dad('x0', '2001:db8:aa::5'), (e: unknown) => e instanceof KernelError && e.code === 'ENETDOWN');
    const pending = nd.dad('a0', '2001:db8:aa::6');
    nd.close();
    await assert.rejects(pending, (e: unknown) => e instanceof KernelError && e.code === 'ECANCELED');
    await assert.rejects(nd.dad('a0', '2001:db8:aa::6'), (e: unknown) => e instanceof KernelError && e.code === 'EBADF');
    assert.equal(nd.stats.receiveErrors, 0);
  });
});

// mcoad as a home agent in a real kernel: BUs through the real socket from another
// namespace, BAs back over a type 2 routing header, bindings in `mcoactl`, tunnels, routes
// and proxy entries in `ip`, expiry, restart and kill -9 without loss.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withNetnsGroup, type Netns } from './netns.js';
import {
  COA, HA, HOA, MobileNodeSide, bindings, bu, coaBid, labConfig, mcoactl, removeDir, startDaemon, stopDaemon, tempDir, topology, writeConfig, type Daemon,
} from './ha-fixture.js';

const COAS = ['2001:db8:1::10', '2001:db8:1::11', '2001:db8:1::12'];

async function kernelView(ha: Netns): Promise<{ tunnels: string[]; routes: string[]; proxies: string[] }> {
  const links = JSON.parse(await ha.ip('-d', '-j', 'link', 'show', 'type', 'ip6tnl')) as { ifname: string; ifindex: number; linkinfo?: { info_data?: { remote?: string } } }[];
  return {
    tunnels: links.filter((l) => l.ifname.startsWith('mip6t')).map((l) => `${l.ifindex}:${l.linkinfo?.info_data?.remote}`).sort(),
    routes: (await ha.ip('-6', 'route', 'show', 'proto', '135')).split('\n').filter((l) => l && !/^\s/.test(l)),
    proxies: (await ha.ip('-6', 'neigh', 'show', 'proxy')).split('\n').filter(Boolean),
  };
}

async function scenario(extraConfig: string, fn: (ha: Netns, mn: Netns, d: Daemon, mnSide: MobileNodeSide) => Promise<void>): Promise<void> {
  await withNetnsGroup(2, async ([ha, mn]) => {
    await topology(ha!, mn!);
    const dir = tempDir();
    const config = writeConfig(dir, extraConfig);
    const mnSide = new MobileNodeSide(mn!);
    let d: Daemon | undefined;
    try {
      d = await startDaemon(ha!, dir, config);
      await fn(ha!, mn!, d, mnSide);
    } catch (err) {
      if (d) (err as Error).message += `\n--- mcoad output ---\n${d.output.slice(-40).join('\n')}`;
      throw err;
    } finally {
      mnSide.close();
      if (d) await stopDaemon(d, 'SIGKILL');
      removeDir(dir);
    }
  });
}

test('bulk registration through the real socket: BA over RH2, bindings, tunnels, routes, proxy entry', { timeout: 90_000 }, async () => {
  await scenario(labConfig(), async (ha, _mn, d, mn) => {
    mn.sendBu(bu(10, 400, COAS.map((c, i) => coaBid(i + 1, c))));
    const { ba, received } = await mn.nextBa();
    assert.equal(ba.status, 0);
    assert.equal(ba.sequence, 10);
    assert.equal(received.dst, HOA); // delivered to the home address ...
    assert.equal(received.routingHeader, COA); // ... through a type 2 routing header
    assert.deepEqual(ba.options.filter((o) => o.kind === 'bid').map((o) => (o.kind === 'bid' ? o.bid : 0)), [1, 2, 3]);
    const list = await bindings(d);
    assert.deepEqual(list.map((b) => `${b.hoa} ${b.bid} ${b.coa} ${b.sequence}`).sort(), COAS.map((c, i) => `${HOA} ${i + 1} ${c} 10`));
    // The kernel catches up right after the BA.
    let k = await kernelView(ha);
    for (let i = 0; i < 40 && k.tunnels.length < 3; i++) k = await new Promise((r) => setTimeout(r, 50)).then(() => kernelView(ha));
    assert.deepEqual(k.tunnels.map((t) => t.split(':').slice(1).join(':')).sort(), COAS);
    assert.equal(k.routes.length, 1);
    assert.match(k.routes[0]!, new RegExp(`^${HOA} nhid \\d+`));
    assert.ok(k.proxies.some((p) => p.startsWith(`${HOA} dev home0`)), k.proxies.join('\n'));
    const text = await mcoactl(d, 'show', 'bindings');
    assert.match(text, /2001:db8:aa::100/);
    const stats = JSON.parse(await mcoactl(d, 'show', 'stats', '--json')) as { bindings: number; counters: Record<string, Record<string, number>> };
    assert.equal(stats.bindings, 3);
    assert.equal(stats.counters['received']?.['bu'], 1);
    assert.equal(stats.counters['sent']?.['ba'], 1);
  });
});

test('a refresh is acknowledged, an old sequence gets 135, de-registration of one BID removes its tunnel', { timeout: 90_000 }, async () => {
  await scenario(labConfig(), async (ha, _mn, d, mn) => {
    mn.sendBu(bu(100, 400, COAS.map((c, i) => coaBid(i + 1, c))));
    assert.equal((await mn.nextBa()).ba.status, 0);
    mn.sendBu(bu(101, 400, [{ bid: 2, c: false, o: false, h: false }]));
    assert.equal((await mn.nextBa()).ba.status, 0);
    mn.sendBu(bu(99, 400, [{ bid: 2, c: false, o: false, h: false }]));
    const stale = (await mn.nextBa()).ba;
    assert.equal(stale.status, 135);
    assert.equal(stale.sequence, 101);
    mn.sendBu(bu(102, 0, [{ bid: 3, c: false, o: false, h: false }]));
    assert.equal((await mn.nextBa()).ba.status, 0);
    // BID 2's refresh had no C flag: its care-of address is now the packet's source (§6.3),
    // the one BID 1 uses, so the two share one tunnel and BID 3's tunnel goes.
    assert.deepEqual((await bindings(d)).map((b) => `${b.bid} ${b.coa}`).sort(), [`1 ${COAS[0]}`, `2 ${COA}`]);
    let k = await kernelView(ha);
    for (let i = 0; i < 40 && k.tunnels.length !== 1; i++) k = await new Promise((r) => setTimeout(r, 50)).then(() => kernelView(ha));
    assert.deepEqual(k.tunnels.map((t) => t.split(':').slice(1).join(':')), [COA]);
  });
});

test('IPsec required (the default): an unprotected BU changes nothing and is counted as refused', { timeout: 90_000 }, async () => {
  await scenario('', async (ha, _mn, d, mn) => {
    mn.sendBu(bu(1, 400, [coaBid(1, COA)]));
    await assert.rejects(mn.nextBa(1500), /no BA/);
    assert.deepEqual(await bindings(d), []);
    const stats = JSON.parse(await mcoactl(d, 'show', 'stats', '--json')) as { counters: Record<string, Record<string, number>> };
    assert.equal(stats.counters['refused']?.['ipsec-required'], 1);
    assert.ok(d.output.some((l) => l.includes('IPsec') || l.includes('ipsec-required')));
    assert.deepEqual((await kernelView(ha)).tunnels, []);
  });
});

test('lifetime expiry removes the bindings and every kernel object', { timeout: 90_000 }, async () => {
  await scenario(labConfig(), async (ha, _mn, d, mn) => {
    mn.sendBu(bu(5, 4, [coaBid(1, COAS[0]!), coaBid(2, COAS[1]!)]));
    assert.equal((await mn.nextBa()).ba.lifetimeSeconds, 4);
    assert.equal((await bindings(d)).length, 2);
    await new Promise((r) => setTimeout(r, 4500));
    assert.deepEqual(await bindings(d), []);
    let k = await kernelView(ha);
    for (let i = 0; i < 40 && k.tunnels.length + k.routes.length > 0; i++) k = await new Promise((r) => setTimeout(r, 50)).then(() => kernelView(ha));
    assert.deepEqual(k, { tunnels: [], routes: [], proxies: k.proxies.filter((p) => !p.startsWith(HOA)) });
  });
});

test('restart keeps everything; kill -9 loses no acknowledged binding; the kernel objects are adopted, not re-made', { timeout: 90_000 }, async () => {
  await scenario(labConfig(), async (ha, _mn, d, mn) => {
    mn.sendBu(bu(7, 400, COAS.map((c, i) => coaBid(i + 1, c))));
    assert.equal((await mn.nextBa()).ba.status, 0);
    let before = await kernelView(ha);
    for (let i = 0; i < 40 && before.tunnels.length < 3; i++) before = await new Promise((r) => setTimeout(r, 50)).then(() => kernelView(ha));
    const list = await bindings(d);
    const code = await Promise.race([stopDaemon(d, 'SIGTERM'), new Promise((r) => setTimeout(() => r('timeout'), 10000))]);
    assert.equal(code, 0, `mcoad did not stop cleanly on SIGTERM:\n${d.output.slice(-15).join('\n')}`);
    const d2 = await startDaemon(ha, d.dir, d.config);
    try {
      assert.deepEqual((await bindings(d2)).map((b) => `${b.bid} ${b.coa} ${b.sequence}`), list.map((b) => `${b.bid} ${b.coa} ${b.sequence}`));
      assert.deepEqual(await kernelView(ha), before); // same ifindexes: nothing deleted and re-added
      // A replayed old BU is still refused after the restart.
      mn.sendBu(bu(6, 400, [coaBid(1, COAS[0]!)]));
      assert.equal((await mn.nextBa()).ba.status, 135);
      // Acknowledged, then kill -9 right away.
      mn.sendBu(bu(8, 400, [{ bid: 4, c: true, o: false, h: false, coa: new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x13]) }]));
      assert.equal((await mn.nextBa()).ba.status, 0);
      await stopDaemon(d2, 'SIGKILL');
      const d3 = await startDaemon(ha, d.dir, d.config);
      try {
        assert.deepEqual((await bindings(d3)).map((b) => b.bid).sort(), [1, 2, 3, 4]);
      } finally {
        await stopDaemon(d3, 'SIGKILL');
      }
    } finally {
      await stopDaemon(d2, 'SIGKILL');
    }
  });
});

test('10,000 random and mutated Mobility Header packets: the daemon keeps serving', { timeout: 90_000 }, async () => {
  await scenario(labConfig(), async (_ha, _mn, d, mn) => {
    const { encodeMessage } = await import('../../lib/wire/mh.js');
    const { DRAFT04_PROFILE } = await import('../../lib/wire/profiles.js');
    const valid = encodeMessage(bu(1, 400, COAS.map((c, i) => coaBid(i + 1, c))), DRAFT04_PROFILE);
    let seed = 12345;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
    let sent = 0;
    for (let i = 0; i < 10000; i++) {
      let p: Uint8Array;
      if (i % 4 === 0) {
        p = new Uint8Array(8 * (1 + rnd(8)));
        for (let j = 0; j < p.length; j++) p[j] = rnd(256);
        p[0] = 59; // most pass the kernel's own MH checks this way
        p[1] = p.length / 8 - 1;
      } else {
        p = Uint8Array.from(valid);
        for (let f = 0; f < 1 + rnd(6); f++) p[4 + rnd(p.length - 4)] = rnd(256);
        if (i % 7 === 0) p = p.subarray(0, 8 * (1 + rnd(p.length / 8)));
        p[0] = 59;
        p[1] = p.length / 8 - 1;
      }
      try {
        mn.sendRaw(p);
        sent++;
      } catch {
        await new Promise((r) => setTimeout(r, 5)); // send buffer full: give the kernel a moment
      }
      if (i % 500 === 0) await new Promise((r) => setImmediate(r));
    }
    assert.ok(sent > 9000, `sent ${sent}`);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(d.proc.exitCode, null, 'mcoad must still run');
    mn.sendBu(bu(60000, 400, [coaBid(9, COA)]));
    const { ba } = await mn.nextBa(8000);
    assert.ok(ba.status === 0 || ba.status === 135 || ba.status >= 128, `status ${ba.status}`);
    const stats = JSON.parse(await mcoactl(d, 'show', 'stats', '--json')) as { counters: Record<string, Record<string, number>> };
    assert.ok((stats.counters['mh']?.['malformed'] ?? 0) > 0, JSON.stringify(stats.counters));
  });
});

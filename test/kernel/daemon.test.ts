// mcoad as a home agent in a real kernel: BUs through the real socket from another
// namespace, BAs back over a type 2 routing header, bindings in `mcoactl`, tunnels, routes
// and proxy entries in `ip`, expiry, restart and kill -9 without loss.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Netns } from './netns.js';
import {
  COA, HOA, KERNEL_TEST_TIMEOUT_MS, WAIT_BOUND_MS, bindings, bu, coaBid, counter, homeAgentTunnelsGone, mcoactl, sleep, stats, stopDaemon, until, withPairHomeAgent,
  type HomeAgentOptions,
} from './fixtures/index.js';

const COAS = ['2001:db8:1::10', '2001:db8:1::11', '2001:db8:1::12'];
/** Per-binding: these tests read the tunnel devices back, and a restart must adopt each by its
    ifindex (the shared data plane's own restart test is shared-dataplane.test.ts). Kernel proxy
    entries (proxy_nd: kernel): they read the proxy entry's lifecycle back with ip. */
const LAB: HomeAgentOptions = { ipsecRequired: false, dataplane: 'per-binding', homeAgent: '  proxy_nd: kernel\n' };
/** Binding lifetime of the expiry test. */
const LIFETIME_S = 20;
/** A mobile node's retransmission interval in the burst test. */
const RESEND_MS = 10_000;

async function kernelView(ha: Netns): Promise<{ tunnels: string[]; routes: string[]; proxies: string[] }> {
  const links = JSON.parse(await ha.ip('-d', '-j', 'link', 'show', 'type', 'ip6tnl')) as { ifname: string; ifindex: number; linkinfo?: { info_data?: { remote?: string } } }[];
  return {
    tunnels: links.filter((l) => l.ifname.startsWith('mip6t')).map((l) => `${l.ifindex}:${l.linkinfo?.info_data?.remote}`).sort(),
    routes: (await ha.ip('-6', 'route', 'show', 'proto', '135')).split('\n').filter((l) => l && !/^\s/.test(l)),
    proxies: (await ha.ip('-6', 'neigh', 'show', 'proxy')).split('\n').filter(Boolean),
  };
}

/** The kernel view once `done` says the reconciler has caught up with the bindings (tunnels first, routes and proxy entries after). */
const kernelViewWhen = (ha: Netns, what: string, done: (k: Awaited<ReturnType<typeof kernelView>>) => boolean): Promise<Awaited<ReturnType<typeof kernelView>>> =>
  until(what, async () => {
    const k = await kernelView(ha);
    return done(k) ? k : undefined;
  });

test('bulk registration through the real socket: BA over RH2, bindings, tunnels, routes, proxy entry', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  await withPairHomeAgent(LAB, async ({ ha, d, mnSide: mn }) => {
    mn.sendBu(bu(10, 400, COAS.map((c, i) => coaBid(i + 1, c))));
    const { ba, received } = await mn.nextBa();
    assert.equal(ba.status, 0);
    assert.equal(ba.sequence, 10);
    assert.equal(received.dst, HOA); // delivered to the home address ...
    assert.equal(received.routingHeader, COA); // ... through a type 2 routing header
    assert.deepEqual(ba.options.filter((o) => o.kind === 'bid').map((o) => (o.kind === 'bid' ? o.bid : 0)), [1, 2, 3]);
    const list = await bindings(d);
    assert.deepEqual(list.map((b) => `${b.hoa} ${b.bid} ${b.coa} ${b.sequence}`).sort(), COAS.map((c, i) => `${HOA} ${i + 1} ${c} 10`));
    // The kernel catches up after the BA.
    const k = await kernelViewWhen(ha, 'three tunnels, the route and the proxy entry', (v) => v.tunnels.length === 3 && v.routes.length === 1 && v.proxies.some((p) => p.startsWith(HOA)));
    assert.deepEqual(k.tunnels.map((t) => t.split(':').slice(1).join(':')).sort(), COAS);
    assert.equal(k.routes.length, 1);
    assert.match(k.routes[0]!, new RegExp(`^${HOA} nhid \\d+`));
    assert.ok(k.proxies.some((p) => p.startsWith(`${HOA} dev home0`)), k.proxies.join('\n'));
    const text = await mcoactl(d, 'show', 'bindings');
    assert.match(text, /2001:db8:aa::100/);
    const s = await stats(d);
    assert.equal(s.bindings, 3);
    assert.equal(s.counters['received']?.['bu'], 1);
    assert.equal(s.counters['sent']?.['ba'], 1);
  });
});

test('a refresh is acknowledged, an old sequence gets 135, de-registration of one BID removes its tunnel', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  await withPairHomeAgent(LAB, async ({ ha, d, mnSide: mn }) => {
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
    const k = await kernelViewWhen(ha, 'one tunnel', (v) => v.tunnels.length === 1);
    assert.deepEqual(k.tunnels.map((t) => t.split(':').slice(1).join(':')), [COA]);
  });
});

test('IPsec required (the default): an unprotected BU changes nothing and is counted as refused', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  await withPairHomeAgent({}, async ({ ha, d, mnSide: mn }) => {
    const bas = mn.collectBas();
    mn.sendBu(bu(1, 400, [coaBid(1, COA)]));
    // Counted once the daemon has decided; a BA would have been sent by then.
    await until('the BU counted as refused', async () => (await counter(d, 'refused', 'ipsec-required')) >= 1);
    bas.stop();
    assert.deepEqual(bas.list, [], 'no BA');
    assert.deepEqual(await bindings(d), []);
    assert.equal(await counter(d, 'refused', 'ipsec-required'), 1);
    assert.ok(d.output.some((l) => l.includes('IPsec') || l.includes('ipsec-required')));
    // The default data plane (shared): its device is there from the start; no binding's objects are.
    assert.equal(await homeAgentTunnelsGone(ha, HOA), true, 'no encap nexthop or pair filter');
    assert.deepEqual((await kernelView(ha)).routes, []);
  });
});

test('lifetime expiry removes the bindings and every kernel object', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  await withPairHomeAgent(LAB, async ({ ha, d, mnSide: mn }) => {
    // Long enough to list the bindings before they expire, even on a loaded machine.
    mn.sendBu(bu(5, LIFETIME_S, [coaBid(1, COAS[0]!), coaBid(2, COAS[1]!)]));
    assert.equal((await mn.nextBa()).ba.lifetimeSeconds, LIFETIME_S);
    assert.equal((await bindings(d)).length, 2);
    await until('the bindings to expire', async () => (await bindings(d)).length === 0, WAIT_BOUND_MS + LIFETIME_S * 1000);
    const k = await kernelViewWhen(ha, 'the tunnels, routes and proxy entry gone', (v) => v.tunnels.length + v.routes.length === 0 && !v.proxies.some((p) => p.startsWith(HOA)));
    assert.deepEqual(k, { tunnels: [], routes: [], proxies: k.proxies.filter((p) => !p.startsWith(HOA)) });
  });
});

test('restart keeps everything; kill -9 loses no acknowledged binding; the kernel objects are adopted, not re-made', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  await withPairHomeAgent(LAB, async ({ ha, d, mnSide: mn, scope }) => {
    mn.sendBu(bu(7, 400, COAS.map((c, i) => coaBid(i + 1, c))));
    assert.equal((await mn.nextBa()).ba.status, 0);
    const before = await kernelViewWhen(ha, 'three tunnels, the route and the proxy entry', (v) => v.tunnels.length === 3 && v.routes.length === 1 && v.proxies.some((p) => p.startsWith(HOA)));
    const list = await bindings(d);
    const code = await stopDaemon(d, 'SIGTERM');
    assert.equal(code, 0, `mcoad did not stop cleanly on SIGTERM:\n${d.output.slice(-15).join('\n')}`);
    const d2 = await scope.restartDaemon(d, 'SIGTERM');
    assert.deepEqual((await bindings(d2)).map((b) => `${b.bid} ${b.coa} ${b.sequence}`), list.map((b) => `${b.bid} ${b.coa} ${b.sequence}`));
    assert.deepEqual(await kernelView(ha), before); // same ifindexes: nothing deleted and re-added
    // A replayed old BU is still refused after the restart.
    mn.sendBu(bu(6, 400, [coaBid(1, COAS[0]!)]));
    assert.equal((await mn.nextBa()).ba.status, 135);
    // Acknowledged, then kill -9 right away.
    mn.sendBu(bu(8, 400, [{ bid: 4, c: true, o: false, h: false, coa: new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x13]) }]));
    assert.equal((await mn.nextBa()).ba.status, 0);
    const d3 = await scope.restartDaemon(d2, 'SIGKILL');
    assert.deepEqual((await bindings(d3)).map((b) => b.bid).sort(), [1, 2, 3, 4]);
  });
});

test('10,000 random and mutated Mobility Header packets: the daemon keeps serving', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  await withPairHomeAgent(LAB, async ({ d, mnSide: mn }) => {
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
        await sleep(5); // send buffer full: give the kernel a moment
      }
      if (i % 500 === 0) await new Promise((r) => setImmediate(r));
    }
    assert.ok(sent > 9000, `sent ${sent}`);
    // A valid BU answered proves the daemon still serves. It may drain the burst for a while,
    // and its socket may drop what does not fit meanwhile: resend, as a mobile node would,
    // until a BA for it comes.
    let seq = 60000;
    const { ba } = await until('a BA after the burst', async () => {
      mn.sendBu(bu(seq++, 400, [coaBid(9, COA)]));
      return mn.nextBa(RESEND_MS).catch(() => undefined);
    });
    assert.ok(ba.status === 0 || ba.status === 135 || ba.status >= 128, `status ${ba.status}`);
    assert.equal(d.proc.exitCode, null, 'mcoad must still run');
    assert.ok((await counter(d, 'mh', 'malformed')) > 0, JSON.stringify((await stats(d)).counters));
  });
});

/** Samples of a Prometheus text exposition, by `name{labels}`. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

const METRICS_URL = 'http://127.0.0.1:9417/metrics';

test('GET /metrics of a running mcoad (curl in its namespace) after a real bulk BU: binding, BU, BA, journal and kernel counters moved', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  await withPairHomeAgent({ ...LAB, topLevel: 'metrics:\n  listen: "127.0.0.1:9417"\n' }, async ({ ha, d, mnSide: mn }) => {
    const scrape = async (): Promise<Map<string, number>> => samples(await ha.exec('curl', '-sSf', METRICS_URL));
    const before = await scrape();
    assert.equal(before.get('mcoa_mh_sent_total{type="ba"}'), undefined, 'no BA sent yet');
    assert.equal(before.get('mcoa_binding_changes_total{change="added"}'), 0, 'declared: 0 from the start');
    assert.equal(before.get('mcoa_bindings{state="active"}'), 0);
    mn.sendBu(bu(10, 400, COAS.map((c, i) => coaBid(i + 1, c))));
    assert.equal((await mn.nextBa()).ba.status, 0);
    // The kernel catches up after the BA: wait for the three tunnel creations to be counted.
    const after = await until('the tunnels counted', async () => {
      const s = await scrape();
      return (s.get('mcoa_kernel_operations_total{kind="tunnel",op="create"}') ?? 0) >= 3 ? s : undefined;
    });
    assert.equal(after.get('mcoa_mh_received_total{type="bu"}'), 1);
    assert.equal(after.get('mcoa_mh_sent_total{type="ba"}'), 1);
    assert.equal(after.get('mcoa_binding_changes_total{change="added"}'), 3);
    assert.equal(after.get('mcoa_binding_update_statuses_total{status="0",result="accepted"}'), 3);
    assert.equal(after.get('mcoa_bindings{state="active"}'), 3);
    assert.equal(after.get('mcoa_home_addresses'), 1);
    assert.equal(after.get('mcoa_dad_results_total{outcome="unique"}'), 1);
    assert.ok((after.get('mcoa_journal_commit_duration_seconds_count') ?? 0) >= 1, 'journal commits timed');
    assert.ok((after.get('mcoa_reconcile_pass_duration_seconds_count') ?? 0) >= 1, 'passes timed');
    // The same registry through the control socket, for the textfile collector.
    const text = await mcoactl(d, 'show', 'stats', '--prometheus');
    assert.equal(samples(text).get('mcoa_mh_sent_total{type="ba"}'), 1);
  });
});

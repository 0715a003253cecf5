// End to end: mcoad as home agent and mcoad as mobile node with three foreign interfaces,
// a correspondent behind a router (draft-04 Figure 6), then one interface lost. Traffic is
// a UDP echo from the correspondent to the home address (see e2e-echo.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import type { Netns } from './netns.js';
import {
  COAS, CN_PREFIX, ERROR_LINE, FAILURE_LINE, HA, HOA, MN_IFACES, SCENARIO_TIMEOUT_MS, bindings, crossCheckCapture, echoFromCn, echoFromCnInBackground,
  flowsFromCn, linesMatching, logRecords, mcoactl, pingFromCn, registeredWith, startMonitor, stats, perCareOfCounters, tunnelSum, tunnels, until, untilForwarding, untilLogged, withRoutedWorld, writeHomeAgentConfig,
  writeMobileNodeConfig, type Daemon, type RoutedNamespaces,
} from './fixtures/index.js';

type Diagnostics = { diagnostic(message: string): void };

interface Running extends RoutedNamespaces {
  haD: Daemon;
  mnD: Daemon;
}

/** Each scenario runs with a capture on the home agent's uplink, read back by two decoders at the end. */
async function scenario(t: Diagnostics, fn: (r: Running) => Promise<void>, bulk = true): Promise<void> {
  await withRoutedWorld({}, async ({ ns, scope }) => {
    const capture = await scope.capture(ns.ha, 'up0', 'up0.pcap', 'ip6');
    const haD = await scope.startDaemon(ns.ha, 'home agent', (dir) => writeHomeAgentConfig(dir, { ipsecRequired: false }));
    const mnD = await scope.startDaemon(ns.mn, 'mobile node', (dir) => writeMobileNodeConfig(dir, { bulk }));
    // The home address exists once the mobile node daemon has started.
    await scope.echoServer(ns.mn);
    await fn({ ...ns, haD, mnD });
    await capture.stop();
    t.diagnostic(`capture on up0: ${await crossCheckCapture(capture.file)}`);
    // Neither daemon logged an error (pino level 50 and above); the mobile node no failed kernel
    // operation or send. (The home agent may log a retried group create when BUs arrive close together.)
    assert.deepEqual([...linesMatching(haD, ERROR_LINE), ...linesMatching(mnD, FAILURE_LINE)], []);
  });
}

async function haBindings(r: Running): Promise<string[]> {
  return (await bindings(r.haD)).map((b) => `${b.hoa} ${b.bid} ${b.coa}`).sort();
}

async function mnRoute(mn: Netns): Promise<string> {
  return (await mn.ip('-6', 'route', 'show', CN_PREFIX, 'proto', '135')).trim();
}

test('Figure 6: three foreign interfaces -> three bindings, tunnels on both sides, echo to the home address', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await scenario(t, async (r) => {
    const want = COAS.map((c) => `${HOA} ? ${c}`);
    const list = await until('three bindings at the home agent', async () => {
      const l = await haBindings(r);
      return l.length === 3 ? l : undefined;
    });
    // BIDs are the core's choice (one per interface); the care-of addresses are ours.
    assert.deepEqual(list.map((b) => b.replace(/ \d+ /, ' ? ')).sort(), want.sort());
    assert.equal(new Set(list.map((b) => b.split(' ')[1])).size, 3);

    // Home agent: three tunnels to the care-of addresses, the home address route over them, the
    // home address defended by the daemon (proxy_nd: daemon, the default), no kernel proxy
    // entry; mobile node: three tunnels bound to their interfaces, the route over them.
    await untilForwarding(r, COAS);
    assert.match(await r.ha.ip('-6', 'route', 'show', `${HOA}/128`), /nhid \d+/);
    assert.equal((await r.ha.ip('-6', 'neigh', 'show', 'proxy')).trim(), '');
    assert.equal((await stats(r.haD)).counters['proxy-nd']?.['defended'], 1);
    assert.match(await mnRoute(r.mn), new RegExp(`^${CN_PREFIX.replace('/', '\\/')} nhid \\d+`));

    // Mobile node: its Binding Update List (once it has taken the BA), the home address.
    const bul = await until('three registered entries at the mobile node', async () => {
      const l = await registeredWith(r.mnD, HA);
      return l.length === 3 ? l : undefined;
    });
    assert.deepEqual(bul.map((e) => e.coa).sort(), [...COAS]);
    const table = await mcoactl(r.mnD, 'show', 'bindings');
    for (const c of COAS) assert.ok(table.includes(c), table);
    assert.match(await r.mn.ip('-6', 'addr', 'show', 'dev', 'lo'), new RegExp(`${HOA}/128 scope global (nodad )?home`));

    // Traffic: the correspondent to the home address and back, through the tunnels (the home
    // agent's ip6tnl devices: one per care-of address, or the shared one).
    const before = await tunnels(r.ha);
    const echo = await echoFromCn(r.cn, 20, 50);
    t.diagnostic(`echo: ${echo.received}/${echo.sent} answered`);
    assert.equal(echo.received, 20, `missing ${echo.missing.join(',')}`);
    const after = await tunnels(r.ha);
    t.diagnostic(`home agent tunnels: ${after.map((x) => `${x.name}(${x.remote}) tx ${x.txPackets} rx ${x.rxPackets}`).join('; ')}`);
    assert.ok(tunnelSum(after, 'txPackets') - tunnelSum(before, 'txPackets') >= 20, 'the home agent tunnelled the requests to the mobile node');
    assert.ok(tunnelSum(after, 'rxPackets') - tunnelSum(before, 'rxPackets') >= 20, 'the replies came back through the tunnels');

    // ICMPv6 echo too: the correspondent pings the home address.
    const ping = await pingFromCn(r.cn, 10);
    t.diagnostic(`ping: ${ping.received}/${ping.transmitted} answered`);
    assert.equal(ping.received, 10);

    // Many flows: with layer-4 multipath hashing the home agent's route spreads them, and
    // every tunnel carries some (30 flows over 3 tunnels: one left idle has odds 3 x (2/3)^30).
    await r.ha.exec('sysctl', '-qw', 'net.ipv6.fib_multipath_hash_policy=1');
    const spreadBefore = await perCareOfCounters(r);
    const flows = await flowsFromCn(r.cn, 30);
    const spreadAfter = await perCareOfCounters(r);
    const perTunnel = spreadAfter.map((x) => `${x.remote} +${x.txPackets - (spreadBefore.find((b) => b.name === x.name)?.txPackets ?? 0)}`);
    t.diagnostic(`30 flows: ${flows.answered} answered; home agent tunnel tx: ${perTunnel.join(', ')}`);
    assert.equal(flows.answered, 30);
    for (const x of spreadAfter) {
      assert.ok(x.txPackets > (spreadBefore.find((b) => b.name === x.name)?.txPackets ?? 0), `tunnel to ${x.remote} carried none: ${perTunnel.join(', ')}`);
    }
  });
});

test('losing an interface: its BID is de-registered, two bindings stay, traffic goes on', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await scenario(t, async (r) => {
    await until('three bindings at the home agent', async () => ((await haBindings(r)).length === 3 ? true : undefined));
    await untilForwarding(r, COAS);
    const before = await perCareOfCounters(r);
    const warm = await echoFromCn(r.cn, 5, 50);
    assert.equal(warm.received, 5, 'echo works before the change');
    // Take down the interface whose tunnel the home agent uses for this flow, so the change hurts.
    const used = (await perCareOfCounters(r)).find((x) => x.txPackets - (before.find((b) => b.name === x.name)?.txPackets ?? 0) >= 5);
    assert.ok(used, 'one tunnel carried the flow');
    const gone = COAS.indexOf(used.remote as (typeof COAS)[number]);
    assert.ok(gone >= 0, used.remote);
    const stay = COAS.filter((_, i) => i !== gone).sort();
    t.diagnostic(`taking down ${MN_IFACES[gone]} (care-of address ${used.remote}, home agent tunnel ${used.name})`);

    // A flow running across the change: the interface goes down once 20 datagrams are answered.
    const during = echoFromCnInBackground(r.cn, 0, 50);
    await until('20 answers before the change', () => during.answered().size >= 20);
    const downAt = Date.now();
    await r.mn.ip('link', 'set', MN_IFACES[gone]!, 'down');
    const list = await until('two bindings at the home agent', async () => {
      const l = await haBindings(r);
      return l.length === 2 ? l : undefined;
    });
    t.diagnostic(`binding gone from the home agent ${Date.now() - downAt} ms after the link went down (polled every 100 ms)`);
    assert.deepEqual(list.map((b) => b.split(' ')[2]).sort(), stay);
    await untilForwarding(r, stay);
    // Both ends have converged: the flow goes on over the two tunnels left, and every datagram
    // sent from now on is answered.
    const converged = during.lastSent();
    await until('20 answers to datagrams sent after the change', () => [...during.answered()].filter((n) => n > converged).length >= 20);
    const lost = await during.stop();
    t.diagnostic(`during the change: ${lost.received}/${lost.sent} answered, missing ${JSON.stringify(lost.missing)} (both ends converged after datagram ${converged})`);
    assert.deepEqual(lost.missing.filter((n) => n > converged), [], 'a datagram sent after both ends converged went unanswered');
    // The de-registration left from an interface that is still up (draft-04 §5.6 / Figure 8's way).
    type Line = { msg: string; time: number; iface: string | null; kind: string };
    await untilLogged(r.mnD, 'its BID de-registered', (l) => l.includes('"msg":"bindingDeregistered"'));
    const mnLines = logRecords<Line>(r.mnD);
    const sentAfter = mnLines.filter((l) => l.msg === 'mobility header sent' && l.kind === 'bu' && (l.time ?? 0) >= downAt);
    assert.ok(sentAfter.length > 0 && sentAfter.every((l) => l.iface !== MN_IFACES[gone]), JSON.stringify(sentAfter));
    t.diagnostic(`Binding Updates after the change left from ${[...new Set(sentAfter.map((l) => l.iface))].join(', ')}`);
    const bul = await bindings(r.mnD);
    t.diagnostic(`mobile node list after: ${bul.map((e) => `${e.coa} ${e.state}`).join('; ')}`);

    const after = await echoFromCn(r.cn, 20, 50);
    assert.equal(after.received, 20, `after the change, missing ${after.missing.join(',')}`);
  });
});

test('individual registrations (bulk: false): three bindings, echo to the home address', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await scenario(t, async (r) => {
    const list = await until('three bindings at the home agent', async () => {
      const l = await haBindings(r);
      return l.length === 3 ? l : undefined;
    });
    assert.deepEqual(list.map((b) => b.split(' ')[2]).sort(), [...COAS]);
    // One Binding Update per BID: three different sequence numbers at the home agent.
    assert.equal(new Set((await bindings(r.haD)).map((b) => b.sequence)).size, 3);
    await untilForwarding(r, COAS);
    const echo = await echoFromCn(r.cn, 10, 50);
    t.diagnostic(`echo: ${echo.received}/${echo.sent} answered`);
    assert.equal(echo.received, 10, `missing ${echo.missing.join(',')}`);
    const s = await stats(r.mnD);
    assert.equal(s.bindings, 3);
    assert.ok((s.counters['sent']?.['bu'] ?? 0) >= 3, JSON.stringify(s.counters));
  }, false);
});

test('reload of a mobile node: an interface dropped from the list is de-registered; a changed address waits for a restart', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await scenario(t, async (r) => {
    await until('three bindings at the home agent', async () => ((await haBindings(r)).length === 3 ? true : undefined));
    writeMobileNodeConfig(r.mnD.dir, { interfaces: ['mn1', 'mn2'], lifetime: 200 });
    assert.match(await mcoactl(r.mnD, 'reload'), /configuration reloaded/);
    const logged = await until('the reload logged', async () => r.mnD.output.find((l) => l.includes('"msg":"configuration reloaded"')));
    t.diagnostic(`mobile node: ${logged}`);
    assert.match(logged, /"restartNeeded":\["mobile_node.lifetime"\]/);
    assert.match(logged, /"applied":\["forgetInterface"\]/);
    const list = await until('two bindings at the home agent', async () => {
      const l = await haBindings(r);
      return l.length === 2 ? l : undefined;
    });
    assert.deepEqual(list.map((b) => b.split(' ')[2]).sort(), [COAS[0], COAS[1]]);
    await untilForwarding(r, [COAS[0], COAS[1]]);
    const echo = await echoFromCn(r.cn, 10, 50);
    assert.equal(echo.received, 10, `missing ${echo.missing.join(',')}`);
    // A file that does not parse is refused and the running configuration stays.
    writeFileSync(r.mnD.config, readFileSync(r.mnD.config, 'utf8').replace('bulk: true', 'bulk: maybe'));
    await assert.rejects(mcoactl(r.mnD, 'reload'), /bulk/);
    assert.equal((await haBindings(r)).length, 2);
  });
});

/** The mobile node's kernel objects a restart must keep: tunnels by name and ifindex, nexthop groups, the routes over them. */
async function mnObjects(mn: Netns): Promise<string[]> {
  type L = { ifindex: number; ifname: string };
  const links = (JSON.parse(await mn.ip('-j', 'link', 'show', 'type', 'ip6tnl')) as L[]).filter((l) => l.ifname.startsWith('mip6t')).map((l) => `link ${l.ifindex} ${l.ifname}`);
  const groups = (await mn.ip('nexthop', 'show')).trim().split('\n').filter(Boolean).map((l) => `nh ${l.trim()}`);
  const routes = (await mn.ip('-6', 'route', 'show', 'proto', '135')).trim().split('\n').filter(Boolean).map((l) => `route ${l.trim()}`);
  return [...links, ...groups, ...routes].sort();
}

test('restart of the mobile node (SIGTERM, then kill -9): it adopts its tunnels, groups and routes, and a steady flow loses no datagram', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await withRoutedWorld({}, async ({ ns, scope }) => {
    const haD = await scope.startDaemon(ns.ha, 'home agent', (dir) => writeHomeAgentConfig(dir, { ipsecRequired: false }));
    let mnD = await scope.startDaemon(ns.mn, 'mobile node', (dir) => writeMobileNodeConfig(dir, {}));
    await scope.echoServer(ns.mn);
    const r: Running = { ...ns, haD, mnD };
    await until('three bindings at the home agent', async () => ((await haBindings(r)).length === 3 ? true : undefined));
    await untilForwarding(r, COAS);
    await until('three registered entries at the mobile node', async () => ((await registeredWith(mnD, HA)).length === 3 ? true : undefined));
    const objects = await mnObjects(ns.mn);
    t.diagnostic(`mobile node kernel objects: ${objects.join('; ')}`);
    const monitor = startMonitor(ns.mn, ['link', 'route', 'nexthop']);
    // A steady flow, 20 ms apart, across both restarts.
    const flow = echoFromCnInBackground(ns.cn, 0, 20);
    try {
      await until('20 answers before the restarts', () => flow.answered().size >= 20);
      for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
        const from = flow.lastSent();
        mnD = await scope.restartDaemon(mnD, signal);
        // Settled: registered again at all three care-of addresses, the adoption over, and
        // the flow answered beyond the restart.
        await until(`three registrations after the ${signal} restart`, async () => ((await registeredWith(mnD, HA)).length === 3 ? true : undefined));
        await untilLogged(mnD, 'the adoption over', (l) => l.includes('"msg":"tunnels of a previous run: adoption over"'));
        const settled = flow.lastSent();
        await until(`20 answers to datagrams sent after the ${signal} restart settled`, () => [...flow.answered()].filter((n) => n > settled).length >= 20);
        t.diagnostic(`${signal}: datagrams ${from}..${settled} sent across the restart`);
        assert.deepEqual(await mnObjects(ns.mn), objects, `the mobile node's kernel objects after the ${signal} restart`);
      }
    } finally {
      const lost = await flow.stop();
      const events = await monitor.stop();
      for (const e of events.filter((x) => /mip6t|nhid|group|Deleted/.test(x))) t.diagnostic(`mn: ${e.replace(/\s+/g, ' ').slice(0, 170)}`);
      t.diagnostic(`flow: ${lost.received}/${lost.sent} answered, missing ${JSON.stringify(lost.missing)}`);
      // Every datagram answered: nothing of the node's forwarding state was deleted or
      // re-created (the daemon is not on the data path; a SIGTERM does not de-register).
      assert.deepEqual(lost.missing, [], 'datagrams lost across the mobile node restarts');
      assert.deepEqual(events.filter((e) => /Deleted/.test(e) && /mip6t|nhid|id \d+ group/.test(e)), [], 'a tunnel, nexthop or route of the node deleted during the restarts');
    }
    assert.deepEqual([...linesMatching(haD, ERROR_LINE), ...linesMatching(mnD, FAILURE_LINE)], []);
  });
});

test('a care-of address removed while its BID cannot be de-registered: its tunnel leaves the node\'s group at once, before any new registration', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await withRoutedWorld({}, async ({ ns, scope }) => {
    const haD = await scope.startDaemon(ns.ha, 'home agent', (dir) => writeHomeAgentConfig(dir, { ipsecRequired: false }));
    const mnD = await scope.startDaemon(ns.mn, 'mobile node', (dir) => writeMobileNodeConfig(dir, {}));
    await scope.echoServer(ns.mn);
    const r: Running = { ...ns, haD, mnD };
    await until('three bindings at the home agent', async () => ((await haBindings(r)).length === 3 ? true : undefined));
    await untilForwarding(r, COAS);
    // No Binding Update can leave the node: an XFRM block policy above mcoad's band (an
    // administrator's; mcoad leaves it alone), so the home agent keeps all three bindings.
    const block = ['xfrm', 'policy', 'add', 'src', '::/0', 'dst', `${HA}/128`, 'proto', '135', 'dir', 'out', 'priority', '1', 'action', 'block'];
    await ns.mn.ip(...block);
    const members = async (): Promise<string[]> => {
      const tunnelsNow = new Map((await tunnels(ns.mn)).map((x) => [x.name, x.local]));
      const group = (await ns.mn.ip('nexthop', 'show')).split('\n').find((l) => l.includes('group')) ?? '';
      const ids = /group (\S+)/.exec(group)?.[1]?.split('/') ?? [];
      const byId = new Map((await ns.mn.ip('nexthop', 'show')).split('\n').flatMap((l) => {
        const m = /^id (\d+) dev (\S+)/.exec(l);
        return m ? [[m[1]!, tunnelsNow.get(m[2]!) ?? m[2]!] as const] : [];
      }));
      return ids.map((id) => byId.get(id.split(',')[0]!) ?? id).sort();
    };
    assert.deepEqual(await members(), [...COAS].sort());
    const gone = COAS[2];
    await ns.mn.ip('addr', 'del', `${gone}/64`, 'dev', MN_IFACES[2]!);
    const left = await until('the group without the removed care-of address', async () => {
      const m = await members();
      return m.length === 2 ? m : undefined;
    });
    assert.deepEqual(left, [COAS[0], COAS[1]]);
    assert.ok(!(await tunnels(ns.mn)).some((x) => x.local === gone), 'the tunnel from the removed care-of address is gone');
    // Before any new registration: the home agent still holds the binding of the removed address.
    assert.deepEqual((await haBindings(r)).map((b) => b.split(' ')[2]).sort(), [...COAS].sort(), 'the home agent has not been told yet');
    t.diagnostic(`mobile node group: ${left.join(', ')}; home agent still: ${(await haBindings(r)).join('; ')}`);
    await ns.mn.ip('xfrm', 'policy', 'del', 'src', '::/0', 'dst', `${HA}/128`, 'proto', '135', 'dir', 'out');
    await until('two bindings at the home agent', async () => ((await haBindings(r)).length === 2 ? true : undefined));
    await untilForwarding(r, [COAS[0], COAS[1]]);
    const echo = await echoFromCn(ns.cn, 20, 20);
    assert.equal(echo.received, 20, `missing ${echo.missing.join(',')}`);
    // The blocked sends failed with EPERM (logged); nothing else.
    assert.deepEqual([...linesMatching(haD, ERROR_LINE), ...linesMatching(mnD, FAILURE_LINE).filter((l) => !l.includes('EPERM'))], []);
  });
});

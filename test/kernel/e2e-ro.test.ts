// End to end, route optimisation (RFC 6275 §5.2.5, §9, §11.7.2 with draft-04 §5.2, §6):
// mcoad as home agent (ha), as correspondent (cn) and as mobile node (mn) with the
// correspondent configured. The mobile node runs return routability per care-of address
// (HoTI reverse-tunnelled through the home agent, CoTI direct), registers each BID with
// the correspondent, and both ends install XFRM route-optimisation states: the UDP echo
// from the correspondent to the home address then goes straight to a care-of address with
// a type 2 routing header, and the replies come back with a Home Address option, without
// passing the home agent's tunnels.
//
// Run twice: with the mobile node's `routes` (prefixes sent through the home agent) leaving
// the correspondent out, where every route-optimisation message goes direct too; and with
// them covering it (the usual ::/0 case), where a host route through the binding's
// interface takes the traffic out of the tunnels once the binding is registered. In both the
// CoTIs and the Binding Updates to the correspondent leave their care-of address's
// interface directly, before the binding exists too (a socket bound to the interface,
// daemon/mn/send.ts): neither crosses the home agent's uplink; only the HoTI does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Netns } from './netns.js';
import {
  CN, CN_PREFIX, COAS, FAILURE_LINE, HA, HOA, MN_IFACES, SCENARIO_TIMEOUT_MS, bindings, echoFromCn, linesMatching, routeDevices, stats, tsharkFields, tunnels, until,
  withRoutedWorld, writeCorrespondentConfig, writeHomeAgentConfig, writeMobileNodeConfig,
} from './fixtures/index.js';


/** `ip -s xfrm state list proto P`: (src, dst, coa, packets) per state. */
async function roStates(ns: Netns, proto: 'route2' | 'hao'): Promise<{ src: string; dst: string; coa: string; packets: number }[]> {
  const out = await ns.ip('-s', 'xfrm', 'state', 'list', 'proto', proto);
  return out.split(/^(?=src )/m).filter((b) => b.startsWith('src ')).map((b) => ({
    src: /^src (\S+)/.exec(b)?.[1] ?? '',
    dst: /^src \S+ dst (\S+)/.exec(b)?.[1] ?? '',
    coa: /\bcoa (\S+)/.exec(b)?.[1] ?? '',
    packets: Number(/(\d+)\(packets\)/.exec(b)?.[1] ?? 'NaN'),
  }));
}

for (const coverCn of [false, true]) {
  test(`route optimisation${coverCn ? ', routes through the home agent covering the correspondent' : ''}: bindings at the correspondent, route2/hao states, echo goes direct`, { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
    await withRoutedWorld({}, async ({ ns, scope }) => {
      const haD = await scope.startDaemon(ns.ha, 'home agent', (dir) => writeHomeAgentConfig(dir, { ipsecRequired: false }));
      const cnD = await scope.startDaemon(ns.cn, 'correspondent', (dir) => writeCorrespondentConfig(dir));
      // The home agent's uplink: a HoTI crosses it only if it went through the home agent.
      const up = await scope.capture(ns.rt, 'rte', 'rte.pcap', 'ip6');
      const upFile = up.file;
      const mnD = await scope.startDaemon(ns.mn, 'mobile node', (dir) =>
        writeMobileNodeConfig(dir, { routes: [coverCn ? CN_PREFIX : '2001:db8:dd::/64'], correspondents: [CN] }));
      await scope.echoServer(ns.mn);

      // The correspondent's binding cache: one binding per care-of address, each with its BID.
      const atCn = await until('three bindings at the correspondent', async () => {
        const l = (await bindings(cnD)).filter((b) => b.hoa === HOA);
        return l.length === 3 ? l : undefined;
      });
      assert.deepEqual(atCn.map((b) => b.coa).sort(), [...COAS]);
      assert.equal(new Set(atCn.map((b) => b.bid)).size, 3);
      assert.ok(atCn.every((b) => b.bid > 0), 'MCoA bindings carry BIDs');
      const lowest = [...atCn].sort((a, b) => a.bid - b.bid)[0]!;
      await up.stop();
      // RFC 6275 §5.2.5: the HoTI left the home agent towards the correspondent, from the home address.
      // One tshark run (tens of seconds to start in a busy user-mode Linux) for HoTIs and CoTIs.
      const tests = await tsharkFields(upFile, `mip6.mhtype == 1 || mip6.mhtype == 2 || (mip6.mhtype == 5 && ipv6.dst == ${CN})`, ['mip6.mhtype', 'ipv6.src', 'ipv6.dst']);
      const hoti = tests.filter(([type]) => type === '1').map((r) => r.slice(1));
      // Seen twice on that link (outer header fields): encapsulated from a care-of address to the
      // home agent, then decapsulated from the home address to the correspondent.
      const seen = hoti.map(([s, d]) => `${s}>${d}`);
      assert.ok(seen.some((x) => COAS.some((c) => x === `${c}>${HA}`)), `HoTI into the home agent: ${JSON.stringify(hoti)}`);
      assert.ok(seen.includes(`${HOA}>${CN}`), `HoTI out of the home agent: ${JSON.stringify(hoti)}`);
      assert.ok(seen.every((x) => x === `${HOA}>${CN}` || x.endsWith(`>${HA}`)), `no HoTI went any other way: ${JSON.stringify(hoti)}`);
      // ... and the CoTIs and the correspondent's BUs never did (they go straight from each
      // care-of address), even where the routes through the home agent cover the correspondent.
      assert.deepEqual(tests.filter(([type]) => type === '2').map(([, src, dst]) => [src, dst]), [], 'no CoTI crossed the home agent');
      assert.deepEqual(tests.filter(([type]) => type === '5').map(([, src, dst]) => [src, dst]), [], 'no BU to the correspondent crossed the home agent');

      // The mobile node's Binding Update List has the correspondent's entries registered.
      const bul = await until("the correspondent's entries registered at the mobile node", async () => {
        const l = (await bindings(mnD)).filter((e) => e.peer === CN && e.state === 'registered');
        return l.length === 3 ? l : undefined;
      });
      assert.deepEqual(bul.map((e) => e.coa).sort(), [...COAS]);

      // Kernel: correspondent -> home address leaves for the lowest BID's care-of address
      // (route2), home address -> correspondent from that care-of address (hao).
      const r2 = await until('the route2 state at the correspondent', async () => {
        const s = (await roStates(ns.cn, 'route2')).find((x) => x.dst === HOA);
        return s?.coa === lowest.coa ? s : undefined;
      });
      assert.equal(r2.src, CN);
      const hao = await until('the hao state at the mobile node', async () => {
        const s = (await roStates(ns.mn, 'hao')).find((x) => x.dst === CN);
        return s?.coa === lowest.coa ? s : undefined;
      });
      assert.equal(hao.src, HOA);

      // The mobile node's host route to the correspondent leaves through the lowest BID's interface.
      const lowestIface = MN_IFACES[COAS.indexOf(lowest.coa as (typeof COAS)[number])]!;
      await until(`the host route to the correspondent through ${lowestIface}`, async () => (await routeDevices(ns.mn, `${CN}/128`)).join() === lowestIface);
      // Traffic: every echo answered, none of it through the home agent's tunnels.
      const cap = await scope.capture(ns.rt, 'rtc', 'rtc.pcap', 'ip6 and not icmp6');
      const capFile = cap.file;
      const before = await tunnels(ns.ha);
      const r2Before = (await roStates(ns.cn, 'route2')).find((x) => x.dst === HOA)!.packets;
      const res = await echoFromCn(ns.cn, 20, 50);
      const after = await tunnels(ns.ha);
      await cap.stop();
      t.diagnostic(`echo: ${res.received}/${res.sent} answered`);
      assert.equal(res.received, 20, `missing ${res.missing.join(',')}`);
      const moved = (k: 'rxPackets' | 'txPackets'): number =>
        after.reduce((s, x) => s + x[k], 0) - before.reduce((s, x) => s + x[k], 0);
      t.diagnostic(`home agent tunnels during the echo: tx +${moved('txPackets')} rx +${moved('rxPackets')}`);
      const mnStats = await stats(mnD);
      t.diagnostic(`mobile node sent: ${JSON.stringify(mnStats.counters['sent'])}`);
      // Return routability may cross a tunnel meanwhile (HoTI/HoT), never the 20 + 20 datagrams.
      assert.ok(moved('txPackets') < 20 && moved('rxPackets') < 20, 'the echo did not pass the home agent');
      const r2After = (await roStates(ns.cn, 'route2')).find((x) => x.dst === HOA)!.packets;
      assert.ok(r2After - r2Before >= 20, `route2 state used for the requests (${r2Before} -> ${r2After})`);
      const mnHao = (await roStates(ns.mn, 'hao')).find((x) => x.dst === CN)!.packets;
      assert.ok(mnHao >= 20, `hao state used for the replies (${mnHao})`);

      // On the wire next to the correspondent: requests to the care-of address with a type 2
      // routing header naming the home address; replies from it with a Home Address option.
      // Read in one tshark run: `udp && ipv6.routing.type == 2` and `udp && ipv6.opt.mipv6.home_address`
      // (each packet here has at most one routing header).
      const udp = await tsharkFields(capFile, 'udp && (ipv6.routing.type == 2 || ipv6.opt.mipv6.home_address)',
        ['ipv6.routing.type', 'ipv6.dst', 'ipv6.routing.mipv6.home_address', 'ipv6.src', 'ipv6.opt.mipv6.home_address']);
      const toCoa = udp.filter(([rt]) => rt === '2').map(([, dst, rh]) => [dst, rh]);
      const fromCoa = udp.filter(([, , , , hao]) => (hao ?? '') !== '').map(([, , , src, hao]) => [src, hao]);
      assert.ok(toCoa.length >= 20, `requests with a routing header: ${toCoa.length}`);
      assert.ok(toCoa.every(([d, h]) => d === lowest.coa && h === HOA), JSON.stringify(toCoa.slice(0, 3)));
      assert.ok(fromCoa.length >= 20, `replies with a Home Address option: ${fromCoa.length}`);
      assert.ok(fromCoa.every(([s, h]) => s === lowest.coa && h === HOA), JSON.stringify(fromCoa.slice(0, 3)));

      // The lowest BID's interface goes: its BID is de-registered at the correspondent, and
      // both ends move to the next lowest BID's care-of address; traffic follows.
      const gone = MN_IFACES[COAS.indexOf(lowest.coa as (typeof COAS)[number])]!;
      await ns.mn.ip('link', 'set', gone, 'down');
      const left = await until('two bindings at the correspondent', async () => {
        const l = (await bindings(cnD)).filter((b) => b.hoa === HOA);
        return l.length === 2 ? l : undefined;
      });
      assert.ok(!left.some((b) => b.coa === lowest.coa));
      const next = [...left].sort((a, b) => a.bid - b.bid)[0]!;
      await until('the route2 state on the next care-of address', async () =>
        (await roStates(ns.cn, 'route2')).find((x) => x.dst === HOA && x.coa === next.coa));
      const nextIface = MN_IFACES[COAS.indexOf(next.coa as (typeof COAS)[number])]!;
      await until(`the host route to the correspondent through ${nextIface}`, async () => (await routeDevices(ns.mn, `${CN}/128`)).join() === nextIface);
      await until('the hao state on the next care-of address', async () =>
        (await roStates(ns.mn, 'hao')).find((x) => x.dst === CN && x.coa === next.coa));
      const again = await echoFromCn(ns.cn, 10, 50);
      assert.equal(again.received, 10, `after the switch, missing ${again.missing.join(',')}`);

      // show stats on the correspondent counts the exchange.
      const cnStats = await stats(cnD);
      assert.equal(cnStats.bindings, 2);
      assert.ok((cnStats.counters['received']?.['hoti'] ?? 0) >= 1 && (cnStats.counters['received']?.['coti'] ?? 0) >= 3, JSON.stringify(cnStats.counters));
      assert.ok((cnStats.counters['sent']?.['ba'] ?? 0) >= 3);

      assert.deepEqual([haD, cnD, mnD].flatMap((d) => linesMatching(d, FAILURE_LINE)), []);
    });
  });
}

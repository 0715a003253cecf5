// End to end, MCoA §8.3.2 and §8.1 with mcoad at both ends: the payload tunnelled between
// the home agent and each of the mobile node's three care-of addresses is ESP-protected
// (`ipsec.payload` on both daemons, signalling ESP too), so the home agent's uplink carries
// ESP between the home agent and each care-of address and no ip6ip6 in clear (tshark). Then
// one interface's address changes with key_management_mobility on both ends: the BU carries
// K, the home agent moves its outbound SA (XFRM_MSG_MIGRATE), the BA carries K, and the
// mobile node moves its inbound SA the same way: same SPIs, new endpoint, counters kept,
// and the traffic still flows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MN_PAYLOAD_REQID_OFFSET } from '../../lib/plan/mn/payload-ipsec.js';
import { DEFAULT_XFRM_BANDS } from '../../lib/reconcile/drivers/xfrm.js';
import type { Netns } from './netns.js';
import {
  COAS, FAILURE_LINE, HA, MN_IFACES, SCENARIO_TIMEOUT_MS, authorisedHomeAddress, bindings, echoFromCn, espOseq, espPackets, flowsFromCn, ipsecYaml, linesMatching,
  mobileNodeSas, stats, tsharkFields, until, untilForwarding, untilLogged, withRoutedWorld, writeHomeAgentConfig, writeMobileNodeConfig, type TestSas,
} from './fixtures/index.js';

/** Signalling SAs, the home agent's view (spiIn: the BUs). */
const SA: TestSas = {
  spiIn: 0x2001,
  spiOut: 0x2002,
  reqid: DEFAULT_XFRM_BANDS.reqidBase + 0x21,
  aeadName: 'rfc4106(gcm(aes))',
  key: `0x${'5a'.repeat(16)}0a0b0c0d`,
  icvBits: 128,
};
/** Payload SAs, the home agent's view: P_IN carries the tunnels from the care-of addresses. */
const P_IN = 0x3001;
const P_OUT = 0x3002;
const P_KEY = `0x${'c3'.repeat(16)}01020304`;
const MN_PAYLOAD_REQID = DEFAULT_XFRM_BANDS.reqidBase + MN_PAYLOAD_REQID_OFFSET;
/** mn2's new care-of address (same prefix, so its route via rt2 stays). */
const NEW_COA = '2001:db8:f2::20';

const payloadYaml = (spiIn: number, spiOut: number, indent: string): string =>
  [`${indent}payload:`, `${indent}  spi_in: 0x${spiIn.toString(16)}`, `${indent}  spi_out: 0x${spiOut.toString(16)}`,
    `${indent}  aead: { name: '${SA.aeadName}', key: '${P_KEY}', icv_bits: ${SA.icvBits} }`].join('\n');

const hex = (n: number): string => `0x${n.toString(16)}`;
const spiOf = (text: string): number => Number(/0x[0-9a-f]+/i.exec(text)?.[0] ?? text);

/** `ip -s xfrm state get`: output sequence number and packet count of one ESP SA. */
async function saCounters(ns: Netns, src: string, dst: string, spi: number): Promise<{ oseq: number; packets: number }> {
  return { oseq: await espOseq(ns, src, dst, spi), packets: await espPackets(ns, src, dst, spi) };
}

/**
 * The count once the receiver's counter has caught up with the sender's (both read in one
 * poll): every packet the sender's SA counted was decrypted by the receiver's.
 */
const agreeingCounters = (what: string, sender: () => Promise<number>, receiver: () => Promise<number>): Promise<number> =>
  until(what, async () => {
    const [sent, received] = [await sender(), await receiver()];
    return sent === received ? sent : undefined;
  });

const payloadStates = async (ns: Netns, spi: number): Promise<string> => ns.ip('xfrm', 'state', 'list', 'proto', 'esp', 'spi', hex(spi));

test('§8.3.2 / §8.1 end to end: payload ESP per care-of address on both daemons; a care-of address change with K moves the SAs', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await withRoutedWorld({}, async ({ ns, scope }) => {
    const capture = await scope.capture(ns.ha, 'up0', 'uplink.pcap', 'ip6 protochain 50 or ip6 proto 41');
    const file = capture.file;
    // The home agent's block sits under the home address; the last line (indent 2) is home_agent's own key.
    const haBlock = `${ipsecYaml(SA)}\n${payloadYaml(P_IN, P_OUT, '          ')}\n  key_management_mobility: true`;
    const h = await scope.startDaemon(ns.ha, 'home agent', (dir) => writeHomeAgentConfig(dir, { homeAgent: authorisedHomeAddress(haBlock), ipsecRequired: true }));
    const mnBlock = `${ipsecYaml(mobileNodeSas(SA), '  ')}\n${payloadYaml(P_OUT, P_IN, '    ')}\n  key_management_mobility: true`;
    const m = await scope.startDaemon(ns.mn, 'mobile node', (dir) => writeMobileNodeConfig(dir, { ipsec: mnBlock }));
    await scope.echoServer(ns.mn);

    // Three bindings, three tunnels at each end.
    await until('three bindings at the home agent', async () => ((await bindings(h)).length === 3 ? true : undefined));
    assert.deepEqual((await bindings(h)).map((b) => b.coa).sort(), [...COAS]);
    await untilForwarding(ns, COAS);

    // The mobile node's payload objects: one outbound SA and policy (any source), per care-of
    // address an inbound SA and policy on the outer flow.
    await until('the mobile node payload SAs and policies', async () => {
      const policies = await ns.mn.ip('xfrm', 'policy', 'list');
      return (await payloadStates(ns.mn, P_OUT)).split('\n').filter((l) => l.startsWith('src')).length === 3 &&
        COAS.every((coa) => policies.includes(`src ${HA}/128 dst ${coa}/128 proto ipv6`));
    });
    const mnOut = await payloadStates(ns.mn, P_IN);
    assert.match(mnOut, new RegExp(`src :: dst ${HA}\\s+proto esp spi ${hex(P_IN).replace('0x', '0x0*')} reqid ${MN_PAYLOAD_REQID} mode transport`));
    const mnPolicies = await ns.mn.ip('xfrm', 'policy', 'list');
    assert.match(mnPolicies, new RegExp(`src ::/0 dst ${HA}/128 proto ipv6\\s+dir out[^]*?proto esp reqid ${MN_PAYLOAD_REQID} mode transport`));
    for (const coa of COAS) {
      assert.match(await payloadStates(ns.mn, P_OUT), new RegExp(`src ${HA} dst ${coa}\\s+proto esp spi 0x0*${P_OUT.toString(16)} reqid ${MN_PAYLOAD_REQID}`));
      assert.match(mnPolicies, new RegExp(`src ${HA}/128 dst ${coa}/128 proto ipv6\\s+dir in[^]*?proto esp reqid ${MN_PAYLOAD_REQID} mode transport`));
    }

    // Traffic from the correspondent: an echo, and 30 flows spread over the three tunnels.
    const answered = await echoFromCn(ns.cn, 10, 50);
    assert.equal(answered.received, 10, `missing ${answered.missing.join(',')}`);
    const flows = await flowsFromCn(ns.cn, 30);
    assert.equal(flows.answered, 30);
    // ESP counters at both ends agree: every tunnelled packet went through the SAs. A packet
    // still on its way when the sender's counter is read is waited for, not counted as lost.
    const up = await agreeingCounters('the uplink SA counters at both ends', () => espPackets(ns.mn, '::', HA, P_IN), () => espPackets(ns.ha, '::', HA, P_IN));
    assert.ok(up >= 40, `${up}`);
    for (const coa of COAS) {
      const down = await agreeingCounters(`the SA counters of the tunnel to ${coa}`, () => espPackets(ns.ha, HA, coa, P_OUT), () => espPackets(ns.mn, HA, coa, P_OUT));
      assert.ok(down >= 1, `tunnel to ${coa}: ${down}`);
    }

    // (2) mn2's care-of address changes: new address first, then the old one goes.
    const before = await saCounters(ns.ha, HA, COAS[1], P_OUT);
    const mnBefore = await espPackets(ns.mn, HA, COAS[1], P_OUT);
    await ns.mn.ip('addr', 'add', `${NEW_COA}/64`, 'dev', MN_IFACES[1], 'nodad');
    await ns.mn.ip('addr', 'del', `${COAS[1]}/64`, 'dev', MN_IFACES[1]);
    await until('the binding at the new care-of address', async () => {
      const coas = (await bindings(h)).map((b) => b.coa).sort();
      return coas.length === 3 && coas.includes(NEW_COA) && !coas.includes(COAS[1]) ? true : undefined;
    });
    await until('the payload SAs moved at both ends', async () => {
      const [hs, ms] = [await payloadStates(ns.ha, P_OUT), await payloadStates(ns.mn, P_OUT)];
      return [hs, ms].every((s) => s.includes(`dst ${NEW_COA}`) && !s.includes(`dst ${COAS[1]}\n`)) ? true : undefined;
    });
    await until('the old policies gone and the new ones in at both ends', async () => {
      const [hp, mp] = [await ns.ha.ip('xfrm', 'policy', 'list'), await ns.mn.ip('xfrm', 'policy', 'list')];
      return [hp, mp].every((p) => !p.includes(`${COAS[1]}/128`) && p.includes(`${NEW_COA}/128`)) ? true : undefined;
    });
    // Counted once each daemon has moved its SA.
    const [haStats, mnStats] = await until('the migrations counted at both ends', async () => {
      const both = [await stats(h), await stats(m)] as const;
      return both.every((x) => (x.counters['ipsec']?.['payload-migrated'] ?? 0) > 0) ? both : undefined;
    });
    t.diagnostic(`home agent ipsec: ${JSON.stringify(haStats.counters['ipsec'])}; mobile node ipsec: ${JSON.stringify(mnStats.counters['ipsec'])}`);
    assert.deepEqual(haStats.counters['ipsec'], { 'payload-migrated': 1, 'payload-reinstalled': 0, 'payload-migrate-failed': 0 }, 'the home agent migrated (and so sent the BA with K)');
    assert.deepEqual(mnStats.counters['ipsec'], { 'payload-migrated': 1, 'payload-reinstalled': 0, 'payload-migrate-failed': 0 }, 'the BA came with K and the mobile node migrated');
    // Same SPI, new endpoint, counters kept (a re-installed SA would start at 0).
    const after = await saCounters(ns.ha, HA, NEW_COA, P_OUT);
    assert.deepEqual(after, before, 'the home agent outbound SA: sequence number and packet count kept');
    assert.equal(await espPackets(ns.mn, HA, NEW_COA, P_OUT), mnBefore, 'the mobile node inbound SA: packet count kept');
    await untilLogged(m, 'the payload SA moved', (l) => l.includes('payload SA moved') && l.includes(NEW_COA));

    // (3) Traffic still flows, through the moved SAs too.
    await untilForwarding(ns, [COAS[0], NEW_COA, COAS[2]]);
    const again = await flowsFromCn(ns.cn, 30);
    assert.equal(again.answered, 30);
    const moved = await saCounters(ns.ha, HA, NEW_COA, P_OUT);
    assert.ok(moved.oseq > before.oseq, `the moved SA carries traffic: oseq ${before.oseq} -> ${moved.oseq}`);
    await agreeingCounters('the moved SA counters at both ends', () => espPackets(ns.ha, HA, NEW_COA, P_OUT), () => espPackets(ns.mn, HA, NEW_COA, P_OUT));
    await agreeingCounters('the uplink SA counters at both ends after the move', () => espPackets(ns.mn, '::', HA, P_IN), () => espPackets(ns.ha, '::', HA, P_IN));

    // The capture: ESP between the home agent and every care-of address both ways, no ip6ip6 in clear.
    await capture.stop();
    // One tshark run for `-Y esp` and `-Y 'ipv6.nxt == 41'` (any IPv6 header's next header);
    // addresses are the outer header's (the first of each list).
    const rows = await tsharkFields(file, 'esp || ipv6.nxt == 41', ['frame.protocols', 'ipv6.src', 'ipv6.dst', 'esp.spi', 'ipv6.nxt'], 'a');
    const outer = (list: string | undefined): string => (list ?? '').split(',')[0]!;
    const esp = rows.filter(([protocols]) => (protocols ?? '').split(':').includes('esp')).map(([, src, dst, spi]) => [outer(src), outer(dst), spi ?? '']);
    const seen = new Set(esp.map(([src, dst, spi]) => `${src}>${dst} ${spiOf(spi ?? '')}`));
    t.diagnostic(`capture: ${esp.length} ESP packet(s): ${[...seen].sort().join(', ')}`);
    for (const coa of [...COAS, NEW_COA]) {
      assert.ok(seen.has(`${coa}>${HA} ${P_IN}`), `payload ESP from ${coa}`);
      assert.ok(seen.has(`${HA}>${coa} ${P_OUT}`), `payload ESP to ${coa}`);
    }
    const known = new Set([P_IN, P_OUT, SA.spiIn, SA.spiOut]);
    assert.ok(esp.every(([, , spi]) => known.has(spiOf(spi ?? ''))), 'no other SPI');
    // Not one packet in clear, also while the tunnel from the new care-of address waited for
    // its BA (the mobile node's outbound policy takes any source).
    const clear = rows.filter(([, , , , nxt]) => (nxt ?? '').split(',').includes('41')).map(([, src, dst]) => [outer(src), outer(dst)]);
    assert.deepEqual(clear, [], 'no ip6ip6 in clear');

    assert.ok(![...h.output, ...m.output].some((l) => l.includes('c3'.repeat(16))), 'no payload key in either log');
    assert.deepEqual([...linesMatching(h, FAILURE_LINE), ...linesMatching(m, FAILURE_LINE)], []);
  });
});

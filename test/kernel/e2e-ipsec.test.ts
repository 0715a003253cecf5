// End to end with IPsec on at both ends (ipsec.required: true): draft-04 Figure 6 (three
// foreign interfaces, a correspondent behind a router) where mcoad as mobile node protects
// its Binding Updates, and the Binding Acknowledgements it receives, with the ESP transport
// SAs of `mobile_node.ipsec`, matching the home agent's for the home address (RFC 3776/4877).
// A capture on the home agent's uplink, read by tshark, holds ESP between the care-of
// addresses and the home agent and no Mobility Header in clear, except one BU and one BA
// sent on purpose around the ESP policies, which the receiving kernels drop. With individual
// registrations, a BU from each care-of address goes through the one wildcard-source SA.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MhSocket } from '../../lib/net/mh-socket.js';
import { DEFAULT_XFRM_BANDS } from '../../lib/reconcile/drivers/xfrm.js';
import { encodeMessage } from '../../lib/wire/mh.js';
import { DRAFT04_PROFILE } from '../../lib/wire/profiles.js';
import type { BindingAck } from '../../lib/wire/types.js';
import {
  COAS, ERROR_LINE, FAILURE_LINE, HA, HOA, MH_BA, MH_BU, MobileNodeSide, SCENARIO_TIMEOUT_MS, authorisedHomeAddress, bindings, bu, counter, echoFromCn,
  espPackets, framesWithMcoactl, ipsecYaml, linesMatching, mobileNodeSas, procCounter, registeredWith, stats, homeAgentForwards, tsharkFields, until, untilForwarding, withRoutedWorld, writeHomeAgentConfig,
  writeMobileNodeConfig, type BindingView, type Daemon, type RoutedNamespaces, type TestSas,
} from './fixtures/index.js';

/** The home agent's view: spiIn carries the BUs, spiOut the BAs. */
const SA: TestSas = {
  spiIn: 0x2001,
  spiOut: 0x2002,
  reqid: DEFAULT_XFRM_BANDS.reqidBase + 0x21,
  aeadName: 'rfc4106(gcm(aes))',
  key: `0x${'5a'.repeat(16)}0a0b0c0d`,
  icvBits: 128,
};
const spiOf = (text: string): number => Number(/0x[0-9a-f]+/i.exec(text)?.[0] ?? text);
const bindingText = async (d: Daemon): Promise<string[]> => (await bindings(d)).map((b) => `${b.hoa} ${b.bid} ${b.coa} ${b.sequence}`).sort();

interface Running {
  ns: RoutedNamespaces;
  haD: Daemon;
  mnD: Daemon;
  /** The capture of the home agent's uplink, running until stopCapture(). */
  file: string;
  stopCapture: () => Promise<void>;
}

/**
 * Four namespaces, tcpdump on the home agent's uplink (ESP (50) after a Destination Options or
 * Routing header, Mobility Headers in clear anywhere in the chain, and the tunnels, 41, where
 * tshark also looks inside), both daemons with ipsec.required and matching SAs, the echo server.
 */
async function scenario(bulk: boolean, fn: (r: Running) => Promise<void>, mnTopLevel = ''): Promise<void> {
  await withRoutedWorld({}, async ({ ns, scope }) => {
    const capture = await scope.capture(ns.ha, 'up0', 'uplink.pcap', 'ip6 protochain 50 or ip6 protochain 135 or ip6 proto 41');
    const haD = await scope.startDaemon(ns.ha, 'home agent', (dir) => writeHomeAgentConfig(dir, { homeAgent: authorisedHomeAddress(ipsecYaml(SA)), ipsecRequired: true }));
    const mnD = await scope.startDaemon(ns.mn, 'mobile node', (dir) =>
      writeMobileNodeConfig(dir, { bulk, ipsec: ipsecYaml(mobileNodeSas(SA), '  '), topLevel: mnTopLevel }));
    await scope.echoServer(ns.mn);
    await fn({ ns, haD, mnD, file: capture.file, stopCapture: () => capture.stop() });
    // Neither daemon logged an error, nor the mobile node a failed kernel operation or send.
    assert.deepEqual([...linesMatching(haD, ERROR_LINE), ...linesMatching(mnD, FAILURE_LINE)], []);
  });
}

/** Three bindings at the home agent, and three registered entries in the mobile node's list. */
async function registered(r: Running): Promise<BindingView[]> {
  const list = await until('three bindings at the home agent', async () => {
    const l = await bindings(r.haD);
    return l.length === 3 ? l : undefined;
  });
  assert.deepEqual(list.map((b) => b.coa).sort(), [...COAS]);
  assert.ok(list.every((b) => b.hoa === HOA));
  await until('three registered entries at the mobile node', async () => (await registeredWith(r.mnD, HA)).length === 3);
  return list;
}

const mpd = async (d: Daemon, key: string): Promise<number> => (await stats(d)).counters['mpd']?.[key] ?? 0;

/**
 * ESP packets of the BU SA (out at the mobile node) and BA SA (in), each equal to the home
 * agent's count. Read until two rounds agree: a BU retransmitted, or a BA still in flight,
 * under load falls between single reads of the two namespaces.
 */
async function espCounts(r: Running): Promise<{ bus: number; bas: number }> {
  // The BA's SA also carries the Mobile Prefix Advertisements; one sent through a tunnel the
  // node has not made yet is lost before decryption (the node solicits again). So each side's
  // count less its own advertisements: sent by the home agent, taken by the node's socket.
  // Likewise the BU's SA carries the solicitations: sent by the node, taken by the home agent.
  const read = async (): Promise<number[]> => [
    (await espPackets(r.ns.mn, '::', HA, SA.spiIn)) - (await mpd(r.mnD, 'mps-sent')),
    (await espPackets(r.ns.ha, HOA, HA, SA.spiIn)) - (await mpd(r.haD, 'mps-received')),
    (await espPackets(r.ns.mn, HA, HOA, SA.spiOut)) - (await mpd(r.mnD, 'mpa-received')) - (await mpd(r.mnD, 'mpa-ignored')),
    (await espPackets(r.ns.ha, HA, HOA, SA.spiOut)) - (await mpd(r.haD, 'mpa-sent')),
  ];
  let last: number[] = [];
  return until('ESP counters of both namespaces to agree and settle (BUs out = decrypted, BAs sent = decrypted)', async () => {
    const [busMn, busHa, basMn, basHa] = await read();
    const now = [busMn ?? -1, busHa ?? -1, basMn ?? -1, basHa ?? -1];
    const settled = busMn === busHa && basMn === basHa && now.join() === last.join();
    last = now;
    // Thrown, not returned, so a timeout names the last counts.
    if (!settled) throw new Error(`BUs out/decrypted ${busMn}/${busHa}, BAs sent/decrypted ${basHa}/${basMn}`);
    return { bus: busMn ?? 0, bas: basMn ?? 0 };
  });
}

const MH_FIELDS = ['mip6.mhtype', 'mip6.bu.seqnr', 'mip6.ba.seqnr', 'ipv6.src', 'ipv6.dst'];

/**
 * The stopped capture as tshark reads it, in one run (tshark takes tens of seconds to start
 * in a busy user-mode Linux): the ESP packets (outer source, destination, SPI) and the
 * Mobility Headers in clear (MH_FIELDS), as `-Y esp` and `-Y mipv6` would list them.
 */
async function readUplink(file: string): Promise<{ esp: string[][]; clearMh: string[][] }> {
  // Each field named once: tshark leaves all but one column of a repeated field empty.
  const rows = await tsharkFields(file, 'esp || mipv6', ['frame.protocols', 'ipv6.src', 'ipv6.dst', 'esp.spi', 'mip6.mhtype', 'mip6.bu.seqnr', 'mip6.ba.seqnr']);
  const has = (row: string[], proto: string): boolean => (row[0] ?? '').split(':').includes(proto);
  return {
    // The fourth column: 'tunnel' when the ESP sits inside an ip6ip6 packet (two IPv6 headers).
    esp: rows.filter((r) => has(r, 'esp')).map(([protocols, src, dst, spi]) => [src ?? '', dst ?? '', spi ?? '', (protocols ?? '').split(':').filter((p) => p === 'ipv6').length > 1 ? 'tunnel' : '']),
    // In MH_FIELDS order.
    clearMh: rows.filter((r) => has(r, 'mipv6')).map(([, src, dst, , type, buSeq, baSeq]) => [type ?? '', buSeq ?? '', baSeq ?? '', src ?? '', dst ?? '']),
  };
}

/**
 * ESP on the uplink as tshark read it, split by direction; anything else fails. The Mobile
 * Prefix Advertisements answering the node's solicitations use the BA's SA inside a tunnel
 * (tshark's first, outer, addresses: home agent -> care-of address).
 */
function splitEsp(esp: string[][]): { upward: string[][]; downward: string[][]; advertisements: string[][]; shown: string[] } {
  const shown = esp.map(([src, dst, spi]) => `${src}>${dst} spi ${spiOf(spi ?? '')}`);
  const coas: readonly string[] = COAS;
  const upward = esp.filter(([src, dst, spi, tunnel]) => !tunnel && coas.includes(src ?? '') && dst === HA && spiOf(spi ?? '') === SA.spiIn);
  const downward = esp.filter(([src, dst, spi, tunnel]) => !tunnel && src === HA && coas.includes(dst ?? '') && spiOf(spi ?? '') === SA.spiOut);
  const advertisements = esp.filter(([src, dst, spi, tunnel]) => tunnel && src === HA && coas.includes(dst ?? '') && spiOf(spi ?? '') === SA.spiOut);
  assert.equal(upward.length + downward.length + advertisements.length, esp.length, `no other ESP: ${shown.join(', ')}`);
  return { upward, downward, advertisements, shown };
}

test('Figure 6 with IPsec on both daemons: BUs and BAs over ESP, no Mobility Header in clear, a BU or BA in clear changes nothing', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await scenario(true, async (r) => {
    const { ns } = r;
    const list = await registered(r);
    t.diagnostic(`home agent bindings: ${(await bindingText(r.haD)).join('; ')}`);

    // What the mobile node's daemon installed: the mirror of the home agent's objects.
    const states = await ns.mn.ip('xfrm', 'state', 'list', 'proto', 'esp');
    assert.match(states, new RegExp(`src :: dst ${HA}\\s+proto esp spi 0x0*2001 reqid ${SA.reqid}\\b.*mode transport`));
    assert.match(states, new RegExp(`src ${HA} dst ${HOA}\\s+proto esp spi 0x0*2002 reqid ${SA.reqid}\\b.*mode transport`));
    const policies = await ns.mn.ip('xfrm', 'policy', 'list');
    assert.match(policies, new RegExp(`src ::/0 dst ${HA}/128 proto mobility-header type 5\\s+dir out[^]*?proto esp reqid ${SA.reqid} mode transport\\s*(?:src|$)`));
    assert.match(policies, new RegExp(`src ${HA}/128 dst ${HOA}/128 proto mobility-header type 6\\s+dir in[^]*?proto esp reqid ${SA.reqid} mode transport\\s+tmpl src :: dst ::\\s+proto route2 reqid 0 mode ro\\s+level use`));

    // Tunnels on both sides, and traffic from the correspondent to the home address.
    await untilForwarding(ns, COAS);
    const answered = await echoFromCn(ns.cn, 10, 50);
    t.diagnostic(`echo: ${answered.received}/${answered.sent} answered`);
    assert.equal(answered.received, 10, `missing ${answered.missing.join(',')}`);

    // Every BU left through the mobile node's SA and was decrypted by the home agent's; every BA the other way.
    const { bus, bas } = await espCounts(r);
    t.diagnostic(`ESP: ${bus} BU(s) out, ${bas} BA(s) in at the mobile node`);
    assert.ok(bus >= 1 && bas >= 1, `${bus} ${bas}`);
    const before = await stats(r.haD);
    assert.equal(before.counters['refused']?.['ipsec-required'], undefined, JSON.stringify(before.counters));

    // A BU in clear from the mobile node's namespace (a policy of higher precedence, outside
    // mcoad's band, lets it bypass ESP): a de-registration of everything with a fresh
    // sequence number. The home agent's kernel drops it; nothing changes.
    const kept = await bindingText(r.haD);
    const plainSeq = Math.max(...list.map((b) => b.sequence)) + 5;
    const bypassBu = ['src', `${COAS[0]}/128`, 'dst', `${HA}/128`, 'proto', '135', 'type', '5', 'dir', 'out'];
    await ns.mn.ip('xfrm', 'policy', 'add', ...bypassBu, 'priority', '1');
    const plain = new MobileNodeSide(ns.mn);
    try {
      plain.sendBu(bu(plainSeq, 0), COAS[0]);
      await until("the home agent's kernel to drop the BU", async () =>
        (await counter(r.haD, 'xfrm', 'XfrmInTmplMismatch')) === (before.counters['xfrm']?.['XfrmInTmplMismatch'] ?? 0) + 1);
    } finally {
      // Closed before the BA below: the kernel checks the policy once per raw MH socket it delivers to.
      plain.close();
    }
    await ns.mn.ip('xfrm', 'policy', 'delete', ...bypassBu);
    assert.deepEqual(await bindingText(r.haD), kept);
    const after = await stats(r.haD);
    assert.equal(after.counters['xfrm']?.['XfrmInTmplMismatch'], (before.counters['xfrm']?.['XfrmInTmplMismatch'] ?? 0) + 1, JSON.stringify(after.counters['xfrm']));
    assert.equal(after.counters['received']?.['bu'], before.counters['received']?.['bu']);
    assert.equal(await homeAgentForwards(ns.ha, HOA, `${HOA}/128`, COAS), true, 'the home agent still forwards through all three care-of addresses');

    // A BA in clear from the home agent's namespace (bypassing its ESP policy the same way,
    // with a selector for any MH type: the home agent's own has this one's): the mobile
    // node's kernel drops it; mcoad never sees it.
    const mnReceived = async (): Promise<number> => (await stats(r.mnD)).counters['received']?.['ba'] ?? 0;
    const mnMismatch = (): Promise<number> => procCounter(ns.mn, 'xfrm_stat', 'XfrmInTmplMismatch');
    const [basBefore, mismatchBefore] = [await mnReceived(), await mnMismatch()];
    const bypassBa = ['src', `${HA}/128`, 'dst', `${HOA}/128`, 'proto', '135', 'dir', 'out'];
    await ns.ha.ip('xfrm', 'policy', 'add', ...bypassBa, 'priority', '1');
    const haSide = MhSocket.open({ netns: ns.ha.name, checksum: 'user' });
    try {
      const plainBa: BindingAck = { kind: 'ba', payloadProto: 59, checksum: 0, status: 0, flags: { k: false, r: false, p: false }, sequence: plainSeq, lifetimeSeconds: 0, options: [] };
      haSide.send({ data: encodeMessage(plainBa, DRAFT04_PROFILE), src: HA, dst: HOA, routingHeader: COAS[0] });
      await until("the mobile node's kernel to drop the BA", async () => (await mnMismatch()) === mismatchBefore + 1);
    } finally {
      haSide.close();
    }
    await ns.ha.ip('xfrm', 'policy', 'delete', ...bypassBa);
    assert.equal(await mnMismatch(), mismatchBefore + 1, 'the mobile node kernel dropped the BA without ESP');
    assert.equal(await mnReceived(), basBefore);
    assert.deepEqual(await espCounts(r), { bus, bas });

    // The capture: the only Mobility Headers in clear are the BU and BA just sent by hand
    // (so the capture and tshark do see plain ones); the daemons' signalling is all ESP.
    // Waited for with our own decoder (in this process), then read once by tshark.
    await until('the plain BU and BA in the capture file', async () => ((await framesWithMcoactl(r.file)).filter((p) => p.mh).length >= 2 ? true : undefined));
    await r.stopCapture();
    const uplink = await readUplink(r.file);
    const { upward, downward, advertisements, shown } = splitEsp(uplink.esp);
    t.diagnostic(`capture: ${shown.length} ESP packet(s): ${[...new Set(shown)].join(', ')}; clear MH: ${uplink.clearMh.map((x) => x.join(' ')).join(' | ')}`);
    assert.deepEqual(uplink.clearMh, [
      [String(MH_BU), String(plainSeq), '', COAS[0], HA],
      [String(MH_BA), '', String(plainSeq), HA, COAS[0]],
    ]);
    // Against the daemons' own send counters: the SA packet counters (bus, bas) were seen
    // once, on a loaded machine, to hold one BU/BA exchange fewer than the capture, so they
    // are shown, not compared, here.
    const sentBu = (await stats(r.mnD)).counters['sent']?.['bu'] ?? 0;
    const sentBa = (await stats(r.haD)).counters['sent']?.['ba'] ?? 0;
    t.diagnostic(`sent by mcoad: ${sentBu} BU(s), ${sentBa} BA(s); ESP SA counters: ${bus} BU(s), ${bas} BA(s)`);
    // With the Mobile Prefix Solicitations, which leave the same way (RFC 6275 §11.4.2).
    const sentMps = await mpd(r.mnD, 'mps-sent');
    assert.equal(upward.length, sentBu + sentMps, 'each BU and solicitation the mobile node sent crossed the uplink as ESP from a care-of address');
    assert.equal(downward.length, sentBa, 'each BA the home agent sent crossed the uplink as ESP to a care-of address');
    const sentMpa = (await stats(r.haD)).counters['mpd']?.['mpa-sent'] ?? 0;
    assert.equal(advertisements.length, sentMpa, 'each Mobile Prefix Advertisement crossed the uplink as ESP inside a tunnel');
  });
});

test('individual registrations (bulk: false) over ESP: one BU from each care-of address through the one wildcard-source SA; a resync changes nothing', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await scenario(false, async (r) => {
    const list = await registered(r);
    // One Binding Update per BID: three sequence numbers at the home agent.
    assert.equal(new Set(list.map((b) => b.sequence)).size, 3);
    await untilForwarding(r.ns, COAS);
    const answered = await echoFromCn(r.ns.cn, 5, 50);
    assert.equal(answered.received, 5, `missing ${answered.missing.join(',')}`);
    const { bus, bas } = await espCounts(r);
    const sent = (await stats(r.mnD)).counters['sent']?.['bu'] ?? 0;
    t.diagnostic(`ESP: ${bus} BU(s) out (${sent} sent by mcoad), ${bas} BA(s) in`);
    assert.ok(sent >= 3);
    assert.equal(bus, sent, 'every BU the mobile node sent went through its ESP SA');
    // Waited for with our own decoder (in this process), then read once by tshark.
    const coas: readonly string[] = COAS;
    await until('the BAs in the capture file', async () => ((await framesWithMcoactl(r.file)).filter((p) => p.esp && p.src === HA && coas.includes(p.dst)).length >= bas ? true : undefined));
    await r.stopCapture();
    const uplink = await readUplink(r.file);
    const { upward, downward, advertisements } = splitEsp(uplink.esp);
    assert.deepEqual([...new Set(upward.map(([src]) => src))].sort(), [...COAS], 'ESP from every care-of address');
    assert.equal(upward.length, bus + (await mpd(r.mnD, 'mps-sent')), 'the BUs and the solicitations');
    assert.equal(downward.length, bas);
    // The BA's SA also carries the Mobile Prefix Advertisements (RFC 4877 §4.1), inside the tunnel.
    assert.equal(advertisements.length, (await stats(r.haD)).counters['mpd']?.['mpa-sent'] ?? 0);
    assert.deepEqual(uplink.clearMh, [], 'no Mobility Header in clear');

    // The ESP states and policies read back from the kernel's dump as mcoad wants them: a
    // full resync (every 10 s here) changes nothing.
    type Totals = { passes: number; created: number; updated: number; removed: number; resyncs: number };
    const totals = async (): Promise<Totals> => (await stats(r.mnD)).counters['kernel'] as unknown as Totals;
    const t0 = await totals();
    const t1 = await until('a full resync at the mobile node', async () => {
      const x = await totals();
      return x.resyncs > t0.resyncs && x.passes > t0.passes ? x : undefined;
    });
    assert.deepEqual([t1.created, t1.updated, t1.removed], [t0.created, t0.updated, t0.removed], JSON.stringify({ t0, t1 }));
  }, 'kernel:\n  resync_interval: 10\n');
});

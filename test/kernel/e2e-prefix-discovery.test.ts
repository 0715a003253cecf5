// Mobile Prefix Discovery end to end (RFC 6275 §10.6, §11.4) with mcoad at both ends: once
// registered, the mobile node reverse-tunnels a Mobile Prefix Solicitation from its home
// address (with IPsec: sends it from a care-of address with a Home Address option under ESP); the home agent answers with an advertisement of its served prefix (the
// configured lifetimes, its own address with the R bit) that `mcoactl show prefixes` on
// the node then lists. A reload of the home agent adding a prefix sends an unsolicited
// advertisement the node picks up. A capture on the home agent's uplink, read with tshark,
// shows both advertisements leaving inside ip6ip6 from the home agent to a care-of
// address, the inner packet from the home agent to the home address.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import {
  COAS, HA, HOA, HOME_PREFIX, SCENARIO_TIMEOUT_MS, authorisedHomeAddress, bindings, counter, ipsecYaml, logRecords, mcoactl, mobileNodeSas, procCounter, registeredWith,
  tsharkFields, until, withRoutedWorld, writeHomeAgentConfig, writeMobileNodeConfig, type Daemon, type TestSas,
} from './fixtures/index.js';
import { DEFAULT_XFRM_BANDS } from '../../lib/reconcile/drivers/xfrm.js';
import { encapsulatedIcmp6, sendIp6ip6 } from '../../lib/net/reverse-tunnel.js';
import { encodeMobilePrefix } from '../../lib/wire/icmp/mobile-prefix.js';
import { mustParseIp6 } from '../../lib/inet/ip6.js';

const EXTRA_PREFIX = '2001:db8:ab::/64';

interface Prefixes {
  outstandingIdentifier: number | null;
  prefixes: { prefix: string; home: boolean; routerAddress: string | null; validLifetime: number; preferredLifetime: number }[];
}

const showPrefixes = async (d: Daemon): Promise<Prefixes> => JSON.parse(await mcoactl(d, 'show', 'prefixes', '--json')) as Prefixes;

test('prefix discovery: the mobile node solicits and learns its home prefix; a reload adding a prefix reaches it unsolicited', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await withRoutedWorld({}, async ({ ns, scope }) => {
    const capture = await scope.capture(ns.ha, 'up0', 'uplink.pcap', 'ip6 proto 41');
    const haD = await scope.startDaemon(ns.ha, 'home agent', (dir) =>
      writeHomeAgentConfig(dir, { ipsecRequired: false, homeAgent: '  prefix_discovery:\n    valid_lifetime: 3600\n    preferred_lifetime: 1800\n' }));
    const mnD = await scope.startDaemon(ns.mn, 'mobile node', (dir) => writeMobileNodeConfig(dir, { bulk: true }));
    await until('a registered entry at the mobile node', async () => (await registeredWith(mnD, HA)).length > 0);

    // §11.4.2/§10.6.3: solicited, answered, learned.
    const learned = await until('the home prefix in mcoactl show prefixes', async () => {
      const v = await showPrefixes(mnD);
      return v.prefixes.length > 0 && v.outstandingIdentifier === null ? v : undefined;
    });
    assert.deepEqual(learned.prefixes, [
      { ...learned.prefixes[0]!, prefix: HOME_PREFIX, home: true, routerAddress: HA, validLifetime: 3600, preferredLifetime: 1800 },
    ]);
    assert.ok((await counter(haD, 'mpd', 'mps-received')) >= 1, 'the home agent received the solicitation');
    const table = await mcoactl(mnD, 'show', 'prefixes');
    t.diagnostic(table);
    assert.match(table, new RegExp(`${HOME_PREFIX.replace(/[/.]/g, '\\$&')}\\s+yes\\s+\\d+s/3600s\\s+\\d+s/1800s\\s+${HA}`));

    // §10.6.2: a reload that adds a prefix advertises it unsolicited.
    writeFileSync(haD.config, readFileSync(haD.config, 'utf8').replace(`served_prefixes: [${HOME_PREFIX}]`, `served_prefixes: [${HOME_PREFIX}, ${EXTRA_PREFIX}]`));
    await mcoactl(haD, 'reload');
    const after = await until('the added prefix at the mobile node', async () => {
      const v = await showPrefixes(mnD);
      return v.prefixes.some((p) => p.prefix === EXTRA_PREFIX) ? v : undefined;
    });
    assert.deepEqual(after.prefixes.map((p) => [p.prefix, p.home, p.routerAddress]).sort(), [[HOME_PREFIX, true, HA], [EXTRA_PREFIX, false, null]].sort());
    const unsolicited = await until('the mobile node logging an unsolicited advertisement', () =>
      logRecords<{ msg: string; unsolicited: boolean }>(mnD).find((r) => r.msg === 'mobile prefix advertisement received' && r.unsolicited === true));
    assert.ok(unsolicited);
    // §11.4.3/§10.6.2: the node acknowledges with a Binding Update, which ends the retransmissions.
    await until('the home agent taking a BU as the acknowledgement', () =>
      logRecords<{ msg: string; hoa: string }>(haD).find((r) => r.msg === 'mobile prefix advertisement acknowledged by a binding update' && r.hoa === HOA));

    // Both advertisements left the home agent through a tunnel: outer HA -> care-of address, inner HA -> home address.
    const rows = await until('both advertisements in the capture', async () => {
      const r = await tsharkFields(capture.file, 'icmpv6.type == 147', ['ipv6.src', 'ipv6.dst', 'icmpv6.mip6.identifier', 'icmpv6.opt.prefix'], 'a');
      return r.length >= 2 ? r : undefined;
    });
    await capture.stop();
    t.diagnostic(rows.map((r) => r.join(' ')).join('\n'));
    for (const [src, dst] of rows) {
      const [outerSrc, innerSrc] = src!.split(',');
      const [outerDst, innerDst] = dst!.split(',');
      assert.equal(outerSrc, HA);
      assert.ok((COAS as readonly string[]).includes(outerDst!), `outer destination ${outerDst} is a care-of address`);
      assert.deepEqual([innerSrc, innerDst], [HA, HOA]);
    }
    assert.ok(rows.some((r) => r[3]!.split(',').length === 2), 'the unsolicited advertisement carries both prefixes');
  });
});

test('prefix discovery: periodic unsolicited advertisements with lifetimes counting down; registrations no longer than the home address is valid', { timeout: SCENARIO_TIMEOUT_MS }, async () => {
  await withRoutedWorld({}, async ({ ns, scope }) => {
    // §10.6.2 with short intervals: an advertisement every 3-5 s; lifetimes decrementing in
    // real time (RFC 4861 §6.2.1) from 120 s valid / 60 s preferred.
    const haD = await scope.startDaemon(ns.ha, 'home agent', (dir) =>
      writeHomeAgentConfig(dir, {
        ipsecRequired: false,
        homeAgent: '  prefix_discovery:\n    valid_lifetime: 120\n    preferred_lifetime: 60\n    countdown: true\n    min_advertisement_interval: 3\n    max_advertisement_interval: 5\n',
      }));
    const mnD = await scope.startDaemon(ns.mn, 'mobile node', (dir) => writeMobileNodeConfig(dir, { bulk: true }));
    await until('a registered entry at the mobile node', async () => (await registeredWith(mnD, HA)).length > 0);
    const homeValid = async () => (await showPrefixes(mnD)).prefixes.find((p) => p.prefix === HOME_PREFIX)?.validLifetime;
    const first = await until('the home prefix learned', homeValid);
    assert.ok(first <= 120);
    // At least two unsolicited advertisements, each acknowledged by a Binding Update.
    await until('two unsolicited advertisements at the mobile node', () =>
      logRecords<{ msg: string; unsolicited: boolean }>(mnD).filter((r) => r.msg === 'mobile prefix advertisement received' && r.unsolicited).length >= 2 || undefined);
    await until('two acknowledgements at the home agent', () =>
      logRecords<{ msg: string; hoa: string }>(haD).filter((r) => r.msg === 'mobile prefix advertisement acknowledged by a binding update' && r.hoa === HOA).length >= 2 || undefined);
    // Counting down: a later advertisement carries a shorter valid lifetime than the first.
    const later = await until('a shorter valid lifetime learned', async () => {
      const v = await homeValid();
      return v !== undefined && v < first ? v : undefined;
    });
    assert.ok(later < first);
    // §11.7.1: the home agent holds the node's bindings for no longer than the home address stays valid.
    const held = await until('the node\'s bindings at the home agent', async () => {
      // `show bindings --json` at the home agent also carries the lifetime granted.
      const b = ((await bindings(haD)) as (Awaited<ReturnType<typeof bindings>>[number] & { lifetimeSeconds: number })[]).filter((x) => x.hoa === HOA);
      return b.length > 0 ? b : undefined;
    });
    for (const b of held) assert.ok(b.lifetimeSeconds <= 120, `binding lifetime ${b.lifetimeSeconds} s within the prefix's valid lifetime`);
  });
});

/** The home agent's view of the signalling SAs: spiIn carries the BUs, spiOut the BAs and advertisements. */
const SA: TestSas = {
  spiIn: 0x2101,
  spiOut: 0x2102,
  reqid: DEFAULT_XFRM_BANDS.reqidBase + 0x31,
  aeadName: 'rfc4106(gcm(aes))',
  key: `0x${'6b'.repeat(16)}0a0b0c0d`,
  icvBits: 128,
};

test('prefix discovery with IPsec: the solicitation leaves under the BU\'s SA with a Home Address option and the advertisement under the BA\'s (RFC 6275 §5.4, §11.4.2, RFC 4877 §4.1); each end requires it', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await withRoutedWorld({}, async ({ ns, scope }) => {
    const capture = await scope.capture(ns.ha, 'up0', 'uplink.pcap', 'ip6');
    const haD = await scope.startDaemon(ns.ha, 'home agent', (dir) =>
      writeHomeAgentConfig(dir, { ipsecRequired: true, homeAgent: `${authorisedHomeAddress(ipsecYaml(SA))}  prefix_discovery:\n    valid_lifetime: 3600\n    preferred_lifetime: 1800\n` }));
    const mnD = await scope.startDaemon(ns.mn, 'mobile node', (dir) => writeMobileNodeConfig(dir, { bulk: true, ipsec: ipsecYaml(mobileNodeSas(SA), '  ') }));
    await until('a registered entry at the mobile node', async () => (await registeredWith(mnD, HA)).length > 0);
    // The node's inbound policy for ICMPv6 147 requires ESP: learning the prefix proves the advertisement had it.
    await until('the home prefix learned', async () => (await showPrefixes(mnD)).prefixes.find((p) => p.prefix === HOME_PREFIX));
    const policies = await ns.mn.ip('xfrm', 'policy', 'list', 'dir', 'in');
    assert.match(policies, new RegExp(`src ${HA}/128 dst ${HOA}/128 proto ipv6-icmp type 147[\\s\\S]*?tmpl[^\\n]*\\n[^\\n]*proto esp`), policies);
    // The solicitation: the node's outbound policy (ESP, then the Home Address option) and the
    // home agent's inbound one (ESP required): the home agent received it, so it had ESP.
    const mnOut = await ns.mn.ip('xfrm', 'policy', 'list', 'dir', 'out');
    assert.match(mnOut, new RegExp(`src ${HOA}/128 dst ${HA}/128 proto ipv6-icmp type 146[\\s\\S]*?proto esp[\\s\\S]*?proto hao`), mnOut);
    const haIn = await ns.ha.ip('xfrm', 'policy', 'list', 'dir', 'in');
    assert.match(haIn, new RegExp(`src ${HOA}/128 dst ${HA}/128 proto ipv6-icmp type 146[\\s\\S]*?tmpl[^\\n]*\\n[^\\n]*proto esp`), haIn);
    assert.ok((await counter(haD, 'mpd', 'mps-received')) >= 1, 'the home agent received the solicitation');
    const sent = logRecords<{ msg: string; esp: boolean; coa: string }>(mnD).filter((l) => l.msg === 'mobile prefix solicitation sent');
    assert.ok(sent.length > 0 && sent.every((l) => l.esp === true), JSON.stringify(sent));
    // On the wire: ESP from a care-of address to the home agent with the home address in a
    // Home Address option (BUs and the solicitation); inside the tunnel, home agent -> home
    // address is ESP; no solicitation and no advertisement in clear, tunnelled or not.
    const up = await until('ESP with a Home Address option from a care-of address to the home agent', async () => {
      const r = await tsharkFields(capture.file, `ipv6.dst == ${HA} && ipv6.opt.mipv6.home_address == ${HOA} && esp`, ['ipv6.src', 'esp.spi']);
      return r.length > 0 ? r : undefined;
    });
    const down = await until('an ESP packet from the home agent to the home address inside a tunnel', async () => {
      const r = await tsharkFields(capture.file, `ipv6.src == ${HA} && ipv6.dst == ${HOA} && esp`, ['ipv6.src', 'ipv6.dst', 'esp.spi']);
      return r.length > 0 ? r : undefined;
    });
    // The home agent requires ESP: a solicitation reverse-tunnelled in clear (as a node
    // without SAs sends it) is dropped by its kernel after decapsulation, never answered.
    const mismatch = await procCounter(ns.ha, 'xfrm_stat', 'XfrmInTmplMismatch');
    const received = await counter(haD, 'mpd', 'mps-received');
    const clear = encapsulatedIcmp6(encodeMobilePrefix({ kind: 'mps', identifier: 0x4242, options: [] }), mustParseIp6(HOA), mustParseIp6(HA));
    sendIp6ip6(clear, { outerSrc: COAS[0], outerDst: HA, netns: ns.mn.name }, 'a solicitation in clear');
    await until('the home agent\'s kernel to drop the clear solicitation', async () => (await procCounter(ns.ha, 'xfrm_stat', 'XfrmInTmplMismatch')) > mismatch);
    assert.equal(await counter(haD, 'mpd', 'mps-received'), received, 'the clear solicitation did not reach the home agent');
    await capture.stop();
    t.diagnostic(`up: ${up.map((r) => r.join(' ')).join('; ')}; down: ${down.map((r) => r.join(' ')).join('; ')}`);
    assert.ok(up.every((r) => Number(r[1]) === SA.spiIn), `under the BU's SA: ${JSON.stringify(up)}`);
    assert.deepEqual(await tsharkFields(capture.file, 'icmpv6.type == 147', ['ipv6.src']), [], 'no advertisement readable on the wire');
    // The one in clear is the test's own (identifier 0x4242), readable; the node's are not.
    assert.equal((await tsharkFields(capture.file, 'icmpv6.type == 146 && icmpv6.mip6.identifier == 0x4242', ['ipv6.src'])).length, 1, 'the test\'s clear solicitation in the capture');
    assert.deepEqual(await tsharkFields(capture.file, 'icmpv6.type == 146 && icmpv6.mip6.identifier != 0x4242', ['ipv6.src']), [], 'no solicitation of the node readable on the wire');
  });
});

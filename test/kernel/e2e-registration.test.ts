// Mobile node role, end-to-end registration scenarios (draft-04 §5.4 bulk registration,
// §5.9 bootstrapping, §6.3 regular vs BID bindings and MCOA BID CONFLICT), on one topology
// (cn, rt, ha, mn of e2e-fixture.ts) in sequence: each scenario starts from the state the
// previous one left. Each checks the home agent's binding cache (`mcoactl show bindings`),
// the kernel on both sides (`ip`), traffic (UDP echo from the correspondent to the home
// address), and a capture of the Mobility Header messages on the home agent's uplink read
// by tshark and by `mcoactl decode --pcap`, which must agree.
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { ETH_P_IPV6 } from '../../lib/net/link-frame.js';
import { readlinkSync } from 'node:fs';
import { createNetns, type Netns } from './netns.js';
import {
  COAS, ERROR_LINE, FAILURE_LINE, HA, HOA, MH_BA, MH_BU, MN_IFACES, SCENARIO_TIMEOUT_MS, TestScope, bindings, daemonLog, decodeWithMcoactl, decodeWithTshark,
  echoFromCn, echoFromCnInBackground, killDaemon, linesMatching, logRecords, registeredWith, routedTopology, seenText, socketInventory, ssKind, ssLinesOf,
  startMonitor, stats, perCareOfCounters, tunnelGap, tunnelSum, tunnels, until, untilForwarding, writeHomeAgentConfig, writeMobileNodeConfig, type Daemon, type DaemonStats,
  type MobileNodeOptions, type PacketCapture, type RoutedNamespaces, type SeenMh,
} from './fixtures/index.js';

const BID_CONFLICT = 165; // lib/wire/profiles.ts DRAFT04_STATUS.bidConflict

interface World extends RoutedNamespaces {
  scope: TestScope;
  mnDir: string;
  haD: Daemon;
  mnD: Daemon | undefined;
  capture: PacketCapture | undefined;
  captures: number;
}
let w: World | undefined;
const spaces: Netns[] = [];
const scope = new TestScope();

before(async () => {
  for (let i = 0; i < 4; i++) spaces.push(await createNetns('mcoa'));
  const [cn, rt, ha, mn] = spaces as [Netns, Netns, Netns, Netns];
  await routedTopology({ cn, rt, ha, mn });
  const haD = await scope.startDaemon(ha, 'home agent', (dir) => writeHomeAgentConfig(dir, { ipsecRequired: false }));
  w = { cn, rt, ha, mn, scope, mnDir: scope.dir(), haD, mnD: undefined, capture: undefined, captures: 0 };
}, { timeout: SCENARIO_TIMEOUT_MS });

after(async () => {
  try {
    await scope.close();
  } finally {
    for (const ns of spaces) await ns.delete();
  }
}, { timeout: SCENARIO_TIMEOUT_MS });

function world(): World {
  if (!w) throw new Error('the topology was not built');
  return w;
}

/** Runs a scenario; on failure the daemons' last lines join the message. No error lines may appear meanwhile. */
async function scenario(fn: (w: World) => Promise<void>): Promise<void> {
  const r = world();
  const haFrom = r.haD.output.length;
  const mnBefore = r.mnD;
  const mnFrom = r.mnD?.output.length ?? 0;
  try {
    await fn(r);
    const haErrors = linesMatching(r.haD, ERROR_LINE, haFrom);
    // The mobile node instance(s) of this scenario: the one running at the start from where it was, and a restarted one whole.
    const mnLines = r.mnD === mnBefore ? (r.mnD?.output.slice(mnFrom) ?? []) : [...(mnBefore?.output.slice(mnFrom) ?? []), ...(r.mnD?.output ?? [])];
    assert.deepEqual([...haErrors, ...mnLines.filter((l) => FAILURE_LINE.test(l))], [], 'error lines in the daemons\' logs');
  } catch (err) {
    (err as Error).message += daemonLog(r.haD) + daemonLog(r.mnD);
    throw err;
  } finally {
    await r.capture?.stop();
    r.capture = undefined;
  }
}

async function capture(r: World): Promise<PacketCapture> {
  r.captures += 1;
  r.capture = await r.scope.capture(r.ha, 'up0', `uplink-${r.captures}.pcap`, 'ip6 protochain 135');
  return r.capture;
}

/** Waits until mcoactl sees `pred` in the growing file, stops tcpdump, and checks that tshark reads the same messages. */
async function finishCapture(t: TestContext, c: PacketCapture, what: string, pred: (seen: SeenMh[]) => boolean): Promise<SeenMh[]> {
  await until(`${what} in the capture`, async () => pred(await decodeWithMcoactl(c.file)));
  await c.stop();
  const ours = await decodeWithMcoactl(c.file);
  const shark = await decodeWithTshark(c.file);
  for (const m of ours) t.diagnostic(`capture: ${seenText(m)}`);
  assert.deepEqual(shark.map(seenText), ours.map(seenText), 'tshark and mcoactl decode read the capture alike');
  return ours;
}

async function haBindings(r: World): Promise<{ bid: number; coa: string; sequence: number; hoa: string }[]> {
  return (await bindings(r.haD)).sort((a, b) => a.bid - b.bid);
}

/** Until the home agent holds exactly `coas` (in BID order) with BIDs (or one regular binding when `regular`). */
async function haHolds(r: World, coas: readonly string[], regular = false): Promise<{ bid: number; coa: string; sequence: number; hoa: string }[]> {
  return until(`the home agent to hold ${coas.join(', ')}${regular ? ' (regular)' : ''}`, async () => {
    const l = await haBindings(r);
    const ok = l.length === coas.length && l.map((b) => b.coa).sort().join() === [...coas].sort().join() && l.every((b) => (b.bid === 0) === regular && b.hoa === HOA);
    return ok ? l : undefined;
  });
}

async function echoWorks(t: TestContext, r: World, n = 20): Promise<void> {
  const e = await echoFromCn(r.cn, n, 20);
  t.diagnostic(`echo: ${e.received}/${e.sent} answered`);
  assert.equal(e.received, n, `echo to the home address, missing ${e.missing.join(',')}`);
}

/** kill -9 the mobile node (if running) and start it on the same directory with `sw`. */
async function restartMobileNode(r: World, sw: Pick<MobileNodeOptions, 'multipleCoa' | 'bootstrapOverwrite' | 'bidConflict'>): Promise<Daemon> {
  if (r.mnD) await killDaemon(r.mnD);
  r.mnD = await r.scope.startDaemon(r.mn, 'mobile node', (dir) => writeMobileNodeConfig(dir, sw), r.mnDir);
  return r.mnD;
}

const groupSum = (s: DaemonStats, g: string): number => Object.values(s.counters[g] ?? {}).reduce((a, b) => a + b, 0);
const bus = (seen: SeenMh[]): SeenMh[] => seen.filter((m) => m.type === MH_BU);
const baFor = (seen: SeenMh[], seq: number): SeenMh | undefined => seen.find((m) => m.type === MH_BA && m.seq === seq && (m.status ?? 255) < 128);
/** [3,4,5,9] -> "3-5, 9" */
const ranges = (xs: number[]): string =>
  xs.reduce<[number, number][]>((acc, x) => {
    const last = acc[acc.length - 1];
    if (last && last[1] === x - 1) last[1] = x;
    else acc.push([x, x]);
    return acc;
  }, []).map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(', ') || 'none';
const pairs = (m: SeenMh): string => m.bids.map((b) => `${b.bid}=${b.coa ?? '-'}`).join(' ');

test('1. bulk registration (§5.4): one BU with three BID sub-options (C flag, care-of address) registers all three', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await scenario(async (r) => {
    const c = await capture(r);
    await restartMobileNode(r, {});
    await r.scope.echoServer(r.mn);
    // Once the node has its BA no BU follows, so what the home agent holds then is final (a BA
    // held for DAD may come after a retransmitted BU, and answer that one).
    await until('the mobile node registered at its three care-of addresses', async () => (await registeredWith(r.mnD!, HA)).filter((e) => e.bid !== 0).length === 3);
    const list = await haHolds(r, COAS);
    const seen = await finishCapture(t, c, 'the BA of the registration', (s) => baFor(s, list[0]!.sequence) !== undefined);
    const first = bus(seen)[0];
    assert.ok(first, 'a BU in the capture');
    assert.equal(first.bids.length, 3, `the first BU carries three BID sub-options: ${seenText(first)}`);
    assert.ok(first.bids.every((b) => b.c && b.coa !== null), 'each with the C flag and a care-of address');
    assert.deepEqual(first.bids.map((b) => b.coa).sort(), [...COAS]);
    assert.ok(COAS.includes(first.src as (typeof COAS)[number]) && first.dst === HA, 'sent from a care-of address to the home agent');
    assert.ok(bus(seen).every((m) => m.bids.length === 3), 'no BU for a single BID');
    // One BU registered all three: every binding carries its sequence number and its BID/care-of
    // pairs. (On a loaded machine the node may have sent it again, with a new sequence number,
    // before the first BA came; whichever the home agent holds last is the one to match.)
    const accepted = bus(seen).find((m) => m.seq === list[0]!.sequence);
    assert.ok(accepted, `the BU with sequence ${list[0]!.sequence} in the capture`);
    assert.ok(list.every((b) => b.sequence === accepted.seq), `bindings from sequence ${accepted.seq}: ${JSON.stringify(list)}`);
    assert.ok(accepted.bids.every((b) => b.c && b.coa !== null), `the accepted BU: each BID with the C flag and a care-of address: ${seenText(accepted)}`);
    assert.equal(list.map((b) => `${b.bid}=${b.coa}`).join(' '), [...accepted.bids].sort((a, b) => a.bid - b.bid).map((b) => `${b.bid}=${b.coa}`).join(' '));
    const ba = baFor(seen, accepted.seq)!;
    assert.equal(ba.status, 0);
    assert.deepEqual(ba.bids.map((b) => `${b.bid}/${b.status}`).sort(), accepted.bids.map((b) => `${b.bid}/0`).sort(), 'the BA answers each BID');
    t.diagnostic(`first BU: ${seenText(first)} (O set: bootstrap_overwrite defaults to true)`);
    await untilForwarding(r, COAS);
    assert.match(await r.ha.ip('-6', 'route', 'show', `${HOA}/128`), /nhid \d+/);
    await echoWorks(t, r);
  });
});

test('5. no user traffic through the daemon: tunnel counters grow by N, daemon counters only by the MH messages; sockets are netlink, MH, ND', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await scenario(async (r) => {
    const pid = r.haD.proc.pid!;
    // `ip netns exec` execs the program: the spawned pid is node itself.
    assert.match(readlinkSync(`/proc/${pid}/exe`), /node/);
    const c = await capture(r);
    const s0 = await stats(r.haD);
    const t0 = await tunnels(r.ha);
    const N = 200;
    const e = await echoFromCn(r.cn, N, 5);
    const s1 = await stats(r.haD);
    const t1 = await tunnels(r.ha);
    await c.stop();
    const seen = await decodeWithMcoactl(c.file);
    assert.deepEqual((await decodeWithTshark(c.file)).map(seenText), seen.map(seenText));
    const mhIn = seen.filter((m) => m.dst === HA).length;
    const tx = tunnelSum(t1, 'txPackets') - tunnelSum(t0, 'txPackets');
    const rx = tunnelSum(t1, 'rxPackets') - tunnelSum(t0, 'rxPackets');
    const received = groupSum(s1, 'received') - groupSum(s0, 'received');
    const socketIn = (s1.counters['socket']?.['received'] ?? 0) - (s0.counters['socket']?.['received'] ?? 0);
    t.diagnostic(`echo ${e.received}/${N}; home agent tunnels tx +${tx} rx +${rx}; daemon received +${received} (socket +${socketIn}); MH messages to the home agent in the capture: ${mhIn}`);
    assert.equal(e.received, N, `missing ${e.missing.join(',')}`);
    assert.ok(tx >= N && rx >= N, 'the kernel tunnels carried every request and reply');
    assert.equal(received, mhIn, 'the daemon received exactly the Mobility Header messages of the capture');
    assert.equal(socketIn, mhIn, 'its MH socket read exactly those');

    const inv = socketInventory(pid);
    for (const l of inv.lines) t.diagnostic(`home agent ${l}`);
    const ss = await ssLinesOf(r.ha, pid);
    for (const l of ss) t.diagnostic(`ss: ${l}`);
    assert.deepEqual(inv.other, [], 'no TCP, UDP, IPv4 raw or unidentified socket');
    assert.deepEqual(inv.devices.filter((d) => d !== '/dev/null'), [], 'no device open (a tun/tap would be /dev/net/tun)');
    assert.deepEqual(inv.raw6.filter((p) => p === 135), [135], 'one raw IPPROTO_MH socket');
    assert.deepEqual(inv.raw6.filter((p) => p !== 135 && p !== 58), [], 'raw IPv6 sockets: MH and ICMPv6 (ND with an NS/NA filter, Mobile Prefix Discovery with 146/147) only');
    // A packet socket bound to protocol 0 sends (DAD probes) but receives no frame at all; proxy
    // ND by the daemon (the default) has one bound to IPv6 whose BPF filter passes only NS.
    assert.deepEqual(inv.packet.filter((p) => p !== 0), [ETH_P_IPV6], 'packet sockets receive nothing but Neighbour Solicitations');
    assert.ok(inv.netlink.length > 0 && inv.netlink.every((p) => p === 0 || p === 6), `netlink: route and xfrm only (${inv.netlink.join(',')})`);
    // The control socket is bound under the daemon's directory and then renamed into place: /proc shows the bound path.
    assert.deepEqual(inv.unix.filter((p) => !p.startsWith(`${r.haD.dir}/`)), [], 'unix sockets: the control socket only');
    assert.deepEqual(inv.inheritedUnix.filter((fd) => fd > 2), [], 'sockets of another namespace: stdio only');
    // ss, an independent reader (sock_diag), agrees: nothing but these kinds, and one MH socket.
    assert.deepEqual(ss.filter((l) => ssKind(l) === null), [], 'ss: only packet (protocol 0, or IPv6 for proxy ND), raw MH, raw ICMPv6 and unix sockets');
    assert.equal(ss.filter((l) => ssKind(l) === 'raw MH').length, 1);
    assert.equal(ss.filter((l) => ssKind(l) === 'packet, protocol 0').length, inv.packet.filter((p) => p === 0).length);
    assert.equal(ss.filter((l) => ssKind(l) === 'packet, IPv6').length, 1);
  });
});

test('2. bootstrapping (§5.9): restarted without de-registering and one care-of address gone, the first BU carries O; the stale binding goes', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await scenario(async (r) => {
    await haHolds(r, COAS);
    const initial = (await tunnels(r.mn)).map((x) => ({ name: x.name, local: x.local }));
    const stay = [COAS[0], COAS[1]];
    const monitor = startMonitor(r.mn, ['link', 'address', 'route', 'nexthop']);
    const haMonitor = startMonitor(r.ha, ['link', 'route', 'nexthop']);
    const mark = (what: string): void => t.diagnostic(`[${new Date().toISOString()}] ${what}`);
    const during = echoFromCnInBackground(r.cn, 300, 20);
    await during.started;
    const [haT0, mnT0] = [await perCareOfCounters(r), await tunnels(r.mn)];
    const used = (a: typeof haT0, b: typeof haT0, end: 'remote' | 'local'): string =>
      b.filter((x) => x.txPackets > (a.find((y) => y.name === x.name)?.txPackets ?? 0)).map((x) => x[end]).join(', ');
    const [haT1, mnT1] = await until('the echo through tunnels at both ends', async () => {
      const now = [await perCareOfCounters(r), await tunnels(r.mn)] as const;
      return used(haT0, now[0], 'remote') !== '' && used(mnT0, now[1], 'local') !== '' ? now : undefined;
    });
    t.diagnostic(`echo requests leave the home agent through its tunnel to ${used(haT0, haT1, 'remote')}; replies leave the mobile node through its tunnel from ${used(mnT0, mnT1, 'local')}`);
    mark('kill -9 the mobile node');
    await killDaemon(r.mnD!);
    assert.equal((await haBindings(r)).length, 3, 'the killed mobile node did not de-register');
    mark(`ip addr del ${COAS[2]} (${MN_IFACES[2]}) while it is down`);
    await r.mn.ip('addr', 'del', `${COAS[2]}/64`, 'dev', MN_IFACES[2]);
    const c = await capture(r);
    const startAt = Date.now();
    mark('restart the mobile node');
    await restartMobileNode(r, {});
    mark('its control socket answers');
    const list = await haHolds(r, stay);
    t.diagnostic(`home agent down to the 2 current bindings ${Date.now() - startAt} ms after the restart began`);
    await untilForwarding(r, stay);
    const seen = await finishCapture(t, c, 'the BA of the O-flag BU', (s) => baFor(s, list[0]!.sequence) !== undefined);
    const lost = await during.done;
    const events = await monitor.stop();
    // Tunnels, nexthop groups, our routes and global addresses: enough to place any loss in time.
    const relevant = (e: string): boolean => /mip6t\d+@|group \d|nhid|inet6 2001/.test(e) && !/fe80|ff00|anycast/.test(e);
    for (const e of events.filter(relevant)) t.diagnostic(`mn: ${e.replace(/\s+/g, ' ').slice(0, 170)}`);
    for (const e of (await haMonitor.stop()).filter(relevant)) t.diagnostic(`ha: ${e.replace(/\s+/g, ' ').slice(0, 170)}`);
    const gap = tunnelGap(events, initial, stay);
    // The echo is not asserted here: datagrams hashed to the removed care-of address are lost
    // from its removal until the restarted node's first kernel pass (nothing of mcoad runs
    // meanwhile) and, the other way, until the home agent takes the O-flag BU. Measured on
    // 2026-12-04: 132 of 300 (2.6 s), both groups changing 2.7-2.8 s after the restart began.
    // Once running, the node drops such a member at once (test/unit/plan/mn/live-care-of.test.ts,
    // and e2e.test.ts with its Binding Updates blocked); a restart with the addresses kept loses
    // nothing (e2e.test.ts).
    t.diagnostic(`restart: mobile node tunnels for ${stay.join(', ')} missing for ${gap.gapMs} ms; echo during it ${lost.received}/${lost.sent}, missing ${lost.missing.length} (20 ms apart: ${ranges(lost.missing)})`);
    const first = bus(seen)[0];
    assert.ok(first, 'a BU after the restart');
    assert.ok(first.bids.length === 2 && first.bids.every((b) => b.o && b.c), `the first BU carries O on each BID: ${seenText(first)}`);
    assert.deepEqual(first.bids.map((b) => b.coa).sort(), stay);
    const accepted = bus(seen).find((m) => m.seq === list[0]!.sequence);
    assert.ok(accepted && accepted.bids.every((b) => b.o), 'the accepted BU had the O flag');
    assert.ok(list.every((b) => b.sequence === accepted.seq));
    // The restarted node holds its previous tunnels until the home agent has answered (55503f2):
    // the ones for care-of addresses still present are never missing.
    assert.equal(gap.gapMs, 0, `tunnels for ${stay.join(', ')} missing for ${gap.gapMs} ms during the restart`);
    assert.ok(gap.lines.some((l) => l.includes('Deleted') && l.includes(COAS[2])), 'the monitor saw the tunnel of the removed care-of address go');
    await echoWorks(t, r);
  });
});

test('3. a regular BU (multiple_coa: false) replaces the three BID bindings with one binding without BID (§6.3)', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await scenario(async (r) => {
    await r.mn.ip('addr', 'add', `${COAS[2]}/64`, 'dev', MN_IFACES[2], 'nodad');
    await haHolds(r, COAS);
    await untilForwarding(r, COAS);
    const c = await capture(r);
    const mnD = await restartMobileNode(r, { multipleCoa: false });
    const list = await haHolds(r, [COAS[0]], true);
    await untilForwarding(r, [COAS[0]]);
    const seen = await finishCapture(t, c, 'the BA of the regular BU', (s) => baFor(s, list[0]!.sequence) !== undefined);
    assert.ok(bus(seen).length > 0 && bus(seen).every((m) => m.bids.length === 0), 'regular BUs: no BID sub-option');
    const ba = baFor(seen, list[0]!.sequence)!;
    assert.ok(ba.status === 0 && ba.bids.length === 0, seenText(ba));
    assert.equal(bus(seen).find((m) => m.seq === ba.seq)?.src, COAS[0], 'sent from the preferred interface');
    // The mobile node's list, once it has taken the BA.
    const bul = await until('the regular binding registered at the mobile node', async () => {
      const l = (await bindings(mnD)).filter((e) => e.peer === HA);
      return l.length > 0 && l.every((e) => e.state === 'registered') ? l : undefined;
    });
    assert.deepEqual(bul.map((e) => `${e.bid} ${e.coa} ${e.state}`), [`0 ${COAS[0]} registered`]);
    await echoWorks(t, r);
  });
});

test('4. BIDs over a regular binding: MCOA BID CONFLICT (165), then the O flag (bid_conflict: overwrite) and three BID bindings', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await scenario(async (r) => {
    await haHolds(r, [COAS[0]], true);
    const ha0 = await stats(r.haD);
    const c = await capture(r);
    const mnD = await restartMobileNode(r, { multipleCoa: true, bootstrapOverwrite: false });
    const list = await haHolds(r, COAS);
    await until('the mobile node to register its three BIDs', async () => (await registeredWith(mnD, HA)).filter((e) => e.bid !== 0).length === 3);
    const final = (await haBindings(r))[0]!.sequence;
    const seen = await finishCapture(t, c, 'the BA of the O-flag BU', (s) => baFor(s, final) !== undefined);
    const conflict = seen.find((m) => m.type === MH_BA && m.status === BID_CONFLICT);
    assert.ok(conflict, 'a BA with status 165 (MCOA BID CONFLICT)');
    const conflicted = bus(seen).find((m) => m.seq === conflict.seq);
    assert.ok(conflicted && conflicted.bids.length === 3 && conflicted.bids.every((b) => b.c && !b.o), `the conflicting BU: three BIDs, no O flag: ${conflicted ? seenText(conflicted) : 'none'}`);
    // The home agent's bindings come from an O-flag BU sent after the conflict (on a loaded
    // machine the node may have sent it more than once, each with a new sequence number).
    const overwrite = bus(seen).find((m) => m.seq === final);
    assert.ok(overwrite, `the BU with sequence ${final} in the capture`);
    assert.ok(overwrite.frame > conflict.frame && overwrite.bids.length === 3 && overwrite.bids.every((b) => b.o), `after the conflict, a BU with the O flag on its three BIDs: ${seenText(overwrite)}`);
    assert.equal(pairs(overwrite), pairs(conflicted));
    assert.ok(list.every((b) => b.bid !== 0));
    const lines = logRecords<{ msg: string; status: number }>(mnD);
    assert.ok(lines.some((l) => l.msg === 'bidConflictOverwrite' && l.status === BID_CONFLICT), 'the mobile node logged the conflict and overwrote');
    const ha1 = await stats(r.haD);
    assert.ok((ha1.counters['status']?.[String(BID_CONFLICT)] ?? 0) > (ha0.counters['status']?.[String(BID_CONFLICT)] ?? 0), 'the home agent counted a 165');
    const mnStats = await stats(mnD);
    t.diagnostic(`mobile node counters: ${JSON.stringify({ sent: mnStats.counters['sent'], received: mnStats.counters['received'] })}`);
    assert.ok((mnStats.counters['received']?.['ba'] ?? 0) >= 2, 'the mobile node received the 165 BA and the final one');
    await untilForwarding(r, COAS);
    await echoWorks(t, r);
  });
});

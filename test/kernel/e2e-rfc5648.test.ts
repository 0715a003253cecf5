// Both daemons on `wire_profile: rfc5648`, end to end on the routed topology (cn, rt, ha, mn):
// draft-04 Figure 6 (bulk registration of three care-of addresses, traffic to the home
// address) and a BID conflict, now with RFC 5648's rules: a regular binding exists, the BID
// registration without O is not processed (MCOA NON-MCOA BINDING EXISTS, §6.2) and the
// regular binding stays until the node sends O in the BU's flags (§4.2). Every Mobility
// Header message on the home agent's uplink is read by tshark (RFC 5648's layout natively)
// and by `mcoactl decode --profile rfc5648 --pcap`, which must agree.
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createNetns, type Netns } from './netns.js';
import {
  COAS, ERROR_LINE, FAILURE_LINE, HA, HOA, MH_BA, MH_BU, SCENARIO_TIMEOUT_MS, TestScope, bindings, daemonLog, decodeWithMcoactl, decodeWithTshark, echoFromCn,
  killDaemon, linesMatching, registeredWith, routedTopology, seenText, until, untilForwarding, writeHomeAgentConfig, writeMobileNodeConfig, type Daemon,
  type MobileNodeOptions, type PacketCapture, type RoutedNamespaces, type SeenMh,
} from './fixtures/index.js';

const NON_MCOA_BINDING_EXISTS = 165; // RFC 5648 §4.4
const PROFILE = 'wire_profile: rfc5648\n';

interface World extends RoutedNamespaces {
  scope: TestScope;
  mnDir: string;
  haD: Daemon;
  mnD: Daemon | undefined;
  captures: number;
}
let w: World | undefined;
const spaces: Netns[] = [];
const scope = new TestScope();

before(async () => {
  for (let i = 0; i < 4; i++) spaces.push(await createNetns('m5648'));
  const [cn, rt, ha, mn] = spaces as [Netns, Netns, Netns, Netns];
  await routedTopology({ cn, rt, ha, mn });
  const haD = await scope.startDaemon(ha, 'home agent', (dir) => writeHomeAgentConfig(dir, { ipsecRequired: false, topLevel: PROFILE }));
  w = { cn, rt, ha, mn, scope, mnDir: scope.dir(), haD, mnD: undefined, captures: 0 };
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

async function scenario(fn: (w: World) => Promise<void>): Promise<void> {
  const r = world();
  const haFrom = r.haD.output.length;
  try {
    await fn(r);
    const mnLines = r.mnD?.output ?? [];
    assert.deepEqual([...linesMatching(r.haD, ERROR_LINE, haFrom), ...mnLines.filter((l) => FAILURE_LINE.test(l))], [], 'error lines in the daemons\' logs');
  } catch (err) {
    (err as Error).message += daemonLog(r.haD) + daemonLog(r.mnD);
    throw err;
  }
}

async function restartMobileNode(r: World, sw: Pick<MobileNodeOptions, 'multipleCoa' | 'bootstrapOverwrite' | 'bidConflict'>): Promise<Daemon> {
  if (r.mnD) await killDaemon(r.mnD);
  r.mnD = await r.scope.startDaemon(r.mn, 'mobile node', (dir) => writeMobileNodeConfig(dir, { ...sw, topLevel: PROFILE }), r.mnDir);
  return r.mnD;
}

async function capture(r: World): Promise<PacketCapture> {
  r.captures += 1;
  return r.scope.capture(r.ha, 'up0', `uplink-5648-${r.captures}.pcap`, 'ip6 protochain 135');
}

/** Waits for `pred` in what mcoactl reads, stops the capture, and requires tshark to read the same. */
async function finishCapture(t: TestContext, c: PacketCapture, what: string, pred: (seen: SeenMh[]) => boolean): Promise<SeenMh[]> {
  await until(`${what} in the capture`, async () => pred(await decodeWithMcoactl(c.file, 'rfc5648')));
  await c.stop();
  const ours = await decodeWithMcoactl(c.file, 'rfc5648');
  const shark = await decodeWithTshark(c.file, 'rfc5648');
  for (const m of ours) t.diagnostic(`capture: ${seenText(m)}`);
  assert.deepEqual(shark.map(seenText), ours.map(seenText), 'tshark and mcoactl decode --profile rfc5648 read the capture alike');
  return ours;
}

async function haHolds(r: World, coas: readonly string[], regular = false): Promise<{ bid: number; coa: string; sequence: number }[]> {
  return until(`the home agent to hold ${coas.join(', ')}${regular ? ' (regular)' : ''}`, async () => {
    const l = (await bindings(r.haD)).sort((a, b) => a.bid - b.bid);
    const ok = l.length === coas.length && l.map((b) => b.coa).sort().join() === [...coas].sort().join() && l.every((b) => (b.bid === 0) === regular && b.hoa === HOA);
    return ok ? l : undefined;
  });
}

async function echoWorks(t: TestContext, r: World, n = 20): Promise<void> {
  const e = await echoFromCn(r.cn, n, 20);
  t.diagnostic(`echo: ${e.received}/${e.sent} answered`);
  assert.equal(e.received, n, `echo to the home address, missing ${e.missing.join(',')}`);
}

const bus = (seen: SeenMh[]): SeenMh[] => seen.filter((m) => m.type === MH_BU);
const baFor = (seen: SeenMh[], seq: number): SeenMh | undefined => seen.find((m) => m.type === MH_BA && m.seq === seq && (m.status ?? 255) < 128);

test('rfc5648, Figure 6: one BU with three Binding Identifier options (length 20, IPv6 care-of address) registers all three; echo to the home address', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await scenario(async (r) => {
    const c = await capture(r);
    await restartMobileNode(r, {});
    await r.scope.echoServer(r.mn);
    const list = await haHolds(r, COAS);
    const seen = await finishCapture(t, c, 'the BA of the registration', (s) => baFor(s, list[0]!.sequence) !== undefined);
    const accepted = bus(seen).find((m) => m.seq === list[0]!.sequence);
    assert.ok(accepted, `the BU with sequence ${list[0]!.sequence} in the capture`);
    assert.equal(accepted.bids.length, 3, seenText(accepted));
    assert.deepEqual(accepted.bids.map((b) => b.coa).sort(), [...COAS], 'each option carries its IPv6 care-of address');
    // bootstrap_overwrite (default true): the first BU after a start carries O, in the BU's flags.
    assert.ok(bus(seen)[0]!.bids.every((b) => b.o), `the first BU has O set: ${seenText(bus(seen)[0]!)}`);
    assert.equal(baFor(seen, accepted.seq)!.status, 0);
    await untilForwarding(r, COAS);
    await echoWorks(t, r);
  });
});

test('rfc5648, BID conflict: a regular binding exists -> 165 MCOA NON-MCOA BINDING EXISTS, the regular binding stays, then O in the BU replaces it with three BIDs', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await scenario(async (r) => {
    await restartMobileNode(r, { multipleCoa: false });
    await haHolds(r, [COAS[0]], true);
    await untilForwarding(r, [COAS[0]]);
    const c = await capture(r);
    const mnD = await restartMobileNode(r, { multipleCoa: true, bootstrapOverwrite: false });
    const list = await haHolds(r, COAS);
    await until('the mobile node to register its three BIDs', async () => (await registeredWith(mnD, HA)).filter((e) => e.bid !== 0).length === 3);
    const final = list[0]!.sequence;
    const seen = await finishCapture(t, c, 'the BA of the O BU', (s) => baFor(s, final) !== undefined);
    const refusal = seen.find((m) => m.type === MH_BA && m.status === NON_MCOA_BINDING_EXISTS);
    assert.ok(refusal, 'a BA with status 165');
    const refused = bus(seen).find((m) => m.seq === refusal.seq);
    assert.ok(refused && refused.bids.length === 3 && refused.bids.every((b) => !b.o), `the refused BU: three BIDs, no O: ${refused ? seenText(refused) : 'none'}`);
    const overwrite = bus(seen).find((m) => m.seq === final);
    assert.ok(overwrite && overwrite.frame > refusal.frame && overwrite.bids.every((b) => b.o), `after the refusal, a BU with O: ${overwrite ? seenText(overwrite) : 'none'}`);
    // RFC 5648 §6.2: the refused BU changed nothing. Every binding the home agent holds now came
    // from the O BU; none from the refused one.
    assert.ok(list.every((b) => b.sequence === final && b.bid !== 0));
    await untilForwarding(r, COAS);
    await echoWorks(t, r);
  });
});

// Cluster mode with static ESP SAs (docs/cluster.md, "ESP sequence numbers"): every home
// agent holds the same signalling and payload SAs; the mobile node's inbound SAs have an
// anti-replay window of 32 (`ipsec.replay_window`). A flow from the correspondent pushes the
// active's payload SA well past the standby's (which sends nothing), then the active is killed
// with SIGKILL. With `esp_seq_margin` (default 1024) the new active raises its output
// sequence numbers to the marks the old one kept in etcd before it serves: the mobile node
// drops nothing as a replay and accepts the next refresh's BA. With the margin 0 (the
// feature off) the new active starts again from its own counters, and the mobile node drops
// its BAs and payload as replays: the second case shows the first can fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_XFRM_BANDS } from '../../lib/reconcile/drivers/xfrm.js';
import type { Netns } from './netns.js';
import {
  CN_PREFIX, HA, HOA, SCENARIO_TIMEOUT_MS, authorisedHomeAddress, bindings, counter, echoFromCnInBackground, espOseq, ipsecYaml, killDaemon, linesMatching,
  mobileNodeSas, registeredWith, until, untilLogged, writeHomeAgentConfig, writeMobileNodeConfig, type Daemon, type TestSas,
} from './fixtures/index.js';
import { CLUSTER_COAS, activeForHa, holdsServiceAddress, showCluster, withClusterWorld, type ClusterWorld } from './fixtures/cluster.js';

/** Signalling SAs, the home agent's view. */
const SA: TestSas = {
  spiIn: 0x5001,
  spiOut: 0x5002,
  reqid: DEFAULT_XFRM_BANDS.reqidBase + 0x51,
  aeadName: 'rfc4106(gcm(aes))',
  key: `0x${'6b'.repeat(16)}01020304`,
  icvBits: 128,
};
const P_IN = 0x6001;
const P_OUT = 0x6002;
const P_KEY = `0x${'d4'.repeat(16)}0a0b0c0d`;
const WINDOW = 32;
/** Datagrams from the correspondent this far apart. */
const INTERVAL_MS = 20;
/** The active's payload SAs must have sent this many before the kill: far past the window. */
const SENT_BEFORE_KILL = 300;
/** BU lifetime: a refresh every ~14 s, so one comes soon after the failover. */
const MN_LIFETIME = 16;

const payloadYaml = (spiIn: number, spiOut: number, indent: string): string =>
  [`${indent}payload:`, `${indent}  spi_in: 0x${spiIn.toString(16)}`, `${indent}  spi_out: 0x${spiOut.toString(16)}`,
    `${indent}  aead: { name: '${SA.aeadName}', key: '${P_KEY}', icv_bits: ${SA.icvBits} }`].join('\n');

function writeEspClusterConfig(dir: string, w: ClusterWorld, node: 'ha1' | 'ha2', preference: number, margin: number | undefined): string {
  const endpoints = w.endpoints.map((e) => `'${e}'`).join(', ');
  return writeHomeAgentConfig(dir, {
    address: HA,
    ipsecRequired: true,
    homeAgent: authorisedHomeAddress(`${ipsecYaml(SA)}\n${payloadYaml(P_IN, P_OUT, '          ')}`),
    topLevel: `cluster:
  endpoints: [${endpoints}]
  node: ${node}
  service_addresses:
    ${HA}: { preference: ${preference} }
${margin === undefined ? '' : `  replication: { esp_seq_margin: ${margin} }\n`}`,
  });
}

/** The output sequence numbers of a home agent's outbound SAs: the BA SA and the payload SA per care-of address (absent: 0). */
async function outboundOseqs(ns: Netns): Promise<{ ba: number; payload: number[] }> {
  const read = (dst: string, spi: number): Promise<number> => espOseq(ns, HA, dst, spi).catch(() => 0);
  return { ba: await read(HOA, SA.spiOut), payload: await Promise.all(CLUSTER_COAS.map((coa) => read(coa, P_OUT))) };
}

/**
 * The mobile node's replay drops: per inbound SA (`ip -s xfrm state`, stats line "replay-window
 * N replay M failed F": N below the window, M seen before) and XfrmInStateSeqError (both).
 */
async function mnReplayDrops(mn: Netns): Promise<{ perSa: number; seqErrors: number; text: string }> {
  const text = await mn.ip('-s', 'xfrm', 'state', 'list', 'proto', 'esp');
  const perSa = [...text.matchAll(/replay-window (\d+) replay (\d+) failed/g)].reduce((n, m) => n + Number(m[1]) + Number(m[2]), 0);
  const stat = await mn.exec('cat', '/proc/net/xfrm_stat');
  const seqErrors = Number(/XfrmInStateSeqError\s+(\d+)/.exec(stat)?.[1] ?? NaN);
  return { perSa, seqErrors, text };
}

/** The cluster and ESP sequence lines of a daemon's log, message and counts only. */
function story(d: Daemon): string {
  return linesMatching(d, /"component":"(cluster|esp-seq)"/)
    .map((l) => {
      const j = JSON.parse(l) as { msg: string; raised?: number; sas?: number; ms?: number };
      return j.sas === undefined ? j.msg : `${j.msg} (sas ${j.sas}, raised ${j.raised}, ${j.ms} ms)`;
    })
    .join(' | ');
}

interface EspRun {
  ha1: Daemon;
  ha2: Daemon;
  mnD: Daemon;
  flow: ReturnType<typeof echoFromCnInBackground>;
  /** ha1's outbound sequence numbers at the kill (its kernel keeps them). */
  before: { ba: number; payload: number[] };
  refreshesBefore: number;
  cut: number;
  /** Replay drops at the mobile node before the kill (an earlier takeover under load). */
  dropsBefore: number;
}

/** ha1 active, ha2 standby, the mobile node registered with ESP, the flow past SENT_BEFORE_KILL; then ha1 killed. */
async function runAndKill(w: ClusterWorld, t: { diagnostic(m: string): void }, margin: number | undefined): Promise<EspRun> {
  const start = (ns: Netns, node: 'ha1' | 'ha2', pref: number): Promise<Daemon> =>
    w.scope.startDaemon(ns, `home agent ${node}`, (dir) => writeEspClusterConfig(dir, w, node, pref, margin));
  const ha1 = await start(w.ha1, 'ha1', 200);
  await until('ha1 active for the service address', () => activeForHa(ha1));
  const ha2 = await start(w.ha2, 'ha2', 100);
  await until('ha2 a member', async () => ((await showCluster(ha2))?.members.length === 2 ? true : undefined));
  assert.equal(await activeForHa(ha2), false);

  const mnIpsec = `${ipsecYaml(mobileNodeSas(SA), '  ')}\n    replay_window: ${WINDOW}\n${payloadYaml(P_OUT, P_IN, '    ')}`;
  const mnD = await w.scope.startDaemon(w.mn, 'mobile node', (dir) => writeMobileNodeConfig(dir, { interfaces: ['mn1', 'mn2'], lifetime: MN_LIFETIME, routes: [CN_PREFIX], ipsec: mnIpsec }));
  await w.scope.echoServer(w.mn);
  await until('the mobile node registered at both care-of addresses', async () => (await registeredWith(mnD, HA)).length === 2);
  await until('two bindings at the standby', async () => (await bindings(ha2)).length === 2);
  const inbound = await w.mn.ip('xfrm', 'state', 'list', 'src', HA, 'dst', HOA, 'proto', 'esp');
  assert.match(inbound, new RegExp(`replay-window ${WINDOW}`), "the mobile node's BA SA has the anti-replay window");

  const flow = echoFromCnInBackground(w.cn, 0, INTERVAL_MS);
  await flow.started;
  const sent = await until(`ha1's payload SAs past ${SENT_BEFORE_KILL}`, async () => {
    const o = await outboundOseqs(w.ha1);
    const n = o.payload.reduce((a, b) => a + b, 0);
    return n >= SENT_BEFORE_KILL ? o : undefined;
  }, 120_000);
  const standby = await outboundOseqs(w.ha2);
  t.diagnostic(`before the kill: ha1 BA oseq ${sent.ba}, payload ${sent.payload.join('/')}; ha2 (standby) BA ${standby.ba}, payload ${standby.payload.join('/')}`);
  // Under load a node can lose its lease and the other take over before the kill: a failover
  // too, counted in the drops (none with the marks; some without).
  const dropsBefore = (await mnReplayDrops(w.mn)).perSa;

  const refreshesBefore = await counter(ha2, 'status', '0');
  await killDaemon(ha1);
  const cut = flow.lastSent();
  await w.ha1.ip('link', 'set', 'home0', 'down');
  await w.ha1.ip('link', 'set', 'cl0', 'down');
  // The killed node's kernel keeps its SAs: its final counters.
  const before = await outboundOseqs(w.ha1);
  t.diagnostic(`at the kill: ha1 BA oseq ${before.ba}, payload ${before.payload.join('/')}`);
  await until('ha2 active', () => activeForHa(ha2), 60_000);
  await until('the service address on ha2', () => holdsServiceAddress(w.ha2));
  for (const d of [ha1, ha2]) t.diagnostic(`${d === ha1 ? 'ha1' : 'ha2'} cluster log: ${story(d)}`);
  return { ha1, ha2, mnD, flow, before, refreshesBefore, cut, dropsBefore };
}

test('static ESP across a failover with esp_seq_margin (default 1024): the new active continues above the old one\'s sequence numbers; the mobile node drops nothing as a replay and accepts the next refresh', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await withClusterWorld(async (w) => {
    const r = await runAndKill(w, t, undefined);
    await untilLogged(r.ha2, 'the raise at the takeover', (l) => l.includes('ESP output sequence numbers raised to the stored marks'));
    const raised = linesMatching(r.ha2, /ESP output sequence numbers raised/).at(-1) ?? '';
    t.diagnostic(`ha2: ${raised}`);
    assert.match(raised, /"sas":3/, 'the BA SA and a payload SA per care-of address');
    const after = await outboundOseqs(w.ha2);
    // One UDP flow takes one care-of address's SA: the other may have sent nothing (0), and
    // the mobile node then has accepted nothing on it that a new active could fall behind.
    for (const [i, n] of after.payload.entries()) {
      if (r.before.payload[i]! > 0) assert.ok(n > r.before.payload[i]!, `ha2's payload SA to ${CLUSTER_COAS[i]} (${n}) above ha1's (${r.before.payload[i]})`);
    }
    assert.ok(after.ba > r.before.ba, `ha2's BA SA (${after.ba}) above ha1's (${r.before.ba})`);

    await until('the flow answered again', () => [...r.flow.answered()].some((n) => n > r.cut + 5), 60_000);
    await until("the mobile node's next refresh accepted by ha2", async () => (await counter(r.ha2, 'status', '0')) > r.refreshesBefore, 60_000);
    await until('the mobile node still registered at both care-of addresses', async () => (await registeredWith(r.mnD, HA)).length === 2);
    const result = await r.flow.stop();
    const drops = await mnReplayDrops(w.mn);
    t.diagnostic(`margin 1024: mobile node replay drops ${drops.perSa} (XfrmInStateSeqError ${drops.seqErrors}); ${result.missing.length} of ${result.sent} datagrams lost at ${INTERVAL_MS} ms`);
    console.log(`RESULT cluster-esp margin=1024 replay_drops=${drops.perSa} seq_errors=${drops.seqErrors} lost=${result.missing.length} sent=${result.sent}`);
    assert.equal(drops.perSa, 0, `no replay drops at the mobile node:\n${drops.text}`);
    assert.equal(drops.seqErrors, 0);
  });
});

test('the same with esp_seq_margin 0 (off): the new active starts from its own counters and the mobile node drops its packets as replays', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await withClusterWorld(async (w) => {
    const r = await runAndKill(w, t, 0);
    const drops = await until('replay drops at the mobile node after the kill', async () => {
      const d = await mnReplayDrops(w.mn);
      return d.perSa > r.dropsBefore ? d : undefined;
    }, 60_000);
    assert.equal(linesMatching(r.ha2, /ESP output sequence numbers raised/).length, 0, 'nothing raised with the feature off');
    // The flow comes back once the new active's counter passes the old one's minus the window.
    await until('the flow answered again', () => [...r.flow.answered()].some((n) => n > r.cut + 5), 120_000);
    const result = await r.flow.stop();
    const final = await mnReplayDrops(w.mn);
    t.diagnostic(`margin 0: mobile node replay drops ${final.perSa} (${r.dropsBefore} before the kill, first seen after it ${drops.perSa}; XfrmInStateSeqError ${final.seqErrors}); ${result.missing.length} of ${result.sent} datagrams lost at ${INTERVAL_MS} ms`);
    console.log(`RESULT cluster-esp margin=0 replay_drops=${final.perSa} seq_errors=${final.seqErrors} lost=${result.missing.length} sent=${result.sent}`);
    assert.ok(final.perSa > r.dropsBefore);
  });
});

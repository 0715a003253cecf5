// RFC 6089 flow bindings between the two daemons on the routed topology (cn, rt, ha, mn):
// the mobile node's `mobile_node.flows` go out in its registration, the home agent answers
// each with a status, `mcoactl show flows --json` lists them bound to the interfaces' BIDs,
// the capture holds the options (mcoactl decode reads every field; tshark 4.0 names option
// 45 without dissecting it). The home agent's kernel classifies them (tc flower on the
// shared device's egress, tunnel_key to the bound care-of address): UDP port A goes only
// over mn1's path, TCP port B only over mn2's, everything else over all three; counted per
// path at the mobile node's tunnels (a flower counter per flow on each) and by the home
// agent's flow filters. mn1 goes down: the mobile node re-binds flow A to its next
// preferred interface (mn2), and A's packets follow it there.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { createNetns, sh, type Netns } from './netns.js';
import {
  CN, COAS, ECHO_PORT, ERROR_LINE, FAILURE_LINE, HA, HOA, MN_IFACES, SCENARIO_TIMEOUT_MS, SHARED_DEVICE, TestScope, bindings, daemonLog, flowsFromCn, linesMatching, mcoactl, routedTopology,
  haFlowFilters, startEchoServer, tunnels, until, untilForwarding, writeHomeAgentConfig, writeMobileNodeConfig, type Daemon, type RoutedNamespaces,
} from './fixtures/index.js';

const ROOT = new URL('../../..', import.meta.url).pathname;
const PORT_A = 5004;
const PORT_B = 5001;
/** A source port no flow names: the mobile node's uplink spreads it. */
const UPLINK_OTHER = 6000;
const FLOWS = [
  `{ id: 1, priority: 10, protocol: udp, destination_port: ${PORT_A}, interface: mn1 }`,
  `{ id: 2, priority: 20, protocol: tcp, destination_port: ${PORT_B}, interface: mn2 }`,
];
/** The per-path counters on the mobile node's tunnels: tc handle -> what it counts. */
const COUNTED = [
  { handle: 1, what: 'A', args: ['ip_proto', 'udp', 'dst_port', String(PORT_A)] },
  { handle: 2, what: 'B', args: ['ip_proto', 'tcp', 'dst_port', String(PORT_B)] },
  { handle: 3, what: 'rest', args: ['ip_proto', 'udp', 'dst_port', String(ECHO_PORT)] },
] as const;
type Counts = Record<string, Record<'A' | 'B' | 'rest', number>>;

interface FlowJson { hoa: string; fid: number; priority: number; action: string; bids: number[]; active: boolean; selector: Record<string, number | string> }

let w: (RoutedNamespaces & { scope: TestScope; haD: Daemon; mnD: Daemon | undefined }) | undefined;
const spaces: Netns[] = [];
const scope = new TestScope();

before(async () => {
  for (let i = 0; i < 4; i++) spaces.push(await createNetns('mflow'));
  const [cn, rt, ha, mn] = spaces as [Netns, Netns, Netns, Netns];
  await routedTopology({ cn, rt, ha, mn });
  const haD = await scope.startDaemon(ha, 'home agent', (dir) => writeHomeAgentConfig(dir, { ipsecRequired: false }));
  w = { cn, rt, ha, mn, scope, haD, mnD: undefined };
}, { timeout: SCENARIO_TIMEOUT_MS });

after(async () => {
  try {
    await scope.close();
  } finally {
    for (const ns of spaces) await ns.delete();
  }
}, { timeout: SCENARIO_TIMEOUT_MS });

async function flows(d: Daemon): Promise<FlowJson[]> {
  return JSON.parse(await mcoactl(d, 'show', 'flows', '--json')) as FlowJson[];
}

/** The mobile node's tunnel from each care-of address to the home agent, by care-of address. */
async function mnTunnels(mn: Netns): Promise<Map<string, string>> {
  return new Map((await tunnels(mn)).filter((t) => t.remote === HA).map((t) => [t.local, t.name]));
}

/** A flower counter per flow on the ingress of each of the mobile node's tunnels (test instrumentation, what arrives per path). */
async function countPerPath(mn: Netns): Promise<void> {
  for (const dev of (await mnTunnels(mn)).values()) {
    await mn.exec('tc', 'qdisc', 'replace', 'dev', dev, 'clsact');
    for (const c of COUNTED) await mn.exec('tc', 'filter', 'add', 'dev', dev, 'ingress', 'prio', '1', 'handle', String(c.handle), 'protocol', 'ipv6', 'flower', ...c.args, 'action', 'pass');
  }
}

/** Packets of each flow received per care-of address so far. */
async function perPath(mn: Netns): Promise<Counts> {
  type J = { options?: { handle: number; actions?: { stats?: { packets: number } }[] } };
  const out: Counts = {};
  for (const [coa, dev] of await mnTunnels(mn)) {
    const list = JSON.parse(await mn.exec('tc', '-s', '-j', 'filter', 'show', 'dev', dev, 'ingress')) as J[];
    const n = (h: number) => list.find((f) => f.options?.handle === h)?.options?.actions?.[0]?.stats?.packets ?? 0;
    out[coa] = { A: n(1), B: n(2), rest: n(3) };
  }
  return out;
}

const delta = (after: Counts, before: Counts, coa: string, k: 'A' | 'B' | 'rest'): number => (after[coa]?.[k] ?? 0) - (before[coa]?.[k] ?? 0);

/** `tc filter show dev mip6t-0 egress` as text lines without counters (what a restart must leave as it was). */
async function haEgressShape(ha: Netns): Promise<string[]> {
  return (await ha.exec('tc', 'filter', 'show', 'dev', SHARED_DEVICE, 'egress')).split('\n').filter((l) => !/installed|used|Sent|backlog|index/.test(l));
}

/**
 * Uplink counters on the mobile node's interfaces' egress, per care-of address (the outer
 * source: the tunnel the packet left through, whichever interface carries it): u32 on the
 * tunnelled packet's bytes (outer Next Header 41, no encapsulation limit option; inner Next
 * Header 17 at 46, inner UDP source port at 80), one priority per (care-of address, port).
 */
const UPLINK_PRIO = (k: number, port: number): number => 1 + k * 2 + (port === PORT_A ? 0 : 1);
async function countUplink(mn: Netns): Promise<void> {
  for (const dev of MN_IFACES) {
    await mn.exec('tc', 'qdisc', 'replace', 'dev', dev, 'clsact');
    for (const [k, coa] of COAS.entries()) {
      for (const port of [PORT_A, UPLINK_OTHER]) {
        await mn.exec('tc', 'filter', 'add', 'dev', dev, 'egress', 'prio', String(UPLINK_PRIO(k, port)), 'protocol', 'ipv6', 'u32',
          'match', 'ip6', 'src', `${coa}/128`, 'match', 'u8', '41', '0xff', 'at', '6', 'match', 'u8', '17', '0xff', 'at', '46', 'match', 'u16', String(port), '0xffff', 'at', '80', 'action', 'pass');
      }
    }
  }
}

/** Per care-of address: [packets from port A, packets from the other port] tunnelled from it so far. */
async function uplinkCounts(mn: Netns): Promise<[number, number][]> {
  type J = { pref: number; options?: { actions?: { stats?: { packets: number } }[] } };
  const out: [number, number][] = COAS.map(() => [0, 0]);
  for (const dev of MN_IFACES) {
    const list = JSON.parse(await mn.exec('tc', '-s', '-j', 'filter', 'show', 'dev', dev, 'egress')) as J[];
    const n = (p: number) => list.filter((f) => f.pref === p).reduce((c, f) => c + (f.options?.actions?.[0]?.stats?.packets ?? 0), 0);
    COAS.forEach((_, k) => {
      out[k]![0] += n(UPLINK_PRIO(k, PORT_A));
      out[k]![1] += n(UPLINK_PRIO(k, UPLINK_OTHER));
    });
  }
  return out;
}

/**
 * From HOA:sport to the correspondent's ports 9000.., one datagram each: COUNT flows, each on
 * a socket of its own in turn (a socket reuses its cached route, so one socket is one path).
 */
async function udpFromMn(mn: Netns, sport: number, count: number): Promise<void> {
  const js = `const d=require('dgram');const one=(i)=>{if(i===${count})return;const s=d.createSocket('udp6');s.bind(${sport},'${HOA}',()=>s.send(Buffer.from('up'),9000+i,'${CN}',()=>s.close(()=>one(i+1))))};one(0)`;
  await mn.exec(process.execPath, '-e', js);
}

/** COUNT UDP datagrams to HOA:port from the correspondent, each from its own source port. */
async function udpFromCn(cn: Netns, port: number, count: number): Promise<void> {
  const js = `const d=require('dgram');let n=0;for(let i=0;i<${count};i++){const s=d.createSocket('udp6');s.send(Buffer.from('flow'),${port},'${HOA}',()=>{s.close();if(++n===${count})process.exit(0)})}`;
  await cn.exec(process.execPath, '-e', js);
}

/** COUNT TCP connection attempts to HOA:port from the correspondent (each a SYN the mobile node refuses with a RST). */
async function tcpFromCn(cn: Netns, port: number, count: number): Promise<void> {
  const js = `const net=require('net');let n=0;for(let i=0;i<${count};i++){const s=net.connect({host:'${HOA}',port:${port}});s.on('error',()=>{if(++n===${count})process.exit(0)});s.on('connect',()=>{s.destroy();if(++n===${count})process.exit(0)})}`;
  await cn.exec(process.execPath, '-e', js);
}

test('flows: registered with the BIDs of their interfaces, shown, in the capture; classified per path in the kernel; mn1 down re-binds flow A', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  const r = w!;
  let echo: ChildProcess | undefined;
  try {
    const c = await r.scope.capture(r.ha, 'up0', 'flows.pcap', 'ip6 protochain 135');
    const mnD = await r.scope.startDaemon(r.mn, 'mobile node', (dir) => writeMobileNodeConfig(dir, { flows: FLOWS }));
    r.mnD = mnD;
    const held = await until('the home agent to hold three BIDs', async () => {
      const l = await bindings(r.haD);
      return l.length === 3 ? l : undefined;
    });
    const bidOf = (coa: string) => held.find((b) => b.coa === coa)!.bid;
    const listed = await until('two flows at the home agent', async () => {
      const l = await flows(r.haD);
      return l.length === 2 ? l : undefined;
    });
    t.diagnostic(`show flows: ${JSON.stringify(listed)}`);
    assert.deepEqual(listed.map((f) => [f.hoa, f.fid, f.priority, f.action, f.bids, f.active]), [
      [HOA, 1, 10, 'forward', [bidOf(COAS[0])], true],
      [HOA, 2, 20, 'forward', [bidOf(COAS[1])], true],
    ]);
    assert.deepEqual(listed[1]!.selector, { destinationPortStart: PORT_B, nextHeaderStart: 6 });
    const table = await mcoactl(r.haD, 'show', 'flows');
    t.diagnostic(table);
    assert.match(table, new RegExp(`ipv6 dport ${PORT_A} nexthdr 17`));

    // The capture: the BU's flow options and the BA's statuses, read by mcoactl decode; tshark sees option 45.
    await until('a BA with flow statuses in the capture', async () => (await decodedFlows(c.file)).some((p) => p.kind === 'ba' && p.flows.length === 2));
    await c.stop();
    const packets = await decodedFlows(c.file);
    const bu = packets.find((p) => p.kind === 'bu' && p.flows.length === 2);
    assert.ok(bu, 'a BU with two Flow Identification options');
    assert.deepEqual(bu.flows.map((f) => [f.fid, f.fidPri, f.status, f.subOptions.map((s) => s.kind)]), [[1, 10, 0, ['trafficSelector', 'bindingReference']], [2, 20, 0, ['trafficSelector', 'bindingReference']]]);
    assert.ok(packets.some((p) => p.kind === 'ba' && p.flows.map((f) => f.status).join() === '0,0'), 'a BA answering both with 0');
    const shark = await sh('env', ['HOME=/tmp', 'tshark', '-r', c.file, '-T', 'fields', '-e', 'mip6.mobility_opt', '-Y', 'mipv6']);
    assert.ok(shark.split('\n').some((l) => l.split(',').filter((x) => x === '45').length === 2), `tshark names two options 45 in a frame:\n${shark}`);

    // The kernel: the home agent's flow filters tunnel A to mn1's care-of address, B to mn2's.
    await until('the home agent\'s flow filters for both flows', async () => {
      const f = await haFlowFilters(r.ha);
      return f.some((x) => x.dst === COAS[0]) && f.some((x) => x.dst === COAS[1]) ? true : undefined;
    });
    await untilForwarding(r, COAS);
    await countPerPath(r.mn);
    echo = await startEchoServer(r.mn);
    // Layer-4 multipath hashing, so the flows no flow binding names spread over every binding.
    await r.ha.exec('sysctl', '-qw', 'net.ipv6.fib_multipath_hash_policy=1');
    const c0 = await perPath(r.mn);
    const ha0 = await haFlowFilters(r.ha);
    await udpFromCn(r.cn, PORT_A, 20);
    await tcpFromCn(r.cn, PORT_B, 10);
    const rest = await flowsFromCn(r.cn, 30);
    assert.equal(rest.answered, 30, 'the other flows are answered');
    const c1 = await until('flow A and B at the mobile node', async () => {
      const now = await perPath(r.mn);
      return COAS.reduce((n, coa) => n + delta(now, c0, coa, 'A'), 0) >= 20 && COAS.reduce((n, coa) => n + delta(now, c0, coa, 'B'), 0) >= 10 ? now : undefined;
    });
    const shown = COAS.map((coa) => `${coa}: A +${delta(c1, c0, coa, 'A')} B +${delta(c1, c0, coa, 'B')} rest +${delta(c1, c0, coa, 'rest')}`).join('; ');
    t.diagnostic(`per path: ${shown}`);
    assert.deepEqual(COAS.map((coa) => delta(c1, c0, coa, 'A')), [20, 0, 0], `flow A only on mn1's path: ${shown}`);
    assert.equal(delta(c1, c0, COAS[0], 'B') + delta(c1, c0, COAS[2], 'B'), 0, `flow B only on mn2's path: ${shown}`);
    assert.ok(delta(c1, c0, COAS[1], 'B') >= 10, shown);
    for (const coa of COAS) assert.ok(delta(c1, c0, coa, 'rest') > 0, `the other flows on every path: ${shown}`);
    const ha1 = await haFlowFilters(r.ha);
    const haPackets = (l: typeof ha1, dst: string) => l.filter((x) => x.dst === dst).reduce((n, x) => n + x.packets, 0);
    t.diagnostic(`home agent flow filters: ${JSON.stringify(ha1)}`);
    assert.ok(haPackets(ha1, COAS[0]) - haPackets(ha0, COAS[0]) >= 20, 'the home agent\'s filter for A tunnelled A to mn1\'s care-of address');
    assert.ok(haPackets(ha1, COAS[1]) - haPackets(ha0, COAS[1]) >= 10, 'the home agent\'s filter for B tunnelled B to mn2\'s care-of address');

    // Uplink: the mobile node's own packets of flow A (from its port A) leave through mn1's
    // tunnel only. To show the filters override routing, the test routes the correspondent
    // through mn2's tunnel (a host route of its own): flow A is redirected to mn1's tunnel,
    // another source port leaves through mn2.
    const viaMn2 = (await mnTunnels(r.mn)).get(COAS[1])!;
    await r.mn.ip('-6', 'route', 'add', `${CN}/128`, 'dev', viaMn2);
    await countUplink(r.mn);
    const u0 = await uplinkCounts(r.mn);
    const mnEgress: string[] = [];
    for (const dev of (await mnTunnels(r.mn)).values()) mnEgress.push(await r.mn.exec('tc', 'filter', 'show', 'dev', dev, 'egress'));
    await udpFromMn(r.mn, PORT_A, 30);
    await udpFromMn(r.mn, UPLINK_OTHER, 30);
    let last: [number, number][] = u0;
    const u1 = await until('the uplink datagrams out of the interfaces', async () => {
      const now = (last = await uplinkCounts(r.mn));
      const sum = (k: 0 | 1) => now.reduce((n, x, i) => n + x[k] - u0[i]![k], 0);
      return sum(0) >= 30 && sum(1) >= 30 ? now : undefined;
    }).catch((err: Error) => {
      err.message += ` (counts before ${JSON.stringify(u0)}, last ${JSON.stringify(last)}; mobile node egress filters: ${JSON.stringify(mnEgress)})`;
      throw err;
    });
    const up = COAS.map((dev, i) => `${dev}: A +${u1[i]![0] - u0[i]![0]} other +${u1[i]![1] - u0[i]![1]}`).join('; ');
    t.diagnostic(`uplink per care-of address: ${up}`);
    assert.deepEqual(u1.map((x, i) => x[0] - u0[i]![0]), [30, 0, 0], `flow A's uplink only from mn1's care-of address: ${up}`);
    assert.deepEqual(u1.map((x, i) => x[1] - u0[i]![1]), [0, 30, 0], `the other port as routed, from mn2's: ${up}`);
    await r.mn.ip('-6', 'route', 'del', `${CN}/128`, 'dev', viaMn2);
    const redirected = JSON.parse(await r.mn.exec('tc', '-s', '-j', 'filter', 'show', 'dev', (await mnTunnels(r.mn)).get(COAS[1])!, 'egress')) as { options?: { actions?: { kind: string }[] } }[];
    assert.ok(redirected.some((f) => f.options?.actions?.[0]?.kind === 'mirred'), 'mn2\'s tunnel redirects flow A');

    // A restart of the home agent adopts its flow filters (the journal's flows, the kernel's
    // filters by chain and handle band): same chains, handles and keys, counters kept.
    const shape = await haEgressShape(r.ha);
    r.haD = await r.scope.restartDaemon(r.haD, 'SIGTERM');
    assert.equal((await flows(r.haD)).length, 2, 'flows restored from the journal');
    assert.deepEqual(await haEgressShape(r.ha), shape, 'the egress filters as they were');
    const ha2 = await haFlowFilters(r.ha);
    assert.deepEqual(ha2.map((x) => [x.chain, x.prio, x.handle, x.dst, x.packets]), ha1.map((x) => [x.chain, x.prio, x.handle, x.dst, x.packets]), 'not re-created: the counters are the same');

    // mn1 goes away: the mobile node re-binds flow A to its next preferred interface (mn2), a
    // modify in its next BU (RFC 6089 mobile node considerations), and A's packets move there.
    await r.mn.ip('link', 'set', MN_IFACES[0], 'down');
    const moved = await until('flow 1 re-bound to mn2\'s BID', async () => {
      const l = await flows(r.haD);
      return l.length === 2 && l[0]!.bids.join() === String(bidOf(COAS[1])) ? l : undefined;
    });
    assert.deepEqual(moved.map((f) => [f.fid, f.bids, f.active]), [[1, [bidOf(COAS[1])], true], [2, [bidOf(COAS[1])], true]]);
    await until('the home agent\'s filter for A to tunnel to mn2', async () => ((await haFlowFilters(r.ha)).filter((x) => x.dst === COAS[1]).length === 2 ? true : undefined));
    const c2 = await perPath(r.mn);
    await udpFromCn(r.cn, PORT_A, 20);
    const c3 = await until('flow A at the mobile node again', async () => {
      const now = await perPath(r.mn);
      return delta(now, c2, COAS[1], 'A') + delta(now, c2, COAS[2], 'A') >= 20 ? now : undefined;
    });
    t.diagnostic(`after mn1 down: A on ${COAS[1]} +${delta(c3, c2, COAS[1], 'A')}, on ${COAS[2]} +${delta(c3, c2, COAS[2], 'A')}`);
    assert.deepEqual([delta(c3, c2, COAS[1], 'A'), delta(c3, c2, COAS[2], 'A')], [20, 0], 'flow A only on mn2\'s path now');
    assert.deepEqual([...linesMatching(r.haD, ERROR_LINE, 0), ...mnD.output.filter((l) => FAILURE_LINE.test(l))], [], 'error lines in the daemons\' logs');
  } catch (err) {
    (err as Error).message += daemonLog(r.haD) + daemonLog(r.mnD);
    throw err;
  } finally {
    echo?.kill('SIGKILL');
  }
});

interface DecodedFlow { fid: number; fidPri: number; status: number; subOptions: { kind: string }[] }
async function decodedFlows(file: string): Promise<{ kind: string; flows: DecodedFlow[] }[]> {
  const out = await sh(process.execPath, [join(ROOT, 'bin', 'mcoactl'), 'decode', '--json', '--pcap', file]);
  return out.split('\n').filter((l) => l.trim() !== '').flatMap((l) => {
    const p = JSON.parse(l) as { message?: { kind: string; options: (DecodedFlow & { kind: string })[] } };
    return p.message ? [{ kind: p.message.kind, flows: p.message.options.filter((o) => o.kind === 'flowIdentification') }] : [];
  });
}

// RFC 6089 flow bindings between the two daemons on the routed topology (cn, rt, ha, mn):
// the mobile node's `mobile_node.flows` go out in its registration, the home agent answers
// each with a status, `mcoactl show flows --json` lists them bound to the interfaces' BIDs,
// the capture holds the options (mcoactl decode reads every field; tshark 4.0 names option
// 45 without dissecting it); mn1 goes down: its flow leaves the registrations and the home
// agent drops it. The kernel does not classify flows yet (README "Flow bindings").
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createNetns, sh, type Netns } from './netns.js';
import {
  COAS, ERROR_LINE, FAILURE_LINE, HOA, MN_IFACES, SCENARIO_TIMEOUT_MS, TestScope, bindings, daemonLog, linesMatching, mcoactl, routedTopology, until,
  writeHomeAgentConfig, writeMobileNodeConfig, type Daemon, type RoutedNamespaces,
} from './fixtures/index.js';

const ROOT = new URL('../../..', import.meta.url).pathname;
const FLOWS = [
  '{ id: 1, priority: 10, protocol: udp, destination_port: 5004, interface: mn1 }',
  '{ id: 2, priority: 20, protocol: tcp, source: 2001:db8:c::/64, interface: mn2 }',
];

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

test('flows: registered with the BIDs of their interfaces, shown by mcoactl, in the capture; mn1 down drops its flow', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  const r = w!;
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
    assert.deepEqual(listed[1]!.selector, { sourceAddressStart: '2001:db8:c::', sourceAddressEnd: '2001:db8:c:0:ffff:ffff:ffff:ffff', nextHeaderStart: 6 });
    const table = await mcoactl(r.haD, 'show', 'flows');
    t.diagnostic(table);
    assert.match(table, /ipv6 dport 5004 nexthdr 17/);

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

    // mn1 goes away: its BID is de-registered and its flow left out, so the home agent drops it.
    await r.mn.ip('link', 'set', MN_IFACES[0], 'down');
    const after = await until('flow 1 gone at the home agent', async () => {
      const l = await flows(r.haD);
      return l.length === 1 ? l : undefined;
    });
    assert.deepEqual(after.map((f) => [f.fid, f.bids, f.active]), [[2, [bidOf(COAS[1])], true]]);
    assert.deepEqual([...linesMatching(r.haD, ERROR_LINE, 0), ...mnD.output.filter((l) => FAILURE_LINE.test(l))], [], 'error lines in the daemons\' logs');
  } catch (err) {
    (err as Error).message += daemonLog(r.haD) + daemonLog(r.mnD);
    throw err;
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

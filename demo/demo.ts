// The demo, run by `npm run demo` (launch.ts) inside user-mode Linux or, on a kernel that
// has ip6tnl, Mobile IPv6 and ESP, directly (MCOA_DEMO_DIRECT=1): the routed topology of
// test/kernel/fixtures/topology.ts in four namespaces of its own (mcoa-demo-<pid>-<n>,
// deleted by name at the end, on failure and on SIGINT/SIGTERM), mcoad as home agent and as
// mobile node with three foreign interfaces, and what a network engineer wants to see: the
// binding cache, the tunnels carrying a flow, one interface lost and found again. Daemon
// logs go to a fresh /tmp/mcoa-demo-XXXXXX/; their last lines are printed only on failure.
// Exit status 0 on success, 1 on any failure (130 when interrupted).
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allowOutsideUml, sh, withNetnsGroup, type Netns } from '../test/kernel/netns.js';
import {
  COAS, HOA, MN_IFACES, bindings, echoFromCnInBackground, mcoactl, removeDir, routedTopology, startDaemon, perCareOfCounters, startEchoServer, stopDaemon, tempDir,
  until, writeHomeAgentConfig, writeMobileNodeConfig, type Daemon, type EchoResult,
} from '../test/kernel/fixtures/index.js';
import { Monitor, indent, sampleCounters, say, section, sleep } from './view.js';

const LOG_DIR = mkdtempSync('/tmp/mcoa-demo-');
const IN_UML = process.env['MCOA_IN_UML'] === '1';
const DEADLINE_MS = 300_000;
/**
 * Bound of each step's wait: a demo on a busy machine (or in user-mode Linux beside other
 * jobs) is slower by a factor of ten or more, and a step that ends late is still a result.
 */
const STEP_BOUND_MS = 60_000;
/** Late echo replies still count for a second after the last datagram. */
const ECHO_GRACE_MS = 1000;
const daemons: { label: string; d: Daemon }[] = [];
/** Processes running inside the namespaces besides the daemons, killed on a failure. */
const others: ChildProcess[] = [];

const TOPOLOGY = `
  cn  2001:db8:c::10 ---- rt ---- 2001:db8:e::2  ha (home agent, home link 2001:db8:aa::/64)
                          |
        rt1, rt2, rt3     +---- mn1 2001:db8:f1::10 \\
                          +---- mn2 2001:db8:f2::10  > mn (mobile node, home address ${HOA})
                          +---- mn3 2001:db8:f3::10 /`;

async function withTimeout<T>(what: string, ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)));
  try {
    return await Promise.race([p, expired]);
  } finally {
    clearTimeout(timer);
  }
}

async function waitBindings(haD: Daemon, n: number, ms: number): Promise<number> {
  const t0 = Date.now();
  await until(`${n} bindings at the home agent`, async () => ((await bindings(haD)).length === n ? true : undefined), ms);
  return Date.now() - t0;
}

const echoLine = (r: EchoResult): string =>
  `UDP echo: ${r.received}/${r.sent} answered${r.missing.length ? `, lost seq ${r.missing.join(',')}` : ', none lost'}`;

async function showBindings(haD: Daemon): Promise<void> {
  say('  home agent$ mcoactl show bindings');
  indent((await mcoactl(haD, 'show', 'bindings')).trimEnd().split('\n').map((l) => `  ${l}`));
}

function showEvents(monitor: Monitor): void {
  const lines = monitor.take();
  say('  home agent$ mcoactl monitor');
  indent(lines.length ? lines.map((l) => `  ${l}`) : ['  (no new events)']);
}

/** The care-of address and route of a mobile node interface, as a DHCP client or SLAAC would restore them. */
async function restoreInterface(mn: Netns, i: number): Promise<void> {
  const iface = MN_IFACES[i]!;
  await mn.ip('link', 'set', iface, 'up');
  if (!(await mn.ip('-6', 'addr', 'show', 'dev', iface)).includes(COAS[i]!)) await mn.ip('addr', 'add', `${COAS[i]}/64`, 'dev', iface, 'nodad');
  if ((await mn.ip('-6', 'route', 'show', '2001:db8::/32', 'dev', iface)).trim() === '') {
    await mn.ip('-6', 'route', 'add', '2001:db8::/32', 'via', `2001:db8:f${i + 1}::1`, 'dev', iface, 'metric', String(101 + i));
  }
}

async function run([cn, rt, ha, mn]: Netns[]): Promise<void> {
  const ns = { cn: cn!, rt: rt!, ha: ha!, mn: mn! };
  section('Topology (four network namespaces)');
  say(TOPOLOGY);
  await routedTopology(ns);
  const haDir = tempDir();
  const mnDir = tempDir();
  let monitor: Monitor | undefined;
  let echo: Awaited<ReturnType<typeof startEchoServer>> | undefined;
  try {
    section('Starting mcoad: home agent in ha, mobile node in mn');
    const haD = await startDaemon(ns.ha, haDir, writeHomeAgentConfig(haDir, { ipsecRequired: false }));
    daemons.push({ label: 'home agent', d: haD });
    monitor = await Monitor.start(haD.socket);
    const mnD = await startDaemon(ns.mn, mnDir, writeMobileNodeConfig(mnDir, { bulk: true }));
    daemons.push({ label: 'mobile node', d: mnD });
    const took = await waitBindings(haD, 3, STEP_BOUND_MS);
    say(`  three care-of addresses registered in one bulk Binding Update (${took} ms after the mobile node started)`);

    section('Home agent binding cache');
    await showBindings(haD);
    await until('three binding events from mcoactl monitor', async () => (monitor!.count() >= 3 ? true : undefined), STEP_BOUND_MS);
    showEvents(monitor);

    section('Flow: UDP echo from cn to the home address, 10 datagrams/s');
    echo = await startEchoServer(ns.mn);
    others.push(echo);
    const before = await perCareOfCounters(ns);
    const flow = echoFromCnInBackground(ns.cn, 50, 100, ECHO_GRACE_MS);
    await withTimeout('the first echo reply', STEP_BOUND_MS, flow.started);
    await sampleCounters(ns, 4);
    say(`  ${echoLine(await withTimeout('the echo flow to end', STEP_BOUND_MS, flow.done))}`);
    const after = await perCareOfCounters(ns);
    const delta = (name: string, tx: number): number => tx - (before.find((b) => b.name === name)?.txPackets ?? 0);
    const used = [...after].sort((a, b) => delta(b.name, b.txPackets) - delta(a.name, a.txPackets))[0];
    if (!used || delta(used.name, used.txPackets) === 0) throw new Error('no home agent tunnel carried the flow');
    const gone = COAS.indexOf(used.remote as (typeof COAS)[number]);
    if (gone < 0) throw new Error(`${used.name} carries ${used.remote}, not a care-of address`);
    const iface = MN_IFACES[gone]!;

    section(`Losing ${iface} (care-of ${COAS[gone]}, carries the flow in ${used.name})`);
    const flow2 = echoFromCnInBackground(ns.cn, 60, 100, ECHO_GRACE_MS);
    await withTimeout('the first echo reply', STEP_BOUND_MS, flow2.started);
    await sleep(1000);
    say(`  mobile node$ ip link set ${iface} down`);
    await ns.mn.ip('link', 'set', iface, 'down');
    const removed = await waitBindings(haD, 2, STEP_BOUND_MS);
    say(`  the binding of ${COAS[gone]} left the home agent's cache ${removed} ms later (polled every 100 ms)`);
    showEvents(monitor);
    await sampleCounters(ns, 3);
    say(`  ${echoLine(await withTimeout('the echo flow to end', STEP_BOUND_MS, flow2.done))}`);
    await showBindings(haD);

    section(`Bringing ${iface} back (link up, care-of address and route restored)`);
    say(`  mobile node$ ip link set ${iface} up; ip addr add ${COAS[gone]}/64 dev ${iface}; ip route add ...`);
    await restoreInterface(ns.mn, gone);
    const back = await waitBindings(haD, 3, STEP_BOUND_MS);
    say(`  three bindings again after ${back} ms`);
    showEvents(monitor);
    await showBindings(haD);
    const flow3 = echoFromCnInBackground(ns.cn, 30, 100, ECHO_GRACE_MS);
    await withTimeout('the first echo reply', STEP_BOUND_MS, flow3.started);
    await sampleCounters(ns, 2);
    say(`  ${echoLine(await withTimeout('the echo flow to end', STEP_BOUND_MS, flow3.done))}`);
  } finally {
    section('Teardown');
    monitor?.stop();
    echo?.kill('SIGKILL');
    for (const { d } of [...daemons].reverse()) await stopDaemon(d, 'SIGTERM');
    writeLogs();
    removeDir(haDir);
    removeDir(mnDir);
    say(`  daemons stopped; logs in ${LOG_DIR}/${IN_UML ? ' (inside UML)' : ''}`);
  }
}

function writeLogs(): void {
  for (const { label, d } of daemons) writeFileSync(join(LOG_DIR, `${label.replace(' ', '-')}.log`), `${d.output.join('\n')}\n`);
}

function failure(err: unknown): void {
  say();
  say(`DEMO FAILED: ${err instanceof Error ? err.message : String(err)}`);
  for (const { label, d } of daemons) {
    say(`--- last lines of the ${label} log (${LOG_DIR}/${label.replace(' ', '-')}.log) ---`);
    d.output.slice(-15).forEach((l) => say(l));
  }
}

/** Kills what runs in the namespaces, writes the logs and exits; netns.ts deletes the namespaces on exit. */
function abandon(status: number): never {
  for (const p of [...daemons.map(({ d }) => d.proc), ...others]) p.kill('SIGKILL');
  writeLogs();
  process.exit(status);
}

async function main(): Promise<number> {
  // The launcher probed this kernel in a scratch namespace before choosing the direct path.
  if (process.env['MCOA_DEMO_DIRECT'] === '1') allowOutsideUml();
  // `on`, not `once`: a second signal (the terminal's Ctrl-C and the launcher's copy of it)
  // must find a handler, not the default action that would end the cleanup half-way.
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (interrupted) return;
      interrupted = true;
      failure(new Error(`interrupted by ${signal}`));
      abandon(130);
    });
  }
  say('mcoa demo: Mobile IPv6 home agent with Multiple Care-of Addresses (draft-ietf-monami6-multiplecoa-04)');
  let names: string[] = [];
  const demo = withNetnsGroup(4, async (nss) => {
    names = nss.map((n) => n.name);
    await run(nss);
  }, 'mcoa-demo');
  try {
    await withTimeout(`the demo (limit ${DEADLINE_MS / 1000} s)`, DEADLINE_MS, demo);
  } catch (err) {
    failure(err);
    // After a timeout the demo may still be waiting somewhere: exit now. (Any other error
    // has been cleaned up by run() already.)
    abandon(1);
  }
  const listed = await sh('ip', ['netns', 'list']);
  const left = names.filter((n) => listed.includes(n));
  if (left.length) {
    say(`DEMO FAILED: namespaces left behind: ${left.join(', ')}`);
    return 1;
  }
  say(`  namespaces ${names.join(', ')} deleted`);
  say();
  say('demo finished: OK');
  return 0;
}

process.exitCode = await main();

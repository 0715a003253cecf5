// Four namespaces for end-to-end tests, mcoad as home agent in one and as mobile node in
// another (addresses inside 2001:db8::/32):
//
//   cn  cn0 2001:db8:c::10/64 ---- rtc 2001:db8:c::1/64
//   ha  up0 2001:db8:e::2/64  ---- rte 2001:db8:e::1/64        rt: forwards between all
//       home0 2001:db8:aa::1/64 (home link, peer home0p)
//   mn  mn1 2001:db8:f1::10/64 --- rt1 2001:db8:f1::1/64
//       mn2 2001:db8:f2::10/64 --- rt2 2001:db8:f2::1/64
//       mn3 2001:db8:f3::10/64 --- rt3 2001:db8:f3::1/64
//
// The mobile node reaches 2001:db8::/32 through rt on each interface (one route per
// interface, so each tunnel's outer packets can leave through its own interface); its
// daemon routes the correspondent's prefix 2001:db8:c::/64 through the home agent.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addVethPair, sh, type Netns } from './netns.js';
import { HA, HOA, startDaemon, type Daemon } from './ha-fixture.js';

export { HA, HOA };
export const CN = '2001:db8:c::10';
export const CN_PREFIX = '2001:db8:c::/64';
export const MN_IFACES = ['mn1', 'mn2', 'mn3'] as const;
export const COAS = ['2001:db8:f1::10', '2001:db8:f2::10', '2001:db8:f3::10'] as const;
const ROOT = new URL('../../..', import.meta.url).pathname;
export const ECHO_PORT = 7;

export interface E2eNamespaces {
  cn: Netns;
  rt: Netns;
  ha: Netns;
  mn: Netns;
}

async function link(a: Netns, nameA: string, addrA: string, b: Netns, nameB: string, addrB: string): Promise<void> {
  await addVethPair(a, nameA, b, nameB);
  await a.ip('addr', 'add', addrA, 'dev', nameA, 'nodad');
  await b.ip('addr', 'add', addrB, 'dev', nameB, 'nodad');
  await a.ip('link', 'set', nameA, 'up');
  await b.ip('link', 'set', nameB, 'up');
}

export async function e2eTopology({ cn, rt, ha, mn }: E2eNamespaces): Promise<void> {
  await rt.exec('sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1');
  await link(cn, 'cn0', `${CN}/64`, rt, 'rtc', '2001:db8:c::1/64');
  await cn.ip('-6', 'route', 'add', 'default', 'via', '2001:db8:c::1', 'dev', 'cn0');
  await link(ha, 'up0', '2001:db8:e::2/64', rt, 'rte', '2001:db8:e::1/64');
  await ha.ip('-6', 'route', 'add', 'default', 'via', '2001:db8:e::1', 'dev', 'up0');
  await rt.ip('-6', 'route', 'add', '2001:db8:aa::/64', 'via', '2001:db8:e::2', 'dev', 'rte');
  await ha.ip('link', 'add', 'home0', 'type', 'veth', 'peer', 'name', 'home0p');
  await ha.ip('addr', 'add', `${HA}/64`, 'dev', 'home0', 'nodad');
  await ha.ip('link', 'set', 'home0', 'up');
  await ha.ip('link', 'set', 'home0p', 'up');
  for (let i = 0; i < MN_IFACES.length; i++) {
    const n = i + 1;
    await link(mn, MN_IFACES[i]!, `${COAS[i]}/64`, rt, `rt${n}`, `2001:db8:f${n}::1/64`);
    await mn.ip('-6', 'route', 'add', '2001:db8::/32', 'via', `2001:db8:f${n}::1`, 'dev', MN_IFACES[i]!, 'metric', String(100 + n));
  }
}

export function writeHomeAgentConfig(dir: string): string {
  const file = join(dir, 'mcoad.yaml');
  writeFileSync(
    file,
    `role: home-agent
home_agent:
  interface: home0
  address: ${HA}
  served_prefixes: [2001:db8:aa::/64]
  max_lifetime: 600
ipsec:
  required: false
state_directory: ${join(dir, 'state')}
control:
  socket: ${join(dir, 'mcoad.sock')}
log_level: info
`,
  );
  return file;
}

export function writeMobileNodeConfig(dir: string, bulk = true): string {
  const file = join(dir, 'mcoad.yaml');
  writeFileSync(
    file,
    `role: mobile-node
mobile_node:
  home_address: ${HOA}
  home_agent: ${HA}
  home_prefix_length: 64
  interfaces: [${MN_IFACES.join(', ')}]
  bulk: ${bulk}
  lifetime: 300
  routes: [${CN_PREFIX}]
ipsec:
  required: false
state_directory: ${join(dir, 'state')}
control:
  socket: ${join(dir, 'mcoad.sock')}
log_level: debug
`,
  );
  return file;
}

export { startDaemon, type Daemon };

/** The echo server on the mobile node, answering from the home address. */
export async function startEchoServer(mn: Netns): Promise<ChildProcess> {
  const proc = spawn('ip', ['netns', 'exec', mn.name, process.execPath, join(ROOT, 'dist', 'test', 'kernel', 'e2e-echo.js'), 'server', HOA, String(ECHO_PORT)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.once('data', () => resolve());
    proc.once('exit', (code) => reject(new Error(`echo server exited ${code}: ${err}`)));
  });
  return proc;
}

export interface EchoResult {
  sent: number;
  received: number;
  missing: number[];
}

const echoClientArgs = (cn: Netns, count: number, intervalMs: number): string[] =>
  ['netns', 'exec', cn.name, process.execPath, join(ROOT, 'dist', 'test', 'kernel', 'e2e-echo.js'), 'client', HOA, String(ECHO_PORT), String(count), String(intervalMs)];

const lastLine = (out: string): string => out.trim().split('\n').pop() ?? '';

/** COUNT numbered datagrams from the correspondent to the home address, INTERVAL ms apart. */
export async function echoFromCn(cn: Netns, count: number, intervalMs: number): Promise<EchoResult> {
  return JSON.parse(lastLine(await sh('ip', echoClientArgs(cn, count, intervalMs)))) as EchoResult;
}

/** echoFromCn in the background: `started` resolves at the first reply (node starts slowly in UML). */
export function echoFromCnInBackground(cn: Netns, count: number, intervalMs: number): { started: Promise<void>; done: Promise<EchoResult> } {
  const proc = spawn('ip', echoClientArgs(cn, count, intervalMs), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let markStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  proc.stdout!.on('data', (b: Buffer) => {
    out += b.toString();
    if (out.includes('started')) markStarted();
  });
  proc.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const done = new Promise<EchoResult>((resolve, reject) => {
    proc.once('exit', (code) => {
      markStarted();
      if (code === 0) resolve(JSON.parse(lastLine(out)) as EchoResult);
      else reject(new Error(`echo client exited ${code}: ${err}`));
    });
  });
  return { started, done };
}

export interface TunnelCounters {
  name: string;
  remote: string;
  local: string;
  rxPackets: number;
  txPackets: number;
}

/** `ip -s -d -j link show type ip6tnl`: our tunnels (mip6t*) with their packet counters. */
export async function tunnels(ns: Netns): Promise<TunnelCounters[]> {
  type J = { ifname: string; linkinfo?: { info_data?: { remote?: string; local?: string } }; stats64?: { rx: { packets: number }; tx: { packets: number } } };
  const links = JSON.parse(await ns.ip('-s', '-d', '-j', 'link', 'show', 'type', 'ip6tnl')) as J[];
  return links
    .filter((l) => l.ifname.startsWith('mip6t'))
    .map((l) => ({
      name: l.ifname,
      remote: l.linkinfo?.info_data?.remote ?? '',
      local: l.linkinfo?.info_data?.local ?? '',
      rxPackets: l.stats64?.rx.packets ?? 0,
      txPackets: l.stats64?.tx.packets ?? 0,
    }));
}

/** Polls `check` every 100 ms until it returns a value other than undefined, or throws after `ms`. */
export async function until<T>(what: string, ms: number, check: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function daemonLog(d: Daemon | undefined, label: string, lines = 60): string {
  return d ? `\n--- ${label} mcoad output ---\n${d.output.slice(-lines).join('\n')}` : '';
}

/** The `ipsec:` SAs of ha-fixture (home agent's view: spiIn carries the BUs), type only. */
type E2eSas = import('./ha-fixture.js').TestSas;

/** The mobile node's view of the home agent's SAs: the same SAs, directions swapped. */
export const mobileNodeSas = (sa: E2eSas): E2eSas => ({ ...sa, spiIn: sa.spiOut, spiOut: sa.spiIn });

/** writeHomeAgentConfig with ipsec.required: true and `ipsecBlock` (ha-fixture's ipsecYaml) for the home address HOA. */
export function writeHomeAgentIpsecConfig(dir: string, ipsecBlock: string): string {
  const file = join(dir, 'mcoad.yaml');
  writeFileSync(
    file,
    `role: home-agent
home_agent:
  interface: home0
  address: ${HA}
  served_prefixes: [2001:db8:aa::/64]
  max_lifetime: 600
  authorisation:
    home_addresses:
      ${HOA}:
        allowed: true
${ipsecBlock}
ipsec:
  required: true
state_directory: ${join(dir, 'state')}
control:
  socket: ${join(dir, 'mcoad.sock')}
log_level: info
`,
  );
  return file;
}

/** writeMobileNodeConfig with ipsec.required: true and `mobile_node.ipsec` (ipsecBlock indented by two); `extra`: more top-level YAML. */
export function writeMobileNodeIpsecConfig(dir: string, ipsecBlock: string, bulk = true, extra = ''): string {
  const file = join(dir, 'mcoad.yaml');
  writeFileSync(
    file,
    `role: mobile-node
mobile_node:
  home_address: ${HOA}
  home_agent: ${HA}
  home_prefix_length: 64
  interfaces: [${MN_IFACES.join(', ')}]
  bulk: ${bulk}
  lifetime: 300
  routes: [${CN_PREFIX}]
${ipsecBlock}
ipsec:
  required: true
${extra}state_directory: ${join(dir, 'state')}
control:
  socket: ${join(dir, 'mcoad.sock')}
log_level: debug
`,
  );
  return file;
}

export interface PacketCapture {
  proc: ChildProcess;
  stderr: () => string;
}

/**
 * `ip netns exec NS tcpdump -i IF -w FILE -U --immediate-mode -Z root FILTER`, resolved once
 * tcpdump says it is listening (each packet reaches the file as it is seen).
 */
export async function startPacketCapture(ns: Netns, iface: string, file: string, filter: string): Promise<PacketCapture> {
  const proc = spawn('ip', ['netns', 'exec', ns.name, 'tcpdump', '-i', iface, '-w', file, '-U', '--immediate-mode', '-Z', 'root', filter], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tcpdump did not start listening in 10 s: ${err}`)), 10_000);
    proc.stderr!.on('data', (b: Buffer) => {
      err += b.toString();
      if (err.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tcpdump exited ${code}: ${err}`));
    });
  });
  return { proc, stderr: () => err };
}

export async function stopPacketCapture(c: PacketCapture): Promise<void> {
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return;
  const done = new Promise<void>((resolve) => c.proc.once('exit', () => resolve()));
  c.proc.kill('SIGINT');
  const timer = setTimeout(() => c.proc.kill('SIGKILL'), 5000);
  await done;
  clearTimeout(timer);
}

/** `tshark -r FILE -Y FILTER -T fields -e F...` (first occurrence of each field: the outer header): one string[] per packet. */
export async function tsharkFields(file: string, filter: string, fields: string[]): Promise<string[][]> {
  const out = await sh('env', ['HOME=/tmp', 'tshark', '-r', file, '-Y', filter, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=f', ...fields.flatMap((f) => ['-e', f])]);
  return out.split('\n').filter((l) => l.trim() !== '').map((l) => l.split('\t'));
}

/** FLOWS UDP flows (one source port each) from the correspondent to the home address: how many got a reply. */
export async function flowsFromCn(cn: Netns, flows: number): Promise<{ flows: number; answered: number }> {
  const args = ['netns', 'exec', cn.name, process.execPath, join(ROOT, 'dist', 'test', 'kernel', 'e2e-echo.js'), 'flows', HOA, String(ECHO_PORT), String(flows)];
  return JSON.parse(lastLine(await sh('ip', args))) as { flows: number; answered: number };
}

/** ICMPv6 echo (iputils ping) from the correspondent to the home address: transmitted and received. */
export async function pingFromCn(cn: Netns, count: number): Promise<{ transmitted: number; received: number }> {
  // ping exits 1 when a reply is missing; the summary line says how many.
  const out = await sh('ip', ['netns', 'exec', cn.name, 'ping', '-6', '-n', '-c', String(count), '-i', '0.05', '-W', '2', HOA]).catch((e: { stdout?: string }) => e.stdout ?? String(e));
  const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
  if (!m) throw new Error(`no ping summary in: ${out}`);
  return { transmitted: Number(m[1]), received: Number(m[2]) };
}

// A home agent and a mobile node in two namespaces, mcoad running in the first, for the
// daemon's kernel tests. Topology (addresses inside 2001:db8::/32):
//   ha: home0 (home link, 2001:db8:aa::1/64, peer home0p) and ha0 (2001:db8:1::1/64)
//   mn: mn0 (care-of 2001:db8:1::10/64), home address 2001:db8:aa::100 on lo (`home`)
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MhSocket, type MhReceived } from '../../lib/net/mh-socket.js';
import { decodeMessage, encodeMessage } from '../../lib/wire/mh.js';
import { DRAFT04_PROFILE } from '../../lib/wire/profiles.js';
import { mustParseIp6 } from '../../lib/inet/ip6.js';
import type { BidOption, BindingAck, BindingUpdate } from '../../lib/wire/types.js';
import { addVethPair, sh, type Netns } from './netns.js';

export const HA = '2001:db8:aa::1';
export const HA_FOREIGN = '2001:db8:1::1';
export const HOA = '2001:db8:aa::100';
export const COA = '2001:db8:1::10';
const ROOT = new URL('../../..', import.meta.url).pathname;

export async function topology(ha: Netns, mn: Netns): Promise<void> {
  await ha.ip('link', 'add', 'home0', 'type', 'veth', 'peer', 'name', 'home0p');
  await ha.ip('addr', 'add', `${HA}/64`, 'dev', 'home0', 'nodad');
  await ha.ip('link', 'set', 'home0', 'up');
  await ha.ip('link', 'set', 'home0p', 'up');
  await addVethPair(ha, 'ha0', mn, 'mn0');
  await ha.ip('addr', 'add', `${HA_FOREIGN}/64`, 'dev', 'ha0', 'nodad');
  await ha.ip('link', 'set', 'ha0', 'up');
  await mn.ip('addr', 'add', `${COA}/64`, 'dev', 'mn0', 'nodad');
  await mn.ip('addr', 'add', `${HOA}/128`, 'dev', 'lo', 'home');
  await mn.ip('link', 'set', 'mn0', 'up');
  await mn.ip('-6', 'route', 'add', '2001:db8:aa::/64', 'via', HA_FOREIGN, 'dev', 'mn0');
  // The mobile node accepts the BA's type 2 routing header (mipv6-reference.md).
  await mn.ip('xfrm', 'state', 'add', 'src', '::', 'dst', '::', 'proto', 'route2', 'spi', '0', 'mode', 'ro', 'coa', '::', 'flag', 'wildrecv', 'sel', 'src', '::/0', 'dst', '::/0');
  await mn.ip('xfrm', 'policy', 'add', 'src', '::/0', 'dst', '::/0', 'proto', '135', 'dir', 'in', 'tmpl', 'proto', 'route2', 'mode', 'ro', 'level', 'use');
}

export interface Daemon {
  dir: string;
  socket: string;
  config: string;
  proc: ChildProcess;
  output: string[];
  ns: Netns;
}

export function writeConfig(dir: string, extra = '', logLevel = 'info'): string {
  const file = join(dir, 'mcoad.yaml');
  writeFileSync(
    file,
    `role: home-agent
home_agent:
  interface: home0
  address: ${HA}
  served_prefixes: [2001:db8:aa::/64]
  max_lifetime: 600
${extra}
state_directory: ${join(dir, 'state')}
control:
  socket: ${join(dir, 'mcoad.sock')}
log_level: ${logLevel}
`,
  );
  return file;
}

export function labConfig(): string {
  return 'ipsec:\n  required: false\n';
}

/** Starts mcoad inside `ns` and waits until its control socket answers. */
export async function startDaemon(ns: Netns, dir: string, config: string): Promise<Daemon> {
  const socket = join(dir, 'mcoad.sock');
  // A killed daemon leaves its socket file; the new one renames a fresh socket into place.
  const oldIno = existsSync(socket) ? statSync(socket).ino : -1;
  const proc = spawn('ip', ['netns', 'exec', ns.name, process.execPath, join(ROOT, 'bin', 'mcoad'), '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  proc.stdout!.on('data', (b: Buffer) => output.push(...b.toString().split('\n').filter(Boolean)));
  proc.stderr!.on('data', (b: Buffer) => output.push(...b.toString().split('\n').filter(Boolean)));
  const d: Daemon = { dir, socket, config, proc, output, ns };
  for (let i = 0; i < 300; i++) {
    if (proc.exitCode !== null) throw new Error(`mcoad exited ${proc.exitCode}:\n${output.join('\n')}`);
    if (existsSync(socket) && statSync(socket).ino !== oldIno) return d;
    await new Promise((r) => setTimeout(r, 50));
  }
  proc.kill('SIGKILL');
  throw new Error(`mcoad did not start in 15 s:\n${output.join('\n')}`);
}

export async function stopDaemon(d: Daemon, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  // A process killed by a signal has exitCode null and signalCode set.
  if (d.proc.exitCode !== null || d.proc.signalCode !== null) return d.proc.exitCode;
  const done = new Promise<number | null>((resolve) => d.proc.once('exit', (code) => resolve(code)));
  d.proc.kill(signal);
  return done;
}

export function tempDir(): string {
  return mkdtempSync('/tmp/mcoad-test-');
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** `mcoactl ARGS --socket S`: stdout, or throws with stderr. */
export async function mcoactl(d: Daemon, ...args: string[]): Promise<string> {
  return sh(process.execPath, [join(ROOT, 'bin', 'mcoactl'), ...args, '--socket', d.socket]);
}

export async function bindings(d: Daemon): Promise<{ hoa: string; bid: number; coa: string; sequence: number; homeBinding: boolean }[]> {
  return JSON.parse(await mcoactl(d, 'show', 'bindings', '--json'));
}

export function bu(sequence: number, lifetimeSeconds: number, bids: Omit<BidOption, 'kind' | 'status'>[] = []): BindingUpdate {
  return {
    kind: 'bu',
    payloadProto: 59,
    checksum: 0,
    sequence,
    flags: { a: true, h: true, l: false, k: false, m: false, r: false, p: false },
    lifetimeSeconds,
    options: bids.map((b) => ({ kind: 'bid', status: 0, ...b })),
  };
}

export const coaBid = (bid: number, coa: string): Omit<BidOption, 'kind' | 'status'> => ({ bid, c: true, o: false, h: false, coa: mustParseIp6(coa) });

/** The mobile node's signalling socket: BUs from the care-of address with a Home Address option. */
export class MobileNodeSide {
  readonly sock: MhSocket;
  constructor(mn: Netns) {
    this.sock = MhSocket.open({ netns: mn.name, checksum: 'user' });
  }
  sendBu(m: BindingUpdate, from = COA): void {
    this.sock.send({ data: encodeMessage(m, DRAFT04_PROFILE), src: from, dst: HA, homeAddressOption: HOA });
  }
  sendRaw(data: Uint8Array, from = COA): void {
    this.sock.send({ data, src: from, dst: HA, homeAddressOption: HOA });
  }
  /** The next BA, or a rejection after `ms`. */
  nextBa(ms = 5000): Promise<{ ba: BindingAck; received: MhReceived }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.sock.off('message', on);
        reject(new Error(`no BA within ${ms} ms`));
      }, ms);
      const on = (m: MhReceived): void => {
        const r = decodeMessage(m.data, DRAFT04_PROFILE);
        if (!r.ok || r.value.kind !== 'ba') return;
        clearTimeout(timer);
        this.sock.off('message', on);
        resolve({ ba: r.value, received: m });
      };
      this.sock.on('message', on);
    });
  }
  close(): void {
    this.sock.close();
  }
}

/** Static ESP SAs of one home address, as in `home_agent.authorisation.home_addresses.<HOA>.ipsec`. */
export interface TestSas {
  spiIn: number;
  spiOut: number;
  reqid: number;
  aeadName: string;
  /** '0x...' */
  key: string;
  icvBits: number;
}

/** The `ipsec:` block of a home address entry, indented for writeConfig's `authorisation.home_addresses.<HOA>`. */
export function ipsecYaml(sa: TestSas, indent = '        '): string {
  return [
    `${indent}ipsec:`,
    `${indent}  spi_in: 0x${sa.spiIn.toString(16)}`,
    `${indent}  spi_out: 0x${sa.spiOut.toString(16)}`,
    `${indent}  reqid: ${sa.reqid}`,
    `${indent}  aead: { name: '${sa.aeadName}', key: '${sa.key}', icv_bits: ${sa.icvBits} }`,
  ].join('\n');
}

/**
 * The mobile node's mirror of the home agent's signalling SAs: BU out and BA in over ESP.
 * MobileNodeSide adds the Home Address option itself and sends from the care-of address,
 * so the outbound selector and SA use the care-of address (a mobile node whose kernel adds
 * the option, like UMIP's, uses the home address instead). The wildcard route2 policy of
 * topology() moves below the BA policy, which carries the route2 template too.
 */
export async function mobileNodeIpsec(mn: Netns, sa: TestSas, coa = COA): Promise<void> {
  const aead = ['aead', sa.aeadName, sa.key, String(sa.icvBits)];
  const esp = (spi: number): string[] => ['proto', 'esp', 'spi', `0x${spi.toString(16)}`, 'reqid', String(sa.reqid), 'mode', 'transport', ...aead];
  const tmpl = ['tmpl', 'proto', 'esp', 'mode', 'transport', 'reqid', String(sa.reqid), 'level', 'required'];
  await mn.ip('xfrm', 'state', 'add', 'src', coa, 'dst', HA, ...esp(sa.spiIn));
  await mn.ip('xfrm', 'state', 'add', 'src', HA, 'dst', HOA, ...esp(sa.spiOut));
  await mn.ip('xfrm', 'policy', 'add', 'src', `${coa}/128`, 'dst', `${HA}/128`, 'proto', '135', 'type', '5', 'dir', 'out', 'priority', '100', ...tmpl);
  await mn.ip('xfrm', 'policy', 'add', 'src', `${HA}/128`, 'dst', `${HOA}/128`, 'proto', '135', 'type', '6', 'dir', 'in', 'priority', '100', ...tmpl,
    'tmpl', 'proto', 'route2', 'mode', 'ro', 'level', 'use');
  await mn.ip('xfrm', 'policy', 'delete', 'src', '::/0', 'dst', '::/0', 'proto', '135', 'dir', 'in');
  await mn.ip('xfrm', 'policy', 'add', 'src', '::/0', 'dst', '::/0', 'proto', '135', 'dir', 'in', 'priority', '200', 'tmpl', 'proto', 'route2', 'mode', 'ro', 'level', 'use');
}

/** Removes the mobile node's outbound BU policy: its BUs leave without ESP (its SAs stay). */
export async function dropMobileNodeBuPolicy(mn: Netns, coa = COA): Promise<void> {
  await mn.ip('xfrm', 'policy', 'delete', 'src', `${coa}/128`, 'dst', `${HA}/128`, 'proto', '135', 'type', '5', 'dir', 'out');
}

/** Packets an ESP SA has processed (`ip -s xfrm state get`: "lifetime current: ... N(packets)"). */
export async function espPackets(ns: Netns, src: string, dst: string, spi: number): Promise<number> {
  const text = await ns.ip('-s', 'xfrm', 'state', 'get', 'src', src, 'dst', dst, 'proto', 'esp', 'spi', `0x${spi.toString(16)}`);
  const m = /lifetime current:\s*\d+\(bytes\),\s*(\d+)\(packets\)/.exec(text);
  if (!m) throw new Error(`no packet count in:\n${text}`);
  return Number(m[1]);
}

/** A correspondent node beyond the home agent (reverse-tunnel tests). */
export const CN = '2001:db8:c0::2';
export const HA_CN_SIDE = '2001:db8:c0::1';

/** A third namespace `cn` on a link of its own to the home agent (ha1 <-> cn0, 2001:db8:c0::/64). */
export async function correspondent(ha: Netns, cn: Netns): Promise<void> {
  await addVethPair(ha, 'ha1', cn, 'cn0');
  await ha.ip('addr', 'add', `${HA_CN_SIDE}/64`, 'dev', 'ha1', 'nodad');
  await ha.ip('link', 'set', 'ha1', 'up');
  await cn.ip('addr', 'add', `${CN}/64`, 'dev', 'cn0', 'nodad');
  await cn.ip('link', 'set', 'cn0', 'up');
  await cn.ip('-6', 'route', 'add', '2001:db8:aa::/64', 'via', HA_CN_SIDE, 'dev', 'cn0');
}

/** The mobile node's reverse tunnel: `ip -6 tunnel add NAME mode ip6ip6 local COA remote HA`, up, no addresses. */
export async function mobileNodeTunnel(mn: Netns, name: string, local: string): Promise<void> {
  await mn.ip('-6', 'tunnel', 'add', name, 'mode', 'ip6ip6', 'local', local, 'remote', HA);
  // No link-local address: the tunnel sends no router solicitations or MLD of its own.
  await mn.ip('link', 'set', name, 'addrgenmode', 'none');
  await mn.ip('link', 'set', name, 'up');
}

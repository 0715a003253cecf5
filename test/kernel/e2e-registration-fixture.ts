// Pieces for the registration scenarios of e2e-registration.test.ts: a mobile node
// configuration with the MCoA switches, a Mobility Header capture read back by two
// independent decoders (tshark and `mcoactl decode --pcap`), a link monitor that times how
// long the mobile node's tunnels are missing, and an inventory of a daemon's sockets.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sh, type Netns } from './netns.js';
import { CN_PREFIX, HA, HOA, MN_IFACES, startPacketCapture, stopPacketCapture, type PacketCapture } from './e2e-fixture.js';

const ROOT = new URL('../../..', import.meta.url).pathname;

export interface McoaSwitches {
  multipleCoa?: boolean;
  bootstrapOverwrite?: boolean;
  bidConflict?: 'overwrite' | 'stop-bids';
}

/** writeMobileNodeConfig of e2e-fixture.ts plus the `multiple_coa`, `bootstrap_overwrite` and `bid_conflict` keys. */
export function writeMobileNodeConfigWith(dir: string, sw: McoaSwitches): string {
  const file = join(dir, 'mcoad.yaml');
  const extra = [
    sw.multipleCoa === undefined ? '' : `  multiple_coa: ${sw.multipleCoa}\n`,
    sw.bootstrapOverwrite === undefined ? '' : `  bootstrap_overwrite: ${sw.bootstrapOverwrite}\n`,
    sw.bidConflict === undefined ? '' : `  bid_conflict: ${sw.bidConflict}\n`,
  ].join('');
  writeFileSync(
    file,
    `role: mobile-node
mobile_node:
  home_address: ${HOA}
  home_agent: ${HA}
  home_prefix_length: 64
  interfaces: [${MN_IFACES.join(', ')}]
  bulk: true
  lifetime: 300
  routes: [${CN_PREFIX}]
${extra}ipsec:
  required: false
state_directory: ${join(dir, 'state')}
control:
  socket: ${join(dir, 'mcoad.sock')}
log_level: debug
`,
  );
  return file;
}

// ---------------------------------------------------------------- capture

export interface Capture extends PacketCapture {
  file: string;
}

/** The Mobility Header messages on one interface (`ip6 protochain 135` follows the HAO and type 2 routing header). */
export async function startMhCapture(ns: Netns, iface: string, file: string): Promise<Capture> {
  return { ...(await startPacketCapture(ns, iface, file, 'ip6 protochain 135')), file };
}

export const stopCapture = (c: Capture): Promise<void> => stopPacketCapture(c);

/** One BID sub-option as a decoder saw it. */
export interface SeenBid {
  bid: number;
  status: number;
  c: boolean;
  o: boolean;
  h: boolean;
  coa: string | null;
}

/** One Mobility Header message in a capture, the same shape from either decoder. */
export interface SeenMh {
  frame: number;
  src: string;
  dst: string;
  type: number;
  seq: number;
  /** BA status; null for other messages. */
  status: number | null;
  bids: SeenBid[];
}

export const MH_BU = 5;
export const MH_BA = 6;

/** Canonical one-line form, to compare the two decoders and to show in diagnostics. */
export function seenText(m: SeenMh): string {
  const kind = m.type === MH_BU ? 'BU' : m.type === MH_BA ? `BA(${m.status})` : `MH${m.type}`;
  const bids = m.bids.map((b) => `${b.bid}${b.c ? 'C' : ''}${b.o ? 'O' : ''}${b.h ? 'H' : ''}${b.status ? `/${b.status}` : ''}${b.coa ? `=${b.coa}` : ''}`);
  return `#${m.frame} ${kind} seq ${m.seq} ${m.src}>${m.dst} [${bids.join(' ')}]`;
}

/**
 * A BID sub-option from the octets tshark shows for it (`mip6.options.bi`, type and length
 * included). tshark dissects the RFC 5648 layout, which has no C or O flag, so the flag
 * octet is read here from its raw bytes (draft-04: C 0x80, O 0x40, H 0x20).
 */
function bidFromOctets(hex: string): SeenBid {
  const b = Buffer.from(hex.replace(/:/g, ''), 'hex');
  if (b.length < 6 || b.length !== b[1]! + 2) throw new Error(`tshark BID sub-option of unexpected length: ${hex}`);
  const flags = b[5]!;
  const coa = b.length === 22 ? formatRaw(b.subarray(6, 22)) : null;
  return { bid: b.readUInt16BE(2), status: b[4]!, c: (flags & 0x80) !== 0, o: (flags & 0x40) !== 0, h: (flags & 0x20) !== 0, coa };
}

/** Text form by Node's URL parser (WHATWG IPv6 serialisation), independent of lib/inet/ip6.ts. */
function formatRaw(a: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(a.readUInt16BE(i).toString(16));
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

/** tshark's fields, one line per packet; several occurrences of a field come comma-joined. */
export async function decodeWithTshark(file: string): Promise<SeenMh[]> {
  const fields = ['frame.number', 'ipv6.src', 'ipv6.dst', 'mip6.mhtype', 'mip6.bu.seqnr', 'mip6.ba.seqnr', 'mip6.ba.status', 'mip6.options.bi', 'mip6.bi.bid', 'mip6.bi.coa_ipv6'];
  const out = await sh('env', ['HOME=/tmp', 'tshark', '-r', file, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=,', ...fields.flatMap((f) => ['-e', f]), '-Y', 'mipv6']);
  return out.split('\n').filter((l) => l.trim() !== '').map((l) => {
    const [frame = '', src = '', dst = '', type = '', buSeq = '', baSeq = '', status = '', bi = '', bidNums = '', coas = ''] = l.split('\t');
    // An ip6ip6 packet (a BA tunnelled to a care-of address) shows ipv6.src/dst per header,
    // outer first; the Mobility Header belongs to the last, innermost one.
    const bids = bi === '' ? [] : bi.split(',').map(bidFromOctets);
    // tshark's own BID and care-of fields must agree with the octets read above.
    const tsharkBids = bidNums === '' ? [] : bidNums.split(',').map(Number);
    if (tsharkBids.join() !== bids.map((b) => b.bid).join()) throw new Error(`tshark BIDs ${bidNums} vs octets ${bi}`);
    const tsharkCoas = coas === '' ? [] : coas.split(',');
    if (tsharkCoas.join() !== bids.flatMap((b) => (b.coa ? [b.coa] : [])).join()) throw new Error(`tshark care-of addresses ${coas} vs octets ${bi}`);
    const t = Number(type);
    return {
      frame: Number(frame),
      src: src.split(',').pop()!,
      dst: dst.split(',').pop()!,
      type: t,
      seq: Number(t === MH_BU ? buSeq : baSeq),
      status: t === MH_BA ? Number(status) : null,
      bids,
    };
  });
}

interface DecodedPacket {
  frame: number;
  src: string;
  dst: string;
  checksumOk?: boolean;
  message?: { mhType: number; sequence?: number; status?: number; options: { kind: string; bid?: number; status?: number; c?: boolean; o?: boolean; h?: boolean; coa?: string }[] };
}

/** `mcoactl decode --pcap FILE --json`; throws if any Mobility Header checksum fails. */
export async function decodeWithMcoactl(file: string): Promise<SeenMh[]> {
  const out = await sh(process.execPath, [join(ROOT, 'bin', 'mcoactl'), 'decode', '--pcap', file, '--json']);
  const packets = out.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as DecodedPacket);
  const bad = packets.filter((p) => p.checksumOk === false);
  if (bad.length > 0) throw new Error(`Mobility Header checksum fails in frames ${bad.map((p) => p.frame).join(',')}`);
  return packets.flatMap((p): SeenMh[] => {
    const m = p.message;
    if (!m) return [];
    const bids = m.options
      .filter((o) => o.kind === 'bid')
      .map((o): SeenBid => ({ bid: o.bid ?? -1, status: o.status ?? 0, c: o.c === true, o: o.o === true, h: o.h === true, coa: o.coa ?? null }));
    return [{ frame: p.frame, src: p.src, dst: p.dst, type: m.mhType, seq: m.sequence ?? -1, status: m.mhType === MH_BA ? (m.status ?? -1) : null, bids }];
  });
}

// ---------------------------------------------------------------- tunnel gap

/** `ip -ts monitor OBJECTS` in a namespace, collecting whole messages (first line + indented lines). */
export function startMonitor(ns: Netns, objects: string[] = ['link']): { stop: () => Promise<string[]> } {
  const proc = spawn('ip', ['-n', ns.name, '-ts', 'monitor', ...objects], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  return {
    stop: async () => {
      const done = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGTERM');
      await done;
      const events: string[] = [];
      for (const line of out.split('\n')) {
        if (line.startsWith('[')) events.push(line);
        else if (line.trim() !== '' && events.length > 0) events[events.length - 1] += ` ${line.trim()}`;
      }
      return events;
    },
  };
}

export interface TunnelGap {
  /** Longest time (ms) during which fewer than all wanted tunnels were up; 0 if never. */
  gapMs: number;
  /** Monitor lines about our tunnels, for the report. */
  lines: string[];
}

/**
 * From `ip -ts monitor link` events: how long the tunnels whose local address is one of
 * `wanted` were not all present and up. `initial` are the tunnels up before monitoring began.
 */
export function tunnelGap(events: string[], initial: { name: string; local: string }[], wanted: readonly string[]): TunnelGap {
  const up = new Map<string, string>(initial.map((t) => [t.name, t.local]));
  const full = (): boolean => wanted.every((w) => [...up.values()].includes(w));
  let since: number | null = full() ? null : 0;
  let gapMs = 0;
  const lines: string[] = [];
  for (const e of events) {
    const m = /^\[([^\]]+)\]\s+(Deleted\s+)?\d+:\s+([^:@\s]+)(?:@\S+)?:\s+<([^>]*)>.*?link\/tunnel6\s+(\S+)/.exec(e);
    if (!m || !m[3]!.startsWith('mip6t')) continue;
    lines.push(e.replace(/\s+/g, ' ').slice(0, 160));
    const at = Date.parse(m[1]!.endsWith('Z') ? m[1]! : `${m[1]}Z`);
    if (m[2] || !m[4]!.split(',').includes('UP')) up.delete(m[3]!);
    else up.set(m[3]!, m[5]!);
    if (!full() && since === null) since = at;
    else if (full() && since !== null) {
      gapMs = Math.max(gapMs, at - since);
      since = null;
    }
  }
  if (since !== null) gapMs = Number.POSITIVE_INFINITY;
  return { gapMs, lines };
}

// ---------------------------------------------------------------- sockets of a process

export interface SocketInventory {
  /** One line per descriptor: "fd N: netlink proto 0", "fd N: raw6 proto 135", ... */
  lines: string[];
  netlink: number[];
  raw6: number[];
  /** Protocol (ETH_P_*, host order) each packet socket is bound to; 0 receives nothing. */
  packet: number[];
  unix: string[];
  /** Descriptors holding a unix socket of another namespace: the stdio pipes of the parent (Node's spawn makes socketpairs). */
  inheritedUnix: number[];
  /** Sockets found in no table of the above (tcp, udp, raw IPv4, ...): must be none. */
  other: string[];
  /** Descriptors that are device files (a tun/tap would be /dev/net/tun). */
  devices: string[];
}

/** Maps socket inode -> a column of /proc/PID/net/TABLE (the process's own namespace). */
function inodeTable(pid: number, table: string, inodeCol: number, valueOf: (cols: string[]) => string): Map<string, string> {
  const out = new Map<string, string>();
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    const inode = cols[inodeCol];
    if (inode !== undefined && /^\d+$/.test(inode)) out.set(inode, valueOf(cols));
  }
  return out;
}

/** Every descriptor of PID classified through /proc/PID/fd and the /proc/PID/net tables. */
export function socketInventory(pid: number): SocketInventory {
  // Column of the inode in each table (see proc(5) and net/*/proc.c).
  const netlink = inodeTable(pid, 'netlink', 9, (c) => String(parseInt(c[1] ?? '-1', 10)));
  const raw6 = inodeTable(pid, 'raw6', 9, (c) => String(parseInt((c[1] ?? ':ffff').split(':')[1]!, 16)));
  const packet = inodeTable(pid, 'packet', 8, (c) => String(parseInt(c[3] ?? 'ffff', 16)));
  const unix = inodeTable(pid, 'unix', 6, (c) => c[7] ?? '');
  const parentUnix = inodeTable(process.pid, 'unix', 6, (c) => c[7] ?? '');
  const others = ['tcp', 'tcp6', 'udp', 'udp6', 'raw', 'udplite6', 'icmp', 'icmp6'].map((t) => [t, inodeTable(pid, t, 9, () => t)] as const);
  const inv: SocketInventory = { lines: [], netlink: [], raw6: [], packet: [], unix: [], inheritedUnix: [], other: [], devices: [] };
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    const sock = /^socket:\[(\d+)\]$/.exec(target);
    if (!sock) {
      if (target.startsWith('/dev/')) inv.devices.push(target);
      inv.lines.push(`fd ${fd}: ${target}`);
      continue;
    }
    const inode = sock[1]!;
    let what: string;
    if (netlink.has(inode)) {
      inv.netlink.push(Number(netlink.get(inode)));
      what = `netlink protocol ${netlink.get(inode)}`;
    } else if (raw6.has(inode)) {
      inv.raw6.push(Number(raw6.get(inode)));
      what = `raw IPv6 protocol ${raw6.get(inode)}`;
    } else if (packet.has(inode)) {
      inv.packet.push(Number(packet.get(inode)));
      what = `packet, bound to ethertype 0x${Number(packet.get(inode)).toString(16)}`;
    } else if (unix.has(inode)) {
      inv.unix.push(unix.get(inode)!);
      what = `unix ${unix.get(inode) || '(unnamed)'}`;
    } else if (parentUnix.has(inode)) {
      inv.inheritedUnix.push(Number(fd));
      what = 'unix, in the test process\'s namespace (inherited stdio)';
    } else {
      const hit = others.find(([, m]) => m.has(inode));
      what = hit ? `${hit[0]} socket` : 'socket in no /proc/net table';
      inv.other.push(`fd ${fd}: ${what}`);
    }
    inv.lines.push(`fd ${fd}: ${what}`);
  }
  return inv;
}

/** `ss -a -p -n -A all` lines of one process (netid first), as run in its namespace. */
export async function ssLinesOf(ns: Netns, pid: number): Promise<string[]> {
  const out = await ns.exec('ss', '-a', '-p', '-n', '-A', 'all');
  return out.split('\n').filter((l) => l.includes(`pid=${pid},`)).map((l) => l.replace(/\s+/g, ' ').trim());
}

/** What an `ss` line of the home agent is, or null when it is none of the sockets a control plane needs. */
export function ssKind(line: string): 'packet, protocol 0' | 'raw MH' | 'raw ICMPv6' | 'unix' | null {
  if (/^p_(dgr|raw) \S+ \d+ \d+ \[0\]:/.test(line)) return 'packet, protocol 0';
  // ss names IPv6 raw sockets by protocol: "icmp6" for 58, "???" for 135; the port column is the protocol.
  if (/^(\?\?\?|raw) \S+ \d+ \d+ \*:135 \*:\* /.test(line)) return 'raw MH';
  if (/^(icmp6|raw) \S+ \d+ \d+ \*:58 \*:\* /.test(line)) return 'raw ICMPv6';
  if (/^u_(str|seq|dgr) /.test(line)) return 'unix';
  return null;
}

/**
 * A scenario's capture read by both decoders: they must agree message for message (and every
 * checksum verify), and it must hold at least one BU and one BA. Returns a one-line summary.
 */
export async function crossCheckCapture(file: string, requireBuAndBa = true): Promise<string> {
  const ours = await decodeWithMcoactl(file);
  const shark = await decodeWithTshark(file);
  assert.deepEqual(ours.map(seenText), shark.map(seenText), 'mcoactl decode --pcap and tshark read the capture alike');
  if (requireBuAndBa) assert.ok(ours.some((m) => m.type === MH_BU) && ours.some((m) => m.type === MH_BA), `a BU and a BA in the capture: ${ours.map(seenText).join(' | ')}`);
  return `${ours.length} Mobility Header messages, tshark and mcoactl decode agree: ${ours.slice(0, 6).map(seenText).join(' | ')}${ours.length > 6 ? ' ...' : ''}`;
}

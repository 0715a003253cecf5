// Sections around the protocol core: the wire profile numbers, kernel ownership marks,
// and the control socket.
import { isScalar } from 'yaml';
import { DRAFT04_PROFILE, makeProfile, NAMED_PROFILES, type ProfileOverrides } from '../wire/profiles.js';
import type { McoaStatusNumbers, WireProfile } from '../wire/profile.js';
import { DEFAULT_MARKS, type OwnershipMarks } from '../reconcile/marks.js';
import { DEFAULT_CONTROL_MODE, DEFAULT_CONTROL_SOCKET, type ControlSocketConfig } from './daemon-config.js';
import type { ConfigReader, Field } from './reader.js';

/** YAML key -> the core's name for each MCoA status number. */
const STATUS_KEYS: readonly [string, keyof McoaStatusNumbers][] = [
  ['incompliant', 'incompliant'],
  ['bid_conflict', 'bidConflict'],
  ['prohibited', 'prohibited'],
  ['bulk_not_supported', 'bulkNotSupported'],
  ['flag_conflicts', 'flagConflicts'],
];

const PROFILE_NAMES = [...NAMED_PROFILES.keys()].join(' or ');

/**
 * `wire_profile: draft-04 | rfc5648`, or a section: `name` (a named profile is the base,
 * any other name labels draft-04 with the draft's TBD numbers replaced), `bid_option_type`,
 * `status`. makeProfile checks collisions with the base protocol.
 */
export function readProfile(r: ConfigReader, f: Field): WireProfile | undefined {
  if (isScalar(f.node)) {
    const v = r.string(f);
    if (v === undefined) return undefined;
    const named = NAMED_PROFILES.get(v);
    if (!named) r.report(f.node, f.path, `unknown wire profile ${JSON.stringify(v)}: ${PROFILE_NAMES}`);
    return named;
  }
  const s = r.section(f, ['name', 'bid_option_type', 'status']);
  if (!s) return undefined;
  const before = r.problems.length;
  const o: ProfileOverrides = {};
  const name = s.get('name');
  const type = s.get('bid_option_type');
  const statusField = s.get('status');
  if (name) o.name = r.string(name);
  if (type) o.bidOptionType = r.integer(type, 0, 255);
  const status: Partial<McoaStatusNumbers> = {};
  const where = new Map<string, Field>();
  const st = statusField && r.section(statusField, STATUS_KEYS.map(([k]) => k));
  for (const [yamlKey, key] of STATUS_KEYS) {
    const x = st?.get(yamlKey);
    if (!x) continue;
    where.set(key, x);
    const v = r.integer(x, 128, 255);
    if (v !== undefined) status[key] = v;
  }
  if (r.problems.length > before) return undefined;
  o.status = status;
  const made = makeProfile(o, NAMED_PROFILES.get(o.name ?? '') ?? DRAFT04_PROFILE);
  if (made.ok) return made.value;
  // Point at the number the message is about; a clash with a default points at the section.
  const m = /^wire profile: (?:status (\w+)|(BID option type)|(profile name))/.exec(made.error);
  const at = (m?.[1] && where.get(m[1])) || (m?.[2] && type) || (m?.[3] && name) || f;
  r.report(at.node, at.path, made.error.replace(/^wire profile: /, ''));
  return undefined;
}

/** rtnetlink.h RTPROT_* values: adopting routes of these origins would delete others' routes. */
const TAKEN_PROTOCOLS = new Map<number, string>([
  [0, 'RTPROT_UNSPEC'], [1, 'RTPROT_REDIRECT'], [2, 'RTPROT_KERNEL'], [3, 'RTPROT_BOOT'], [4, 'RTPROT_STATIC'],
  [8, 'RTPROT_GATED'], [9, 'RTPROT_RA'], [10, 'RTPROT_MRT'], [11, 'RTPROT_ZEBRA'], [12, 'RTPROT_BIRD'],
  [13, 'RTPROT_DNROUTED'], [14, 'RTPROT_XORP'], [15, 'RTPROT_NTK'], [16, 'RTPROT_DHCP'], [17, 'RTPROT_MROUTED'],
  [18, 'RTPROT_KEEPALIVED'], [42, 'RTPROT_BABEL'], [99, 'RTPROT_OPENR'], [186, 'RTPROT_BGP'], [187, 'RTPROT_ISIS'],
  [188, 'RTPROT_OSPF'], [189, 'RTPROT_RIP'], [192, 'RTPROT_EIGRP'],
]);
const RT_TABLE_LOCAL = 255;
const U32_MAX = 0xffffffff;

export interface KernelSettings {
  marks: OwnershipMarks;
  resyncIntervalSeconds: number | undefined;
}

export function readKernel(r: ConfigReader, f: Field): KernelSettings | undefined {
  const s = r.section(f, ['route_protocol', 'tunnel_prefix', 'nexthop_id_base', 'nexthop_id_count', 'table', 'resync_interval']);
  if (!s) return undefined;
  const before = r.problems.length;
  const marks: OwnershipMarks = { ...DEFAULT_MARKS };
  const proto = s.get('route_protocol');
  const p = proto && r.integer(proto, 1, 255);
  if (proto && p !== undefined) {
    const taken = TAKEN_PROTOCOLS.get(p);
    if (taken) r.report(proto.node, proto.path, `${p} is ${taken}: routes of that origin would be taken for ours`);
    else marks.protocol = p;
  }
  const prefix = s.get('tunnel_prefix');
  const t = prefix && r.string(prefix);
  if (prefix && t !== undefined) {
    // Names are prefix + base-36 counter within IFNAMSIZ-1 = 15 octets; keep 4 for the counter.
    if (!/^[A-Za-z0-9_.-]{1,11}$/.test(t)) r.report(prefix.node, prefix.path, `must be 1..11 of A-Z a-z 0-9 _ . -: ${JSON.stringify(t)}`);
    else marks.tunnelPrefix = t;
  }
  const base = s.get('nexthop_id_base');
  const count = s.get('nexthop_id_count');
  const b = base && r.integer(base, 1, U32_MAX);
  const n = count && r.integer(count, 1, U32_MAX);
  if (b !== undefined) marks.nexthopIdBase = b;
  if (n !== undefined) marks.nexthopIdCount = n;
  if (marks.nexthopIdBase + marks.nexthopIdCount - 1 > U32_MAX) {
    const at = count ?? base ?? f;
    r.report(at.node, at.path, `nexthop id band ${marks.nexthopIdBase}+${marks.nexthopIdCount} passes 2^32-1`);
  }
  const table = s.get('table');
  const tb = table && r.integer(table, 1, U32_MAX);
  if (table && tb === RT_TABLE_LOCAL) r.report(table.node, table.path, '255 is the local table, which the kernel manages');
  else if (tb !== undefined) marks.table = tb;
  const resync = s.get('resync_interval');
  const resyncIntervalSeconds = resync && r.seconds(resync, 10, 86400);
  return r.problems.length === before ? { marks, resyncIntervalSeconds } : undefined;
}

/** sun_path holds 108 octets including the terminating NUL. */
const SUN_PATH_MAX = 107;

export function readControl(r: ConfigReader, f: Field | undefined): ControlSocketConfig | undefined {
  const out: ControlSocketConfig = { path: DEFAULT_CONTROL_SOCKET, group: null, mode: DEFAULT_CONTROL_MODE };
  if (!f) return out;
  const s = r.section(f, ['socket', 'group', 'mode']);
  if (!s) return undefined;
  const before = r.problems.length;
  const socket = s.get('socket');
  const path = socket && absolutePath(r, socket);
  if (socket && path !== undefined && Buffer.byteLength(path) > SUN_PATH_MAX) {
    r.report(socket.node, socket.path, `longer than a Unix socket path may be (${SUN_PATH_MAX} octets)`);
  } else if (path !== undefined) out.path = path;
  const group = s.get('group');
  if (group) {
    const v = r.describe(group).startsWith('number') ? r.integer(group, 0, U32_MAX) : r.string(group);
    if (typeof v === 'string' && !/^[A-Za-z_][A-Za-z0-9_.-]*\$?$/.test(v)) r.report(group.node, group.path, `not a group name: ${JSON.stringify(v)}`);
    else if (v !== undefined) out.group = v;
  }
  const mode = s.get('mode');
  const m = mode && r.fileMode(mode);
  if (m !== undefined) out.mode = m;
  return r.problems.length === before ? out : undefined;
}

export function absolutePath(r: ConfigReader, f: Field): string | undefined {
  const v = r.string(f);
  if (v !== undefined && !v.startsWith('/')) r.report(f.node, f.path, `must be an absolute path: ${JSON.stringify(v)}`);
  return v?.startsWith('/') ? v : undefined;
}

// The `cluster:` section (issue 15): several home agents share their binding cache through
// etcd v3 and elect one active node per service address. Absent, the home agent runs alone
// on its embedded journal exactly as before.
import type { Ip6 } from '../inet/ip6.js';
import type { ConfigReader, Field } from './reader.js';

export const CLUSTER_KEYS = ['endpoints', 'tls', 'node', 'key_prefix', 'service_addresses', 'preempt', 'timers', 'replication'] as const;
const TLS_KEYS = ['ca_file', 'cert_file', 'key_file'] as const;
const TIMER_KEYS = ['lease_ttl', 'step_down_margin_ms'] as const;
const REPLICATION_KEYS = ['max_expiry_lag', 'max_sequence_lag', 'esp_seq_margin'] as const;

/** etcd grants no lease shorter than 1.5 election timeouts (2 s with its default timers). */
export const MIN_LEASE_TTL_SECONDS = 2;

export const DEFAULT_CLUSTER_TIMERS = { leaseTtlSeconds: 2, stepDownMarginMs: 500 } as const;
export const DEFAULT_REPLICATION = { maxExpiryLagSeconds: 120, maxSequenceLag: 16, espSeqMargin: 1024 } as const;
/** Largest ESP sequence-number margin: far below 2^32 (docs/cluster.md, ESP sequence numbers). */
export const MAX_ESP_SEQ_MARGIN = 1 << 24;
export const DEFAULT_KEY_PREFIX = '/mcoa/';

export interface ClusterTls {
  caFile: string | null;
  certFile: string | null;
  keyFile: string | null;
}

export interface ClusterConfig {
  /** etcd client URLs, http:// or https://. */
  endpoints: string[];
  tls: ClusterTls | null;
  /** This node's name among the cluster's members (etcd keys and `show cluster`). */
  node: string;
  /** Every key of this cluster lives under it (several clusters may share one etcd). */
  keyPrefix: string;
  /** Service (home agent) addresses this node may serve, with its preference for each (higher wins). */
  serviceAddresses: { address: Ip6; preference: number }[];
  /** A more preferred node that comes back takes its addresses over; off: the active keeps them. */
  preempt: boolean;
  timers: {
    /** TTL of the lease behind this node's ownership; a crashed active is replaced after at most this. */
    leaseTtlSeconds: number;
    /** The active stops serving this long before its lease could expire in etcd. */
    stepDownMarginMs: number;
  };
  /** How stale a refresh may leave the stored binding (lib/cluster/staleness.ts says why this is safe). */
  /**
   * How stale a refresh may leave the stored binding (lib/cluster/staleness.ts says why this is
   * safe); `espSeqMargin`: how far ahead of the output sequence numbers of the static ESP SAs
   * the active keeps its high-water marks in etcd (0: none kept; lib/cluster/esp-seq.ts).
   */
  replication: { maxExpiryLagSeconds: number; maxSequenceLag: number; espSeqMargin: number };
}

const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const ENDPOINT = /^(https?):\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

export function readCluster(r: ConfigReader, f: Field | undefined): ClusterConfig | null | undefined {
  if (!f) return null;
  const s = r.section(f, CLUSTER_KEYS, ['endpoints', 'node', 'service_addresses']);
  if (!s) return undefined;
  const before = r.problems.length;
  const endpoints = readEndpoints(r, s.get('endpoints'));
  const tlsField = s.get('tls');
  const tls = tlsField ? readTls(r, tlsField) : null;
  const nodeField = s.get('node');
  const node = nodeField && r.string(nodeField);
  if (nodeField && node !== undefined && !NODE_NAME.test(node)) r.report(nodeField.node, nodeField.path, `not a node name (letters, digits, . _ -, at most 63): ${JSON.stringify(node)}`);
  const prefixField = s.get('key_prefix');
  const keyPrefix = (prefixField && r.string(prefixField)) ?? DEFAULT_KEY_PREFIX;
  if (prefixField && !/^\/(?:[A-Za-z0-9._-]+\/)*$/.test(keyPrefix)) r.report(prefixField.node, prefixField.path, `must start and end with / (like /mcoa/): ${JSON.stringify(keyPrefix)}`);
  const serviceAddresses = readServiceAddresses(r, s.get('service_addresses'));
  const preemptField = s.get('preempt');
  const preempt = (preemptField && r.boolean(preemptField)) ?? false;
  const timers = readTimers(r, s.get('timers'));
  const replication = readReplication(r, s.get('replication'));
  if (r.problems.length !== before || !endpoints || !node || !serviceAddresses || !timers || !replication || tls === undefined) return undefined;
  return { endpoints, tls, node, keyPrefix, serviceAddresses, preempt, timers, replication };
}

function readEndpoints(r: ConfigReader, f: Field | undefined): string[] | undefined {
  const items = f && r.list(f);
  if (!f || !items) return undefined;
  if (items.length === 0) r.report(f.node, f.path, 'at least one etcd endpoint (http://127.0.0.1:2379)');
  const out: string[] = [];
  for (const item of items) {
    const v = r.string(item);
    if (v === undefined) continue;
    const m = ENDPOINT.exec(v);
    if (!m || Number(m[3]) > 65535) r.report(item.node, item.path, `not an etcd client URL (http://HOST:PORT or https://HOST:PORT): ${JSON.stringify(v)}`);
    else out.push(v);
  }
  const schemes = new Set(out.map((e) => e.slice(0, e.indexOf(':'))));
  if (schemes.size > 1) r.report(f.node, f.path, 'mixes http:// and https:// endpoints');
  return out.length === items.length && items.length > 0 ? out : undefined;
}

function readTls(r: ConfigReader, f: Field): ClusterTls | undefined {
  const s = r.section(f, TLS_KEYS);
  if (!s) return undefined;
  const before = r.problems.length;
  const file = (k: (typeof TLS_KEYS)[number]): string | null => {
    const x = s.get(k);
    const v = x && r.string(x);
    if (x && v !== undefined && !v.startsWith('/')) r.report(x.node, x.path, `must be an absolute path: ${JSON.stringify(v)}`);
    return v ?? null;
  };
  const tls = { caFile: file('ca_file'), certFile: file('cert_file'), keyFile: file('key_file') };
  if ((tls.certFile === null) !== (tls.keyFile === null)) r.report(f.node, f.path, 'cert_file and key_file go together (a client certificate needs its key)');
  if (tls.caFile === null && tls.certFile === null) r.report(f.node, f.path, 'empty: give ca_file, or cert_file and key_file');
  return r.problems.length === before ? tls : undefined;
}

function readServiceAddresses(r: ConfigReader, f: Field | undefined): ClusterConfig['serviceAddresses'] | undefined {
  const entries = f && r.entries(f);
  if (!f || !entries) return undefined;
  if (entries.length === 0) r.report(f.node, f.path, 'at least one service address');
  const before = r.problems.length;
  const out: ClusterConfig['serviceAddresses'] = [];
  const seen = new Set<Ip6>();
  for (const [, field, keyNode] of entries) {
    const address = r.ip6({ node: keyNode, path: field.path });
    if (address === undefined) continue;
    if (seen.has(address)) r.report(keyNode, field.path, `${address} is listed twice`);
    seen.add(address);
    // `2001:db8:1::1:` with nothing below: the default preference.
    const section = r.describe(field) === 'null' ? new Map<string, Field>() : r.section(field, ['preference']);
    const pf = section?.get('preference');
    const preference = (pf && r.integer(pf, 0, 65535)) ?? 0;
    if (section) out.push({ address, preference });
  }
  return r.problems.length === before && out.length === entries.length && out.length > 0 ? out : undefined;
}

function readTimers(r: ConfigReader, f: Field | undefined): ClusterConfig['timers'] | undefined {
  if (!f) return { ...DEFAULT_CLUSTER_TIMERS };
  const s = r.section(f, TIMER_KEYS);
  if (!s) return undefined;
  const before = r.problems.length;
  const ttlField = s.get('lease_ttl');
  const marginField = s.get('step_down_margin_ms');
  const leaseTtlSeconds = (ttlField && r.seconds(ttlField, MIN_LEASE_TTL_SECONDS, 3600)) ?? DEFAULT_CLUSTER_TIMERS.leaseTtlSeconds;
  const stepDownMarginMs = (marginField && r.integer(marginField, 100, 600_000)) ?? DEFAULT_CLUSTER_TIMERS.stepDownMarginMs;
  // Keep-alives go every TTL/3; the active must still hold the address between two of them.
  if (r.problems.length === before && stepDownMarginMs > (leaseTtlSeconds * 1000) / 2) {
    const at = marginField ?? f;
    r.report(at.node, at.path, `step_down_margin_ms ${stepDownMarginMs} is above half the lease TTL (${leaseTtlSeconds} s)`);
  }
  return r.problems.length === before ? { leaseTtlSeconds, stepDownMarginMs } : undefined;
}

function readReplication(r: ConfigReader, f: Field | undefined): ClusterConfig['replication'] | undefined {
  if (!f) return { ...DEFAULT_REPLICATION };
  const s = r.section(f, REPLICATION_KEYS);
  if (!s) return undefined;
  const before = r.problems.length;
  const lagField = s.get('max_expiry_lag');
  const seqField = s.get('max_sequence_lag');
  const maxExpiryLagSeconds = (lagField && r.seconds(lagField, 0, 86400)) ?? DEFAULT_REPLICATION.maxExpiryLagSeconds;
  // Far below 2^15: the mobile node's next sequence number must still compare greater (RFC 6275 §9.5.1).
  const maxSequenceLag = (seqField && r.integer(seqField, 0, 1024)) ?? DEFAULT_REPLICATION.maxSequenceLag;
  const espField = s.get('esp_seq_margin');
  const espSeqMargin = (espField && r.integer(espField, 0, MAX_ESP_SEQ_MARGIN)) ?? DEFAULT_REPLICATION.espSeqMargin;
  if (espField && espSeqMargin === 1) r.report(espField.node, espField.path, '0 (off) or at least 2: the mark is written when half of it is left');
  return r.problems.length === before ? { maxExpiryLagSeconds, maxSequenceLag, espSeqMargin } : undefined;
}

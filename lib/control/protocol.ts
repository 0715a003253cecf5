// mcoad's control protocol: newline-delimited JSON over a Unix stream socket.
//
//   request   {"id":1,"cmd":"show-bindings","args":{"hoa":"2001:db8::1"}}
//   response  {"id":1,"ok":true,"result":[...]}
//             {"id":1,"ok":false,"error":{"code":"NOT_FOUND","message":"..."}}
//   event     {"event":{...}}         (after a successful "monitor" request)
//
// A connection may carry several requests; each response carries its request's id (null
// when the request was too broken to have one). This file also fixes the result shapes
// the daemon's handlers return and mcoactl prints.

import type { Ip6 } from '../inet/ip6.js';
import type { PrefixDiscoveryView } from '../proto/mn/prefix-discovery.js';

export const DEFAULT_SOCKET_PATH = '/run/mcoad/mcoad.sock';
/** Longest request line the daemon reads; a longer one closes the connection. */
export const MAX_REQUEST_BYTES = 64 * 1024;

export type RequestId = number | string;

export interface Request {
  id: RequestId;
  cmd: string;
  args?: Record<string, unknown>;
}

export interface ErrorBody {
  code: string;
  message: string;
}

export type Response =
  | { id: RequestId | null; ok: true; result: unknown }
  | { id: RequestId | null; ok: false; error: ErrorBody };

export interface EventLine {
  event: MonitorEvent;
}

/** Error codes of the protocol itself; handlers add their own (stable, upper case). */
export const ErrorCode = {
  BAD_JSON: 'BAD_JSON',
  BAD_REQUEST: 'BAD_REQUEST',
  UNKNOWN_COMMAND: 'UNKNOWN_COMMAND',
  LINE_TOO_LONG: 'LINE_TOO_LONG',
  TOO_MANY_CLIENTS: 'TOO_MANY_CLIENTS',
  MONITOR_TOO_SLOW: 'MONITOR_TOO_SLOW',
  /** Arguments of a known command are wrong (handlers throw it too). */
  BAD_ARGS: 'BAD_ARGS',
  /** del-binding matched nothing. */
  NOT_FOUND: 'NOT_FOUND',
  /** reload: the file has problems; message lists them, one per line. */
  CONFIG_INVALID: 'CONFIG_INVALID',
  /** A handler failed unexpectedly. */
  INTERNAL: 'INTERNAL',
} as const;

/** One binding cache entry as shown to operators. */
export interface BindingView {
  hoa: Ip6;
  /** 0 for a regular binding (registered without a BID sub-option). */
  bid: number;
  /** '' for a mobile node's list entry that has no care-of address yet. */
  coa: Ip6 | '';
  /** Set BU flags granted: any of 'H', 'R', 'L', 'K'. */
  flags: string[];
  /** Seconds until expiry (floored, never negative). */
  lifetimeLeftSeconds: number;
  /** Lifetime granted by the last accepted BU. */
  lifetimeSeconds: number;
  /** Sequence number of the BU that last created or refreshed the entry. */
  sequence: number;
  /** draft-04 §5.5 home binding (the node is on its home link). */
  homeBinding: boolean;
  mobileNetworkPrefixes: string[];
}

export interface StatsView {
  /** The daemon's version (package.json). */
  version: string;
  uptimeSeconds: number;
  bindings: number;
  homeAddresses: number;
  /** Counters by group, e.g. { bu: { received: 10, accepted: 9 }, kernel: { applies: 4 } }. */
  counters: Record<string, Record<string, number>>;
  /** Mobile node: the home agent in use (address null while DHAAD runs) and the discovered list. */
  homeAgent?: { address: string | null; discovered: boolean; candidates: string[]; switchedBy?: string };
}

export interface DelResult {
  removed: number;
}

export interface ReloadResult {
  /** Warnings of the new configuration (see DaemonConfig.warnings). */
  warnings: string[];
  /** Keys this reload changed and applied, with how (lib/daemon/service/reload-rules.ts). */
  applied?: { key: string; detail: string }[];
  /** Keys changed since the start that wait for the next restart, with why. */
  notApplied?: { key: string; detail: string }[];
}

export interface MonitorEvent {
  /** ISO 8601 wall-clock time of the change. */
  time: string;
  type: 'added' | 'updated' | 'removed';
  /** The core's ChangeReason ('registered', 'expired', ...) or 'operator' for mcoactl. */
  reason: string;
  binding: BindingView;
}

/** `show cluster` on a home agent in cluster mode (docs/cluster.md). */
export interface DrainResult {
  /** drain: the service addresses this node was active for and handed over; undrain: none. */
  handedOver: Ip6[];
  draining: boolean;
  /**
   * drain, shares: addresses no other live member lists; their mobile nodes got a Home Agent
   * Switch naming `targets`; `left` de-registered before the address was given up, `stayed` did not.
   */
  switched?: { address: Ip6; targets: Ip6[]; left: number; stayed: number }[];
}

export interface ClusterView {
  node: string;
  endpoints: string[];
  /** etcd answered the read behind this view (within a second). */
  etcdReachable: boolean;
  etcdError: string | null;
  /** etcd as this node's own round trips found it (lease keep-alives, writes, this view's read): since when (wall clock, ms). */
  etcd: { reachable: boolean; sinceMs: number | null; error: string | null };
  /** How long this node may still act on its lease (0: it holds none). */
  leaseRemainingMs: number;
  /** The store revision this node has applied up to, etcd's current one, and the difference. */
  revision: number;
  etcdRevision: number | null;
  lag: number | null;
  members: { node: string; preferences: Readonly<Record<string, number>>; drained?: true }[];
  /** `homeAddresses`: how many home addresses of this node's cache register with the address (shares). */
  services: { address: Ip6; role: 'active' | 'standby'; owner: string | null; draining: boolean; homeAddresses?: number }[];
  /** Compare-and-swap writes, refreshes not written (within the staleness bound), lost rounds. */
  store: { writes: number; skipped: number; conflicts: number };
  /** How the bindings arrived: full loads of every record, resumes from the revision saved in the journal, changes applied from the watch. */
  watch: { fullLoads: number; resumes: number; events: number };
}

/** `show prefixes` on a mobile node: what Mobile Prefix Discovery learned (RFC 6275 §11.4.3). */
export interface PrefixesView {
  homeAddress: Ip6;
  homeAgent: Ip6;
  /** The solicitation waiting for its advertisement. */
  outstandingIdentifier: number | null;
  nextSolicitInSeconds: number | null;
  lastAdvertisementSecondsAgo: number | null;
  prefixes: PrefixDiscoveryView['prefixes'];
}

import type { FlowView } from './flow-view.js';

/**
 * Arguments and result of each command mcoactl sends; the daemon registers these. mcoactl
 * canonicalises addresses before sending; the daemon checks them again (hoaArg), JSON being
 * untrusted input.
 */
export interface Commands {
  'show-bindings': { args: { hoa?: Ip6 }; result: BindingView[] };
  /** Home agent: RFC 6089 flow bindings (lib/control/flow-view.ts). */
  'show-flows': { args: { hoa?: Ip6 }; result: FlowView[] };
  'show-stats': { args: Record<string, never>; result: StatsView };
  /** The Prometheus text exposition (what GET /metrics serves), for node_exporter's textfile collector. */
  'show-metrics': { args: Record<string, never>; result: { contentType: string; text: string } };
  /** Mobile node: what Mobile Prefix Discovery learned (lib/daemon/mn/prefix-discovery.ts). */
  'show-prefixes': { args: Record<string, never>; result: PrefixesView | null };
  /** Home agent: cluster mode's members, roles and store revision; null when not in cluster mode. */
  'show-cluster': { args: Record<string, never>; result: ClusterView | null };
  /** Home agent in cluster mode: hand every service address to a standby and stop campaigning. */
  drain: { args: Record<string, never>; result: DrainResult };
  /** Undo drain: campaign again. */
  undrain: { args: Record<string, never>; result: DrainResult };
  'del-binding': { args: { hoa: Ip6; bid?: number }; result: DelResult };
  flush: { args: Record<string, never>; result: DelResult };
  reload: { args: Record<string, never>; result: ReloadResult };
  monitor: { args: Record<string, never>; result: { monitoring: true } };
}

export type CommandName = keyof Commands;

// Internal state of the mobile node core, shared by its modules (plan, send, ack, rr).
// Not exported from the package: the daemon sees BulView and actions only.
import type { Ip6Bytes } from '../../wire/types.js';
import { formatIp6, type Ip6 } from '../../inet/ip6.js';
import { BidAllocator } from './bids.js';
import type { CorrespondentRr } from './rr-state.js';
import { INITIAL_BINDACK_TIMEOUT_FIRST_REG_MS, INITIAL_BINDACK_TIMEOUT_MS } from './timing.js';
import type { ResolvedConfig } from './resolved-config.js';
import type { BindingAuthorization, BulView, LogAction, LogField, MnAction, MnDeps } from './types.js';

export interface IfaceState {
  name: string;
  /** The care-of address configured on it (ignored while atHome). */
  coa: Ip6Bytes | null;
  atHome: boolean;
  /** Disabled by this core under 'disable-home-interface'. */
  disabled: boolean;
  /** Operator asked not to register it. */
  suppressed: boolean;
}

export type Want = 'register' | 'deregister';

/** A Binding Update List entry: one per (peer, BID), or the peer's regular binding (bid null). */
export interface BulEntry {
  key: string;
  peerKey: Ip6;
  bid: number | null;
  iface: string | null;
  coa: Ip6Bytes | null;
  /** A home binding (H flag in the sub-option, care-of address = home address). */
  homeBinding: boolean;
  want: Want;
  /** A regular de-registration that removes every binding at the peer (§5.5). */
  flushAll: boolean;
  dirty: boolean;
  notBeforeMs: number;
  /** Timeout to use for the next transmission. */
  backoffMs: number;
  sentSeq: number | null;
  sentAtMs: number | null;
  /** Awaiting a BA until then. */
  retransmitAtMs: number | null;
  /** Last sequence number the peer accepted, from a status-135 BA. */
  seqFloor: number | null;
  registered: boolean;
  grantedLifetimeS: number | null;
  expiresAtMs: number | null;
  refreshAtMs: number | null;
  failedStatus: number | null;
  /** Transmissions since the last BA for this entry (RFC 6275 §11.4.1: a silent home agent is given up). */
  unansweredSends: number;
}

export interface SentBu {
  seq: number;
  entryKeys: string[];
  /** It carried BID sub-options. */
  mcoa: boolean;
  overwrite: boolean;
  auth: BindingAuthorization | null;
}

export interface PeerState {
  key: Ip6;
  address: Ip6Bytes;
  role: 'ha' | 'cn';
  useBids: boolean;
  useBulk: boolean;
  /** The next MCoA registration to the home agent carries the O flag. */
  overwriteNeeded: boolean;
  /** A correspondent gets a regular de-registration before MCoA registrations. */
  flushNeeded: boolean;
  lastSeq: number;
  sendTimesMs: number[];
  rateFreeAtMs: number | null;
  hasAcceptedBinding: boolean;
  /** A correspondent answered with Binding Error status 2: no route optimisation. */
  unsupported: boolean;
  removing: boolean;
  sent: Map<number, SentBu>;
}

export interface MnState {
  cfg: ResolvedConfig;
  deps: MnDeps;
  ifaces: Map<string, IfaceState>;
  bids: BidAllocator;
  peers: Map<Ip6, PeerState>;
  bul: Map<string, BulEntry>;
  rr: Map<Ip6, CorrespondentRr>;
  started: boolean;
  shutdown: boolean;
  homeAddressIn: Set<string>;
  /** Sequence number and send times of peers since removed: a re-added one continues from them. */
  retired: Map<string, { lastSeq: number; sendTimesMs: number[] }>;
  /** When the home address's valid lifetime ends, as Mobile Prefix Discovery learned it; null: not known or infinite. */
  homeAddressValidUntilMs: number | null;
  actions: MnAction[];
}

export function addrKey(a: Ip6Bytes): Ip6 {
  return formatIp6(a);
}

export function entryKey(peerKey: Ip6, bid: number | null): string {
  return `${peerKey}#${bid ?? 0}`;
}

export function entriesOf(st: MnState, peerKey: Ip6): BulEntry[] {
  const out: BulEntry[] = [];
  for (const e of st.bul.values()) if (e.peerKey === peerKey) out.push(e);
  return out.sort((a, b) => (a.bid ?? 0) - (b.bid ?? 0));
}

export function newPeer(address: Ip6Bytes, role: 'ha' | 'cn', st: { cfg: ResolvedConfig; deps: MnDeps }): PeerState {
  const r = st.deps.randomBytes(2);
  return {
    key: addrKey(address),
    address,
    role,
    useBids: st.cfg.multipleCoa,
    useBulk: role === 'ha' && st.cfg.bulk,
    overwriteNeeded: role === 'ha' && st.cfg.bootstrapOverwrite,
    flushNeeded: role === 'cn' && st.cfg.correspondentFlush,
    lastSeq: ((r[0] ?? 0) << 8) | (r[1] ?? 0),
    sendTimesMs: [],
    rateFreeAtMs: null,
    hasAcceptedBinding: false,
    unsupported: false,
    removing: false,
    sent: new Map(),
  };
}

export function newEntry(peerKey: Ip6, bid: number | null, want: Want): BulEntry {
  return {
    key: entryKey(peerKey, bid),
    peerKey,
    bid,
    iface: null,
    coa: null,
    homeBinding: false,
    want,
    flushAll: false,
    dirty: false,
    notBeforeMs: 0,
    backoffMs: INITIAL_BINDACK_TIMEOUT_MS,
    sentSeq: null,
    sentAtMs: null,
    retransmitAtMs: null,
    seqFloor: null,
    registered: false,
    grantedLifetimeS: null,
    expiresAtMs: null,
    refreshAtMs: null,
    failedStatus: null,
    unansweredSends: 0,
  };
}

/** Something may exist at the peer for this entry. */
export function isLive(e: BulEntry): boolean {
  return e.registered || e.sentSeq !== null;
}

export type DirtyReason = 'change' | 'retransmit' | 'refresh' | 'retry';

/**
 * Queue the entry for sending. Any reason but a retransmission starts the timeout over at
 * the initial value; a change waits `coalesceMs` so that nearby changes can share a BU.
 */
export function markDirty(st: MnState, e: BulEntry, reason: DirtyReason, nowMs: number): void {
  e.dirty = true;
  if (reason !== 'retransmit') {
    const peer = st.peers.get(e.peerKey);
    const firstHome =
      peer !== undefined && peer.role === 'ha' && !peer.hasAcceptedBinding && e.want === 'register';
    e.backoffMs = firstHome ? INITIAL_BINDACK_TIMEOUT_FIRST_REG_MS : INITIAL_BINDACK_TIMEOUT_MS;
  }
  e.notBeforeMs = reason === 'change' ? nowMs + st.cfg.coalesceMs : nowMs;
}

export function log(
  st: MnState,
  level: LogAction['level'],
  event: string,
  fields: Record<string, LogField> = {},
): void {
  st.actions.push({ kind: 'log', level, event, fields });
}

export function viewOf(st: MnState, e: BulEntry): BulView {
  const peer = st.peers.get(e.peerKey);
  let state: BulView['state'];
  if (e.failedStatus !== null) state = 'failed';
  else if (e.want === 'deregister') state = 'deregistering';
  else if (e.registered) state = 'registered';
  else state = 'pending';
  return {
    peer: e.peerKey,
    role: peer?.role ?? 'cn',
    bid: e.bid,
    iface: e.iface,
    careOf: e.coa === null ? null : formatIp6(e.coa),
    homeBinding: e.homeBinding,
    state,
    sequence: e.sentSeq,
    lifetimeSeconds: e.grantedLifetimeS,
    expiresAtMs: e.expiresAtMs,
    failedStatus: e.failedStatus,
    unansweredSends: e.unansweredSends,
  };
}

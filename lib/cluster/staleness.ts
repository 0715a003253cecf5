// When a home address's record must be written, and how long a reader may keep what it reads.
//
// A binding's creation, move (CoA), removal, flags or prefixes, a home address's move to
// another service address (shares), and any change of its RFC 6089 flow bindings are always
// written. A refresh
// that changes nothing but the lifetime and the sequence number is written only when the
// stored copy would otherwise lag by more than the bounds:
//   expiry:   true expiry - stored expiry <= L  (L = replication.max_expiry_lag)
//   sequence: true last sequence - stored (mod 2^16) <= S  (S = replication.max_sequence_lag)
// A lifetime that gets shorter is always written, so the stored expiry never runs more than L
// ahead of the true one either.
//
// Why this is safe after a failover (RFC 6275 §9.5.1). The new active starts from the stored
// record. (1) Sequence: the stored number is one the home agent accepted, at most S behind the
// last one; the mobile node's next BU carries a number greater than the last one it sent, so it
// is greater (mod 2^16, within 2^15) than the stored one and is accepted, as long as S < 2^15
// (the reader caps S at 1024). Only BUs with numbers in (stored, true] could be replayed, and
// such a BU carries the same CoAs and flags as the stored record (a change is always written):
// a replay can refresh a binding, not move it. (2) Lifetime: the new active keeps each binding
// until stored expiry + L (holdUntil), never before the true expiry the mobile node was told
// in its last BA: the node is not cut off before it refreshes. It may keep a binding at most
// L after the true expiry; a de-registration (lifetime 0) is a removal and always written.
// Wall clocks: the bounds hold as stated when the nodes' clocks agree; a skew adds to L.
import type { StoredBinding } from '../store/records.js';
import type { BindingRecord } from './binding-record.js';
import type { StoredFlow } from '../store/flow-records.js';

export interface StalenessBounds {
  expiryLagMs: number;
  sequenceLag: number;
}

/** Sequence number a minus b in the 16-bit circular space of RFC 6275 §9.5.1 (-32768..32767). */
export function sequenceDiff(a: number, b: number): number {
  return ((((a - b) & 0xffff) + 0x8000) & 0xffff) - 0x8000;
}

/** What identifies a binding apart from its lifetime and sequence number. */
function shape(b: StoredBinding): string {
  const f = b.flags;
  return [b.bid, b.coa, f.homeRegistration, f.r, f.l, f.k, b.homeBinding, [...b.mobileNetworkPrefixes].sort().join(',')].join('|');
}

/**
 * Why `next` must be written over `stored` (null: absent), or null when the stored copy stays
 * within the bounds. `next` with no bindings is a removal.
 */
export function writeReason(
  stored: BindingRecord | null,
  next: { sequence: number; bindings: readonly StoredBinding[]; flows?: readonly StoredFlow[]; serviceAddress?: string },
  bounds: StalenessBounds,
): string | null {
  if (!stored) return next.bindings.length > 0 ? 'created' : null;
  if (next.bindings.length === 0) return 'removed';
  // Shares: a home address that now registers with another service address (its tunnels and its server move).
  if (stored.serviceAddress !== next.serviceAddress) return 'service address changed';
  if (stored.expiryLagMs !== bounds.expiryLagMs || stored.sequenceLag !== bounds.sequenceLag) return 'bounds changed';
  if (!sameStoredFlows(stored.flows, next.flows)) return 'flows changed';
  const old = new Map(stored.bindings.map((b) => [b.bid, b]));
  if (old.size !== next.bindings.length) return 'bindings added or removed';
  for (const b of next.bindings) {
    const s = old.get(b.bid);
    if (!s || shape(s) !== shape(b)) return `BID ${b.bid} changed`;
    if (b.expiresAtWallMs < s.expiresAtWallMs) return `BID ${b.bid} lifetime shortened`;
    if (b.expiresAtWallMs - s.expiresAtWallMs > bounds.expiryLagMs) return `BID ${b.bid} expiry lag above ${bounds.expiryLagMs} ms`;
    if (sequenceDiff(b.lastSequence, s.lastSequence) > bounds.sequenceLag) return `BID ${b.bid} sequence lag above ${bounds.sequenceLag}`;
  }
  if (sequenceDiff(next.sequence, stored.sequence) > bounds.sequenceLag) return `sequence lag above ${bounds.sequenceLag}`;
  if (sequenceDiff(next.sequence, stored.sequence) < 0) return 'sequence went back';
  return null;
}

/** Whether two stored flow lists (absent: none) hold the same flows, in any order. */
export function sameStoredFlows(a: readonly StoredFlow[] | undefined, b: readonly StoredFlow[] | undefined): boolean {
  return flowsText(a) === flowsText(b);
}

/** A flow list in one canonical text (by FID; selector fields in name order): equal lists, equal text. */
function flowsText(flows: readonly StoredFlow[] | undefined): string {
  const sorted = [...(flows ?? [])].sort((a, b) => a.fid - b.fid);
  return JSON.stringify(sorted.map((f) => [f.fid, f.priority, f.action, f.bids, Object.entries(f.selector).sort(([a], [b]) => (a < b ? -1 : 1))]));
}

/** Until when a reader (a standby, the next active) keeps a stored binding: never before its true expiry. */
export function holdUntilWallMs(record: BindingRecord, b: StoredBinding): number {
  return b.expiresAtWallMs + record.expiryLagMs;
}

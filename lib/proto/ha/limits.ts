// The home agent's resource caps (issue 12): how many bindings in all and per home
// address, how many home addresses may wait for DAD, how many successful BAs may be held
// for DAD results. A Binding Update that would pass a cap gets 130 (RFC 6275 §6.1.8:
// insufficient resources); one that keeps or lowers the counts is never refused, so a
// cap lowered by a reload does not stop existing nodes from refreshing. Pure: counts in,
// the cap hit (or none) out.

export interface HomeAgentLimits {
  maxBindings: number;
  maxBindingsPerHomeAddress: number;
  /** Home addresses whose DAD is running. */
  maxPendingDad: number;
  /** Successful BAs held until their home address's DAD ends. */
  maxHeldAcks: number;
  /** Binding Updates whose journal commit has not resolved yet (read by the daemon, store/backlog.ts). */
  maxJournalBacklog: number;
}

/**
 * Binding Updates waiting for their journal commit (store/backlog.ts), both roles: 4096 is
 * a few milliseconds of a busy intake on a healthy disk (a commit takes about 1 ms, see
 * mcoa_journal_commit_seconds) and a few MB of queued records and BAs.
 */
export const DEFAULT_MAX_JOURNAL_BACKLOG = 4096;

/**
 * Defaults: 100,000 bindings (about 45 MB of core state, bench/core.ts measures 441 B
 * each); 16 per home address (draft-04 lets a node name 65,535 BIDs); 4,096 DADs at once
 * and as many held BAs. Each DAD is a second of Neighbour Solicitations on the home link
 * and a timer, a held BA a few hundred bytes; with 256 a registration storm (every node
 * registering at once after an outage) was capped near 256 first registrations a second
 * and the rest refused with a final 130 (bench:scale storm: 1,285 of 2,000 refused).
 */
export const DEFAULT_LIMITS: Readonly<HomeAgentLimits> = Object.freeze({
  maxBindings: 100_000,
  maxBindingsPerHomeAddress: 16,
  maxPendingDad: 4096,
  maxHeldAcks: 4096,
  maxJournalBacklog: DEFAULT_MAX_JOURNAL_BACKLOG,
});

export type LimitName = 'bindings' | 'bindings-per-home-address' | 'pending-dad' | 'held-acks';

/** What the cache holds now. */
export interface LimitCounts {
  bindings: number;
  /** Bindings of the BU's home address. */
  bindingsOfHoa: number;
  pendingDad: number;
  heldAcks: number;
}

/** What the Binding Update would leave behind. */
export interface LimitRequest {
  /** Bindings of its home address after it. */
  bindingsOfHoaAfter: number;
  /** It starts a DAD (the first binding of a home address). */
  startsDad: boolean;
  /** Its BA would be held for a DAD result, where none is held for this home address yet. */
  holdsAck: boolean;
}

/** The cap this Binding Update would pass, or null. */
export function limitHit(c: LimitCounts, req: LimitRequest, limits: HomeAgentLimits): LimitName | null {
  const growth = req.bindingsOfHoaAfter - c.bindingsOfHoa;
  if (growth > 0 && c.bindings + growth > limits.maxBindings) return 'bindings';
  if (growth > 0 && req.bindingsOfHoaAfter > limits.maxBindingsPerHomeAddress) return 'bindings-per-home-address';
  if (req.startsDad && c.pendingDad >= limits.maxPendingDad) return 'pending-dad';
  if (req.holdsAck && c.heldAcks >= limits.maxHeldAcks) return 'held-acks';
  return null;
}

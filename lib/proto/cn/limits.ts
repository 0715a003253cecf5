// The correspondent node's resource caps (issue 12). Anyone who passes return routability
// (an address pair it can receive at) creates a binding-cache entry and its XFRM objects,
// so the cache needs a cap as the home agent's has. A Binding Update that would add a
// binding past it is answered 130 (RFC 6275 §6.1.8: insufficient resources); a refresh,
// a move or a de-registration adds nothing and is never refused, so a cap lowered by a
// reload keeps every existing binding. Pure: counts in, the cap hit (or none) out.
import { DEFAULT_MAX_JOURNAL_BACKLOG } from '../ha/limits.js';

export interface CorrespondentLimits {
  maxBindings: number;
  /** Binding Updates whose journal commit has not resolved yet (read by the daemon, store/backlog.ts). */
  maxJournalBacklog: number;
}

/**
 * 100,000 bindings, as at the home agent: about 45 MB of core state (bench/core.ts) plus
 * one XFRM state and policy pair each in the kernel.
 */
export const DEFAULT_CN_LIMITS: Readonly<CorrespondentLimits> = Object.freeze({
  maxBindings: 100_000,
  maxJournalBacklog: DEFAULT_MAX_JOURNAL_BACKLOG,
});

/** True when a BU adding `growth` bindings to a cache of `bindings` would pass the cap. */
export function correspondentCapHit(bindings: number, growth: number, limits: CorrespondentLimits): boolean {
  return growth > 0 && bindings + growth > limits.maxBindings;
}

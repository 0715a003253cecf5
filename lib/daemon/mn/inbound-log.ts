// The mobile node core's log lines that anyone can cause by sending a message (issue 12):
// a Binding Refresh Request from an address that is no peer, a BA from a peer's address
// whose authenticator does not match, a refresh request or Binding Error with a peer's
// spoofed source. The core keeps no state for them (inbound.ts and ba-handling.ts only
// look up peers they already have), but a flood must not flood the log either: these lines
// share one rate limit, and the count of those left out is on the next line written.
import { RateLimit } from '../counters.js';

const TRIGGERED_BY_INPUT: ReadonlySet<string> = new Set([
  'refreshRequestFromUnknownPeer',
  'refreshRequested',
  'bindingAckNotAuthentic',
  'bindingAckFromUnknownPeer',
  'bindingAckUnmatched',
  'bindingUnknownAtPeer',
  'homeTestUnmatched',
  'careOfTestUnmatched',
]);

export class InboundLogLimit {
  private readonly rate = new RateLimit(10);

  /** Whether a log line for `event` may be written now; lines about the node's own state always may. */
  allow(event: string, nowMs: number): boolean {
    return !TRIGGERED_BY_INPUT.has(event) || this.rate.allow(nowMs);
  }

  /** Lines left out since the last call (reset by reading). */
  takeSuppressed(): number {
    const n = this.rate.suppressed;
    this.rate.suppressed = 0;
    return n;
  }
}

// The rate limit for log lines about bad input, and the counting of the Mobility Header
// socket's failed receives. The counters themselves are declared in metrics/catalog.ts.
import type { Logger } from 'pino';
import type { Metrics } from './metrics/metrics.js';
import type { MhPort } from './service/host.js';
/** Allows `perSecond` events a second and counts the rest, for log lines about bad input. */
export class RateLimit {
  private windowStart = 0;
  private used = 0;
  suppressed = 0;

  constructor(private readonly perSecond: number) {}

  allow(nowMs: number): boolean {
    if (nowMs - this.windowStart >= 1000) {
      this.windowStart = nowMs;
      this.used = 0;
    }
    if (this.used < this.perSecond) {
      this.used++;
      return true;
    }
    this.suppressed++;
    return false;
  }
}

/** Counts the Mobility Header socket's failed receives by reason; logs them at debug, rate-limited. */
export function countReceiveErrors(mh: MhPort, counters: Metrics, log: Logger, limit: RateLimit, now: () => number): void {
  mh.on('receiveError', (e) => {
    counters.inc('mh_receive_errors', { reason: e.reason });
    if (limit.allow(now())) log.debug({ reason: e.reason, code: e.code }, `mh receive error: ${e.message}`);
  });
}

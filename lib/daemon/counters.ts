// Counters shown by `mcoactl show stats`: plain numbers in groups, no timers, no sampling.
import type { Logger } from 'pino';
import type { MhPort } from './service/host.js';
export class Counters {
  private readonly groups = new Map<string, Map<string, number>>();

  inc(group: string, name: string, n = 1): void {
    let g = this.groups.get(group);
    if (!g) this.groups.set(group, (g = new Map()));
    g.set(name, (g.get(name) ?? 0) + n);
  }

  get(group: string, name: string): number {
    return this.groups.get(group)?.get(name) ?? 0;
  }

  snapshot(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [g, m] of this.groups) out[g] = Object.fromEntries(m);
    return out;
  }
}

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
export function countReceiveErrors(mh: MhPort, counters: Counters, log: Logger, limit: RateLimit, now: () => number): void {
  mh.on('receiveError', (e) => {
    counters.inc('mh', `receive-error-${e.reason}`);
    if (limit.allow(now())) log.debug({ reason: e.reason, code: e.code }, `mh receive error: ${e.message}`);
  });
}

// A Binding Update answered 130 by a configured cap (proto/ha/limits.ts, proto/cn/limits.ts),
// as both binding-cache roles report it: counted by cap, and logged at most as often as
// `rate` allows, with how many were left out (hostile input must not flood the log).
import type { Logger } from 'pino';
import type { LimitName } from '../proto/ha/limits.js';
import type { RateLimit } from './counters.js';
import type { Metrics } from './metrics/metrics.js';

export function noteLimitRefusal(d: { counters: Metrics; log: Logger }, rate: RateLimit, limit: LimitName, hoa: string | undefined, nowMs: number): void {
  d.counters.inc('limit_refusals', { limit });
  if (!rate.allow(nowMs)) return;
  const suppressed = rate.suppressed;
  rate.suppressed = 0;
  d.log.warn({ hoa, limit, suppressed }, `binding update refused with 130 (insufficient resources): limit ${limit} reached`);
}

// What a reload changes in a running correspondent: its caps (limits:, issue 12). The shell
// sets the log level and names the keys that wait for a restart (service/reload-rules.ts);
// the core keeps its cache, nonces and Kcn, and takes the new caps for the next BU.
import type { CorrespondentDaemonConfig } from '../../config/correspondent-section.js';
import { DEFAULT_CN_LIMITS } from '../../proto/cn/limits.js';
import type { CorrespondentDaemon } from './daemon.js';

/** Applies what of `next` can change live; returns its warnings. */
export function applyCorrespondentReload(d: CorrespondentDaemon, next: CorrespondentDaemonConfig): string[] {
  const limits = next.correspondent.core.limits ?? DEFAULT_CN_LIMITS;
  d.cn.limits = limits;
  d.log.info({ bindings: d.cn.cache.size, maxBindings: limits.maxBindings, maxJournalBacklog: limits.maxJournalBacklog }, 'configuration reloaded');
  return [...next.warnings];
}

// When a mobile node that discovered its home agent (`home_agent: auto`, RFC 6275 §11.4.1)
// gives it up for the next address of the DHAAD Reply. Pure: the home entries of the Binding
// Update List, the time, and when the node last had a registration there.
//
// - A refusal (a BA with a rejecting status) moves on at once.
// - A home agent that stopped answering: a Binding Update (a refresh, or a first
//   registration) sent MAX_HA_CONSECUTIVE_RESENDS + 1 times without any BA. With the
//   doubling BA timeout that is about 31 s after the first unanswered BU, instead of waiting
//   for the registered binding's lifetime to run out. UMIP's mobile node gives up a home
//   agent after the same number (its MnMaxHaConsecutiveResends, default 5).
// - No registration for REGISTRATION_TIMEOUT_MS since the last one (or since the choice).
import type { BulView } from './types.js';

export const MAX_HA_CONSECUTIVE_RESENDS = 5;
/** How long a home agent may leave every home registration unregistered before the next is tried. */
export const REGISTRATION_TIMEOUT_MS = 20_000;

export type FailoverVerdict = { move: false; registered: boolean } | { move: true; why: string };

export function homeAgentVerdict(home: readonly BulView[], nowMs: number, lastRegisteredMs: number): FailoverVerdict {
  const refused = home.find((e) => e.state === 'failed');
  if (refused) return { move: true, why: `refused with status ${refused.failedStatus ?? '?'}` };
  const silent = home.find((e) => e.state !== 'deregistering' && (e.unansweredSends ?? 0) > MAX_HA_CONSECUTIVE_RESENDS);
  if (silent) return { move: true, why: `${silent.unansweredSends} binding updates unanswered` };
  const registered = home.some((e) => e.state === 'registered');
  if (!registered && nowMs - lastRegisteredMs >= REGISTRATION_TIMEOUT_MS) return { move: true, why: 'no registration' };
  return { move: false, registered };
}

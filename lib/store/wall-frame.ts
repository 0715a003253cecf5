// The journal keeps wall-clock times (they must mean something after a restart), the
// daemon's protocol timing runs on a monotonic clock (a wall-clock step must neither expire
// every binding nor extend any). Between the two is one offset, the journal's frame:
// journal time = monotonic time + offset. Pure: clock readings in, decisions out.
//
// - At load the frame is the wall clock, unless the wall clock is behind the newest
//   record in the journal (a router without RTC boots in 1970): the journal's own newest
//   time is then the best lower bound of the real time, so nothing looks decades old
//   (expired) and no binding gets more than it had left when it was written.
// - While running, a forward step of the wall clock (NTP setting the time at boot) moves
//   the frame forward and every binding is written again in it, so the journal matches
//   the wall clock a restart will read. A backward step leaves the frame where it is:
//   journal time never goes back (a restart takes the newest record as its lower bound).
import type { LoadedState } from './live-state.js';

/** Wall-clock steps smaller than this are drift, not steps (NTP slews those). */
export const WALL_STEP_MS = 2000;

export interface LoadFrame {
  /** Journal time minus the monotonic clock. */
  offsetMs: number;
  /** The frame's "now": what loaded expiries are compared with. */
  frameNowMs: number;
  /** How far the wall clock is behind the journal's newest record (0: not behind). */
  wallBehindMs: number;
}

/** The frame to load `loaded` in, given both clocks read once. */
export function loadFrame(loaded: Pick<LoadedState, 'bindings'>, wallNowMs: number, monoNowMs: number): LoadFrame {
  let newest = -Infinity;
  for (const b of loaded.bindings) newest = Math.max(newest, b.registeredAtWallMs);
  const behind = newest - wallNowMs;
  const frameNowMs = behind > WALL_STEP_MS ? newest : wallNowMs;
  return { offsetMs: frameNowMs - monoNowMs, frameNowMs, wallBehindMs: behind > WALL_STEP_MS ? behind : 0 };
}

export type FrameCheck =
  | { kind: 'same' }
  /** The wall clock jumped ahead of the frame: the frame follows, bindings are written again. */
  | { kind: 'forward'; offsetMs: number; stepMs: number }
  /** The wall clock went back behind the frame: the frame stays. */
  | { kind: 'back'; stepMs: number };

/** Compares the wall clock with the frame `offsetMs`. */
export function checkFrame(offsetMs: number, wallNowMs: number, monoNowMs: number): FrameCheck {
  const wallOffset = wallNowMs - monoNowMs;
  const step = wallOffset - offsetMs;
  if (step > WALL_STEP_MS) return { kind: 'forward', offsetMs: wallOffset, stepMs: step };
  if (step < -WALL_STEP_MS) return { kind: 'back', stepMs: -step };
  return { kind: 'same' };
}

// One timer at an absolute time on the daemon's clock. Arming it for a later time keeps a
// timer already set to fire sooner (every setTimeout reads the clock, a system call in
// user-mode Linux, and a Binding Update arms this timer each time); an early firing, like a
// deadline beyond setTimeout's range, finds nothing due and the owner arms it again.
import { MAX_TIMER_MS, type Clock, type TimerHandle } from './host.js';

export class DueTimer {
  private handle: TimerHandle | undefined;
  /** When the armed timer fires (clock time). */
  private handleDueMs = 0;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly fire: () => void,
  ) {}

  /** Fires at `dueMs` (at once if past); null: not at all. */
  at(dueMs: number | null): void {
    if (dueMs !== null && this.handle !== undefined && this.handleDueMs <= dueMs) return;
    this.cancel();
    if (dueMs === null || this.stopped) return;
    const now = this.clock.now();
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, dueMs - now));
    this.handleDueMs = now + delay;
    this.handle = this.clock.setTimeout(() => {
      this.handle = undefined;
      if (!this.stopped) this.fire();
    }, delay);
  }

  cancel(): void {
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
    this.handle = undefined;
  }

  /** Cancels and never fires again. */
  stop(): void {
    this.stopped = true;
    this.cancel();
  }
}

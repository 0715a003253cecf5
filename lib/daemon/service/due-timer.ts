// One timer at an absolute time on the daemon's clock; arming it again replaces it. A
// deadline beyond setTimeout's range fires early, and the owner, finding nothing due,
// arms it again.
import { MAX_TIMER_MS, type Clock, type TimerHandle } from './host.js';

export class DueTimer {
  private handle: TimerHandle | undefined;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly fire: () => void,
  ) {}

  /** Fires at `dueMs` (at once if past); null: not at all. */
  at(dueMs: number | null): void {
    this.cancel();
    if (dueMs === null || this.stopped) return;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, dueMs - this.clock.now()));
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

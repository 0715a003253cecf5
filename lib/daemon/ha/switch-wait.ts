// RFC 5142 §6.1: a mobile node answers a Home Agent Switch with a Binding Update to the home
// agent that sent it (its de-registration there), then registers with an address named. So a
// drained node keeps serving the address until each switched home address has left it (its
// de-registration answered, its bindings expired, or its record moved to another service
// address), sends the switch again to those that have not, and only then resigns. The wait is
// bounded: a mobile node that never answers cannot hold a drain. One timer per drained
// address, not per home address.
import type { Ip6 } from '../../inet/ip6.js';
import type { Clock, TimerHandle } from '../service/host.js';

export interface SwitchSchedule {
  /** Gaps before each resend of the switch to the home addresses still here. */
  resendMs: readonly number[];
  /** After the last resend, how long before giving up on the rest. */
  giveUpMs: number;
}

/** 1 s, then 2 s (RFC 6275's initial BA timeout, doubled), then 2 s more: 5 s at most. */
export const SWITCH_SCHEDULE: SwitchSchedule = { resendMs: [1000, 2000], giveUpMs: 2000 };

export interface SwitchWaitPort {
  /** True while `hoa` still has a binding registered with the drained address here. */
  stillHere(hoa: Ip6): boolean;
  /** Sends the switch again to these home addresses. */
  resend(hoas: Ip6[]): void;
  clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
}

export interface SwitchWaitOutcome {
  /** Home addresses no longer registered with the address here. */
  left: Ip6[];
  /** Home addresses still registered when the wait gave up (or was cancelled). */
  stayed: Ip6[];
  resends: number;
}

export class SwitchWait {
  private readonly pending = new Set<Ip6>();
  private timer: TimerHandle | null = null;
  private resends = 0;
  private finished = false;
  private settle!: (o: SwitchWaitOutcome) => void;
  readonly done: Promise<SwitchWaitOutcome>;

  constructor(
    private readonly hoas: readonly Ip6[],
    private readonly port: SwitchWaitPort,
    private readonly schedule: SwitchSchedule = SWITCH_SCHEDULE,
  ) {
    this.done = new Promise((resolve) => (this.settle = resolve));
    for (const h of hoas) if (port.stillHere(h)) this.pending.add(h);
    if (this.pending.size === 0) this.finish();
    else this.arm();
  }

  /** After these home addresses changed here (a BA sent for them): those that left are done. */
  changed(hoas: Iterable<Ip6>): void {
    if (this.finished) return;
    for (const h of hoas) if (this.pending.has(h) && !this.port.stillHere(h)) this.pending.delete(h);
    if (this.pending.size === 0) this.finish();
  }

  /** The daemon stops: no more resends; the outcome names who stayed. */
  cancel(): void {
    this.finish();
  }

  private arm(): void {
    const gap = this.schedule.resendMs[this.resends] ?? this.schedule.giveUpMs;
    this.timer = this.port.clock.setTimeout(() => this.tick(), gap);
  }

  private tick(): void {
    this.timer = null;
    // Expiries and moved records leave no BA behind: look at every one still waited for.
    this.changed([...this.pending]);
    if (this.finished) return;
    if (this.resends >= this.schedule.resendMs.length) return this.finish();
    this.resends++;
    this.port.resend([...this.pending]);
    this.arm();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer) this.port.clock.clearTimeout(this.timer);
    this.timer = null;
    const stayed = [...this.pending];
    this.settle({ left: this.hoas.filter((h) => !this.pending.has(h)), stayed, resends: this.resends });
  }
}

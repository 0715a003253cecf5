// A DesiredSink for the incremental planners' tests: the desired set it ends up holding
// per kind, and every put in order ('set kind key' / 'clear kind key').
import type { DesiredSink } from '../../../lib/plan/ha/desired-index.js';

export class RecordingSink implements DesiredSink {
  readonly desired = new Map<string, Map<string, unknown>>();
  readonly puts: string[] = [];

  put(kind: string, key: string, desired: unknown): void {
    this.puts.push(`${desired === undefined ? 'clear' : 'set'} ${kind} ${key}`);
    const m = this.desired.get(kind) ?? new Map<string, unknown>();
    if (desired === undefined) m.delete(key);
    else m.set(key, desired);
    this.desired.set(kind, m);
  }

  get(kind: string, key: string): unknown {
    return this.desired.get(kind)?.get(key);
  }

  keys(kind: string): string[] {
    return [...(this.desired.get(kind)?.keys() ?? [])].sort();
  }

  /** The puts since the last call. */
  take(): string[] {
    return this.puts.splice(0);
  }
}

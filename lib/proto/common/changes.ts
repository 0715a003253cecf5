// Cache mutations that record themselves as events, so every processing path reports the
// same way what it changed.
import type { Ip6 } from '../../inet/ip6.js';
import type { Binding } from './binding.js';
import type { BindingCache } from './cache.js';
import type { CacheEvent, ChangeReason } from './outcome.js';

export class ChangeSet {
  readonly events: CacheEvent[] = [];

  constructor(private readonly cache: BindingCache) {}

  /** Adds or replaces; `reason` names an add, `updateReason` (default 'refreshed') an update. */
  put(b: Binding, reason: ChangeReason, updateReason: ChangeReason = 'refreshed'): void {
    const previous = this.cache.put(b);
    if (previous) this.events.push({ type: 'updated', binding: b, previous, reason: updateReason });
    else this.events.push({ type: 'added', binding: b, reason });
  }

  remove(hoa: Ip6, bid: number, reason: ChangeReason): boolean {
    const b = this.cache.remove(hoa, bid);
    if (b) this.events.push({ type: 'removed', binding: b, reason });
    return b !== undefined;
  }

  removeAll(hoa: Ip6, reason: ChangeReason): number {
    const removed = this.cache.removeAll(hoa);
    for (const b of removed) this.events.push({ type: 'removed', binding: b, reason });
    return removed.length;
  }
}

// Between the protocol core and the store: the records that persist a change set, and
// putting loaded bindings back into a BindingCache.
import type { Ip6 } from '../inet/ip6.js';
import type { BindingCache } from '../proto/common/cache.js';
import type { CacheEvent } from '../proto/common/outcome.js';
import type { LoadedState } from './live-state.js';
import { bindingFromStored, delRecord, putRecord, seqRecord, storedFromBinding, type StoreRecord } from './records.js';

/**
 * Records for the core's cache events (none for one that kept the same binding), followed by the current sequence number of every
 * home address they touched (and of `hoa`, the BU's home address, when given), read from
 * the cache after the core processed the BU.
 */
export function recordsForEvents(events: readonly CacheEvent[], cache: BindingCache, wallOffsetMs: number, hoa?: Ip6): StoreRecord[] {
  const out: StoreRecord[] = [];
  const touched = new Set<Ip6>(hoa === undefined ? [] : [hoa]);
  for (const e of events) {
    const b = e.binding;
    // An event that left the binding as it was (the end of its DAD) changes nothing stored.
    if (e.type === 'updated' && e.previous === b) continue;
    out.push(e.type === 'removed' ? delRecord(b.hoa, b.bid) : putRecord(storedFromBinding(b, wallOffsetMs)));
    touched.add(b.hoa);
  }
  for (const h of touched) {
    const seq = cache.lastSequence(h);
    if (seq !== undefined) out.push(seqRecord(h, seq));
  }
  return out;
}

/**
 * Puts loaded bindings into an empty cache in their arrival order, then their sequence
 * numbers. Refresh scheduling and desired kernel state are the caller's (HomeAgent's) job.
 */
export function restoreInto(cache: BindingCache, loaded: LoadedState, wallOffsetMs: number): void {
  for (const s of loaded.bindings) cache.put(bindingFromStored(s, wallOffsetMs));
  for (const [hoa, seq] of loaded.sequences) cache.setLastSequence(hoa, seq);
}

// The binding cache of a home agent or correspondent node, keyed by (home address, BID).
//
// Sequence numbers: one last-accepted sequence per home address, shared by all its
// bindings and by a bulk registration. RFC 6275 §9.5.1 compares a BU's sequence with "the
// previous valid Binding Update for this home address", and draft-04 §5.4 says a bulk BU
// carries one sequence for all its bindings (the largest of the mobile node's list), which
// only works if the receiver keeps one number per home address. The number lives as long
// as the home address has bindings: §9.5.1 says a node with no entry for the home address
// accepts any sequence.
//
// Expiry: one lazy min-heap ordered by expiry time holds every binding; replaced or removed
// entries stay in it until they surface and are skipped (see heap.ts).
import type { Ip6 } from '../../inet/ip6.js';
import { LazyMinHeap } from './heap.js';
import type { Binding } from './binding.js';

export interface HoaRecord {
  readonly hoa: Ip6;
  /** In arrival order; a handful at most, so lookups scan. */
  readonly bindings: Binding[];
  lastSequence: number;
  /** A home agent is running DAD for this home address (§6.3, RFC 6275 §10.3.1). */
  dadPending: boolean;
  /**
   * Cluster shares: the home agent address the home address registers with (its BUs' destination);
   * its tunnels start there and only the node active for it serves the home address. Absent: the
   * configured home agent address.
   */
  serviceAddress?: Ip6;
}

export class BindingCache {
  private readonly records = new Map<Ip6, HoaRecord>();
  private count = 0;
  /** Home addresses with dadPending set. */
  private dadPending = 0;
  private readonly expiry = new LazyMinHeap<Binding>(
    (b) => b.expiresAtMs,
    (b) => this.isCurrent(b),
  );

  /** Number of bindings. */
  get size(): number {
    return this.count;
  }

  get homeAddressCount(): number {
    return this.records.size;
  }

  /** Home addresses whose DAD is running. */
  get dadPendingCount(): number {
    return this.dadPending;
  }

  /** True when `b` is the entry the cache holds for its (hoa, bid). */
  isCurrent(b: Binding): boolean {
    const r = this.records.get(b.hoa);
    if (!r) return false;
    for (const x of r.bindings) if (x === b) return true;
    return false;
  }

  record(hoa: Ip6): Readonly<HoaRecord> | undefined {
    return this.records.get(hoa);
  }

  bindingsOf(hoa: Ip6): readonly Binding[] {
    return this.records.get(hoa)?.bindings ?? [];
  }

  lookupExact(hoa: Ip6, bid: number): Binding | undefined {
    const r = this.records.get(hoa);
    if (!r) return undefined;
    for (const b of r.bindings) if (b.bid === bid) return b;
    return undefined;
  }

  /**
   * draft-04 §6.1: search with (home address, BID) when the BID is known, else (or when no
   * such entry exists) with the home address alone; the first entry found is returned.
   */
  lookup(hoa: Ip6, bid?: number): Binding | undefined {
    const r = this.records.get(hoa);
    if (!r) return undefined;
    if (bid !== undefined) {
      for (const b of r.bindings) if (b.bid === bid) return b;
    }
    return r.bindings[0];
  }

  lastSequence(hoa: Ip6): number | undefined {
    return this.records.get(hoa)?.lastSequence;
  }

  /** Records the last accepted sequence; a home address without bindings keeps none. */
  setLastSequence(hoa: Ip6, sequence: number): void {
    const r = this.records.get(hoa);
    if (r) r.lastSequence = sequence;
  }

  /** Cluster shares: the service address `hoa` registers with (kept while it has bindings). */
  setServiceAddress(hoa: Ip6, address: Ip6 | undefined): void {
    const r = this.records.get(hoa);
    if (!r) return;
    if (address === undefined) delete r.serviceAddress;
    else r.serviceAddress = address;
  }

  isDadPending(hoa: Ip6): boolean {
    return this.records.get(hoa)?.dadPending ?? false;
  }

  setDadPending(hoa: Ip6, pending: boolean): void {
    const r = this.records.get(hoa);
    if (!r || r.dadPending === pending) return;
    r.dadPending = pending;
    this.dadPending += pending ? 1 : -1;
  }

  /** Adds `b`, or replaces the entry with the same (hoa, bid); returns the replaced one. */
  put(b: Binding): Binding | undefined {
    let r = this.records.get(b.hoa);
    if (!r) {
      r = { hoa: b.hoa, bindings: [], lastSequence: b.lastSequence, dadPending: false };
      this.records.set(b.hoa, r);
    }
    let previous: Binding | undefined;
    const i = r.bindings.findIndex((x) => x.bid === b.bid);
    if (i >= 0) {
      previous = r.bindings[i];
      r.bindings[i] = b;
    } else {
      r.bindings.push(b);
      this.count++;
    }
    this.expiry.push(b);
    this.expiry.compactIfBloated(this.count);
    return previous;
  }

  remove(hoa: Ip6, bid: number): Binding | undefined {
    const r = this.records.get(hoa);
    if (!r) return undefined;
    const i = r.bindings.findIndex((x) => x.bid === bid);
    if (i < 0) return undefined;
    const [b] = r.bindings.splice(i, 1);
    this.count--;
    if (r.bindings.length === 0) this.dropRecord(r);
    return b;
  }

  removeAll(hoa: Ip6): Binding[] {
    const r = this.records.get(hoa);
    if (!r) return [];
    this.dropRecord(r);
    this.count -= r.bindings.length;
    return r.bindings.slice();
  }

  private dropRecord(r: HoaRecord): void {
    this.records.delete(r.hoa);
    if (r.dadPending) this.dadPending--;
  }

  /** Removes and returns every binding whose expiry time is at or before nowMs. */
  expire(nowMs: number): Binding[] {
    const out: Binding[] = [];
    for (;;) {
      const b = this.expiry.popIfAtMost(nowMs);
      if (!b) break;
      this.remove(b.hoa, b.bid);
      out.push(b);
    }
    return out;
  }

  /** When the next binding expires (ms), or null for an empty cache: one timer suffices. */
  nextExpiryMs(): number | null {
    return this.expiry.peek()?.expiresAtMs ?? null;
  }

  homeAddresses(): IterableIterator<Ip6> {
    return this.records.keys();
  }

  *[Symbol.iterator](): IterableIterator<Binding> {
    for (const r of this.records.values()) yield* r.bindings;
  }
}

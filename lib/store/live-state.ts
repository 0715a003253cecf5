// The bindings and sequence numbers that committed records add up to. Records apply by
// BindingCache's own rules (a put creates a home address with the binding's sequence, a
// sequence exists only while its home address has bindings, the last binding's removal
// drops the home address), so a reload reproduces exactly what the core held.
import type { Ip6 } from '../inet/ip6.js';
import { putRecord, seqRecord, type StoreRecord, type StoredBinding } from './records.js';
import type { FlowsRecord, StoredFlow } from './flow-records.js';
import { ReplicaState, type SavedReplica } from './replicated-records.js';

interface HoaState {
  sequence: number;
  /** By BID, in arrival order (Map order; a replacement keeps its place, as in the cache). */
  readonly bindings: Map<number, StoredBinding>;
}

export interface LoadedState {
  /** Per home address in arrival order: put them into a BindingCache in this order. */
  bindings: StoredBinding[];
  /** Last accepted sequence number per home address. */
  sequences: Map<Ip6, number>;
  /** RFC 6089 flow lists of home addresses that have bindings. */
  flows: Map<Ip6, readonly StoredFlow[]>;
  /** Cluster mode: the replicated records this node had applied, and up to which revision; null when none. */
  replica: SavedReplica | null;
}

export class LiveState {
  private readonly hoas = new Map<Ip6, HoaState>();
  /** Flow lists, kept only while their home address has bindings (as the core does). */
  private readonly flows = new Map<Ip6, FlowsRecord>();
  private count = 0;
  private readonly replica = new ReplicaState();

  get size(): number {
    return this.count;
  }

  apply(r: StoreRecord): void {
    switch (r.op) {
      case 'put': {
        const b = r.binding;
        let h = this.hoas.get(b.hoa);
        if (!h) {
          h = { sequence: b.lastSequence, bindings: new Map() };
          this.hoas.set(b.hoa, h);
        }
        if (!h.bindings.has(b.bid)) this.count++;
        h.bindings.set(b.bid, b);
        return;
      }
      case 'del': {
        const h = this.hoas.get(r.hoa);
        if (!h || !h.bindings.delete(r.bid)) return;
        this.count--;
        if (h.bindings.size === 0) {
          this.hoas.delete(r.hoa);
          this.flows.delete(r.hoa);
        }
        return;
      }
      case 'del-hoa': {
        const h = this.hoas.get(r.hoa);
        if (!h) return;
        this.count -= h.bindings.size;
        this.hoas.delete(r.hoa);
        this.flows.delete(r.hoa);
        return;
      }
      case 'flows':
        if (r.flows.length === 0 || !this.hoas.has(r.hoa)) this.flows.delete(r.hoa);
        else this.flows.set(r.hoa, r);
        return;
      case 'replicated':
        this.replica.apply(r);
        return;
      case 'seq': {
        const h = this.hoas.get(r.hoa);
        if (h) h.sequence = r.sequence;
        return;
      }
    }
  }

  load(): LoadedState {
    const bindings: StoredBinding[] = [];
    const sequences = new Map<Ip6, number>();
    for (const [hoa, h] of this.hoas) {
      bindings.push(...h.bindings.values());
      sequences.set(hoa, h.sequence);
    }
    const flows = new Map<Ip6, readonly StoredFlow[]>();
    for (const [hoa, r] of this.flows) flows.set(hoa, r.flows);
    return { bindings, sequences, flows, replica: this.replica.load() };
  }

  /** Records that rebuild this state from nothing (the content of a snapshot). */
  records(): StoreRecord[] {
    const out: StoreRecord[] = [];
    for (const [hoa, h] of this.hoas) {
      for (const b of h.bindings.values()) out.push(putRecord(b));
      out.push(seqRecord(hoa, h.sequence));
      const f = this.flows.get(hoa);
      if (f) out.push(f);
    }
    out.push(...this.replica.snapshot());
    return out;
  }

  /** Bindings whose expiry is at or before `nowWallMs`. */
  expired(nowWallMs: number): StoredBinding[] {
    const out: StoredBinding[] = [];
    for (const h of this.hoas.values()) for (const b of h.bindings.values()) if (b.expiresAtWallMs <= nowWallMs) out.push(b);
    return out;
  }
}

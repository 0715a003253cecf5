// The replicated binding cache: one etcd key per home address, each write a compare-and-swap
// on the mod revision this node last saw for that key, so two nodes can never interleave
// updates of one home address (a loser re-reads and re-applies its change). A refresh within
// the staleness bounds is not written at all (staleness.ts). A caller acknowledges a Binding
// Update only once update() has resolved: an acknowledged binding is in etcd.
import { performance } from 'node:perf_hooks';
import type { Etcd3, IKeyValue } from 'etcd3';
import type { Ip6 } from '../inet/ip6.js';
import type { StoredBinding } from '../store/records.js';
import type { StoredFlow } from '../store/flow-records.js';
import { decodeRecord, encodeRecord, type BindingRecord } from './binding-record.js';
import type { ClusterKeys } from './keys.js';
import type { ClusterObserver } from './observer.js';
import { writeReason, type StalenessBounds } from './staleness.js';

/** What this node knows of one key: the record (null: absent), its mod revision (0: absent), known as of store revision `asOf`. */
export interface KnownRecord {
  readonly record: BindingRecord | null;
  readonly modRevision: number;
  readonly asOf: number;
}

export type UpdateResult =
  | { readonly written: true; readonly reason: string; readonly revision: number; readonly attempts: number }
  | { readonly written: false; readonly revision: number; readonly attempts: number };

/** What a change wants the home address to hold, from what is stored now. */
export type Change = (current: BindingRecord | null) => { sequence: number; bindings: readonly StoredBinding[]; flows?: readonly StoredFlow[]; serviceAddress?: Ip6 };

export class RecordError extends Error {}

/** The fence did not hold: another node owns the service address now, so this node may not write. */
export class NotOwnerError extends Error {}

/** A write is made only while `key` holds `value` (the owner key of the service address naming this node). */
export interface Fence {
  key: string;
  value: string;
}

/** Compare-and-swap rounds before update() gives up (each lost round means another node wrote). */
const MAX_ATTEMPTS = 50;

export class ReplicatedBindingStore {
  private readonly known = new Map<Ip6, KnownRecord>();
  /** Counters for `show cluster` and the tests: writes, skipped refreshes, lost CAS rounds. */
  readonly stats = { writes: 0, skipped: 0, conflicts: 0 };

  constructor(
    private readonly client: Etcd3,
    private readonly keys: ClusterKeys,
    private readonly node: string,
    private readonly bounds: StalenessBounds,
    private readonly observer: ClusterObserver = {},
  ) {}

  /** The last state seen of a home address (a write, a read or the watcher), if any. */
  cached(hoa: Ip6): KnownRecord | undefined {
    return this.known.get(hoa);
  }

  /** A linearizable read of one home address. */
  async read(hoa: Ip6): Promise<KnownRecord> {
    const r = await this.client.get(this.keys.binding(hoa)).exec();
    return this.learn(hoa, r.kvs[0] ?? null, Number(r.header.revision));
  }

  /**
   * A change seen by the watcher at store revision `revision`: kept when newer than what this
   * node knows. `kv` null is a deletion.
   */
  observe(hoa: Ip6, kv: IKeyValue | null, revision: number): KnownRecord {
    return this.learn(hoa, kv, revision);
  }

  /** Forgets every home address (a watcher that could not resume reloads). */
  clear(): void {
    this.known.clear();
  }

  /** The home addresses this node knows a state of (a record or its deletion). */
  homeAddresses(): IterableIterator<Ip6> {
    return this.known.keys();
  }

  /** What a restarted node saved of `hoa` (its journal), known as of `known.asOf`; a newer state seen since wins. */
  seed(hoa: Ip6, known: KnownRecord): void {
    const seen = this.known.get(hoa);
    if (!seen || seen.asOf < known.asOf) this.known.set(hoa, known);
  }

  /** Applies `change` to the stored record with compare-and-swap, retrying on conflicts. */
  async update(hoa: Ip6, change: Change, fence?: Fence): Promise<UpdateResult> {
    const key = this.keys.binding(hoa);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const now = this.known.get(hoa) ?? (await this.read(hoa));
      const next = change(now.record);
      const reason = writeReason(now.record, next, this.bounds);
      if (!reason) {
        this.stats.skipped++;
        return { written: false, revision: now.modRevision, attempts: attempt };
      }
      const flows = next.flows && next.flows.length > 0 ? { flows: next.flows } : {};
      const service = next.serviceAddress === undefined ? {} : { serviceAddress: next.serviceAddress };
      const record: BindingRecord = { hoa, sequence: next.sequence, bindings: next.bindings, writer: this.node, ...this.bounds, ...service, ...flows };
      const op = next.bindings.length === 0 ? this.client.delete().key(key) : this.client.put(key).value(encodeRecord(record));
      const txn = this.client.if(key, 'Mod', '==', now.modRevision);
      if (fence) txn.and(fence.key, 'Value', '==', fence.value);
      const sent = performance.now();
      const r = await txn
        .then(op)
        .else(this.client.get(key), ...(fence ? [this.client.get(fence.key)] : []))
        .commit()
        .catch((e: unknown) => {
          this.observer.storeWrite?.((performance.now() - sent) / 1000, 'failed');
          throw e;
        });
      const revision = Number(r.header.revision);
      const fenced = !r.succeeded && fence !== undefined && r.responses[1]?.response_range?.kvs[0]?.value.toString('utf8') !== fence.value;
      this.observer.storeWrite?.((performance.now() - sent) / 1000, r.succeeded ? 'written' : fenced ? 'fenced' : 'conflict');
      if (r.succeeded) {
        this.known.set(hoa, next.bindings.length === 0 ? { record: null, modRevision: 0, asOf: revision } : { record, modRevision: revision, asOf: revision });
        this.stats.writes++;
        return { written: true, reason, revision, attempts: attempt };
      }
      if (fence && fenced) {
        throw new NotOwnerError(`${fence.key} no longer names ${fence.value}: not written`);
      }
      // Another node wrote since: take its record and apply the change again on top of it.
      this.stats.conflicts++;
      this.learn(hoa, r.responses[0]?.response_range?.kvs[0] ?? null, revision);
    }
    throw new RecordError(`${hoa}: compare-and-swap lost ${MAX_ATTEMPTS} times in a row`);
  }

  private learn(hoa: Ip6, kv: IKeyValue | null, asOf: number): KnownRecord {
    const modRevision = kv ? Number(kv.mod_revision) : 0;
    const seen = this.known.get(hoa);
    if (seen && asOf <= seen.asOf) return seen;
    let record: BindingRecord | null = null;
    if (kv) {
      const d = decodeRecord(hoa, kv.value.toString('utf8'));
      if (!d.ok) throw new RecordError(`${this.keys.binding(hoa)} at revision ${modRevision}: ${d.error}`);
      record = d.record;
    }
    const out = { record, modRevision, asOf };
    this.known.set(hoa, out);
    return out;
  }
}

// Cluster mode's part of the journal: a local copy of the replicated binding records (one
// per home address, the value etcd holds under its key) and the store revision they were
// applied up to, so a restarted node loads them, adopts its kernel objects and watches etcd
// from that revision on instead of reading every record again (docs/cluster.md). A record
// with no value says the key was deleted. The value is kept as etcd's text and decoded by
// the cluster code when read back; here only the shape is checked.
import { canonicalIp6, type Ip6 } from '../inet/ip6.js';

export interface ReplicatedRecord {
  readonly op: 'replicated';
  readonly hoa: Ip6;
  /** etcd's value of the home address's key; null: the key was deleted. */
  readonly value: string | null;
  /** The key's mod revision (0 when deleted). */
  readonly modRevision: number;
  /** The store revision this value is known as of. */
  readonly asOf: number;
  /** Every change up to this store revision has been applied (and journalled) by this node. */
  readonly revision: number;
}

/** One home address's saved record, as loaded. */
export interface SavedRecord {
  readonly value: string;
  readonly modRevision: number;
  readonly asOf: number;
}

/** What a cluster node had applied when it stopped: its records and the revision to watch from. */
export interface SavedReplica {
  readonly revision: number;
  readonly records: ReadonlyMap<Ip6, SavedRecord>;
}

export const replicatedRecord = (hoa: Ip6, value: string | null, modRevision: number, asOf: number, revision: number): ReplicatedRecord => ({
  op: 'replicated',
  hoa,
  value,
  modRevision,
  asOf,
  revision,
});

const isRevision = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** Null when `v` is a well-formed replicated record, else what is wrong with it. */
export function checkReplicatedRecord(v: Record<string, unknown>): string | null {
  if (typeof v.hoa !== 'string' || canonicalIp6(v.hoa) !== v.hoa) return 'replicated record address is not canonical IPv6 text';
  if (v.value !== null && typeof v.value !== 'string') return 'replicated record value is neither text nor null';
  if (!isRevision(v.modRevision) || !isRevision(v.asOf) || !isRevision(v.revision)) return 'replicated record revisions are not counts';
  return null;
}

/** The saved records and revision, applied in journal order. */
export class ReplicaState {
  private readonly records = new Map<Ip6, SavedRecord>();
  private revision = 0;

  apply(r: ReplicatedRecord): void {
    if (r.value === null) this.records.delete(r.hoa);
    else this.records.set(r.hoa, { value: r.value, modRevision: r.modRevision, asOf: r.asOf });
    this.revision = Math.max(this.revision, r.revision);
  }

  /** Null when nothing was ever saved (a node new to the cluster, or one never in cluster mode). */
  load(): SavedReplica | null {
    return this.revision === 0 ? null : { revision: this.revision, records: new Map(this.records) };
  }

  /** Records that rebuild this state (a snapshot's); each carries the overall revision. */
  snapshot(): ReplicatedRecord[] {
    return [...this.records].map(([hoa, s]) => replicatedRecord(hoa, s.value, s.modRevision, s.asOf, this.revision));
  }
}

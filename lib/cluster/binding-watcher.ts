// Applies the binding records other nodes write, in store revision order. It starts either
// from a full read of the bindings prefix or from a revision it had reached before (a restart
// of the watcher, or of the node from its saved revision): then it replays only what changed
// since, not the whole cache. etcd3 itself re-opens a broken watch stream from the last
// revision it delivered; events this node already knows are dropped by revision. A full load
// also reports the home addresses this node knew that are gone from etcd, as deletions (a
// resume that fell back to a load must not keep records deleted meanwhile).
import type { Etcd3, IKeyValue, Watcher } from 'etcd3';
import { canonicalIp6, type Ip6 } from '../inet/ip6.js';
import type { ClusterKeys } from './keys.js';
import type { KnownRecord, ReplicatedBindingStore } from './replicated-store.js';
import { openWatch } from './open-watch.js';

/** How etcd3 reports a watch that etcd cancelled (compact_revision is not passed on). */
const CANCELED = /Watcher canceled/;

/** A home address's record as now known; every change up to store revision `revision` has been reported. */
export type RecordChange = (hoa: Ip6, known: KnownRecord, revision: number) => void;

export class BindingWatcher {
  private watcher: Watcher | null = null;
  /** The highest store revision whose changes have all been applied. */
  lastRevision = 0;
  readonly stats = { events: 0, fullLoads: 0, resumes: 0, disconnects: 0, errors: 0 };

  constructor(
    private readonly client: Etcd3,
    private readonly keys: ClusterKeys,
    private readonly store: ReplicatedBindingStore,
    private readonly onChange: RecordChange,
    private readonly onError: (e: Error) => void = () => {},
  ) {}

  /** Starts after `fromRevision` (every change after it is replayed), or with a full load when not given. */
  async start(fromRevision?: number): Promise<void> {
    if (this.watcher) throw new Error('watcher already started');
    if (fromRevision === undefined) {
      await this.load();
    } else {
      this.lastRevision = fromRevision;
      this.stats.resumes++;
    }
    const builder = this.client.watch().prefix(this.keys.bindings).startRevision(String(this.lastRevision + 1));
    // A failure to open reaches the error handler too (a cancel: the full load follows).
    await openWatch(builder, (w) => {
      this.watcher = w;
      w.on('put', (kv) => this.apply(kv, false));
      w.on('delete', (kv) => this.apply(kv, true));
      w.on('disconnected', () => this.stats.disconnects++);
      w.on('error', (e) => {
        this.stats.errors++;
        this.onError(e);
        // etcd ended the watch itself: the revision to resume from is gone (compacted), and
        // only a full load can follow.
        if (CANCELED.test(e.message) && this.watcher === w) void this.reload();
      });
    }).catch(() => {});
  }

  async stop(): Promise<void> {
    const w = this.watcher;
    this.watcher = null;
    if (w) await w.cancel();
  }

  /** After etcd cancelled the watch: nothing to cancel on our side (it would wait for an answer that never comes). */
  private async reload(): Promise<void> {
    this.watcher = null;
    await this.start().catch((e: unknown) => this.onError(e instanceof Error ? e : new Error(String(e))));
  }

  /** Every record as of now; those known before and absent now are reported deleted. */
  private async load(): Promise<void> {
    const r = await this.client.getAll().prefix(this.keys.bindings).exec();
    const revision = Number(r.header.revision);
    this.stats.fullLoads++;
    const gone = new Set(this.store.homeAddresses());
    this.store.clear();
    for (const kv of r.kvs) {
      const hoa = this.hoaOf(kv);
      if (!hoa) continue;
      gone.delete(hoa);
      this.onChange(hoa, this.store.observe(hoa, kv, revision), revision);
    }
    for (const hoa of gone) this.onChange(hoa, this.store.observe(hoa, null, revision), revision);
    this.lastRevision = revision;
  }

  private apply(kv: IKeyValue, deleted: boolean): void {
    const revision = Number(kv.mod_revision);
    // One transaction may change several keys at one revision: only older ones are replays.
    if (revision < this.lastRevision) return;
    const hoa = this.hoaOf(kv);
    this.lastRevision = revision;
    if (!hoa) return;
    this.stats.events++;
    try {
      this.onChange(hoa, this.store.observe(hoa, deleted ? null : kv, revision), revision);
    } catch (e) {
      this.stats.errors++;
      this.onError(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private hoaOf(kv: IKeyValue): Ip6 | null {
    const text = this.keys.hoaOf(kv.key.toString('utf8'));
    const hoa = text === null ? null : canonicalIp6(text);
    return hoa !== null && hoa === text ? hoa : null;
  }
}

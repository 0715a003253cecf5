// One idempotent reconciler for every kind of kernel object (Felix's model): per kind a
// desired map and a last-seen map; a full resync (dump and diff) at start, on a timer and
// after any failed apply; incremental applies of the dirty keys otherwise. Creates and
// updates go in kind order (tunnels before the routes that use them), deletes in reverse.
// Errno semantics (EEXIST on create is an update, ENOENT on delete is success) live in the
// drivers, which know the kernel; here any thrown error is a failure to retry.
import type { ObservedWatcher } from './observed-index.js';

/** How one kind of kernel object is listed, compared and written. */
export interface ObjectDriver<D, O> {
  readonly kind: string;
  /** Dumps the objects of this kind that we own, keyed as the desired objects are. */
  list(): Promise<Map<string, O>>;
  /** True when the kernel object already matches (fields that a dump can read back). */
  same(desired: D, observed: O): boolean;
  /** Creates the object; returns what the kernel now holds. */
  create(key: string, desired: D): Promise<O>;
  /** Makes an existing object match; returns what the kernel now holds. */
  update(key: string, desired: D, observed: O): Promise<O>;
  remove(key: string, observed: O): Promise<void>;
}

export interface PassReport {
  created: number;
  updated: number;
  removed: number;
  failed: number;
  /** Failures of this pass, by key, for logs. */
  errors: { kind: string; key: string; op: string; error: unknown }[];
}

interface KindState<D, O> {
  driver: ObjectDriver<D, O>;
  desired: Map<string, D>;
  seen: Map<string, O>;
  dirty: Set<string>;
  /** Secondary indexes and listeners over `seen`, told of every change to it. */
  watchers: ObservedWatcher<O>[];
}

type AnyKind = KindState<unknown, unknown>;

export interface ReconcilerOptions {
  /** Upper bound on concurrent operations of one kind in one step (the netlink window batches them). */
  concurrency?: number;
}

export class Reconciler {
  /** Told of every kernel operation and its error, if any (the daemon's metrics). */
  onOperation: ((kind: string, op: 'list' | 'create' | 'update' | 'delete', error?: unknown) => void) | undefined;
  private readonly kinds: AnyKind[];
  private readonly byName = new Map<string, AnyKind>();
  private readonly concurrency: number;
  /** Kinds whose changes wait (kept dirty) until released: adopting after a restart. */
  private readonly held = new Set<AnyKind>();
  /** Set when an apply failed or the kernel told us state was lost: the next pass dumps. */
  needsResync = true;

  constructor(drivers: ObjectDriver<any, any>[], opts: ReconcilerOptions = {}) {
    this.concurrency = opts.concurrency ?? 4096;
    this.kinds = drivers.map((driver) => ({ driver, desired: new Map(), seen: new Map(), dirty: new Set(), watchers: [] }));
    for (const k of this.kinds) this.byName.set(k.driver.kind, k);
  }

  private state(kind: string): AnyKind {
    const k = this.byName.get(kind);
    if (!k) throw new RangeError(`reconciler: unknown object kind ${kind}`);
    return k;
  }

  /** Replaces the whole desired set of one kind; only changed keys become dirty. */
  setDesired<D>(kind: string, desired: Map<string, D>): void {
    const k = this.state(kind);
    for (const key of k.desired.keys()) if (!desired.has(key)) k.dirty.add(key);
    for (const [key, d] of desired) if (k.desired.get(key) !== d) k.dirty.add(key);
    k.desired = desired as Map<string, unknown>;
  }

  /** Sets or clears (undefined) one desired object. */
  put<D>(kind: string, key: string, desired: D | undefined): void {
    const k = this.state(kind);
    if (desired === undefined) k.desired.delete(key);
    else k.desired.set(key, desired);
    k.dirty.add(key);
  }

  /** What the kernel held for a key at the last successful read or write. */
  observed<O>(kind: string, key: string): O | undefined {
    return this.state(kind).seen.get(key) as O | undefined;
  }

  observedAll<O>(kind: string): ReadonlyMap<string, O> {
    return this.state(kind).seen as Map<string, O>;
  }

  /**
   * Tells `watcher` of every change to one kind's observed objects from now on (it is first
   * told of those already seen): secondary indexes for notifications stay O(1) per change.
   */
  watchObserved<O>(kind: string, watcher: ObservedWatcher<O>): void {
    const k = this.state(kind);
    for (const [key, o] of k.seen) watcher.set(key, o as O, undefined);
    k.watchers.push(watcher as ObservedWatcher<unknown>);
  }

  /** Whether this reconciler holds `kind`. */
  has(kind: string): boolean {
    return this.byName.has(kind);
  }

  isDesired(kind: string, key: string): boolean {
    return this.state(kind).desired.has(key);
  }

  desiredCount(kind: string): number {
    return this.state(kind).desired.size;
  }

  pendingCount(): number {
    let n = 0;
    for (const k of this.kinds) n += k.dirty.size;
    return n;
  }

  /**
   * Holds one kind: passes still read it but change nothing of it until release(). A
   * restarted mobile node keeps its tunnels this way until it knows which ones are still wanted.
   */
  hold(kind: string): void {
    this.held.add(this.state(kind));
  }

  release(kind: string): void {
    this.held.delete(this.state(kind));
  }

  /** Marks everything for a dump-and-diff on the next pass (timer, ENOBUFS, start). */
  requestResync(): void {
    this.needsResync = true;
  }

  /** One pass: a full resync when needed, else the dirty keys only. Never throws for kernel errors. */
  async pass(): Promise<PassReport> {
    const report: PassReport = { created: 0, updated: 0, removed: 0, failed: 0, errors: [] };
    if (this.needsResync) {
      this.needsResync = false;
      for (const k of this.kinds) {
        try {
          this.replaceSeen(k, await k.driver.list());
          this.onOperation?.(k.driver.kind, 'list');
        } catch (error) {
          this.onOperation?.(k.driver.kind, 'list', error);
          report.failed++;
          report.errors.push({ kind: k.driver.kind, key: '*', op: 'list', error });
          this.needsResync = true;
          continue;
        }
        for (const key of k.seen.keys()) k.dirty.add(key);
        for (const key of k.desired.keys()) k.dirty.add(key);
      }
    }
    // Only what was dirty when the pass began: a change made while it runs (a group whose
    // new member came after the nexthops were written) waits for the next pass.
    const batch = new Map(this.kinds.map((k) => [k, this.held.has(k) ? [] : [...k.dirty].map((key) => [key, k.desired.get(key)] as const)]));
    // Creates and updates in kind order, then deletes in reverse kind order.
    for (const k of this.kinds) await this.applyKind(k, batch.get(k)!, 'write', report);
    for (let i = this.kinds.length - 1; i >= 0; i--) await this.applyKind(this.kinds[i]!, batch.get(this.kinds[i]!)!, 'delete', report);
    if (report.failed > 0) this.needsResync = true;
    return report;
  }

  private async applyKind(k: AnyKind, keys: readonly (readonly [string, unknown])[], phase: 'write' | 'delete', report: PassReport): Promise<void> {
    const work: (() => Promise<void>)[] = [];
    for (const [key, atStart] of keys) {
      const d = k.desired.get(key);
      // Changed since the pass began: what it needs may not be written yet; next pass.
      if (!k.dirty.has(key) || d !== atStart) continue;
      const o = k.seen.get(key);
      if (phase === 'write' && d !== undefined) {
        if (o !== undefined && k.driver.same(d, o)) {
          k.dirty.delete(key);
          continue;
        }
        work.push(() => this.write(k, key, d, o, report));
      } else if (phase === 'delete' && d === undefined) {
        if (o === undefined) {
          k.dirty.delete(key);
          continue;
        }
        work.push(() => this.remove(k, key, o, report));
      }
    }
    for (let i = 0; i < work.length; i += this.concurrency) {
      await Promise.all(work.slice(i, i + this.concurrency).map((w) => w()));
    }
  }

  private async write(k: AnyKind, key: string, d: unknown, o: unknown, report: PassReport): Promise<void> {
    const op = o === undefined ? 'create' : 'update';
    try {
      const now = o === undefined ? await k.driver.create(key, d) : await k.driver.update(key, d, o);
      this.setSeen(k, key, now);
      // Changed again while the write was in flight: stays dirty for the next pass.
      if (k.desired.get(key) === d) k.dirty.delete(key);
      if (op === 'create') report.created++;
      else report.updated++;
      this.onOperation?.(k.driver.kind, op);
    } catch (error) {
      this.fail(k, key, op, error, report);
    }
  }

  private async remove(k: AnyKind, key: string, o: unknown, report: PassReport): Promise<void> {
    try {
      await k.driver.remove(key, o);
      this.deleteSeen(k, key);
      if (!k.desired.has(key)) k.dirty.delete(key);
      report.removed++;
      this.onOperation?.(k.driver.kind, 'delete');
    } catch (error) {
      this.fail(k, key, 'delete', error, report);
    }
  }

  private setSeen(k: AnyKind, key: string, o: unknown): void {
    const before = k.seen.get(key);
    k.seen.set(key, o);
    for (const w of k.watchers) w.set(key, o, before);
  }

  private deleteSeen(k: AnyKind, key: string): void {
    const before = k.seen.get(key);
    if (!k.seen.delete(key)) return;
    for (const w of k.watchers) w.delete(key, before);
  }

  /** A dump's result replaces the view; watchers hear only the differences (O(N), as the dump is). */
  private replaceSeen(k: AnyKind, now: Map<string, unknown>): void {
    const before = k.seen;
    k.seen = now;
    if (k.watchers.length === 0) return;
    for (const [key, o] of before) if (!now.has(key)) for (const w of k.watchers) w.delete(key, o);
    for (const [key, o] of now) {
      const was = before.get(key);
      if (was !== o) for (const w of k.watchers) w.set(key, o, was);
    }
  }

  /** The key stays dirty, and the failed pass forces a dump before the retry. */
  private fail(k: AnyKind, key: string, op: 'create' | 'update' | 'delete', error: unknown, report: PassReport): void {
    this.onOperation?.(k.driver.kind, op, error);
    report.failed++;
    report.errors.push({ kind: k.driver.kind, key, op, error });
  }
}

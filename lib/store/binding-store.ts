// The crash-safe binding store: an append-only journal with group commit, and snapshots.
//
// Group commit: append() only queues. commit() resolves once everything queued before it
// is on disk. Commits asked for in one turn of the event loop (setImmediate gathers every
// BU handled in one poll phase) share one write() on a journal opened O_DSYNC (durable on
// return, like a write and an fdatasync, in one system call); records queued
// while a write is in flight go into the next one. The daemon sends a BA only after the
// commit holding its binding resolved, so an acknowledged registration survives a crash.
//
// A failed write (with O_DSYNC, a failed sync too) leaves the file's tail unknown (and after a failed fsync
// Linux may have dropped the dirty pages), so the store refuses every later commit; the
// daemon should exit and let open() recover.
import { open, type FileHandle } from 'node:fs/promises';
import { encodeLine, StoreError } from './line-format.js';
import type { LiveState, LoadedState } from './live-state.js';
import { delRecord, type StoreRecord, type StoredBinding } from './records.js';
import { recover } from './recovery.js';
import { writeSnapshot } from './snapshot.js';
import { fsyncDir, JOURNAL_CREATE, journalName, pathIn, writeAll } from './files.js';

export interface StoreOptions {
  /** Compact once the current journal holds this many records (default 10000) ... */
  compactAfterRecords?: number;
  /** ... or this many bytes (default 8 MiB). */
  compactAfterBytes?: number;
  /** Told about a failed compaction; the store carries on with its journal. */
  onCompactionError?: (e: Error) => void;
  /** Told how long each commit's durable write took (the daemon's journal latency metric). */
  onCommit?: (seconds: number) => void;
}

export interface StoreStats {
  generation: number;
  journalRecords: number;
  journalBytes: number;
  commits: number;
  compactions: number;
  /** Bytes of a torn last commit cut away at open. */
  truncatedAtOpen: number;
}

interface Waiter {
  resolve(): void;
  reject(e: Error): void;
}

export class BindingStore {
  private queue: StoreRecord[] = [];
  private waiters: Waiter[] = [];
  private writing: Promise<void> | null = null;
  private scheduled = false;
  private failure: StoreError | null = null;
  private closed = false;
  private compaction: Promise<void> | null = null;
  private readonly counters: StoreStats;

  private constructor(
    readonly dir: string,
    private readonly state: LiveState,
    private journal: FileHandle,
    generation: number,
    journalRecords: number,
    journalBytes: number,
    truncatedAtOpen: number,
    private readonly options: StoreOptions,
  ) {
    this.counters = { generation, journalRecords, journalBytes, commits: 0, compactions: 0, truncatedAtOpen };
  }

  /** Creates `dir` (0700) if needed and replays snapshot and journal into memory. */
  static async open(dir: string, options: StoreOptions = {}): Promise<BindingStore> {
    const r = await recover(dir);
    return new BindingStore(dir, r.state, r.journal, r.generation, r.journalRecords, r.journalBytes, r.truncatedBytes, options);
  }

  get stats(): Readonly<StoreStats> {
    return { ...this.counters };
  }

  /** Number of committed bindings. */
  get size(): number {
    return this.state.size;
  }

  /** Queues records for the next commit; nothing is written until commit() is called. */
  append(records: readonly StoreRecord[]): void {
    if (this.closed) throw new StoreError('STORE_CLOSED', 'binding store is closed');
    this.queue.push(...records);
  }

  /** Resolves when every record queued so far is durable; rejects if the store failed. */
  commit(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.queue.length === 0) {
      // Records queued earlier may be in the write under way: wait for it.
      return (this.writing ?? Promise.resolve()).then(() => {
        if (this.failure) throw this.failure;
      });
    }
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.schedule();
    return done;
  }

  /** The committed bindings (per home address, in arrival order) and sequence numbers. */
  loadAll(): LoadedState {
    return this.state.load();
  }

  /** Queues a delete for each committed binding expired by `nowWallMs`; commit() to persist. */
  dropExpired(nowWallMs: number): StoredBinding[] {
    const expired = this.state.expired(nowWallMs);
    this.append(expired.map((b) => delRecord(b.hoa, b.bid)));
    return expired;
  }

  /** Commits what is queued, waits for a compaction under way, closes the journal. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.queue.length > 0 && !this.failure) await this.commit().catch(() => undefined);
    await this.writing;
    this.closed = true;
    await this.compaction;
    await this.journal.close();
  }

  private schedule(): void {
    if (this.scheduled || this.writing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.writing = this.writeBatch().finally(() => {
        this.writing = null;
        if (this.waiters.length > 0) this.schedule();
      });
    });
  }

  /** One commit: one write, durable when it returns (O_DSYNC, files.ts), then every waiter of the batch resolves. */
  private async writeBatch(): Promise<void> {
    const records = this.queue;
    const waiters = this.waiters;
    this.queue = [];
    this.waiters = [];
    if (this.failure) return waiters.forEach((w) => w.reject(this.failure!));
    if (records.length === 0) return waiters.forEach((w) => w.resolve());
    const line = encodeLine(records);
    const started = performance.now();
    try {
      await writeAll(this.journal, line);
      this.options.onCommit?.((performance.now() - started) / 1000);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      this.failure = new StoreError('STORE_FAILED', `journal write failed (${err.code ?? err.message}); the store stops: restart to recover`);
      for (const w of [...waiters, ...this.waiters]) w.reject(this.failure);
      this.waiters = [];
      return;
    }
    for (const r of records) this.state.apply(r);
    this.counters.commits++;
    this.counters.journalRecords += records.length;
    this.counters.journalBytes += line.length;
    for (const w of waiters) w.resolve();
    if (this.compactionDue()) await this.switchJournal();
  }

  private compactionDue(): boolean {
    const o = this.options;
    return (
      this.compaction === null &&
      (this.counters.journalRecords >= (o.compactAfterRecords ?? 10000) || this.counters.journalBytes >= (o.compactAfterBytes ?? 8 << 20))
    );
  }

  /** Compaction steps 1-2 (see snapshot.ts) between two commits; 3-5 run in the background. */
  private async switchJournal(): Promise<void> {
    const next = this.counters.generation + 1;
    let fh: FileHandle | undefined;
    try {
      fh = await open(pathIn(this.dir, journalName(next)), JOURNAL_CREATE, 0o600);
      await fsyncDir(this.dir);
    } catch (e) {
      await fh?.close().catch(() => undefined);
      this.options.onCompactionError?.(e as Error);
      return;
    }
    const records = this.state.records();
    const old = this.journal;
    this.journal = fh;
    this.counters.generation = next;
    this.counters.journalRecords = 0;
    this.counters.journalBytes = 0;
    await old.close().catch(() => undefined);
    this.compaction = writeSnapshot(this.dir, records, next)
      .then(() => void this.counters.compactions++)
      .catch((e: Error) => this.options.onCompactionError?.(e))
      .finally(() => (this.compaction = null));
  }
}

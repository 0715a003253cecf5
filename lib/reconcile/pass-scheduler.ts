// When the reconciler runs, for both roles of the daemon: one pass at a time, coalescing
// the changes made meanwhile; a full resync on a timer and on request; a failed pass
// retried with backoff (one timer); totals for `mcoactl show stats`. A failure that no retry
// can fix (kernel-errors.ts's permanent errnos: a module not loaded, an option not built in)
// is logged once per object kind, operation and errno, and schedules no retry: the periodic
// resync and the next change still try it, quietly.
import type { Logger } from 'pino';
import { isPermanent, KernelError } from '../platform/kernel-errors.js';
import { SyscallError } from '../platform/sys/errno.js';
import type { PassReport, Reconciler } from './engine.js';

const RETRY_MS = [100, 500, 2000, 10000];

/** Why a full resync ran: the timer, lost monitor notifications, an owned object deleted, anything else. */
export type ResyncCause = 'timer' | 'monitor' | 'repair' | 'request';

/** Told about every pass, kernel operation and resync (the daemon's metrics). */
export interface PassObserver {
  pass(seconds: number): void;
  /** One kernel operation; errno is the error's name when it failed ('?' when it had none). */
  operation(kind: string, op: string, errno: string | null): void;
  resync(cause: ResyncCause): void;
}

export class PassScheduler {
  readonly totals = { passes: 0, created: 0, updated: 0, removed: 0, failed: 0, resyncs: 0 };
  /** Called around every pass (the home agent announces new proxy entries from here). */
  beforePass: (() => void) | undefined;
  afterPass: ((rep: PassReport) => void) | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** kind|op|errno of the permanent failures already logged. */
  private readonly permanentSeen = new Set<string>();
  private observer: PassObserver | undefined;

  constructor(
    readonly reconciler: Reconciler,
    private readonly log: Logger,
  ) {}

  /** Reports passes, operations and resyncs to `o` from now on. */
  observe(o: PassObserver): void {
    this.observer = o;
    this.reconciler.onOperation = (kind, op, error) => o.operation(kind, op, error === undefined ? null : errnoName(error));
  }

  /** The periodic full resync (dump and compare), besides every change; again: the new period replaces the old. */
  startResyncTimer(intervalMs: number): void {
    if (this.stopped) return;
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.resyncTimer = setInterval(() => this.resync('timer', 'timer'), intervalMs);
    this.resyncTimer.unref();
  }

  resync(why: string, cause: ResyncCause = 'request'): void {
    this.totals.resyncs++;
    this.observer?.resync(cause);
    this.log.info({ why }, 'kernel resync');
    this.reconciler.requestResync();
    this.schedule();
  }

  /** A pass soon; changes made before it starts ride along (one pass at a time). */
  schedule(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.runPass());
  }

  /** Runs a pass now (after the running one, if any). */
  async passNow(): Promise<void> {
    while (this.running) await this.running;
    this.running = this.runPass();
    await this.running;
  }

  private async runPass(): Promise<void> {
    try {
      this.again = false;
      this.beforePass?.();
      const started = performance.now();
      const rep = await this.reconciler.pass();
      this.observer?.pass((performance.now() - started) / 1000);
      this.totals.passes++;
      this.totals.created += rep.created;
      this.totals.updated += rep.updated;
      this.totals.removed += rep.removed;
      this.totals.failed += rep.failed;
      if (rep.created + rep.updated + rep.removed > 0) {
        this.log.info({ created: rep.created, updated: rep.updated, removed: rep.removed, failed: rep.failed }, 'kernel changes applied');
      }
      const permanent = rep.errors.filter((e) => isPermanent(e.error));
      const transient = rep.errors.filter((e) => !isPermanent(e.error));
      for (const e of transient.slice(0, 5)) this.log.warn({ kind: e.kind, key: e.key, op: e.op, err: String(e.error) }, 'kernel operation failed');
      for (const e of permanent) this.reportPermanent(e);
      this.afterPass?.(rep);
      if (transient.length > 0 || rep.failed > rep.errors.length) this.retryLater();
      else this.failures = 0;
    } catch (err) {
      this.log.error({ err: String(err) }, 'kernel pass failed');
      this.retryLater();
    } finally {
      this.running = undefined;
      if (this.again) this.schedule();
    }
  }

  private reportPermanent(e: PassReport['errors'][number]): void {
    const code = errnoName(e.error);
    const seen = `${e.kind}|${e.op}|${code}`;
    if (this.permanentSeen.has(seen)) return;
    this.permanentSeen.add(seen);
    this.log.error(
      { kind: e.kind, key: e.key, op: e.op, err: String(e.error) },
      `the kernel does not support this ${e.kind} operation (${code}); not retried until the next resync or change (reported once)`,
    );
  }

  private retryLater(): void {
    if (this.retryTimer || this.stopped) return;
    const ms = RETRY_MS[Math.min(this.failures++, RETRY_MS.length - 1)]!;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.schedule();
    }, ms);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of [this.retryTimer, this.resyncTimer]) if (t) clearTimeout(t);
    while (this.running) await this.running;
  }
}

/** The errno name of a kernel or syscall error ('EEXIST'); '?' for anything else. */
export function errnoName(error: unknown): string {
  return error instanceof KernelError || error instanceof SyscallError ? error.code : '?';
}

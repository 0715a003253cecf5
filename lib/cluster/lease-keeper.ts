// This node's etcd lease, kept alive by hand so the node knows, on its own clock, until when
// the lease is certainly alive in etcd. etcd starts (or restarts) a lease's TTL when it
// handles the grant (keep-alive), which is after this node sent it; so the lease lives at
// least until `sent + TTL`. The node may act as owner until `sent + TTL - margin` of the last
// answered grant or keep-alive, and is told `expiring` then, whether or not etcd can be
// reached: an active steps down before anyone else can win its address.
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { EtcdLeaseInvalidError, type Etcd3, type Lease } from 'etcd3';
import type { ClusterObserver } from './observer.js';

export interface LeaseTimers {
  ttlSeconds: number;
  /** How long before the earliest possible expiry in etcd this node stops acting on the lease. */
  marginMs: number;
  /** Delay between two grant attempts while etcd cannot be reached. */
  retryMs?: number;
}

export interface LeaseKeeperEvents {
  /** A new lease was granted: `id` is etcd's lease ID. */
  granted: [id: string];
  /** The lease may be about to expire (or is gone): stop acting on it now. */
  expiring: [why: string];
}

export class LeaseKeeper extends EventEmitter<LeaseKeeperEvents> {
  private lease: Lease | null = null;
  private leaseId: string | null = null;
  /** performance.now() until which the lease is certainly alive in etcd, minus the margin. */
  private validUntil = 0;
  private keepaliveTimer: NodeJS.Timeout | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  readonly stats = { grants: 0, keepalives: 0, keepaliveFailures: 0, expiries: 0 };

  constructor(
    private readonly client: Etcd3,
    readonly timers: LeaseTimers,
    private readonly observer: ClusterObserver = {},
  ) {
    super();
  }

  /** The current lease's ID while it may be acted on, else null. */
  get id(): string | null {
    return this.valid() ? this.leaseId : null;
  }

  valid(): boolean {
    return this.lease !== null && performance.now() < this.validUntil;
  }

  /** Milliseconds the node may still act on the lease (0: none). */
  remainingMs(): number {
    return this.lease ? Math.max(0, this.validUntil - performance.now()) : 0;
  }

  /** Grants a lease, retrying until it is granted or stop() is called. */
  start(): void {
    this.stopped = false;
    void this.grant();
  }

  /** Stops keeping the lease; `revoke` also ends it in etcd at once (a clean stop or a drain). */
  async stop(revoke: boolean): Promise<void> {
    this.stopped = true;
    const lease = this.lease;
    this.drop('stopped');
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (revoke && lease) await lease.revoke().catch(() => {});
  }

  private async grant(): Promise<void> {
    if (this.stopped || this.lease) return;
    const sent = performance.now();
    const lease = this.client.lease(this.timers.ttlSeconds, { autoKeepAlive: false });
    lease.on('lost', () => {});
    try {
      const id = await lease.grant();
      this.observer.leaseRoundTrip?.('grant', (performance.now() - sent) / 1000, null);
      if (this.stopped) {
        await lease.revoke().catch(() => {});
        return;
      }
      this.lease = lease;
      this.leaseId = id;
      this.stats.grants++;
      this.extend(sent, this.timers.ttlSeconds);
      this.keepaliveTimer = setInterval(() => void this.keepalive(), (this.timers.ttlSeconds * 1000) / 3);
      this.emit('granted', id);
    } catch (e) {
      this.observer.leaseRoundTrip?.('grant', (performance.now() - sent) / 1000, errorText(e));
      lease.release();
      if (!this.stopped) this.retryTimer = setTimeout(() => void this.grant(), this.timers.retryMs ?? 500);
    }
  }

  private async keepalive(): Promise<void> {
    const lease = this.lease;
    if (!lease) return;
    const sent = performance.now();
    try {
      // Deadline: an answer later than the next keep-alive is of no use.
      const res = await lease.keepaliveOnce({ deadline: Date.now() + (this.timers.ttlSeconds * 1000) / 3 });
      this.observer.leaseRoundTrip?.('keepalive', (performance.now() - sent) / 1000, null);
      if (lease !== this.lease) return;
      this.stats.keepalives++;
      this.extend(sent, Math.min(this.timers.ttlSeconds, Number(res.TTL)));
    } catch (e) {
      // "Lease gone" is an answer: etcd is there.
      this.observer.leaseRoundTrip?.('keepalive', (performance.now() - sent) / 1000, e instanceof EtcdLeaseInvalidError ? null : errorText(e));
      if (lease !== this.lease) return;
      this.stats.keepaliveFailures++;
      // etcd says the lease is gone: no point waiting for the timer.
      if (e instanceof EtcdLeaseInvalidError) this.expire('etcd reports the lease gone');
    }
  }

  private extend(sent: number, ttlSeconds: number): void {
    const until = sent + ttlSeconds * 1000 - this.timers.marginMs;
    if (until <= this.validUntil) return;
    this.validUntil = until;
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = setTimeout(() => this.expire('no keep-alive answered within the lease TTL minus the margin'), until - performance.now());
  }

  private expire(why: string): void {
    if (!this.lease) return;
    this.stats.expiries++;
    this.drop(why);
    if (!this.stopped) this.retryTimer = setTimeout(() => void this.grant(), this.timers.retryMs ?? 500);
  }

  private drop(why: string): void {
    const had = this.lease !== null;
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.keepaliveTimer = this.expiryTimer = null;
    // Stop keeping it alive; etcd lets it expire (revoking needs etcd, which may be away).
    this.lease?.release();
    this.lease = null;
    this.leaseId = null;
    this.validUntil = 0;
    if (had) this.emit('expiring', why);
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

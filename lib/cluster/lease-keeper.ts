// This node's etcd lease, kept alive by hand so the node knows, on its own clock, until when
// the lease is certainly alive in etcd. etcd starts (or restarts) a lease's TTL when it
// handles the grant (keep-alive), which is after this node sent it; so the lease lives at
// least until `sent + TTL`. The node may act as owner until `sent + TTL - margin` of the last
// answered grant or keep-alive, and is told `expiring` then, whether or not etcd can be
// reached: an active steps down before anyone else can win its address. With several etcd
// members a keep-alive the pool's member does not answer soon goes to all of them at once
// (member-keepalives.ts), so a dead member the pool keeps picking costs nothing while another
// answers.
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { EtcdLeaseInvalidError, type Etcd3, type Lease } from 'etcd3';
import type { MemberKeepalives } from './member-keepalives.js';
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
  /** `hedged`: keep-alives also sent to every member (the pool's member slow or failing). */
  readonly stats = { grants: 0, keepalives: 0, keepaliveFailures: 0, expiries: 0, hedged: 0 };

  /** `members`: keep-alives to every member at once (several endpoints); absent: through `client`. */
  constructor(
    private readonly client: Etcd3,
    readonly timers: LeaseTimers,
    private readonly observer: ClusterObserver = {},
    private readonly members?: MemberKeepalives,
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

  /** Closes the per-member connections of the keep-alives (after stop, when the node leaves). */
  closeMembers(): void {
    this.members?.close();
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
      // A grant etcd was slow to answer leaves little of TTL - margin: renew at once rather than a third of the TTL later.
      void this.keepalive();
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
      // Deadline: an answer is of use until sent + TTL - margin (it extends from `sent`), even
      // after later keep-alives went out; a busy etcd answering in a second still renews.
      const deadline = Date.now() + this.timers.ttlSeconds * 1000 - this.timers.marginMs;
      const ttl = await this.renew(lease, deadline);
      this.observer.leaseRoundTrip?.('keepalive', (performance.now() - sent) / 1000, null);
      if (lease !== this.lease) return;
      this.stats.keepalives++;
      this.extend(sent, Math.min(this.timers.ttlSeconds, ttl));
    } catch (e) {
      // "Lease gone" is an answer: etcd is there.
      this.observer.leaseRoundTrip?.('keepalive', (performance.now() - sent) / 1000, e instanceof EtcdLeaseInvalidError ? null : errorText(e));
      if (lease !== this.lease) return;
      this.stats.keepaliveFailures++;
      // etcd says the lease is gone: no point waiting for the timer.
      if (e instanceof EtcdLeaseInvalidError) this.expire('etcd reports the lease gone');
    }
  }

  /**
   * One keep-alive through the client's pool; with several members, a hedge: when the pool's
   * member has not answered within a third of TTL - margin, or failed, the same keep-alive to
   * every member at once (the pool may keep picking a dead member). The first answer wins.
   */
  private renew(lease: Lease, deadline: number): Promise<number> {
    const direct = lease.keepaliveOnce({ deadline }).then((r) => Number(r.TTL));
    const members = this.members;
    const id = this.leaseId;
    if (!members || !id) return direct;
    return new Promise<number>((resolve, reject) => {
      let settled = false;
      let directFailed = false;
      let hedge: 'none' | 'running' | 'failed' = 'none';
      const win = (ttl: number): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(ttl);
      };
      const lose = (e: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(e);
      };
      const startHedge = (): void => {
        if (hedge !== 'none' || settled) return;
        hedge = 'running';
        this.stats.hedged++;
        members.keepalive(id, deadline).then(
          (a) => win(a.ttlSeconds),
          (e: unknown) => {
            hedge = 'failed';
            if (e instanceof EtcdLeaseInvalidError || directFailed) lose(e);
          },
        );
      };
      const timer = setTimeout(startHedge, (this.timers.ttlSeconds * 1000 - this.timers.marginMs) / 3);
      direct.then(win, (e: unknown) => {
        directFailed = true;
        if (e instanceof EtcdLeaseInvalidError || hedge === 'failed') return lose(e);
        startHedge();
      });
    });
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

// Ownership of one service (home agent) address: the owner key holds the active node's name
// on that node's lease. A node is active only while its lease keeper says the lease is
// certainly alive (lease-keeper.ts), and steps down synchronously when the keeper warns, which
// is before etcd could expire the lease and so before any other node can create the key:
// never two actives. A standby campaigns when the key goes away, after a delay that grows with
// the number of live members preferred to it; with `preempt`, an active resigns its address to
// a more preferred member that comes (back).
import type { Etcd3, Watcher } from 'etcd3';
import type { Ip6 } from '../inet/ip6.js';
import type { ClusterKeys } from './keys.js';
import type { LeaseKeeper } from './lease-keeper.js';
import type { Membership } from './membership.js';
import type { ClusterObserver, StepDownReason } from './observer.js';
import { openWatch } from './open-watch.js';

export interface ElectionHooks {
  /** This node may now serve the address (take it, proxy, announce). */
  active(address: Ip6): void;
  /** Stop serving the address now; called before anyone else can win it. */
  standby(address: Ip6, why: string): void;
}

export interface ElectionOptions {
  preempt: boolean;
  /** Campaign delay per live member preferred to this node for the address. */
  rankStepMs: number;
  observer?: ClusterObserver;
}

export type Role = 'active' | 'standby';

export class ServiceElection {
  role: Role = 'standby';
  /** The active node as last seen in etcd (null: vacant or not known). */
  owner: string | null = null;
  /**
   * The last other node seen holding the address since this node last held it, kept when the
   * key goes: a win after another node's hold is a failover. (This node's own put may be seen
   * before its campaign's answer, so its own name never goes here.)
   */
  private lastOther: string | null = null;
  private sawHolder(node: string | null): void {
    if (node !== null && node !== this.node) this.lastOther = node;
  }
  readonly stats = { campaigns: 0, won: 0, stepDowns: 0, resignations: 0 };
  private watcher: Watcher | null = null;
  private campaignTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** `mcoactl drain`: no campaign until undrain (or a restart). */
  draining = false;
  private readonly onExpiring = (why: string): void => this.stepDown(`lease: ${why}`, 'lease-lost');
  private readonly onGranted = (): void => this.schedule();
  private readonly onMembers = (): void => this.checkPreempt();

  constructor(
    private readonly client: Etcd3,
    private readonly keys: ClusterKeys,
    private readonly node: string,
    readonly address: Ip6,
    private readonly keeper: LeaseKeeper,
    private readonly members: Membership,
    private readonly hooks: ElectionHooks,
    private readonly options: ElectionOptions,
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    this.keeper.on('expiring', this.onExpiring);
    this.keeper.on('granted', this.onGranted);
    this.members.on('changed', this.onMembers);
    const key = this.keys.owner(this.address);
    const r = await this.client.get(key).exec();
    this.owner = r.kvs[0]?.value.toString('utf8') ?? null;
    this.sawHolder(this.owner);
    this.watcher = await openWatch(this.client.watch().key(key).startRevision(String(Number(r.header.revision) + 1)), (w) => {
      w.on('put', (kv) => {
        this.owner = kv.value.toString('utf8');
        this.sawHolder(this.owner);
      });
      w.on('delete', () => {
        this.owner = null;
        this.schedule();
      });
      w.on('error', () => {});
    });
    this.schedule();
  }

  /** Steps down (if active), hands the address back in etcd, stops campaigning. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.keeper.off('expiring', this.onExpiring);
    this.keeper.off('granted', this.onGranted);
    this.members.off('changed', this.onMembers);
    if (this.campaignTimer) clearTimeout(this.campaignTimer);
    const was = this.role;
    this.stepDown('stopping', 'stopped');
    if (was === 'active') await this.release().catch(() => {});
    const w = this.watcher;
    this.watcher = null;
    if (w) await w.cancel();
  }

  /** Gives the address up (a drain, or preemption): stop serving first, then free the key. */
  async resign(why: string, reason: StepDownReason = 'resigned'): Promise<void> {
    if (this.role !== 'active') return;
    this.stats.resignations++;
    this.stepDown(why, reason);
    await this.release();
  }

  /**
   * `mcoactl drain`: stops campaigning, then resigns (stop serving, free the key) so a standby
   * wins the address at once instead of after the lease's expiry. Returns whether it was active.
   */
  async drain(): Promise<boolean> {
    this.draining = true;
    if (this.campaignTimer) clearTimeout(this.campaignTimer);
    this.campaignTimer = null;
    const was = this.role === 'active';
    await this.resign('drained by the operator', 'drain');
    return was;
  }

  /** `mcoactl undrain`: campaigns again (wins a vacant address; an owned one stays with its owner). */
  undrain(): void {
    this.draining = false;
    this.schedule();
  }

  private async release(): Promise<void> {
    const key = this.keys.owner(this.address);
    await this.client.if(key, 'Value', '==', this.node).then(this.client.delete().key(key)).commit();
  }

  private schedule(): void {
    if (this.stopped || this.draining || this.role === 'active' || this.owner !== null || this.campaignTimer || !this.keeper.id) return;
    const delay = this.members.rank(this.address) * this.options.rankStepMs;
    this.campaignTimer = setTimeout(() => {
      this.campaignTimer = null;
      void this.campaign().catch(() => this.retryLater());
    }, delay);
  }

  private retryLater(): void {
    if (this.stopped || this.campaignTimer) return;
    this.campaignTimer = setTimeout(() => {
      this.campaignTimer = null;
      this.schedule();
    }, 500);
  }

  private async campaign(): Promise<void> {
    const id = this.keeper.id;
    if (this.stopped || this.draining || this.role === 'active' || !id) return;
    this.stats.campaigns++;
    const key = this.keys.owner(this.address);
    const r = await this.client.if(key, 'Create', '==', 0).then(this.client.put(key).value(this.node).lease(id)).else(this.client.get(key)).commit();
    const kv = r.succeeded ? null : r.responses[0]?.response_range?.kvs[0];
    const ours = r.succeeded || (kv?.value.toString('utf8') === this.node && String(kv.lease) === id);
    if (!ours) {
      this.owner = kv ? kv.value.toString('utf8') : null;
      this.sawHolder(this.owner);
      // Vacant again by now (an expiry between our read and the answer): try once more.
      if (!kv) this.retryLater();
      return;
    }
    // Won with a lease that is still certainly alive: only then serve.
    if (this.stopped || this.keeper.id !== id) return;
    const previous = this.lastOther;
    this.lastOther = null;
    this.owner = this.node;
    this.role = 'active';
    this.stats.won++;
    this.hooks.active(this.address);
    this.options.observer?.won?.(this.address, previous);
    this.checkPreempt();
  }

  private stepDown(why: string, reason: StepDownReason): void {
    if (this.role !== 'active') return;
    this.role = 'standby';
    this.stats.stepDowns++;
    this.hooks.standby(this.address, why);
    this.options.observer?.steppedDown?.(this.address, reason);
    // The key stays ours until it is deleted or its lease expires; its delete event starts
    // the next campaign (campaigning now could win it back on the old key).
    this.owner = this.node;
  }

  private checkPreempt(): void {
    if (!this.options.preempt || this.role !== 'active' || this.members.rank(this.address) === 0) return;
    void this.resign('preempted by a more preferred member').catch(() => {});
  }
}

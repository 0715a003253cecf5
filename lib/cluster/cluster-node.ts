// One mcoad's part in a cluster, from its `cluster:` section: the etcd client, this node's
// lease and member key, an election per service address it may serve, the replicated binding
// store and the watcher that applies other nodes' writes. The daemon hooks in: take or drop a
// service address when an election says so, apply a home address's record when it changes.
import type { ClusterConfig } from '../config/cluster-section.js';
import type { Ip6 } from '../inet/ip6.js';
import { BindingWatcher, type RecordChange } from './binding-watcher.js';
import { etcdClient, etcdOptions } from './etcd-client.js';
import { EtcdHealth, type EtcdHealthState } from './etcd-health.js';
import { EspSeqStore } from './esp-seq.js';
import { ClusterKeys } from './keys.js';
import { LeaseKeeper } from './lease-keeper.js';
import { MemberKeepalives } from './member-keepalives.js';
import { Membership, type Member } from './membership.js';
import { observeAll, type ClusterObserver } from './observer.js';
import { ReplicatedBindingStore, type KnownRecord } from './replicated-store.js';
import { ServiceElection, type ElectionHooks, type Role } from './service-election.js';
import type { Etcd3 } from 'etcd3';

export interface ClusterHooks extends ElectionHooks {
  /** A home address's record changed in etcd (another node's write, or the first load). */
  recordChanged: RecordChange;
  /** This node got a lease (at start, and again after losing one): it may campaign. */
  leaseGranted?(): void;
  /** This node stopped acting on its lease (etcd silent for TTL − margin, or the lease gone); it keeps retrying. */
  leaseLost?(why: string): void;
}

export class ClusterUnreachableError extends Error {}

/** What this node had applied before it stopped (saved in its journal): records and the revision to watch from. */
export interface ResumePoint {
  readonly revision: number;
  readonly records: ReadonlyMap<Ip6, KnownRecord>;
}

/** Campaign delay per live member preferred to this node for an address. */
const RANK_STEP_MS = 200;

export interface ClusterStatus {
  node: string;
  /** How long this node may still act on its lease (0: it holds none). */
  leaseRemainingMs: number;
  /** The store revision this node has applied up to. */
  revision: number;
  members: Member[];
  services: { address: Ip6; role: Role; owner: string | null; draining: boolean }[];
  store: ReplicatedBindingStore['stats'];
  /** How the bindings arrived: full loads, resumes from a saved revision, changes applied since. */
  watch: { fullLoads: number; resumes: number; events: number };
  endpoints: string[];
  /** Whether etcd answered this node's last round trip, and since when (wall clock, ms). */
  etcd: EtcdHealthState;
}

/**
 * status() with what only etcd knows now: its revision and the lag, or why it did not answer.
 * The lag counts binding records changed in etcd after the revision this node has applied (a
 * deletion not yet applied is not counted: it leaves no key); etcd's revision minus the
 * applied one would also count every election and membership change, which the binding
 * watcher never sees, and so never come back to 0.
 */
export interface ClusterStoreStatus extends ClusterStatus {
  etcdReachable: boolean;
  etcdRevision: number | null;
  lag: number | null;
  etcdError: string | null;
}

export class ClusterNode {
  private constructor(
    readonly config: ClusterConfig,
    private readonly client: Etcd3,
    private readonly keys: ClusterKeys,
    readonly store: ReplicatedBindingStore,
    private readonly watcher: BindingWatcher,
    private readonly keeper: LeaseKeeper,
    private readonly members: Membership,
    private readonly elections: ServiceElection[],
    private readonly health: EtcdHealth,
  ) {}

  /**
   * Connects (a clear error naming the endpoints when etcd cannot be reached within
   * `connectTimeoutMs`), loads the bindings or resumes from `resume` (only the changes after
   * its revision are read; a full load when etcd is behind it, a new etcd cluster), and
   * starts campaigning.
   */
  static async start(config: ClusterConfig, hooks: ClusterHooks, options: { connectTimeoutMs?: number; resume?: ResumePoint | null; observer?: ClusterObserver } = {}): Promise<ClusterNode> {
    const client = etcdClient(config);
    const keys = new ClusterKeys(config.keyPrefix);
    let etcdRevision: number;
    try {
      const r = await client.get(keys.members).options({ deadline: Date.now() + (options.connectTimeoutMs ?? 5000) }).exec();
      etcdRevision = Number(r.header.revision);
    } catch (e) {
      client.close();
      throw new ClusterUnreachableError(`etcd not reachable at ${config.endpoints.join(', ')}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const health = new EtcdHealth();
    health.answered();
    const observer = observeAll(health, options.observer);
    const store = new ReplicatedBindingStore(
      client,
      keys,
      config.node,
      { expiryLagMs: config.replication.maxExpiryLagSeconds * 1000, sequenceLag: config.replication.maxSequenceLag },
      observer,
    );
    const watcher = new BindingWatcher(client, keys, store, hooks.recordChanged);
    const resume = options.resume;
    if (resume) for (const [hoa, known] of resume.records) store.seed(hoa, known);
    await watcher.start(resume && resume.revision <= etcdRevision ? resume.revision : undefined);
    // Several members: each keep-alive to all of them (a dead one the pool still picks must not cost the lease).
    const memberKeepalives = config.endpoints.length > 1 ? new MemberKeepalives(config.endpoints, etcdOptions(config)) : undefined;
    const keeper = new LeaseKeeper(client, { ttlSeconds: config.timers.leaseTtlSeconds, marginMs: config.timers.stepDownMarginMs }, observer, memberKeepalives);
    const preferences = Object.fromEntries(config.serviceAddresses.map((s) => [s.address, s.preference]));
    const members = new Membership(client, keys, { node: config.node, preferences });
    keeper.on('granted', (id) => void members.register(id).catch(() => {}));
    keeper.on('granted', () => hooks.leaseGranted?.());
    keeper.on('expiring', (why) => hooks.leaseLost?.(why));
    await members.start();
    const elections = config.serviceAddresses.map((s) => new ServiceElection(client, keys, config.node, s.address, keeper, members, hooks, { preempt: config.preempt, rankStepMs: RANK_STEP_MS, observer }));
    for (const e of elections) await e.start();
    keeper.start();
    return new ClusterNode(config, client, keys, store, watcher, keeper, members, elections, health);
  }

  status(): ClusterStatus {
    return {
      node: this.config.node,
      leaseRemainingMs: Math.round(this.keeper.remainingMs()),
      revision: this.watcher.lastRevision,
      members: this.members.list(),
      services: this.elections.map((e) => ({ address: e.address, role: e.role, owner: e.owner, draining: e.draining })),
      store: { ...this.store.stats },
      watch: { fullLoads: this.watcher.stats.fullLoads, resumes: this.watcher.stats.resumes, events: this.watcher.stats.events },
      endpoints: [...this.config.endpoints],
      etcd: this.health.get(),
    };
  }

  /** status() and etcd's current revision, read within `deadlineMs` (a `show cluster`). */
  async storeStatus(deadlineMs = 1000): Promise<ClusterStoreStatus> {
    const s = this.status();
    try {
      const deadline = Date.now() + deadlineMs;
      const r = await this.client.get(this.keys.members).options({ deadline }).exec();
      const etcdRevision = Number(r.header.revision);
      // `etcdctl get PREFIX --prefix --keys-only --min-mod-revision APPLIED+1`, counted here:
      // etcd's count ignores the revision filters.
      const lag = (await this.client.getAll().prefix(this.keys.bindings).minModRevision(s.revision + 1).options({ deadline }).keys()).length;
      this.health.answered();
      return { ...s, etcd: this.health.get(), etcdReachable: true, etcdRevision, lag, etcdError: null };
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      this.health.failed(error);
      return { ...s, etcd: this.health.get(), etcdReachable: false, etcdRevision: null, lag: null, etcdError: error };
    }
  }

  /**
   * `mcoactl drain`, first step: the member key says drained, so the others stop counting this
   * node as one that would take an address over (once: drain() marks again for free). A failed
   * write (etcd away) does not stop the drain: the key goes with the lease anyway.
   */
  async markDrained(): Promise<void> {
    await this.members.setDrained(true).catch(() => {});
  }

  /** `mcoactl drain`: every election stops campaigning and resigns; the addresses it was active for. */
  async drain(): Promise<Ip6[]> {
    await this.markDrained();
    const out: Ip6[] = [];
    for (const e of this.elections) if (await e.drain()) out.push(e.address);
    return out;
  }

  /** `mcoactl undrain`: campaign again. */
  undrain(): void {
    void this.members.setDrained(false).catch(() => {});
    for (const e of this.elections) e.undrain();
  }

  /** The compare a write by the active of `address` carries: the owner key still names this node. */
  fence(address: Ip6): { key: string; value: string } {
    return { key: this.keys.owner(address), value: this.config.node };
  }

  /** The ESP sequence marks' store (esp-seq.ts), on this node's etcd client. */
  espSeqStore(): EspSeqStore {
    return new EspSeqStore(this.client, this.keys.espSeq);
  }

  /** Whether this node may act as active for `address` now. */
  isActive(address: Ip6): boolean {
    return this.elections.some((e) => e.address === address && e.role === 'active');
  }

  private stopping: Promise<void> | undefined;

  /** Hands every service address back (stop serving first), ends the lease, closes the client; once. */
  stop(): Promise<void> {
    return (this.stopping ??= this.stopOnce());
  }

  private async stopOnce(): Promise<void> {
    for (const e of this.elections) await e.stop().catch(() => {});
    await this.keeper.stop(true);
    this.keeper.closeMembers();
    await this.members.stop().catch(() => {});
    await this.watcher.stop().catch(() => {});
    this.client.close();
  }
}

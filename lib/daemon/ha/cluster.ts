// Cluster mode of the home agent (`cluster:`, docs/cluster.md): the binding cache shared
// through etcd (lib/cluster/). The active node of the service address writes every change a
// Binding Update makes through the replicated store before its BA (compare-and-swap on the
// home address's record); a lost round is never merged: the other node's record replaces the
// home address in the core and the BU is decided again on top of it. One home address's
// writes run one after another. Records written by others (the standby's whole diet) replace
// the home address in the core, whose kernel side follows as for any change. Expiry,
// operator removals and DAD failures are written by the active only. Every record this node
// learns is also saved in its journal with the revision it was applied up to (host.persist),
// so a restart puts them back in the core (restoreSaved), adopts the kernel objects, and
// watches etcd from that revision on instead of reading every record again. A home address's
// RFC 6089 flow bindings travel in its record with its bindings: a change of them is written
// like a binding's, and a standby's core and kernel (the flow filters) follow them.
// Shares: each home address registers with one service address (its BUs' destination, kept in
// its record, lib/cluster/shares.ts); the node active for that address writes it (fenced on
// that address's owner key), and a step-down holds only that address's home addresses as a
// standby does.
import type { Logger } from 'pino';
import type { ClusterConfig } from '../../config/cluster-section.js';
import { ClusterNode, type ClusterStoreStatus, type ResumePoint } from '../../cluster/cluster-node.js';
import { NotOwnerError, type Fence, type KnownRecord } from '../../cluster/replicated-store.js';
import type { EspSeqStore } from '../../cluster/esp-seq.js';
import { decodeRecord, type BindingRecord } from '../../cluster/binding-record.js';
import { holdUntilWallMs, sameStoredFlows } from '../../cluster/staleness.js';
import { homeAddressesOf, recordService, switchTargets } from '../../cluster/shares.js';
import type { Ip6 } from '../../inet/ip6.js';
import type { HomeAgent } from '../../proto/ha/home-agent.js';
import type { Metrics } from '../metrics/metrics.js';
import { ClusterMetrics } from './cluster-metrics.js';
import type { BuOutcome, CacheEvent } from '../../proto/common/outcome.js';
import { bindingFromStored, storedFromBinding } from '../../store/index.js';
import { flowFromStored, storedFromFlow } from '../../store/flow-records.js';
import type { SavedReplica } from '../../store/replicated-records.js';
import type { Binding } from '../../proto/common/binding.js';

/** What the cluster needs from the home agent daemon. */
export interface ClusterHost {
  core(): HomeAgent;
  /** The core's clock (monotonic). */
  now(): number;
  /** Wall clock minus the core's clock, now. */
  wallOffsetMs(): number;
  /** Events a stored record made in the core: journal, kernel, monitor (not written back). */
  applied(events: CacheEvent[]): void;
  /** Take the service address: add it, proxy, announce. */
  serve(address: Ip6): void;
  /** Stop serving it now (before another node can win it). */
  stopServing(address: Ip6, why: string): void;
  /** A stored record changed `hoa`'s flow bindings in the core: its kernel side (flow filters) to follow. */
  flowsChanged(hoa: Ip6): void;
  /** Save a home address's record as now known, and that every change up to `revision` is applied (the journal). */
  persist(hoa: Ip6, known: KnownRecord, revision: number): void;
}

/** `show cluster`: each service address with the home addresses registered with it here. */
export type ShareStatus = Omit<ClusterStoreStatus, 'services'> & { services: (ClusterStoreStatus['services'][number] & { homeAddresses: number })[] };

/** How many of a drained address's mobile nodes left it after its Home Agent Switch, and how many stayed. */
export interface SwitchOutcome {
  left: number;
  stayed: number;
}

/**
 * Where the mobile nodes of a drained address nobody else lists are sent (RFC 5142); resolves
 * once they de-registered (or the wait gave up), before the address is given up.
 */
export type SwitchHomeAgent = (address: Ip6, targets: Ip6[]) => Promise<SwitchOutcome>;

/** A stored record's bindings for the core: each kept until the stored expiry plus the writer's bound, never before the true expiry (staleness.ts). */
function coreBindings(rec: BindingRecord | null, wallOffsetMs: number): Binding[] {
  return rec ? rec.bindings.map((s) => ({ ...bindingFromStored(s, wallOffsetMs), expiresAtMs: holdUntilWallMs(rec, s) - wallOffsetMs })) : [];
}

/** Puts a stored record (null: absent) into the core in place of `hoa`: its bindings, sequence number and flows. */
function replaceInCore(core: HomeAgent, hoa: Ip6, rec: BindingRecord | null, nowMs: number, wallOffsetMs: number): { events: CacheEvent[]; flowsChanged: boolean } {
  const events = core.replaceHomeAddress(hoa, coreBindings(rec, wallOffsetMs), rec?.sequence ?? 0, nowMs, rec?.serviceAddress);
  // After the bindings: a flow's activity is computed from the BIDs now held.
  const flowsChanged = core.flows.replace(hoa, (rec?.flows ?? []).map((f) => flowFromStored(hoa, f)), core.registeredBids(hoa));
  return { events, flowsChanged };
}

/** The core's flows of `hoa` differ from the stored record's (a BU changed them). */
function flowsDiffer(core: HomeAgent, hoa: Ip6, rec: BindingRecord | null): boolean {
  return !sameStoredFlows(core.flows.list(hoa).map(storedFromFlow), rec?.flows);
}

/**
 * The records a restarted node saved, decoded: the point to resume from, or null (nothing
 * saved, or a record that does not decode: then every record is read from etcd again).
 */
export function resumePoint(saved: SavedReplica | null): ResumePoint | null {
  if (!saved) return null;
  const records = new Map<Ip6, KnownRecord>();
  for (const [hoa, s] of saved.records) {
    const d = decodeRecord(hoa, s.value);
    if (!d.ok) return null;
    records.set(hoa, { record: d.record, modRevision: s.modRevision, asOf: s.asOf });
  }
  return { revision: saved.revision, records };
}

/** Puts a resume point's records into the core, as applying them from etcd would; returns the bindings kept. */
export function restoreSaved(core: HomeAgent, resume: ResumePoint, nowMs: number, wallOffsetMs: number): number {
  for (const [hoa, known] of resume.records) replaceInCore(core, hoa, known.record, nowMs, wallOffsetMs);
  return core.cache.size;
}

/** The store holds a record this BU was not decided on: decide again on top of it. */
class Redecide extends Error {
  constructor() {
    super('the stored record changed while the binding update was decided');
  }
}

/** Decisions of one BU before it is given up (each lost round means another node wrote the home address meanwhile). */
const MAX_DECISIONS = 20;

export interface DecidedBu {
  outcome: BuOutcome;
  /** Events of another node's record applied before the final decision. */
  before: CacheEvent[];
}

export class HomeAgentCluster {
  private node: ClusterNode | null = null;
  /** Per home address, the tail of its writes (absent: none in flight). */
  private readonly chains = new Map<Ip6, Promise<void>>();
  /** Per home address, the store revision last applied to the core or written from it. */
  private readonly applied = new Map<Ip6, number>();

  private constructor(
    private readonly host: ClusterHost,
    private readonly log: Logger,
    private readonly counters: Metrics,
  ) {}

  /**
   * Connects, loads the bindings into the core (or, with `resume`, whose records the core
   * already holds, only the changes since its revision) and campaigns; throws
   * ClusterUnreachableError naming the endpoints.
   */
  static async start(config: ClusterConfig, host: ClusterHost, log: Logger, counters: Metrics, resume: ResumePoint | null = null): Promise<HomeAgentCluster> {
    const c = new HomeAgentCluster(host, log, counters);
    if (resume) for (const [hoa, known] of resume.records) c.applied.set(hoa, known.asOf);
    let granted = false;
    const metrics = new ClusterMetrics(counters.registry, config.serviceAddresses.map((s) => s.address));
    c.node = await ClusterNode.start(config, {
      recordChanged: (hoa, known, revision) => {
        host.persist(hoa, known, revision);
        c.onRecord(hoa, known);
      },
      active: (address) => {
        log.info({ address }, 'cluster: active for the service address');
        host.serve(address);
      },
      standby: (address, why) => {
        log.warn({ address, why }, 'cluster: stepped down for the service address');
        host.stopServing(address, why);
        c.holdAsStandby(address);
      },
      leaseGranted: () => {
        if (granted) log.info('cluster: etcd answers again; lease granted, campaigning');
        granted = true;
      },
      leaseLost: (why) => log.warn({ endpoints: config.endpoints, why }, 'cluster: lease lost; not serving, retrying etcd'),
    }, { resume, observer: metrics });
    metrics.attach(c.node);
    const { revision, watch } = c.node.status();
    if (watch.fullLoads > 0) log.info({ node: config.node, endpoints: config.endpoints, revision }, 'cluster: joined, bindings loaded from etcd');
    else log.info({ node: config.node, endpoints: config.endpoints, from: resume?.revision, revision, changes: watch.events }, 'cluster: joined, resumed from the saved revision');
    const node = c.node;
    counters.source('cluster_active', () => [[{}, node.status().services.filter((s) => s.role === 'active').length]]);
    counters.source('cluster_lease', () => [[{}, node.status().leaseRemainingMs / 1000]]);
    counters.source('cluster_revision', () => [[{}, node.status().revision]]);
    return c;
  }

  private get store(): ClusterNode['store'] {
    return this.node!.store;
  }

  /** Whether this node is active for `address` (it takes BUs sent there). */
  serves(address: Ip6): boolean {
    return this.node?.isActive(address) ?? false;
  }

  /** The service address `hoa` registers with: the core's while it has bindings, else its stored record's. */
  private serviceOf(hoa: Ip6): Ip6 {
    const core = this.host.core();
    return core.cache.record(hoa) ? core.serviceOf(hoa) : recordService(this.node?.store.cached(hoa)?.record, core.config.haAddress);
  }

  /**
   * Decides a BU with `decide` (the core's processBu) and writes what it changed before the
   * caller sends the BA, fenced on `service` (the address the BU was sent to; default the home
   * agent address). Rejects when the store cannot be written: the BU is then not
   * acknowledged, and the home address goes back to its stored record.
   */
  decide(hoa: Ip6, decide: () => BuOutcome, service: Ip6 = this.host.core().config.haAddress): Promise<DecidedBu> {
    return this.serial(hoa, async () => {
      const before: CacheEvent[] = [];
      for (let round = 1; ; round++) {
        const base = this.store.cached(hoa) ?? (await this.store.read(hoa));
        before.push(...this.applyKnown(hoa, base));
        const outcome = decide();
        if (outcome.events.length === 0 && !flowsDiffer(this.host.core(), hoa, base.record)) return { outcome, before };
        try {
          await this.write(hoa, base, service);
          return { outcome, before };
        } catch (e) {
          if (e instanceof Redecide && round < MAX_DECISIONS) {
            this.counters.inc('cluster', { event: 'redecided' });
            continue;
          }
          this.counters.inc('cluster', { event: 'write-failed' });
          // Nothing of this decision was acknowledged: back to what the store holds.
          this.applied.delete(hoa);
          before.push(...this.applyKnown(hoa, this.store.cached(hoa) ?? base));
          if (before.length > 0) this.host.applied(before);
          throw e;
        }
      }
    });
  }

  /**
   * Writes changes made outside a BU (expiry, operator, DAD failure) of these home
   * addresses, on the node active for each one's service address only; a lost round applies
   * the other node's record instead.
   */
  replicate(hoas: Iterable<Ip6>): void {
    for (const hoa of hoas) {
      const service = this.serviceOf(hoa);
      if (!this.serves(service)) continue;
      void this.serial(hoa, async () => {
        const base = this.store.cached(hoa) ?? (await this.store.read(hoa));
        const newer = this.applyKnown(hoa, base);
        if (newer.length > 0) return this.host.applied(newer);
        try {
          await this.write(hoa, base, service);
        } catch (e) {
          if (!(e instanceof Redecide)) throw e;
          this.counters.inc('cluster', { event: 'redecided' });
          const theirs = this.applyKnown(hoa, this.store.cached(hoa)!);
          if (theirs.length > 0) this.host.applied(theirs);
        }
      }).catch((err: unknown) => {
        this.counters.inc('cluster', { event: 'write-failed' });
        this.log.warn({ hoa, err: String(err) }, 'cluster: a change could not be written to etcd');
      });
    }
  }

  /** The core's state of `hoa`, written over `base` unless another node wrote since; fenced on `address`'s owner key. */
  private async write(hoa: Ip6, base: KnownRecord, address: Ip6): Promise<void> {
    const core = this.host.core();
    const offset = this.host.wallOffsetMs();
    if (!this.serves(address)) throw new NotOwnerError(`not active for the service address ${address}: not written`);
    const r = await this.store.update(
      hoa,
      (current) => {
        if (current !== base.record) throw new Redecide();
        const serviceAddress = core.cache.record(hoa)?.serviceAddress;
        const bindings = core.cache.bindingsOf(hoa).map((b) => storedFromBinding(b, offset));
        const flows = core.flows.list(hoa).map(storedFromFlow);
        return { sequence: core.cache.lastSequence(hoa) ?? 0, bindings, flows, ...(serviceAddress === undefined ? {} : { serviceAddress }) };
      },
      // Fenced: a node that lost the address while the write was on its way writes nothing.
      this.node!.fence(address),
    );
    if (r.written) this.applied.set(hoa, this.store.cached(hoa)?.asOf ?? r.revision);
  }

  /** Runs `fn` once every earlier write of `hoa` has settled: one home address's writes never interleave. */
  private serial<T>(hoa: Ip6, fn: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(hoa) ?? Promise.resolve();
    const run = prev.then(fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.chains.set(hoa, tail);
    void tail.then(() => {
      if (this.chains.get(hoa) !== tail) return;
      this.chains.delete(hoa);
      // Records that came while this home address was being written.
      const known = this.node?.store.cached(hoa);
      if (known) this.onRecord(hoa, known);
    });
    return run;
  }

  /** The watcher (or the first load) saw a record; one being written here is caught up afterwards. */
  private onRecord(hoa: Ip6, known: KnownRecord): void {
    if (this.chains.has(hoa)) return;
    const events = this.applyKnown(hoa, known);
    if (events.length > 0) this.host.applied(events);
  }

  /**
   * After a step-down for `address`: every home address registered with it back to its stored
   * record, so the core keeps each binding until the stored expiry plus the bound, as any
   * standby does, and not until the expiry this node last granted (a refresh the new active
   * does not write would otherwise leave this node without the binding when it lapses here).
   * The home addresses of the other addresses this node still serves keep their true expiries.
   */
  private holdAsStandby(address: Ip6): void {
    const store = this.node?.store;
    if (!store) return;
    for (const hoa of homeAddressesOf(address, [...this.applied.keys()], (h) => this.serviceOf(h))) {
      const known = store.cached(hoa);
      if (!known || this.chains.has(hoa)) continue;
      this.applied.delete(hoa);
      const events = this.applyKnown(hoa, known);
      if (events.length > 0) this.host.applied(events);
    }
  }

  /** Replaces `hoa` in the core with `known` when it is newer than what the core holds. */
  private applyKnown(hoa: Ip6, known: KnownRecord): CacheEvent[] {
    const last = this.applied.get(hoa);
    if (last !== undefined && known.asOf <= last) return [];
    this.applied.set(hoa, known.asOf);
    const { events, flowsChanged } = replaceInCore(this.host.core(), hoa, known.record, this.host.now(), this.host.wallOffsetMs());
    if (events.length > 0 || flowsChanged) this.counters.inc('cluster', { event: 'records-applied' });
    if (flowsChanged) this.host.flowsChanged(hoa);
    return events;
  }

  /** ESP sequence marks (daemon/ha/esp-seq.ts): their store and the fence of the active's writes. */
  espSeqAccess(): { store: EspSeqStore; fence(address: Ip6): Fence } {
    const node = this.node!;
    return { store: node.espSeqStore(), fence: (address) => node.fence(address) };
  }

  /** The service addresses this node is active for now. */
  activeAddresses(): Ip6[] {
    return this.node?.status().services.filter((s) => s.role === 'active').map((s) => s.address) ?? [];
  }

  /**
   * `mcoactl drain`: the addresses this node was active for, now left to the standbys. For an
   * address no other live member lists, `switchHomeAgent` first tells its mobile nodes where to
   * go (RFC 5142), while this node still serves it; returns those addresses and their targets.
   */
  async drain(switchHomeAgent: SwitchHomeAgent): Promise<{ handedOver: Ip6[]; switched: ({ address: Ip6; targets: Ip6[] } & SwitchOutcome)[] }> {
    const node = this.node!;
    // Said before looking at the others: two nodes drained at once each see the other drained.
    await node.markDrained();
    const st = node.status();
    const owners = new Map(st.services.map((s) => [s.address, s.owner] as const));
    const switched: ({ address: Ip6; targets: Ip6[] } & SwitchOutcome)[] = [];
    for (const address of this.activeAddresses()) {
      const targets = switchTargets(address, st.node, st.members, owners);
      if (targets === null) continue;
      switched.push({ address, targets, ...(await switchHomeAgent(address, targets)) });
    }
    return { handedOver: await node.drain(), switched };
  }

  undrain(): void {
    this.node!.undrain();
  }

  /** storeStatus(), each service address with the number of home addresses registered with it here. */
  async status(): Promise<ShareStatus> {
    const s = await this.node!.storeStatus();
    const core = this.host.core();
    const count = new Map<Ip6, number>();
    for (const hoa of core.cache.homeAddresses()) count.set(core.serviceOf(hoa), (count.get(core.serviceOf(hoa)) ?? 0) + 1);
    return { ...s, services: s.services.map((x) => ({ ...x, homeAddresses: count.get(x.address) ?? 0 })) };
  }

  /** Hands the service addresses back (stops serving first), ends the lease. */
  async stop(): Promise<void> {
    await this.node?.stop();
  }
}

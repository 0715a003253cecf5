// Cluster mode's Prometheus metrics (catalog.ts, CLUSTER_METRICS): the cluster code's
// observer (lib/cluster/observer.ts) turned into counters and histograms, and the node's
// state read at each scrape (role per service address, etcd reachable, watch lag). Created
// only when the configuration has a `cluster:` section, in the daemon's own registry.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ClusterNode } from '../../cluster/cluster-node.js';
import type { ClusterObserver, StepDownReason, StoreWriteOutcome } from '../../cluster/observer.js';
import type { Ip6 } from '../../inet/ip6.js';
import { CLUSTER_METRICS as M } from '../metrics/catalog.js';

/** How long a scrape waits for etcd's revision (the watch lag); no lag value past it. */
const LAG_READ_DEADLINE_MS = 1000;

export class ClusterMetrics implements ClusterObserver {
  private readonly electionsWon: Counter;
  private readonly failovers: Counter;
  private readonly stepDowns: Counter;
  private readonly storeWrites: Histogram;
  private readonly keepalives: Histogram;
  private node: Pick<ClusterNode, 'status' | 'storeStatus'> | null = null;

  /** Registers the metrics in `registry`; each service address's counters start at 0. */
  constructor(registry: Registry, addresses: readonly Ip6[]) {
    // One set per registry: a second cluster start in the same daemon replaces the first's.
    for (const spec of Object.values(M)) registry.removeSingleMetric(spec.name);
    const registers = [registry];
    this.electionsWon = new Counter({ name: M.elections_won.name, help: M.elections_won.help, labelNames: [...M.elections_won.labels], registers });
    this.failovers = new Counter({ name: M.failovers.name, help: M.failovers.help, labelNames: [...M.failovers.labels], registers });
    this.stepDowns = new Counter({ name: M.step_downs.name, help: M.step_downs.help, labelNames: [...M.step_downs.labels], registers });
    for (const address of addresses) {
      this.electionsWon.inc({ address }, 0);
      this.failovers.inc({ address }, 0);
      for (const reason of M.step_downs.values) this.stepDowns.inc({ address, reason }, 0);
    }
    this.storeWrites = new Histogram({ name: M.store_write.name, help: M.store_write.help, labelNames: [...M.store_write.labels], buckets: [...M.store_write.buckets], registers });
    this.keepalives = new Histogram({ name: M.lease_keepalive.name, help: M.lease_keepalive.help, buckets: [...M.lease_keepalive.buckets], registers });
    const self = this;
    new Gauge({
      name: M.role.name, help: M.role.help, labelNames: [...M.role.labels], registers,
      collect() {
        this.reset();
        for (const s of self.node?.status().services ?? []) this.set({ address: s.address }, s.role === 'active' ? 1 : 0);
      },
    });
    new Gauge({
      name: M.etcd_reachable.name, help: M.etcd_reachable.help, registers,
      collect() {
        this.reset();
        if (self.node) this.set(self.node.status().etcd.reachable ? 1 : 0);
      },
    });
    new Gauge({
      name: M.watch_lag.name, help: M.watch_lag.help, registers,
      async collect() {
        this.reset();
        // An unlabelled gauge is always exported: NaN, not a made-up 0, when etcd is silent.
        const lag = (await self.node?.storeStatus(LAG_READ_DEADLINE_MS))?.lag;
        this.set(lag ?? NaN);
      },
    });
  }

  /** The node whose state the gauges read, once it has started. */
  attach(node: Pick<ClusterNode, 'status' | 'storeStatus'>): void {
    this.node = node;
  }

  won(address: Ip6, previous: string | null): void {
    this.electionsWon.inc({ address });
    if (previous !== null) this.failovers.inc({ address });
  }

  steppedDown(address: Ip6, reason: StepDownReason): void {
    this.stepDowns.inc({ address, reason });
  }

  storeWrite(seconds: number, outcome: StoreWriteOutcome): void {
    this.storeWrites.observe({ outcome }, seconds);
  }

  leaseRoundTrip(kind: 'grant' | 'keepalive', seconds: number, error: string | null): void {
    if (kind === 'keepalive' && error === null) this.keepalives.observe(seconds);
  }
}

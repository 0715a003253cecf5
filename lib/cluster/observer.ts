// What the cluster code reports as it runs, for whoever keeps figures of it (the daemon's
// Prometheus metrics: lib/daemon/ha/cluster-metrics.ts). The cluster code calls these and
// knows nothing of the metrics library; every callback is optional and must not throw.
import type { Ip6 } from '../inet/ip6.js';

/** Why an active stopped serving an address. */
export type StepDownReason =
  /** Its lease may be about to expire (etcd silent for TTL − margin) or etcd says it is gone. */
  | 'lease-lost'
  /** It handed the address to a more preferred member (preempt). */
  | 'resigned'
  /** `mcoactl drain`. */
  | 'drain'
  /** The daemon stops (a clean stop hands the address back). */
  | 'stopped';

/** How one compare-and-swap transaction on a binding record ended. */
export type StoreWriteOutcome = 'written' | 'conflict' | 'fenced' | 'failed';

export interface ClusterObserver {
  /** This node won `address`; `previous`: another node seen holding it since this node last did (a failover), or null. */
  won?(address: Ip6, previous: string | null): void;
  steppedDown?(address: Ip6, reason: StepDownReason): void;
  /** One compare-and-swap transaction's round trip (request to answer or failure). */
  storeWrite?(seconds: number, outcome: StoreWriteOutcome): void;
  /** One lease grant or keep-alive round trip; `error` when etcd did not answer it. */
  leaseRoundTrip?(kind: 'grant' | 'keepalive', seconds: number, error: string | null): void;
}

/** One observer calling each of `observers` in turn. */
export function observeAll(...observers: (ClusterObserver | undefined)[]): ClusterObserver {
  const list = observers.filter((o): o is ClusterObserver => o !== undefined);
  return {
    won: (a, p) => list.forEach((o) => o.won?.(a, p)),
    steppedDown: (a, r) => list.forEach((o) => o.steppedDown?.(a, r)),
    storeWrite: (s, r) => list.forEach((o) => o.storeWrite?.(s, r)),
    leaseRoundTrip: (k, s, e) => list.forEach((o) => o.leaseRoundTrip?.(k, s, e)),
  };
}

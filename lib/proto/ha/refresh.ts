// Binding Refresh Requests from a home agent (draft-04 §6.4, RFC 6275 §9.5.5): one lazy
// heap ordered by each binding's refresh-due time, polled by the daemon with the time; no
// per-binding timers. Each binding object is scheduled once; a refresh BU makes a new object
// and so a new schedule, which gives "at most one request per binding per lifetime period".
import { IPPROTO_NONE, type BindingRefreshRequest } from '../../wire/types.js';
import type { Ip6 } from '../../inet/ip6.js';
import { REGULAR_BID, type Binding } from '../common/binding.js';
import type { BindingCache } from '../common/cache.js';
import type { BrrPolicy } from '../common/core-config.js';
import { LazyMinHeap } from '../common/heap.js';
import type { Outgoing } from '../common/outcome.js';

/**
 * When a refresh request becomes due: once the remaining lifetime drops below
 * max(leadSeconds, leadFraction x lifetime), but never earlier than half-way through the
 * lifetime, so a short lifetime is not asked to refresh the moment it is granted.
 */
export function refreshDueAtMs(b: Binding, policy: BrrPolicy): number {
  const lifetimeMs = b.lifetimeSeconds * 1000;
  const leadMs = Math.min(lifetimeMs / 2, Math.max(policy.leadSeconds * 1000, policy.leadFraction * lifetimeMs));
  return b.expiresAtMs - leadMs;
}

export function bindingRefreshRequest(b: Binding, src: Ip6): Outgoing<BindingRefreshRequest> {
  return {
    // §6.4: a request for one binding registered with a BID carries its BID sub-option.
    message: {
      kind: 'brr',
      payloadProto: IPPROTO_NONE,
      checksum: 0,
      options: b.bid === REGULAR_BID ? [] : [{ kind: 'bid', bid: b.bid, status: 0, c: false, o: false, h: false }],
    },
    src,
    // Through the binding's own care-of address; a home binding is on the home link.
    dst: b.homeBinding ? b.hoa : b.coa,
    homeAddress: b.homeBinding ? null : b.hoa,
  };
}

export class RefreshScheduler {
  private readonly heap: LazyMinHeap<Binding>;

  constructor(
    private readonly cache: BindingCache,
    private readonly policy: BrrPolicy,
    /** The address a home address's requests come from (its service address). */
    private readonly src: (hoa: Ip6) => Ip6,
  ) {
    this.heap = new LazyMinHeap<Binding>(
      (b) => refreshDueAtMs(b, policy),
      (b) => cache.isCurrent(b),
    );
  }

  /** Called for every binding added or updated. */
  schedule(b: Binding): void {
    if (!this.policy.enabled) return;
    this.heap.push(b);
    this.heap.compactIfBloated(this.cache.size);
  }

  /**
   * The requests due at nowMs (at most `max`), and when to poll next (null: nothing is
   * scheduled). A binding already expired gets no request: expiry removes it.
   */
  poll(nowMs: number, max = Infinity): { requests: Outgoing<BindingRefreshRequest>[]; nextPollMs: number | null } {
    const requests: Outgoing<BindingRefreshRequest>[] = [];
    while (requests.length < max) {
      const b = this.heap.popIfAtMost(nowMs);
      if (!b) break;
      if (b.expiresAtMs > nowMs) requests.push(bindingRefreshRequest(b, this.src(b.hoa)));
    }
    const next = this.heap.peek();
    return { requests, nextPollMs: next ? refreshDueAtMs(next, this.policy) : null };
  }
}

// Per home address desired kernel objects, merged incrementally into the desired set a
// reconciler holds: a BU recomputes the objects of its own home address only, and an object
// shared by several home addresses (a tunnel to one care-of address) stays while any of them
// wants it. Pure bookkeeping: the changes go to a sink (the Reconciler's put), nothing else.
import type { Ip6 } from '../../inet/ip6.js';
import type { DesiredState } from './desired.js';
import { KIND_ORDER, kernelWants, type KernelKind, type KernelWants } from './kernel-wants.js';

/** Where changed keys go: `undefined` clears the key. The Reconciler is one. */
export interface DesiredSink {
  put(kind: string, key: string, desired: unknown): void;
}

export class DesiredIndex {
  private readonly perHoa = new Map<string, KernelWants>();
  /** kind -> key -> (home address -> wanted object). */
  private readonly owners = new Map<KernelKind, Map<string, Map<string, unknown>>>(KIND_ORDER.map((k) => [k, new Map()]));

  constructor(private readonly sink: DesiredSink) {}

  /** Replaces what one home address wants; writes only the keys it wants or stopped wanting. */
  update(hoa: Ip6, desired: DesiredState): void {
    const next = kernelWants(desired);
    const prev = this.perHoa.get(hoa);
    for (const kind of KIND_ORDER) {
      const owners = this.owners.get(kind)!;
      const before = prev?.[kind] as Map<string, unknown> | undefined;
      const after = next[kind] as Map<string, unknown>;
      if (before) {
        for (const key of before.keys()) {
          if (after.has(key)) continue;
          const o = owners.get(key);
          o?.delete(hoa);
          if (!o || o.size === 0) {
            owners.delete(key);
            this.sink.put(kind, key, undefined);
          } else {
            // Another home address still wants it: its object stays.
            this.sink.put(kind, key, o.values().next().value);
          }
        }
      }
      for (const [key, want] of after) {
        let o = owners.get(key);
        if (!o) owners.set(key, (o = new Map()));
        o.set(hoa, want);
        this.sink.put(kind, key, want);
      }
    }
    if (next.tunnel.size + next.route.size + next.proxy.size === 0) this.perHoa.delete(hoa);
    else this.perHoa.set(hoa, next);
  }

  homeAddresses(): IterableIterator<string> {
    return this.perHoa.keys();
  }
}

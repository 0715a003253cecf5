// Per home address desired kernel objects, merged incrementally into the desired set a
// reconciler holds: a BU recomputes the objects of its own home address only, and an object
// shared by several home addresses (a tunnel to one care-of address) stays while any of them
// wants it. Pure bookkeeping: the changes go to a sink (the Reconciler's put), nothing else.
import type { Ip6 } from '../../inet/ip6.js';
import type { DesiredState } from './desired.js';
import { KIND_ORDER, kernelWants } from './kernel-wants.js';

/** Where changed keys go: `undefined` clears the key. The Reconciler is one. */
export interface DesiredSink {
  put(kind: string, key: string, desired: unknown): void;
}

/** One home address's wanted objects, by kind. */
export type WantsByKind = Readonly<Record<string, ReadonlyMap<string, unknown>>>;

/** How a home address's desired state becomes kernel objects: the per-binding design by default. */
export interface WantsPlanner {
  kinds: readonly string[];
  wants(hoa: Ip6, desired: DesiredState): WantsByKind;
}

export const PER_BINDING_PLANNER: WantsPlanner = {
  kinds: KIND_ORDER,
  wants: (_hoa, d) => kernelWants(d) as unknown as WantsByKind,
};

export class DesiredIndex {
  private readonly perHoa = new Map<string, WantsByKind>();
  /** kind -> key -> (home address -> wanted object). */
  private readonly owners: Map<string, Map<string, Map<string, unknown>>>;

  constructor(
    private readonly sink: DesiredSink,
    private readonly planner: WantsPlanner = PER_BINDING_PLANNER,
  ) {
    this.owners = new Map(planner.kinds.map((k) => [k, new Map()]));
  }

  /** Replaces what one home address wants; writes only the keys it wants or stopped wanting. */
  update(hoa: Ip6, desired: DesiredState): void {
    const next = this.planner.wants(hoa, desired);
    const prev = this.perHoa.get(hoa);
    let wanted = 0;
    for (const kind of this.planner.kinds) {
      const owners = this.owners.get(kind)!;
      const before = prev?.[kind];
      const after = next[kind] ?? EMPTY;
      wanted += after.size;
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
    if (wanted === 0) this.perHoa.delete(hoa);
    else this.perHoa.set(hoa, next);
  }

  homeAddresses(): IterableIterator<string> {
    return this.perHoa.keys();
  }
}

const EMPTY: ReadonlyMap<string, unknown> = new Map();

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

/**
 * Who wants one object: nearly always one home address (its own route, group, filters,
 * proxy entry), kept inline; a Map only for an object several share (a care-of address
 * used by several home addresses). A Map per object cost about 200 bytes of heap each,
 * seven objects per home address (bench:scale heap_bytes_per_binding).
 */
type Owners = { hoa: string; want: unknown } | Map<string, unknown>;

export class DesiredIndex {
  private readonly perHoa = new Map<string, WantsByKind>();
  /** kind -> key -> the home addresses wanting it, with what each wants. */
  private readonly owners: Map<string, Map<string, Owners>>;

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
          // Another home address still wants it: its object stays.
          const still = dropOwner(owners, key, hoa);
          this.sink.put(kind, key, still);
        }
      }
      for (const [key, want] of after) {
        addOwner(owners, key, hoa, want);
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

function addOwner(owners: Map<string, Owners>, key: string, hoa: string, want: unknown): void {
  const o = owners.get(key);
  if (o === undefined || (!(o instanceof Map) && o.hoa === hoa)) owners.set(key, { hoa, want });
  else if (o instanceof Map) o.set(hoa, want);
  else owners.set(key, new Map([[o.hoa, o.want], [hoa, want]]));
}

/** Removes `hoa` from the key's owners; returns what another owner wants, or undefined when none is left. */
function dropOwner(owners: Map<string, Owners>, key: string, hoa: string): unknown {
  const o = owners.get(key);
  if (o instanceof Map) {
    o.delete(hoa);
    if (o.size > 0) {
      const [other, want] = o.entries().next().value as [string, unknown];
      if (o.size === 1) owners.set(key, { hoa: other, want });
      return want;
    }
  } else if (o !== undefined && o.hoa !== hoa) return o.want;
  owners.delete(key);
  return undefined;
}

const EMPTY: ReadonlyMap<string, unknown> = new Map();

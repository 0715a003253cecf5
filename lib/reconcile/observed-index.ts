// Secondary indexes over what the reconciler last saw of one kind, kept current by the
// engine on every read and write, so a kernel notification (RTM_DELLINK names a device,
// RTM_DELNEIGH an address on an ifindex) finds its object in O(1) instead of scanning every
// observed object: with N bindings a flush would otherwise cost O(N²).

/** Told of every change to one kind's observed map (the engine calls it). */
export interface ObservedWatcher<O> {
  /** `key` is now `after`; `before` is what was seen for it, or undefined for a new key. */
  set(key: string, after: O, before: O | undefined): void;
  /** `key` is gone from the kernel view. */
  delete(key: string, before: O): void;
}

/**
 * Observed objects by a field of theirs (a tunnel's name, a proxy entry's ifindex and
 * address): `lookup(secondary)` gives the reconciler's key. Several keys may share a
 * secondary key for a moment (a duplicate being removed); the last one written wins, and
 * deleting any of them leaves the others found.
 */
export class ObservedIndex<O> implements ObservedWatcher<O> {
  private readonly byField = new Map<string, Set<string>>();

  constructor(private readonly fieldOf: (o: O) => string) {}

  set(key: string, after: O, before: O | undefined): void {
    if (before !== undefined) this.drop(this.fieldOf(before), key);
    const f = this.fieldOf(after);
    let keys = this.byField.get(f);
    if (!keys) this.byField.set(f, (keys = new Set()));
    keys.add(key);
  }

  delete(key: string, before: O): void {
    this.drop(this.fieldOf(before), key);
  }

  private drop(field: string, key: string): void {
    const keys = this.byField.get(field);
    if (!keys) return;
    keys.delete(key);
    if (keys.size === 0) this.byField.delete(field);
  }

  /** The keys of the observed objects whose field is `field` (usually one, or none). */
  lookup(field: string): ReadonlySet<string> {
    return this.byField.get(field) ?? EMPTY;
  }

  get size(): number {
    return this.byField.size;
  }
}

const EMPTY: ReadonlySet<string> = new Set();

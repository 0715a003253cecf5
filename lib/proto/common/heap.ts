// A binary min-heap with lazy deletion: entries are never removed from the middle; an
// entry whose item is no longer current (replaced or deleted) is skipped when it reaches
// the top, and the array is compacted when stale entries outnumber live ones. One array
// of references, no per-entry timers or wrapper objects.

export class LazyMinHeap<T> {
  private items: T[] = [];

  /**
   * @param key  the ordering key of an item; must not change while the item is current
   * @param isLive  false once the item has been replaced or removed by its owner
   */
  constructor(
    private readonly key: (item: T) => number,
    private readonly isLive: (item: T) => boolean,
  ) {}

  /** Entries held, live and stale. */
  get length(): number {
    return this.items.length;
  }

  push(item: T): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    const k = this.key(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = a[parent]!;
      if (this.key(p) <= k) break;
      a[i] = p;
      i = parent;
    }
    a[i] = item;
  }

  /** The live item with the smallest key, discarding stale entries above it. */
  peek(): T | undefined {
    const a = this.items;
    while (a.length > 0) {
      const top = a[0]!;
      if (this.isLive(top)) return top;
      this.removeTop();
    }
    return undefined;
  }

  /** Removes and returns the live item with the smallest key when that key is <= limit. */
  popIfAtMost(limit: number): T | undefined {
    const top = this.peek();
    if (top === undefined || this.key(top) > limit) return undefined;
    this.removeTop();
    return top;
  }

  /** Drops stale entries and rebuilds the heap when they exceed `live` by the given slack. */
  compactIfBloated(live: number, slack = 1024): void {
    if (this.items.length <= 2 * live + slack) return;
    this.items = this.items.filter(this.isLive);
    for (let i = (this.items.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  private removeTop(): void {
    const a = this.items;
    const last = a.pop()!;
    if (a.length === 0) return;
    a[0] = last;
    this.siftDown(0);
  }

  private siftDown(start: number): void {
    const a = this.items;
    const n = a.length;
    const item = a[start]!;
    const k = this.key(item);
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      let ck = this.key(a[l]!);
      if (r < n) {
        const rk = this.key(a[r]!);
        if (rk < ck) {
          c = r;
          ck = rk;
        }
      }
      if (ck >= k) break;
      a[i] = a[c]!;
      i = c;
    }
    a[i] = item;
  }
}

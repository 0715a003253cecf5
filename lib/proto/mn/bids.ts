// Binding Unique Identifier assignment (draft-04 §5.1). One BID per care-of interface,
// kept while the interface's address comes, goes or changes, so a binding keeps its
// identity across state changes. New BIDs come from a cursor that only moves forward
// (wrapping 65535 -> 1), so a released BID is not handed out again until every other
// value has been: a late BA or BRR for the old binding cannot hit a new one.

export const MIN_BID = 1;
export const MAX_BID = 0xffff;

export class BidAllocator {
  private readonly byKey = new Map<string, number>();
  private readonly inUse = new Set<number>();
  private cursor: number;

  constructor(first = MIN_BID) {
    if (!Number.isInteger(first) || first < MIN_BID || first > MAX_BID) {
      throw new RangeError(`first BID ${first} outside ${MIN_BID}..${MAX_BID}`);
    }
    this.cursor = first;
  }

  /** The BID of `key`, assigning the next free one on first use. */
  bidFor(key: string): number {
    const known = this.byKey.get(key);
    if (known !== undefined) return known;
    if (this.inUse.size >= MAX_BID) throw new RangeError('all 65535 BIDs are in use');
    while (this.inUse.has(this.cursor)) this.advance();
    const bid = this.cursor;
    this.advance();
    this.byKey.set(key, bid);
    this.inUse.add(bid);
    return bid;
  }

  peek(key: string): number | undefined {
    return this.byKey.get(key);
  }

  /** Frees the BID of `key`; it is reused only after the cursor wraps. */
  release(key: string): void {
    const bid = this.byKey.get(key);
    if (bid === undefined) return;
    this.byKey.delete(key);
    this.inUse.delete(bid);
  }

  entries(): [string, number][] {
    return [...this.byKey.entries()];
  }

  private advance(): void {
    this.cursor = this.cursor >= MAX_BID ? MIN_BID : this.cursor + 1;
  }
}

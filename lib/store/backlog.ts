// The work queued behind the journal (issue 12). Group commit (binding-store.ts) gathers
// the records of every Binding Update handled while a write is in flight, and each BU's
// acknowledgement waits for the commit holding it. On a slow disk a flood of BUs would
// queue records, commit waiters and BAs without end; this counts the BUs whose commit has
// not resolved, and the daemon stops taking new ones at the cap. Pure counting, no I/O.

export class JournalBacklog {
  private waiting = 0;

  /** Binding Updates whose commit has not resolved. */
  get size(): number {
    return this.waiting;
  }

  /** Whether one more BU may be taken while at most `cap` wait. */
  hasRoom(cap: number): boolean {
    return this.waiting < cap;
  }

  /** Counts one BU until `commit` settles (either way: a failed commit stops the daemon). */
  track<T>(commit: Promise<T>): Promise<T> {
    this.waiting++;
    const done = (): void => void this.waiting--;
    commit.then(done, done);
    return commit;
  }
}

// Nonces and Kcn of a correspondent node (RFC 6275 §5.2.3, §5.2.7). A new nonce is made
// every `regenerateMs`; each nonce is usable for MAX_NONCE_LIFETIME after it was made and
// is found by its 16-bit index. Each entry keeps the Kcn that was current when it was
// made, so Kcn can be replaced at any time without invalidating tokens already handed out.
import { KCN_LENGTH, MAX_NONCE_LIFETIME } from '../common/rr-crypto.js';

export type RandomBytes = (n: number) => Uint8Array;

export const NONCE_LENGTH = 8;

export interface NonceEntry {
  readonly index: number;
  readonly nonce: Uint8Array;
  readonly kcn: Uint8Array;
  readonly createdAtMs: number;
}

export interface NonceTableOptions {
  randomBytes: RandomBytes;
  /** New nonce this often; keep <= (MAX_NONCE_LIFETIME - MAX_TOKEN_LIFETIME) s = 30 s. */
  regenerateMs: number;
  /** New Kcn this often; null keeps the first one. */
  kcnRotateMs: number | null;
  /** Defaults to MAX_NONCE_LIFETIME. */
  nonceLifetimeMs?: number;
}

export class NonceTable {
  private readonly entries = new Map<number, NonceEntry>();
  private latest: NonceEntry | null = null;
  private kcn: Uint8Array;
  private kcnCreatedAtMs: number;
  private nextIndex: number;
  private readonly lifetimeMs: number;

  constructor(
    private readonly opts: NonceTableOptions,
    nowMs: number,
  ) {
    this.lifetimeMs = opts.nonceLifetimeMs ?? MAX_NONCE_LIFETIME * 1000;
    this.kcn = this.random(KCN_LENGTH);
    this.kcnCreatedAtMs = nowMs;
    const start = this.random(2);
    this.nextIndex = (start[0]! << 8) | start[1]!;
  }

  /** The nonce to hand out now, making a new one when the current one is old enough. */
  current(nowMs: number): NonceEntry {
    if (this.latest && nowMs - this.latest.createdAtMs < this.opts.regenerateMs) return this.latest;
    this.purge(nowMs);
    if (this.opts.kcnRotateMs !== null && nowMs - this.kcnCreatedAtMs >= this.opts.kcnRotateMs) {
      this.kcn = this.random(KCN_LENGTH);
      this.kcnCreatedAtMs = nowMs;
    }
    const entry: NonceEntry = { index: this.nextIndex, nonce: this.random(NONCE_LENGTH), kcn: this.kcn, createdAtMs: nowMs };
    this.nextIndex = (this.nextIndex + 1) & 0xffff;
    this.entries.set(entry.index, entry);
    this.latest = entry;
    return entry;
  }

  /** The nonce with this index if it is still valid at nowMs (else the index has "expired"). */
  lookup(index: number, nowMs: number): NonceEntry | null {
    const e = this.entries.get(index);
    if (!e || nowMs - e.createdAtMs > this.lifetimeMs || nowMs < e.createdAtMs) return null;
    return e;
  }

  /** Number of nonces held (valid or not yet purged). */
  get size(): number {
    return this.entries.size;
  }

  private purge(nowMs: number): void {
    for (const [i, e] of this.entries) if (nowMs - e.createdAtMs > this.lifetimeMs) this.entries.delete(i);
  }

  private random(n: number): Uint8Array {
    const b = this.opts.randomBytes(n);
    if (b.length !== n) throw new RangeError(`randomBytes(${n}) returned ${b.length} octets`);
    return Uint8Array.from(b);
  }
}

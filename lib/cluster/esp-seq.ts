// High-water marks of the static ESP SAs' output sequence numbers (docs/cluster.md, "ESP
// sequence numbers"). Every node holds the same manually keyed SAs; after a failover the new
// active must send numbers above any the mobile node has accepted from the old one, or its
// anti-replay window drops them. So the active keeps, per outbound SA, a mark in etcd ahead
// of what it has sent: `<prefix>esp-seq/<destination>/<SPI>` = a decimal sequence number.
// A new active sets its SAs' output counters to the marks before it serves.
//
// This file is the pure part: when a reported output sequence number calls for a new mark
// (`EspSeqMarks`), and the marks' keys and values. The etcd reads and writes are
// `EspSeqStore` below; the kernel side is lib/daemon/ha/esp-seq.ts.
import type { Etcd3 } from 'etcd3';
import type { Ip6 } from '../inet/ip6.js';
import type { Fence } from './replicated-store.js';

/** Largest 32-bit sequence number: without ESN the kernel does not send past it. */
export const MAX_ESP_SEQ = 0xffffffff;

/** An outbound SA as the kernel finds it: destination and SPI (the protocol is always ESP here). */
export interface EspSaRef {
  dst: Ip6;
  spi: number;
}

/** The SA's name in etcd and in logs: `2001:db8:f1::10/0x00002002`. */
export function espSaId(sa: EspSaRef): string {
  return `${sa.dst}/0x${sa.spi.toString(16).padStart(8, '0')}`;
}

/** A stored mark's value, or null when it is not a sequence number (never trusted blindly). */
export function decodeMark(text: string): number | null {
  if (!/^\d{1,10}$/.test(text)) return null;
  const n = Number(text);
  return n <= MAX_ESP_SEQ ? n : null;
}

/**
 * The mark to keep ahead of `oseq`: oseq + margin, capped at 2^32 − 1.
 */
export function markAfter(oseq: number, margin: number): number {
  return Math.min(MAX_ESP_SEQ, oseq + margin);
}

/**
 * Per outbound SA, the mark this node last asked etcd for, and whether a reported output
 * sequence number needs a new one: when at most half the margin is left above it. Half the
 * margin is the headroom the kernel's report delay and the etcd write must fit in (the bound
 * is in docs/cluster.md). One write per SA in flight; numbers reported meanwhile are looked at
 * again when it settles.
 */
export class EspSeqMarks {
  private readonly marks = new Map<string, number>();
  private readonly inFlight = new Set<string>();
  private readonly waiting = new Map<string, number>();

  constructor(readonly margin: number) {
    if (!Number.isInteger(margin) || margin < 2) throw new RangeError(`ESP sequence margin ${margin}: at least 2`);
  }

  /** The mark known to be stored for `id` (undefined: none). */
  mark(id: string): number | undefined {
    return this.marks.get(id);
  }

  /** A mark etcd holds (read at a takeover, or written). Never lowers one already known. */
  seed(id: string, mark: number): void {
    const m = this.marks.get(id);
    if (m === undefined || mark > m) this.marks.set(id, mark);
  }

  /** Forgets every SA (this node stepped down: the next takeover reads etcd again). */
  clear(): void {
    this.marks.clear();
    this.waiting.clear();
  }

  /** Whether `oseq` leaves at most half the margin below the stored mark (or there is none). */
  needsMark(id: string, oseq: number): boolean {
    const m = this.marks.get(id);
    return m === undefined || (m < MAX_ESP_SEQ && oseq >= m - Math.floor(this.margin / 2));
  }

  /** The kernel reported `oseq` for `id`: the mark to write now, or null (none due, or one in flight). */
  observe(id: string, oseq: number): number | null {
    if (this.inFlight.has(id)) {
      this.waiting.set(id, Math.max(oseq, this.waiting.get(id) ?? 0));
      return null;
    }
    if (!this.needsMark(id, oseq)) return null;
    this.inFlight.add(id);
    return markAfter(oseq, this.margin);
  }

  /** The write of `mark` for `id` ended (`ok`: stored); the next mark due, if a report came meanwhile. */
  settled(id: string, mark: number, ok: boolean): number | null {
    this.inFlight.delete(id);
    if (ok) this.seed(id, mark);
    const w = this.waiting.get(id);
    this.waiting.delete(id);
    return w === undefined ? null : this.observe(id, w);
  }
}

/** etcd allows 128 operations per transaction by default; a takeover writes its marks in chunks. */
const OPS_PER_TXN = 100;

/** The marks in etcd: one read of them all at a takeover, fenced writes by the active. */
export class EspSeqStore {
  constructor(
    private readonly client: Etcd3,
    /** `<prefix>esp-seq/` */
    readonly prefix: string,
  ) {}

  key(id: string): string {
    return `${this.prefix}${id}`;
  }

  /** Every stored mark by SA id; values that are not sequence numbers are left out and named in `bad`. */
  async readAll(deadlineMs: number): Promise<{ marks: Map<string, number>; bad: string[] }> {
    const kv = await this.client.getAll().prefix(this.prefix).options({ deadline: Date.now() + deadlineMs }).strings();
    const marks = new Map<string, number>();
    const bad: string[] = [];
    for (const [key, value] of Object.entries(kv)) {
      const m = decodeMark(value);
      if (m === null) bad.push(key);
      else marks.set(key.slice(this.prefix.length), m);
    }
    return { marks, bad };
  }

  /**
   * Writes the marks while `fence` holds (the owner key names this node): a node that lost
   * the service address writes nothing. Resolves false when the fence did not hold.
   */
  async write(marks: ReadonlyMap<string, number>, fence: Fence): Promise<boolean> {
    const entries = [...marks];
    for (let i = 0; i < entries.length; i += OPS_PER_TXN) {
      const ops = entries.slice(i, i + OPS_PER_TXN).map(([id, mark]) => this.client.put(this.key(id)).value(String(mark)));
      const r = await this.client.if(fence.key, 'Value', '==', fence.value).then(...ops).commit();
      if (!r.succeeded) return false;
    }
    return true;
  }
}

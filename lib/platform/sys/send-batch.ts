// sendmmsg(2): the datagrams one socket sends in one turn of the event loop, in one system
// call. In user-mode Linux each sendmsg cost 70-220 µs, and a first registration sends three
// (the DAD probe, the proxy announcement, the BA), each on its own socket; a storm produces
// hundreds per turn on each. queue() keeps the message and asks for one flush after the
// current poll phase (setImmediate: after every I/O callback of this loop iteration and
// their microtasks, before its timers), so what a whole drain of the signalling socket
// produces, and what the journal commits and DAD timers it wakes produce, leaves together.
//
// Each message is reported once, with its own result: the octets sent or -errno. sendmmsg
// returns how many of the vector went out; when an error stops it after the first, the
// kernel forgets that error, so the rest is sent again from there: a call that fails on its
// first message gives that message's errno, and the next starts after it. No message is
// dropped without its callback hearing why.
//   struct mmsghdr (64): struct msghdr @0 (56, see msghdr.ts) | msg_len u32 @56 | pad
import { addressOf, sys } from './libc.js';
import { Errno } from './errno.js';

const MMSGHDR_SIZE = 64;
const IOVEC_SIZE = 16;
/** Messages per call at most (the kernel's UIO_MAXIOV is 1024). */
const MAX_PER_CALL = 256;

export interface BatchedMessage {
  /** The octets to send; the caller must not reuse the buffer before the callback. */
  data: Uint8Array;
  /** msg_name: the peer address (sockaddr_in6, sockaddr_ll). */
  name?: Uint8Array;
  /** msg_control: control messages laid out by encodeCmsgs. */
  control?: Uint8Array;
}

/** The octets sent, or -errno. */
export type SendDone = (result: number) => void;

interface Queued {
  msg: BatchedMessage;
  done: SendDone;
}

export interface SendBatchStats {
  /** Messages handed to the kernel successfully. */
  sent: number;
  /** Messages whose send failed (each reported to its callback). */
  failed: number;
  /** sendmmsg calls made. */
  calls: number;
}

/** The queue and preallocated mmsghdr vector of one socket's sends. */
export class SendBatch {
  private queued: Queued[] = [];
  private scheduled = false;
  private vec = new Uint8Array(0);
  private iovs = new Uint8Array(0);
  private readonly counters: SendBatchStats = { sent: 0, failed: 0, calls: 0 };

  constructor(private readonly fd: number) {}

  get stats(): Readonly<SendBatchStats> {
    return { ...this.counters };
  }

  /** Messages waiting for the flush. */
  get pending(): number {
    return this.queued.length;
  }

  /** Sends `msg` at the end of this turn; `done` gets its result then (never synchronously). */
  queue(msg: BatchedMessage, done: SendDone): void {
    this.queued.push({ msg, done });
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /**
   * Sends everything queued now; the owner calls it before closing the descriptor. Callbacks
   * run after every message has its result, so one that queues more starts the next batch.
   */
  flush(): void {
    this.scheduled = false;
    const q = this.queued;
    if (q.length === 0) return;
    this.queued = [];
    const results = new Array<number>(q.length);
    let at = 0;
    while (at < q.length) {
      const count = Math.min(q.length - at, MAX_PER_CALL);
      const n = this.call(q, at, count);
      this.counters.calls++;
      if (n === -Errno.EINTR) continue;
      if (n < 0) {
        // The kernel reports an error only when the first message of the call failed.
        results[at++] = n;
        continue;
      }
      for (let i = 0; i < n; i++) results[at + i] = this.view().getUint32(i * MMSGHDR_SIZE + 56, true);
      // n < count: an error stopped the call after n messages; the next call starts at the one that failed.
      at += n;
    }
    for (let i = 0; i < q.length; i++) {
      if (results[i]! < 0) this.counters.failed++;
      else this.counters.sent++;
    }
    for (let i = 0; i < q.length; i++) q[i]!.done(results[i]!);
  }

  private view(): DataView {
    return new DataView(this.vec.buffer);
  }

  /** One sendmmsg of q[at .. at+count); returns the messages sent or -errno. */
  private call(q: readonly Queued[], at: number, count: number): number {
    if (this.vec.length < count * MMSGHDR_SIZE) {
      this.vec = new Uint8Array(count * MMSGHDR_SIZE);
      this.iovs = new Uint8Array(count * IOVEC_SIZE);
    }
    const v = this.view();
    const iv = new DataView(this.iovs.buffer);
    const iovBase = addressOf(this.iovs);
    for (let i = 0; i < count; i++) {
      const { data, name, control } = q[at + i]!.msg;
      iv.setBigUint64(i * IOVEC_SIZE, data.length ? addressOf(data) : 0n, true);
      iv.setBigUint64(i * IOVEC_SIZE + 8, BigInt(data.length), true);
      const h = i * MMSGHDR_SIZE;
      v.setBigUint64(h, name?.length ? addressOf(name) : 0n, true);
      v.setUint32(h + 8, name?.length ?? 0, true);
      v.setBigUint64(h + 16, iovBase + BigInt(i * IOVEC_SIZE), true);
      v.setBigUint64(h + 24, 1n, true);
      v.setBigUint64(h + 32, control?.length ? addressOf(control) : 0n, true);
      v.setBigUint64(h + 40, BigInt(control?.length ?? 0), true);
      v.setInt32(h + 48, 0, true);
      v.setUint32(h + 56, 0, true);
    }
    // The buffers stay referenced by `q` for the synchronous call.
    return sys.sendmmsg(this.fd, this.vec, count, 0);
  }
}

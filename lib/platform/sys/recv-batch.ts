// recvmmsg(2): many datagrams in one system call. In user-mode Linux every system call
// costs a round trip through the host, and a drain that read each datagram with its own
// recvmsg (and one more for EAGAIN) spent a tenth of a registration storm there. Each slot
// has its own buffer, peer address and control space, laid out for Linux x86_64:
//   struct mmsghdr (64): struct msghdr @0 (56, see msghdr.ts) | msg_len u32 @56 | pad
import { addressOf, sys } from './libc.js';
import type { RecvResult } from './msghdr.js';

const MMSGHDR_SIZE = 64;
const IOVEC_SIZE = 16;

export interface RecvBatchOptions {
  /** Datagrams read per call at most. */
  slots: number;
  /** Each slot's buffer in octets. */
  bufferSize: number;
  /** The first slot's buffer, when a rare large datagram must fit somewhere (default bufferSize). */
  firstBufferSize?: number;
  /** Room for the peer address; 28 fits sockaddr_in6, 12 sockaddr_nl, 20 sockaddr_ll. */
  nameSize?: number;
  /** Room for received control messages per slot. */
  controlSize?: number;
}

interface Slot {
  buffer: Uint8Array;
  name: Uint8Array;
  control: Uint8Array;
}

/** Preallocated mmsghdr vector for one socket's recvmmsg calls. */
export class RecvBatch {
  readonly slots: number;
  private readonly vec: Uint8Array;
  private readonly view: DataView;
  private readonly slot: Slot[] = [];
  private readonly iovs: Uint8Array;
  private readonly controlCap: number;

  constructor(opts: RecvBatchOptions) {
    if (!Number.isInteger(opts.slots) || opts.slots < 1) throw new RangeError(`recvmmsg slots ${opts.slots}`);
    this.slots = opts.slots;
    this.vec = new Uint8Array(MMSGHDR_SIZE * this.slots);
    this.view = new DataView(this.vec.buffer);
    this.iovs = new Uint8Array(IOVEC_SIZE * this.slots);
    this.controlCap = opts.controlSize ?? 0;
    const iv = new DataView(this.iovs.buffer);
    for (let i = 0; i < this.slots; i++) {
      const s: Slot = {
        buffer: new Uint8Array(i === 0 ? (opts.firstBufferSize ?? opts.bufferSize) : opts.bufferSize),
        name: new Uint8Array(Math.max(opts.nameSize ?? 28, 1)),
        control: new Uint8Array(Math.max(this.controlCap, 1)),
      };
      this.slot.push(s);
      iv.setBigUint64(i * IOVEC_SIZE, addressOf(s.buffer), true);
      iv.setBigUint64(i * IOVEC_SIZE + 8, BigInt(s.buffer.length), true);
      const h = i * MMSGHDR_SIZE;
      this.view.setBigUint64(h, addressOf(s.name), true);
      this.view.setBigUint64(h + 16, addressOf(this.iovs) + BigInt(i * IOVEC_SIZE), true);
      this.view.setBigUint64(h + 24, 1n, true);
      this.view.setBigUint64(h + 32, addressOf(s.control), true);
    }
  }

  /**
   * recvmmsg of up to `slots` datagrams without waiting; returns how many arrived (read
   * each with result()), or -errno (EAGAIN when none was queued). An error after the first
   * datagram is returned by the next call (the kernel keeps it on the socket).
   */
  receive(fd: number, flags = 0): number {
    const v = this.view;
    for (let i = 0; i < this.slots; i++) {
      const h = i * MMSGHDR_SIZE;
      v.setUint32(h + 8, this.slot[i]!.name.length, true);
      v.setBigUint64(h + 40, BigInt(this.controlCap), true);
      v.setInt32(h + 48, 0, true);
    }
    return sys.recvmmsg(fd, this.vec, this.slots, flags);
  }

  /** Datagram `i` of the last receive(); its views are valid until the next receive(). */
  result(i: number): RecvResult {
    const v = this.view;
    const h = i * MMSGHDR_SIZE;
    const s = this.slot[i]!;
    const n = v.getUint32(h + 56, true);
    const nameLen = Math.min(v.getUint32(h + 8, true), s.name.length);
    const controlLen = Math.min(Number(v.getBigUint64(h + 40, true)), this.controlCap);
    return {
      length: n,
      data: s.buffer.subarray(0, Math.min(n, s.buffer.length)),
      name: s.name.subarray(0, nameLen),
      control: s.control.subarray(0, controlLen),
      flags: v.getInt32(h + 48, true),
    };
  }
}

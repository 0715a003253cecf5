// What the MH and ND sockets share around the one receive loop (datagram-reader.ts): the
// reader wired to the subclass's deliver/receiveFailed, ref/unref, and a close that stops
// the reader once. Each subclass keeps its own descriptors, sends and counters.
import { EventEmitter } from 'node:events';
import type { MsgIo } from '../platform/sys/msghdr.js';
import type { RecvBatch } from '../platform/sys/recv-batch.js';
import { DatagramReader } from './datagram-reader.js';
import type { DropReason, RawDatagram } from './receive.js';

export type ReceiveFailure = 'recvmsg' | 'truncated' | DropReason;

export abstract class DatagramSocket<E extends Record<keyof E, unknown[]>> extends EventEmitter<E> {
  private readonly reader: DatagramReader;
  protected open = true;

  protected constructor(
    fd: number,
    /** For the subclass's sends. */
    protected readonly io: MsgIo,
    receive: RecvBatch,
  ) {
    super();
    this.reader = new DatagramReader(fd, receive, {
      datagram: (d) => this.deliver(d),
      failed: (reason, code, message) => this.receiveFailed(reason, code, message),
    });
  }

  /** One datagram that fit the buffer; its octets are valid only during the call. */
  protected abstract deliver(d: RawDatagram): void;

  /** A dropped or failed receive, counted and reported as a 'receiveError' event (never 'error'). */
  protected abstract receiveFailed(reason: ReceiveFailure, code: string, message: string): void;

  /** Lets the process exit while only this socket is open. */
  unref(): this {
    this.reader.unref();
    return this;
  }

  ref(): this {
    this.reader.ref();
    return this;
  }

  /** Stops the reader the first time; false when already closed (the subclass then closes nothing). */
  protected shut(): boolean {
    if (!this.open) return false;
    this.open = false;
    this.reader.close();
    return true;
  }
}

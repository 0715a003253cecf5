// The receive loop both signalling sockets share: the descriptor is watched with uv_poll and
// drained with recvmmsg (platform/sys/recv-batch.ts: many datagrams per system call) until
// a call returns fewer than it had room for, a bounded number of datagrams per wakeup so one
// busy socket cannot starve the event loop (uv_poll is level-triggered: what arrives later
// wakes it again). A truncated datagram is reported and skipped; any
// other recvmsg error is reported once and ends this wakeup (a persistent error must not
// spin here; the next wakeup retries).
import { Errno, errnoName } from '../platform/sys/errno.js';
import type { RecvBatch } from '../platform/sys/recv-batch.js';
import { FdWatch } from '../platform/sys/poll.js';
import { MSG_TRUNC } from '../platform/sys/socket.js';
import type { RawDatagram } from './receive.js';

const MAX_READS_PER_WAKEUP = 256;

export interface DatagramHandlers {
  /** One datagram that fit the buffer; its octets are valid until the next read. */
  datagram(d: RawDatagram): void;
  /** recvmsg or uv_poll failed (`code` an errno name), or a datagram was truncated (`code` MSG_TRUNC). */
  failed(reason: 'recvmsg' | 'truncated', code: string, message: string): void;
}

export class DatagramReader {
  private readonly watch: FdWatch;
  private open = true;

  constructor(
    private readonly fd: number,
    private readonly batch: RecvBatch,
    private readonly handlers: DatagramHandlers,
  ) {
    this.watch = new FdWatch(fd, {
      readable: () => this.drain(),
      error: (status) => handlers.failed('recvmsg', errnoName(-status), 'uv_poll reported an error'),
    });
  }

  /** Lets the process exit while only this descriptor is watched. */
  unref(): void {
    this.watch.unref();
  }

  ref(): void {
    this.watch.ref();
  }

  /** Stops watching (the owner closes the descriptor); safe to call twice. */
  close(): void {
    if (!this.open) return;
    this.open = false;
    this.watch.close();
  }

  private drain(): void {
    for (let read = 0; read < MAX_READS_PER_WAKEUP && this.open; ) {
      const n = this.batch.receive(this.fd);
      if (n < 0) {
        if (n !== -Errno.EAGAIN && n !== -Errno.EINTR) this.handlers.failed('recvmsg', errnoName(-n), 'recvmsg failed');
        return;
      }
      for (let i = 0; i < n && this.open; i++) {
        const r = this.batch.result(i);
        if (r.flags & MSG_TRUNC || r.length > r.data.length) {
          this.handlers.failed('truncated', 'MSG_TRUNC', `datagram of ${r.length} octets exceeds the buffer`);
          continue;
        }
        this.handlers.datagram(r);
      }
      read += n;
      if (n < this.batch.slots) return;
    }
  }
}

// The real netlink transport: a non-blocking AF_NETLINK socket on Node's event
// loop. It sends datagrams and, on each readable event, drains the socket with
// recvmmsg (many acknowledgements and events per system call) until a call returns
// fewer than it had room for, telling the sink whether each datagram came from a
// multicast group (sockaddr_nl.nl_groups != 0) and when data was lost.
import { Errno, SyscallError } from '../sys/errno.js';
import { check, sys } from '../sys/libc.js';
import { RecvBatch } from '../sys/recv-batch.js';
import { FdWatch } from '../sys/poll.js';
import {
  AF_NETLINK,
  MSG_TRUNC,
  SOCK_RAW,
  closeFd,
  encodeSockaddrNl,
  openSocket,
  setBufferSize,
  setsockoptInt,
  trySetsockoptInt,
} from '../sys/socket.js';
import {
  NETLINK_ADD_MEMBERSHIP,
  NETLINK_CAP_ACK,
  NETLINK_DROP_MEMBERSHIP,
  NETLINK_EXT_ACK,
  NETLINK_GET_STRICT_CHK,
  SOL_NETLINK,
} from './netlink-constants.js';

/** Datagrams read per recvmmsg, and the room of every slot but the first. */
const RECV_SLOTS = 16;
const RECV_SLOT_OCTETS = 64 << 10;

export interface DatagramSink {
  /** One received datagram; `data` is valid only during the call. */
  datagram(data: Uint8Array, multicast: boolean): void;
  /** Received data was lost (ENOBUFS overrun, truncated datagram). */
  lost(reason: string): void;
}

/** What NetlinkSocket needs from below; tests supply a fake. */
export interface NetlinkTransport {
  /** Sends one datagram holding one or more messages; returns octets sent or -errno. */
  send(datagram: Uint8Array): number;
  start(sink: DatagramSink): void;
  addMembership(group: number): void;
  dropMembership(group: number): void;
  ref(): void;
  unref(): void;
  close(): void;
}

export interface NetlinkTransportOptions {
  /** NETLINK_ROUTE (0) or NETLINK_XFRM (6). */
  protocol: number;
  /** Network namespace name or path to open the socket in. */
  netns?: string;
  /** Receive buffer size; 32 MiB by default, so bursts of ACKs and events fit. */
  rcvbuf?: number;
  /** Send buffer size; must exceed the largest batch. */
  sndbuf?: number;
  /** Largest datagram accepted in the first slot of a read; bigger ones count as lost. */
  recvBufferSize?: number;
  /** NETLINK_GET_STRICT_CHK, which lets the kernel filter dumps by header fields. */
  strictCheck?: boolean;
}

export class KernelNetlinkTransport implements NetlinkTransport {
  readonly fd: number;
  readonly rcvbuf: number;
  private readonly batch: RecvBatch;
  private watch: FdWatch | null = null;
  private sink: DatagramSink | null = null;

  constructor(opts: NetlinkTransportOptions) {
    this.fd = openSocket(AF_NETLINK, SOCK_RAW, opts.protocol, opts.netns === undefined ? {} : { netns: opts.netns });
    try {
      this.rcvbuf = setBufferSize(this.fd, 'rcv', opts.rcvbuf ?? 32 << 20);
      setBufferSize(this.fd, 'snd', opts.sndbuf ?? 4 << 20);
      setsockoptInt(this.fd, SOL_NETLINK, NETLINK_EXT_ACK, 1);
      setsockoptInt(this.fd, SOL_NETLINK, NETLINK_CAP_ACK, 1);
      // Older kernels lack strict checking; the decoders filter client-side anyway.
      if (opts.strictCheck ?? true) trySetsockoptInt(this.fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, 1);
      check(sys.bind(this.fd, encodeSockaddrNl(0, 0)), 'bind', 'AF_NETLINK');
    } catch (err) {
      closeFd(this.fd);
      throw err;
    }
    // A dump's datagrams are at most 32 KiB (the kernel caps them), and so are its events
    // and acknowledgements in practice; the first slot takes anything up to recvBufferSize.
    this.batch = new RecvBatch({ slots: RECV_SLOTS, firstBufferSize: opts.recvBufferSize ?? 1 << 20, bufferSize: RECV_SLOT_OCTETS, nameSize: 12 });
  }

  send(datagram: Uint8Array): number {
    return sys.send(this.fd, datagram, datagram.length, 0);
  }

  start(sink: DatagramSink): void {
    this.sink = sink;
    this.watch = new FdWatch(this.fd, {
      readable: () => this.drain(),
      error: (status) => sink.lost(`the socket cannot be watched any more (uv status ${status})`),
    });
  }

  private drain(): void {
    const sink = this.sink;
    // Bounded, so a flooding group cannot starve the loop; uv_poll is level-triggered
    // and calls again while data remains.
    for (let read = 0; read < 4096 && sink !== null && this.sink === sink; ) {
      const n = this.batch.receive(this.fd, MSG_TRUNC);
      if (n < 0) {
        if (n === -Errno.EAGAIN || n === -Errno.EINTR) return;
        if (n === -Errno.ENOBUFS) {
          sink.lost('ENOBUFS: receive queue overrun');
          read++;
          continue;
        }
        sink.lost(`recvmsg: ${new SyscallError('recvmmsg', -n).code}`);
        return;
      }
      for (let i = 0; i < n && this.sink === sink; i++) {
        const r = this.batch.result(i);
        if (r.length > r.data.length) {
          sink.lost(`datagram of ${r.length} octets truncated to ${r.data.length}`);
          continue;
        }
        // sockaddr_nl.nl_groups (u32 @8) is non-zero for multicast deliveries.
        const a = r.name;
        const multicast = a.length >= 12 && (a[8]! | a[9]! | a[10]! | a[11]!) !== 0;
        sink.datagram(r.data, multicast);
      }
      read += n;
      if (n < this.batch.slots) return;
    }
  }

  addMembership(group: number): void {
    setsockoptInt(this.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, group);
  }

  dropMembership(group: number): void {
    setsockoptInt(this.fd, SOL_NETLINK, NETLINK_DROP_MEMBERSHIP, group);
  }

  ref(): void {
    this.watch?.ref();
  }

  unref(): void {
    this.watch?.unref();
  }

  close(): void {
    this.watch?.close();
    this.watch = null;
    this.sink = null;
    closeFd(this.fd);
  }
}

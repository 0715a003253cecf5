// The real netlink transport: a non-blocking AF_NETLINK socket on Node's event
// loop. It sends datagrams and, on each readable event, drains the socket with
// recvmsg until EAGAIN, telling the sink whether each datagram came from a
// multicast group (sockaddr_nl.nl_groups != 0) and when data was lost.
import { Errno, SyscallError } from '../sys/errno.js';
import { check, sys } from '../sys/libc.js';
import { MsgIo } from '../sys/msghdr.js';
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
  /** Largest datagram accepted; bigger ones count as lost. */
  recvBufferSize?: number;
  /** NETLINK_GET_STRICT_CHK, which lets the kernel filter dumps by header fields. */
  strictCheck?: boolean;
}

export class KernelNetlinkTransport implements NetlinkTransport {
  readonly fd: number;
  readonly rcvbuf: number;
  private readonly io: MsgIo;
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
    this.io = new MsgIo({ bufferSize: opts.recvBufferSize ?? 1 << 20, nameSize: 12 });
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
    for (let i = 0; i < 4096 && sink !== null && this.sink === sink; i++) {
      const r = this.io.recvmsg(this.fd, MSG_TRUNC);
      if (typeof r === 'number') {
        if (r === -Errno.EAGAIN || r === -Errno.EINTR) return;
        if (r === -Errno.ENOBUFS) {
          sink.lost('ENOBUFS: receive queue overrun');
          continue;
        }
        sink.lost(`recvmsg: ${new SyscallError('recvmsg', -r).code}`);
        return;
      }
      if (r.length > r.data.length) {
        sink.lost(`datagram of ${r.length} octets truncated to ${r.data.length}`);
        continue;
      }
      // sockaddr_nl.nl_groups (u32 @8) is non-zero for multicast deliveries.
      const n = r.name;
      const multicast = n.length >= 12 && (n[8]! | n[9]! | n[10]! | n[11]!) !== 0;
      sink.datagram(r.data, multicast);
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

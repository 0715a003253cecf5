// A raw ICMPv6 socket for the Mobile IPv6 ICMPv6 messages (RFC 6275 §6.5-§6.8): it receives
// only the types it is opened for (ICMPV6_FILTER), learns each datagram's destination and
// interface (IPV6_RECVPKTINFO), and sends with a chosen source (IPV6_PKTINFO); the kernel
// fills the ICMPv6 checksum on send and verifies it on receive.
//
// What it receives depends on where it runs: at the home agent, a Mobile Prefix
// Solicitation reverse-tunnelled by a mobile node arrives after its binding's ip6tnl
// device decapsulated it, so the source is the home address. At the mobile node, a Mobile
// Prefix Advertisement to the home address arrives through the node's tunnel from the home
// agent. Receive problems become 'receiveError' events and counters, never an 'error' event.
import { EventEmitter } from 'node:events';
import { KernelError } from '../platform/kernel-errors.js';
import { Errno } from '../platform/sys/errno.js';
import { encodeCmsgs, MsgIo } from '../platform/sys/msghdr.js';
import {
  AF_INET6,
  IPPROTO_ICMPV6,
  IPPROTO_IPV6,
  IPV6_PKTINFO,
  IPV6_RECVPKTINFO,
  SOCK_RAW,
  closeFd,
  encodeSockaddrIn6,
  openSocket,
  setsockoptInt,
} from '../platform/sys/socket.js';
import { formatIp6, type Ip6 } from '../inet/ip6.js';
import { ip6Octets } from '../inet/ip6-write.js';
import { encodePktinfo } from './ancillary.js';
import { DatagramReader } from './datagram-reader.js';
import { readEnvelope, type RawDatagram } from './receive.js';
import { setIcmp6FilterPassOnly } from './sockopt.js';

export interface Icmp6SocketOptions {
  netns?: string;
  /** The ICMPv6 types delivered; every other type is filtered in the kernel. */
  types: readonly number[];
}

/** One ICMPv6 message as delivered (its octets a copy). */
export interface Icmp6Received {
  data: Uint8Array;
  src: Ip6;
  dst: Ip6;
  ifindex: number;
}

export interface Icmp6ReceiveError {
  reason: string;
  code: string;
  message: string;
}

export interface Icmp6SocketStats {
  received: number;
  sent: number;
  receiveErrors: number;
}

type Icmp6SocketEvents = { message: [Icmp6Received]; receiveError: [Icmp6ReceiveError] };

export class Icmp6Socket extends EventEmitter<Icmp6SocketEvents> {
  private readonly io = new MsgIo({ bufferSize: 2048, controlSize: 256 });
  private readonly reader: DatagramReader;
  private open = true;
  private readonly counters = { received: 0, sent: 0, receiveErrors: 0 };

  private constructor(private readonly fd: number) {
    super();
    this.reader = new DatagramReader(fd, this.io, {
      datagram: (d) => this.handle(d),
      failed: (reason, code, message) => this.failed(reason, code, message),
    });
  }

  static open(opts: Icmp6SocketOptions): Icmp6Socket {
    const fd = openSocket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6, opts.netns === undefined ? {} : { netns: opts.netns });
    try {
      setIcmp6FilterPassOnly(fd, opts.types);
      setsockoptInt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
      return new Icmp6Socket(fd);
    } catch (err) {
      closeFd(fd);
      throw err;
    }
  }

  get stats(): Readonly<Icmp6SocketStats> {
    return { ...this.counters };
  }

  /** Sends `message` (checksum left to the kernel) to `dst`, from `src` when given; returns the octets sent. Throws KernelError. */
  send(dst: Ip6, message: Uint8Array, src?: Ip6): number {
    const op = `sendmsg ICMPv6 type ${message[0] ?? '?'} to ${dst}`;
    if (!this.open) throw new KernelError(Errno.EBADF, `${op}: socket closed`);
    const name = encodeSockaddrIn6({ address: ip6Octets(dst), port: 0, scopeId: 0 });
    const control = src === undefined ? undefined : encodeCmsgs([{ level: IPPROTO_IPV6, type: IPV6_PKTINFO, data: encodePktinfo(ip6Octets(src), 0) }]);
    const n = this.io.sendmsg(this.fd, [message], control === undefined ? { name } : { name, control });
    if (n < 0) throw new KernelError(-n, op);
    this.counters.sent++;
    return n;
  }

  /** Closes the descriptor; safe to call twice. */
  close(): void {
    if (!this.open) return;
    this.open = false;
    this.reader.close();
    closeFd(this.fd);
  }

  private handle(d: RawDatagram): void {
    const env = readEnvelope(d);
    if (!env.ok) return this.failed(env.error.reason, env.error.code, env.error.message);
    this.counters.received++;
    const { src, dst, ifindex } = env.value;
    this.emit('message', { data: d.data.slice(), src: formatIp6(src), dst: formatIp6(dst), ifindex });
  }

  private failed(reason: string, code: string, message: string): void {
    this.counters.receiveErrors++;
    this.emit('receiveError', { reason, code, message });
  }
}

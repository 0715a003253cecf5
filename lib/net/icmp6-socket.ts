// A raw ICMPv6 socket for the discovery messages of RFC 6275: Mobile Prefix Discovery
// (§10.6, §11.4.3: Solicitations 146 and Advertisements 147) and Dynamic Home Agent Address
// Discovery (§10.5, §11.4.1), one socket per use, each with its own type filter. For DHAAD
// the home agent receives Router Advertisements (134) and DHAAD Requests (144) and holds the
// Home-Agents anycast address of its home prefix (IPV6_JOIN_ANYCAST: the kernel accepts
// packets for it while this socket is open, and drops the membership when it closes); the
// mobile node sends Requests and receives Replies (145). ICMPV6_FILTER passes only the
// types asked for; IPV6_RECVPKTINFO and IPV6_RECVHOPLIMIT give each message's destination,
// interface and hop limit. The kernel fills the checksum.
// Receive problems become 'receiveError' events and counters, never an 'error' event.
import { EventEmitter } from 'node:events';
import { KernelError } from '../platform/kernel-errors.js';
import { Errno } from '../platform/sys/errno.js';
import { check, sys } from '../platform/sys/libc.js';
import { encodeCmsgs, MsgIo } from '../platform/sys/msghdr.js';
import { RecvBatch } from '../platform/sys/recv-batch.js';
import {
  AF_INET6,
  IPPROTO_ICMPV6,
  IPPROTO_IPV6,
  IPV6_PKTINFO,
  IPV6_RECVHOPLIMIT,
  IPV6_RECVPKTINFO,
  SOCK_RAW,
  closeFd,
  encodeSockaddrIn6,
  openSocket,
  setsockoptInt,
} from '../platform/sys/socket.js';
import type { Ip6 } from '../inet/ip6.js';
import { ip6Octets } from '../inet/ip6-write.js';
import { encodePktinfo } from './ancillary.js';
import { DatagramReader } from './datagram-reader.js';
import { interfaceIndex } from './ifreq.js';
import { readIcmp6Datagram, type DropReason, type Icmp6Received, type RawDatagram } from './receive.js';
import { IPV6_MULTICAST_LOOP } from './socket-constants.js';
import { setIcmp6FilterPassOnly } from './sockopt.js';

export type { Icmp6Received } from './receive.js';

/** linux/in6.h: join/leave an anycast address, struct ipv6_mreq. */
export const IPV6_JOIN_ANYCAST = 27;
export const IPV6_LEAVE_ANYCAST = 28;

export interface Icmp6SocketOptions {
  netns?: string;
  /** ICMPv6 types delivered (ICMPV6_FILTER); every other type is dropped by the kernel. */
  types: readonly number[];
}

export interface Icmp6ReceiveError {
  reason: 'recvmsg' | 'truncated' | DropReason;
  code: string;
  message: string;
}

export interface Icmp6SocketStats {
  received: number;
  sent: number;
  receiveErrors: number;
}

export interface Icmp6Send {
  dst: Ip6;
  data: Uint8Array;
  /** Source address (IPV6_PKTINFO); the kernel chooses when absent. */
  src?: Ip6;
  /** Outgoing interface (IPV6_PKTINFO and the scope of a link-local destination). */
  ifindex?: number;
}

type Icmp6SocketEvents = { message: [Icmp6Received]; receiveError: [Icmp6ReceiveError] };

export class Icmp6Socket extends EventEmitter<Icmp6SocketEvents> {
  private readonly io = new MsgIo({ bufferSize: 1 });
  private readonly reader: DatagramReader;
  private open = true;
  private readonly counters = { received: 0, sent: 0, receiveErrors: 0 };

  private constructor(private readonly fd: number) {
    super();
    this.reader = new DatagramReader(fd, new RecvBatch({ slots: 8, bufferSize: 2048, controlSize: 256 }), {
      datagram: (d) => this.handle(d),
      failed: (reason, code, message) => this.receiveFailed(reason, code, message),
    });
  }

  static open(opts: Icmp6SocketOptions): Icmp6Socket {
    const fd = openSocket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6, opts.netns === undefined ? {} : { netns: opts.netns });
    try {
      setIcmp6FilterPassOnly(fd, opts.types);
      setsockoptInt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
      setsockoptInt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1);
      // A home agent's own radvd advertisements are not its concern (its own entry is configured).
      setsockoptInt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0);
      return new Icmp6Socket(fd);
    } catch (err) {
      closeFd(fd);
      throw err;
    }
  }

  get stats(): Readonly<Icmp6SocketStats> {
    return { ...this.counters };
  }

  /** Interface index of `ifname` in the socket's namespace; throws SyscallError (ENODEV). */
  interfaceIndex(ifname: string): number {
    return interfaceIndex(this.fd, ifname);
  }

  /**
   * Holds `address` as an anycast address on `ifindex` while the socket is open (there is no
   * `ip` command for this; `ip -6 maddr`'s anycast sibling is /proc/net/anycast6, which shows
   * it). Throws SyscallError: EADDRNOTAVAIL when the interface does not forward and the
   * address is off its prefixes, EINVAL for a multicast address.
   */
  joinAnycast(ifindex: number, address: Ip6): void {
    const mreq = new Uint8Array(20);
    mreq.set(ip6Octets(address), 0);
    new DataView(mreq.buffer).setInt32(16, ifindex, true);
    check(sys.setsockopt(this.fd, IPPROTO_IPV6, IPV6_JOIN_ANYCAST, mreq), 'setsockopt', `IPV6_JOIN_ANYCAST ${address} ifindex ${ifindex}`);
  }

  /** Sends one ICMPv6 message; returns the octets sent, throws KernelError. */
  send(req: Icmp6Send): number {
    const op = `sendmsg ICMPv6 type ${req.data[0] ?? '?'} to ${req.dst}`;
    if (!this.open) throw new KernelError(Errno.EBADF, `${op}: socket closed`);
    const name = encodeSockaddrIn6({ address: ip6Octets(req.dst), port: 0, scopeId: req.ifindex ?? 0 });
    const wantInfo = req.src !== undefined || req.ifindex !== undefined;
    const control = wantInfo
      ? encodeCmsgs([{ level: IPPROTO_IPV6, type: IPV6_PKTINFO, data: encodePktinfo(req.src === undefined ? undefined : ip6Octets(req.src), req.ifindex ?? 0) }])
      : undefined;
    const n = this.io.sendmsg(this.fd, [req.data], control === undefined ? { name } : { name, control });
    if (n < 0) throw new KernelError(-n, op);
    this.counters.sent++;
    return n;
  }

  unref(): this {
    this.reader.unref();
    return this;
  }

  /** Closes the descriptor (leaving every anycast address it held). Safe to call twice. */
  close(): void {
    if (!this.open) return;
    this.open = false;
    this.reader.close();
    closeFd(this.fd);
  }

  private handle(d: RawDatagram): void {
    const r = readIcmp6Datagram(d);
    if (!r.ok) return this.receiveFailed(r.error.reason, r.error.code, r.error.message);
    this.counters.received++;
    this.emit('message', r.value);
  }

  private receiveFailed(reason: Icmp6ReceiveError['reason'], code: string, message: string): void {
    this.counters.receiveErrors++;
    this.emit('receiveError', { reason, code, message });
  }
}

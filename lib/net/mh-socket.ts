// The Mobility Header raw socket (RFC 6275 §6.1; RFC 3542 for the ancillary data) on
// Node's event loop. One socket per namespace carries all signalling of a node.
//
// Receiving: the descriptor is drained by the shared DatagramReader (datagram-reader.ts);
// each packet becomes a 'message' event with the addresses as the kernel delivered them
// (after its Home Address option swap and type 2 routing header processing). A packet whose
// ancillary data is malformed, truncated or incomplete, or (with user checksums) whose
// checksum is wrong, is dropped, counted, and reported as a 'receiveError' event. There is
// deliberately no 'error' event: an unhandled one would crash the daemon.
//
// Sending: send() is synchronous; it returns the octets sent or throws a KernelError
// carrying the errno name. queue() sends with everything else queued in the same turn of the
// event loop, in one sendmmsg, and reports the error to its callback then. EAGAIN (send
// buffer full) is an error like the others, never a reason to hold a message: Mobile IPv6
// retransmits its own signalling on timers (RFC 6275 §11.8), so a queue would only add a
// second retransmission policy; callers treat EAGAIN ('retry' in classifyErrno) as a loss.
//
// Checksums: 'kernel' (IPV6_CHECKSUM 4) lets the kernel fill and verify them over the
// packet's own addresses. 'user' (IPV6_CHECKSUM -1) is for the mobile node: with a Home
// Address option the pseudo-header source must be the home address, which the kernel would
// not use, so send() computes the checksum and received messages are verified here.
import { KernelError } from '../platform/kernel-errors.js';
import { Errno } from '../platform/sys/errno.js';
import { encodeCmsgs, MsgIo, type Cmsg } from '../platform/sys/msghdr.js';
import { RecvBatch } from '../platform/sys/recv-batch.js';
import { SendBatch, type BatchedMessage } from '../platform/sys/send-batch.js';
import {
  AF_INET6,
  IPPROTO_IPV6,
  IPV6_CHECKSUM,
  IPV6_DSTOPTS,
  IPV6_PKTINFO,
  IPV6_RECVDSTOPTS,
  IPV6_RECVHOPLIMIT,
  IPV6_RECVPKTINFO,
  IPV6_RECVRTHDR,
  IPV6_RTHDR,
  SOCK_RAW,
  SOL_SOCKET,
  SO_BINDTODEVICE,
  closeFd,
  encodeSockaddrIn6,
  openSocket,
  setBufferSize,
  setsockoptInt,
} from '../platform/sys/socket.js';
import { writeMhChecksum } from '../wire/checksum.js';
import type { Ip6 } from '../inet/ip6.js';
import { ip6Octets } from '../inet/ip6-write.js';
import { encodeHomeAddressDstopts, encodePktinfo, encodeType2Rthdr } from './ancillary.js';
import { IPPROTO_MH } from './socket-constants.js';
import { setsockoptBytes } from './sockopt.js';
import { DatagramSocket, type ReceiveFailure } from './datagram-socket.js';
import { readMhDatagram, type MhReceived, type RawDatagram } from './receive.js';

export type { MhReceived } from './receive.js';

/** The largest Mobility Header: Header Len 255 gives (255 + 1) * 8 octets. */
const MH_MAX_OCTETS = 2048;
/** Datagrams read per recvmmsg, and the room of each: a longer one is reported truncated and dropped. */
const RECEIVE_SLOTS = 32;
const RECEIVE_SLOT_OCTETS = 2 * MH_MAX_OCTETS;
/** Room for PKTINFO, HOPLIMIT, RTHDR and destination options of the largest legal size. */
const CONTROL_OCTETS = 4096;
const DEFAULT_SOCKET_RCVBUF = 1 << 20;
const MH_CHECKSUM_OFFSET = 4;

export type MhChecksumMode = 'kernel' | 'user';

export interface MhSocketOptions {
  /** `ip netns` name or path of the namespace the socket is created in. */
  netns?: string;
  /** Who computes and verifies the MH checksum (default 'kernel'). */
  checksum?: MhChecksumMode;
  /** SO_RCVBUF(FORCE) in octets (default 1 MiB). */
  receiveBufferBytes?: number;
  /**
   * SO_BINDTODEVICE: sends leave through this interface only (the route lookup is strict
   * about the device and falls back to less specific routes through it), and only its
   * packets are received. `ip` has no equivalent; `ping -I IFACE` does the same.
   */
  bindToDevice?: string;
}

export interface MhSendRequest {
  data: Uint8Array;
  /** Source address (IPV6_PKTINFO); the kernel chooses when absent. */
  src?: Ip6;
  /** Destination; with routingHeader, the final destination (the mobile node's home address). */
  dst: Ip6;
  /** Outgoing interface (IPV6_PKTINFO); also the scope of a link-local destination. */
  ifindex?: number;
  /** Home agent / correspondent: a type 2 routing header carrying this care-of address. */
  routingHeader?: Ip6;
  /** Mobile node: a Home Address option carrying this home address. */
  homeAddressOption?: Ip6;
}

export type MhReceiveErrorReason = ReceiveFailure;

export interface MhReceiveError {
  reason: MhReceiveErrorReason;
  /** errno name for 'recvmsg', else a decoder code. */
  code: string;
  message: string;
}

export interface MhSocketStats {
  received: number;
  sent: number;
  sendErrors: number;
  /** Every dropped or failed receive, whatever the reason. */
  receiveErrors: number;
  /** Packets dropped for malformed, truncated or missing ancillary data. */
  malformedCmsgs: number;
  /** Packets dropped for a wrong checksum (user checksum mode only). */
  checksumErrors: number;
}

type MhSocketEvents = {
  message: [MhReceived];
  receiveError: [MhReceiveError];
};

export class MhSocket extends DatagramSocket<MhSocketEvents> {
  private readonly counters: MhSocketStats = {
    received: 0,
    sent: 0,
    sendErrors: 0,
    receiveErrors: 0,
    malformedCmsgs: 0,
    checksumErrors: 0,
  };

  private readonly batch: SendBatch;

  private constructor(
    readonly fd: number,
    readonly checksumMode: MhChecksumMode,
  ) {
    super(fd, new MsgIo({ bufferSize: 1 }), new RecvBatch({ slots: RECEIVE_SLOTS, bufferSize: RECEIVE_SLOT_OCTETS, controlSize: CONTROL_OCTETS }));
    this.batch = new SendBatch(fd);
  }

  /** socket(AF_INET6, SOCK_RAW, 135) with the options above; throws SyscallError. */
  static open(opts: MhSocketOptions = {}): MhSocket {
    const mode = opts.checksum ?? 'kernel';
    const fd = openSocket(AF_INET6, SOCK_RAW, IPPROTO_MH, opts.netns === undefined ? {} : { netns: opts.netns });
    try {
      setsockoptInt(fd, IPPROTO_IPV6, IPV6_CHECKSUM, mode === 'kernel' ? MH_CHECKSUM_OFFSET : -1);
      for (const opt of [IPV6_RECVPKTINFO, IPV6_RECVDSTOPTS, IPV6_RECVRTHDR, IPV6_RECVHOPLIMIT]) {
        setsockoptInt(fd, IPPROTO_IPV6, opt, 1);
      }
      setBufferSize(fd, 'rcv', opts.receiveBufferBytes ?? DEFAULT_SOCKET_RCVBUF);
      if (opts.bindToDevice !== undefined) setsockoptBytes(fd, SOL_SOCKET, SO_BINDTODEVICE, new TextEncoder().encode(`${opts.bindToDevice}\0`), `SO_BINDTODEVICE ${opts.bindToDevice}`);
      return new MhSocket(fd, mode);
    } catch (err) {
      closeFd(fd);
      throw err;
    }
  }

  get stats(): Readonly<MhSocketStats> {
    return { ...this.counters };
  }

  /** Sends one Mobility Header now; returns the octets sent. Throws KernelError (errno name in `code`). */
  send(req: MhSendRequest): number {
    const { op, msg } = this.prepare(req);
    const n = this.io.sendmsg(this.fd, [msg.data], msg);
    if (n < 0) {
      this.counters.sendErrors++;
      throw new KernelError(-n, op);
    }
    this.counters.sent++;
    return n;
  }

  /**
   * Sends one Mobility Header with the others queued in this turn, in one sendmmsg
   * (platform/sys/send-batch.ts); `done` hears the KernelError, or nothing, then. Throws
   * synchronously what send() throws before the kernel is asked (closed socket, bad length).
   * `req.data` is copied: the caller may reuse its buffer at once.
   */
  queue(req: MhSendRequest, done: (err?: KernelError) => void): void {
    const { op, msg } = this.prepare(req, true);
    this.batch.queue(msg, (n) => {
      if (n < 0) {
        this.counters.sendErrors++;
        return done(new KernelError(-n, op));
      }
      this.counters.sent++;
      done();
    });
  }

  /** The datagram, peer address and control messages of `req` (RFC 3542 §6-§8). */
  private prepare(req: MhSendRequest, copy = false): { op: string; msg: BatchedMessage } {
    const dst = ip6Octets(req.dst);
    const src = req.src === undefined ? undefined : ip6Octets(req.src);
    const hoa = req.homeAddressOption === undefined ? undefined : ip6Octets(req.homeAddressOption);
    const coa = req.routingHeader === undefined ? undefined : ip6Octets(req.routingHeader);
    const op = `sendmsg MH to ${req.dst}`;
    if (!this.open) throw new KernelError(Errno.EBADF, `${op} (socket closed)`);
    if (req.data.length < 8 || req.data.length > MH_MAX_OCTETS) {
      throw new RangeError(`${op}: a Mobility Header has 8..${MH_MAX_OCTETS} octets, got ${req.data.length}`);
    }
    let data = req.data;
    if (this.checksumMode === 'user') {
      // RFC 6275 §6.1.1: the pseudo-header source is the home address when a HAO is present.
      const pseudoSrc = hoa ?? src;
      if (!pseudoSrc) throw new TypeError(`${op}: a socket with user checksums needs src or homeAddressOption`);
      data = Uint8Array.from(req.data);
      writeMhChecksum(data, pseudoSrc, dst);
    } else if (copy) data = Uint8Array.from(req.data);
    const cmsgs: Cmsg[] = [];
    if (src || req.ifindex) cmsgs.push({ level: IPPROTO_IPV6, type: IPV6_PKTINFO, data: encodePktinfo(src, req.ifindex) });
    if (coa) cmsgs.push({ level: IPPROTO_IPV6, type: IPV6_RTHDR, data: encodeType2Rthdr(coa) });
    if (hoa) cmsgs.push({ level: IPPROTO_IPV6, type: IPV6_DSTOPTS, data: encodeHomeAddressDstopts(hoa) });
    const linkScoped = (dst[0] === 0xfe && (dst[1]! & 0xc0) === 0x80) || (dst[0] === 0xff && (dst[1]! & 0x0f) === 2);
    const name = encodeSockaddrIn6({ address: dst, port: 0, scopeId: linkScoped ? (req.ifindex ?? 0) : 0 });
    return { op, msg: { data, name, ...(cmsgs.length ? { control: encodeCmsgs(cmsgs) } : {}) } };
  }

  /** Stops watching and closes the descriptor; safe to call twice. */
  close(): void {
    if (!this.shut()) return;
    // What this turn queued still goes out (or hears its error) before the descriptor closes.
    this.batch.flush();
    closeFd(this.fd);
  }

  protected deliver(d: RawDatagram): void {
    const r = readMhDatagram(d, this.checksumMode === 'user');
    if (!r.ok) {
      if (r.error.reason === 'ancillary') this.counters.malformedCmsgs++;
      if (r.error.reason === 'checksum') this.counters.checksumErrors++;
      return this.receiveFailed(r.error.reason, r.error.code, r.error.message);
    }
    this.counters.received++;
    this.emit('message', r.value);
  }

  protected receiveFailed(reason: MhReceiveErrorReason, code: string, message: string): void {
    this.counters.receiveErrors++;
    this.emit('receiveError', { reason, code, message });
  }
}

// The home agent's proxy Neighbour Discovery on the home link (home_agent.proxy_nd: daemon):
// receives every Neighbour Solicitation on the link and sends the advertisements the core
// (proto/ha/proxy-nd.ts) decides on. Its cost does not grow with the number of home
// addresses: no kernel proxy entry and no multicast group membership per address.
//
// Two descriptors in the socket's namespace:
// - an AF_PACKET SOCK_DGRAM socket bound to the home link and ETH_P_IPV6, with
//   - a classic BPF filter that passes only ICMPv6 Neighbour Solicitations with hop limit
//     255 and no extension header, so other traffic on the link never reaches user space;
//   - PACKET_MR_ALLMULTI: the link delivers every multicast frame, so an NS to any
//     solicited-node group arrives without joining the group (the IPv6 stack still drops
//     what it has not joined; the packet socket has its copy first). The membership belongs
//     to the socket and ends when it closes.
//   Its receive buffer is the only queue: an NS arriving when it is full is dropped by the
//   kernel and counted (PACKET_STATISTICS), never held in memory here.
// - a raw ICMPv6 socket that receives nothing (ICMPV6_FILTER blocks every type) and sends
//   the advertisements with hop limit 255, those of one event-loop turn in one sendmmsg; the kernel picks the source address and fills
//   the checksum, and resolves a unicast solicitor as for any packet it sends.
import { addressOf, sys } from '../platform/sys/libc.js';
import { KernelError } from '../platform/kernel-errors.js';
import { Errno } from '../platform/sys/errno.js';
import { encodeCmsgs, MsgIo } from '../platform/sys/msghdr.js';
import { RecvBatch } from '../platform/sys/recv-batch.js';
import { SendBatch } from '../platform/sys/send-batch.js';
import {
  AF_INET6,
  IPPROTO_ICMPV6,
  IPPROTO_IPV6,
  IPV6_PKTINFO,
  SOCK_DGRAM,
  SOCK_RAW,
  SOL_SOCKET,
  closeFd,
  encodeSockaddrIn6,
  openSocket,
  setsockoptInt,
  trySetsockoptInt,
} from '../platform/sys/socket.js';
import { check } from '../platform/sys/libc.js';
import { perTurn } from '../platform/sys/per-turn.js';
import { ip6Octets } from '../inet/ip6-write.js';
import type { Ip6 } from '../inet/ip6.js';
import { encodePktinfo } from './ancillary.js';
import { IPV6_MULTICAST_HOPS, IPV6_MULTICAST_LOOP, IPV6_UNICAST_HOPS, ND_HOP_LIMIT, ND_NEIGHBOR_SOLICIT } from './socket-constants.js';
import { ARPHRD_ETHER, hardwareAddress, interfaceIndex } from './ifreq.js';
import { AF_PACKET, encodeSockaddrLl, ETH_P_IPV6 } from './link-frame.js';
import { setIcmp6FilterPassOnly, setsockoptBytes } from './sockopt.js';
import { encodeNd } from './nd-codec.js';
import { DatagramSocket, type ReceiveFailure } from './datagram-socket.js';
import type { RawDatagram } from './receive.js';
import { PACKET_OTHERHOST, PACKET_OUTGOING, readSolicitation, type ReceivedNs } from './proxy-nd-packet.js';

/** SO_ATTACH_FILTER (asm-generic/socket.h); SOL_PACKET options (linux/if_packet.h). */
const SO_ATTACH_FILTER = 26;
const SOL_PACKET = 263;
const PACKET_ADD_MEMBERSHIP = 1;
const PACKET_STATISTICS = 6;
const PACKET_MR_ALLMULTI = 2;
/** Linux 4.20: frames this host sends (the DAD probes of nd-socket.ts among them) are not delivered here. */
const PACKET_IGNORE_OUTGOING = 23;

// Classic BPF (linux/filter.h): code = class | size | mode | op | src.
const BPF_LD_B_ABS = 0x30; // BPF_LD | BPF_B | BPF_ABS
const BPF_JEQ_K = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
const BPF_RET_K = 0x06; // BPF_RET | BPF_K
/** Octets of an NS kept: the IPv6 header, the NS and room for its options. */
const SNAP_OCTETS = 1280;

/**
 * The filter, on the packet from its IPv6 header (a SOCK_DGRAM socket has no link header):
 *   ldb [6]; jeq #58 (ICMPv6) else drop; ldb [7]; jeq #255 else drop;
 *   ldb [40]; jeq #135 (NS) else drop; ret #SNAP; drop: ret #0
 */
function nsFilter(): Uint8Array {
  const prog: [number, number, number, number][] = [
    [BPF_LD_B_ABS, 0, 0, 6],
    [BPF_JEQ_K, 0, 5, IPPROTO_ICMPV6],
    [BPF_LD_B_ABS, 0, 0, 7],
    [BPF_JEQ_K, 0, 3, ND_HOP_LIMIT],
    [BPF_LD_B_ABS, 0, 0, 40],
    [BPF_JEQ_K, 0, 1, ND_NEIGHBOR_SOLICIT],
    [BPF_RET_K, 0, 0, SNAP_OCTETS],
    [BPF_RET_K, 0, 0, 0],
  ];
  // struct sock_filter (8 octets): code u16 | jt u8 | jf u8 | k u32, host order.
  const b = new Uint8Array(prog.length * 8);
  const v = new DataView(b.buffer);
  prog.forEach(([code, jt, jf, k], i) => {
    v.setUint16(i * 8, code, true);
    b[i * 8 + 2] = jt;
    b[i * 8 + 3] = jf;
    v.setUint32(i * 8 + 4, k, true);
  });
  return b;
}

function attachFilter(fd: number, filter: Uint8Array): void {
  // struct sock_fprog (16 octets): len u16 @0 | filter pointer @8. The kernel copies the program.
  const fprog = new Uint8Array(16);
  const v = new DataView(fprog.buffer);
  v.setUint16(0, filter.length / 8, true);
  v.setBigUint64(8, addressOf(filter), true);
  setsockoptBytes(fd, SOL_SOCKET, SO_ATTACH_FILTER, fprog, 'SO_ATTACH_FILTER');
}

function addAllmulti(fd: number, ifindex: number): void {
  // struct packet_mreq (16 octets): mr_ifindex int32 | mr_type u16 | mr_alen u16 | mr_address[8]
  const mreq = new Uint8Array(16);
  const v = new DataView(mreq.buffer);
  v.setInt32(0, ifindex, true);
  v.setUint16(4, PACKET_MR_ALLMULTI, true);
  setsockoptBytes(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, mreq, 'PACKET_ADD_MEMBERSHIP allmulti');
}

export interface ProxyNdSocketOptions {
  /** The home link. */
  ifname: string;
  netns?: string;
}

export interface ProxyNdSocketStats {
  /** Solicitations delivered (valid, to us or a group). */
  received: number;
  /** Frames dropped here: malformed, bad checksum, or addressed to another host's link-layer address. */
  invalid: number;
  receiveErrors: number;
  sent: number;
  sendErrors: number;
  /** Solicitations the kernel dropped because the receive buffer was full (PACKET_STATISTICS). */
  kernelDrops: number;
}

export interface ProxyNdReceiveError {
  reason: ReceiveFailure | 'invalid';
  code: string;
  message: string;
}

/** One advertisement: the target, flags and destination (proto/ha/proxy-nd.ts ProxyAdvertisement). */
export interface ProxyNa {
  dst: Ip6;
  target: Ip6;
  router: boolean;
  solicited: boolean;
  override: boolean;
}

type ProxyNdSocketEvents = { solicitation: [ReceivedNs]; receiveError: [ProxyNdReceiveError] };

export class ProxyNdSocket extends DatagramSocket<ProxyNdSocketEvents> {
  private readonly counters = { received: 0, invalid: 0, receiveErrors: 0, sent: 0, sendErrors: 0, kernelDrops: 0 };
  /** The advertisements' sends (platform/sys/send-batch.ts). */
  private readonly batch: SendBatch;

  private constructor(
    private readonly packetFd: number,
    private readonly icmpFd: number,
    readonly ifname: string,
    readonly ifindex: number,
  ) {
    super(packetFd, new MsgIo({ bufferSize: 1 }), new RecvBatch({ slots: 32, bufferSize: SNAP_OCTETS, nameSize: 20 }));
    this.batch = new SendBatch(icmpFd);
  }

  /** Opens both descriptors on `ifname`; throws SyscallError (ENODEV for no such interface). */
  static open(opts: ProxyNdSocketOptions): ProxyNdSocket {
    const where = opts.netns === undefined ? {} : { netns: opts.netns };
    // Protocol 0: nothing is received until the bind below, after the filter is attached.
    const packetFd = openSocket(AF_PACKET, SOCK_DGRAM, 0, where);
    let icmpFd = -1;
    try {
      const ifindex = interfaceIndex(packetFd, opts.ifname);
      attachFilter(packetFd, nsFilter());
      // Older kernels refuse it (ENOPROTOOPT); deliver() still drops outgoing frames, one read each.
      trySetsockoptInt(packetFd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1);
      addAllmulti(packetFd, ifindex);
      check(sys.bind(packetFd, encodeSockaddrLl(ifindex, ETH_P_IPV6, new Uint8Array(0))), 'bind', `AF_PACKET ${opts.ifname}`);
      icmpFd = openSocket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6, where);
      setIcmp6FilterPassOnly(icmpFd, []);
      setsockoptInt(icmpFd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ND_HOP_LIMIT);
      setsockoptInt(icmpFd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, ND_HOP_LIMIT);
      setsockoptInt(icmpFd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0);
      return new ProxyNdSocket(packetFd, icmpFd, opts.ifname, ifindex);
    } catch (err) {
      closeFd(packetFd);
      if (icmpFd >= 0) closeFd(icmpFd);
      throw err;
    }
  }

  get stats(): Readonly<ProxyNdSocketStats> {
    if (this.open) this.readKernelDrops();
    return { ...this.counters };
  }

  /** False once `ifname` is gone or has another index than the one this socket is bound to. */
  stillBound(): boolean {
    if (!this.open) return false;
    try {
      return interfaceIndex(this.icmpFd, this.ifname) === this.ifindex;
    } catch {
      return false;
    }
  }

  /** The home link's own link-layer address (read once per synchronous run: an administrator may change it). */
  readonly linkLayerAddress = perTurn((): Uint8Array => {
    const hw = hardwareAddress(this.icmpFd, this.ifname);
    if (hw.family !== ARPHRD_ETHER) throw new KernelError(Errno.EOPNOTSUPP, `proxy ND on ${this.ifname}: not an Ethernet interface`);
    return hw.address;
  });

  /**
   * Sends `na` on the home link with Target Link-Layer Address `mac` (RFC 4861 §4.4), with the
   * other advertisements of this turn in one sendmmsg; `done` hears the KernelError (counted
   * as a send error), or nothing. Throws KernelError EBADF at once when the socket is closed.
   */
  advertise(na: ProxyNa, mac: Uint8Array, done: (err?: KernelError) => void): void {
    const op = `sendmsg proxy NA for ${na.target} to ${na.dst} on ${this.ifname}`;
    if (!this.open) throw new KernelError(Errno.EBADF, `${op}: socket closed`);
    const data = encodeNd({ kind: 'na', target: ip6Octets(na.target), router: na.router, solicited: na.solicited, override: na.override, targetLinkLayer: mac });
    const name = encodeSockaddrIn6({ address: ip6Octets(na.dst), port: 0, scopeId: this.ifindex });
    const control = encodeCmsgs([{ level: IPPROTO_IPV6, type: IPV6_PKTINFO, data: encodePktinfo(undefined, this.ifindex) }]);
    this.batch.queue({ data, name, control }, (n) => {
      if (n < 0) {
        this.counters.sendErrors++;
        return done(new KernelError(-n, op));
      }
      this.counters.sent++;
      done();
    });
  }

  /** Closes both descriptors (the allmulti membership ends with the packet socket). Safe to call twice. */
  close(): void {
    if (!this.shut()) return;
    this.batch.flush();
    closeFd(this.packetFd);
    closeFd(this.icmpFd);
  }

  private readKernelDrops(): void {
    // struct tpacket_stats: tp_packets u32 | tp_drops u32; reading resets them, so they are summed here.
    const b = new Uint8Array(8);
    if (sys.getsockopt(this.packetFd, SOL_PACKET, PACKET_STATISTICS, b) >= 0) this.counters.kernelDrops += new DataView(b.buffer).getUint32(4, true);
  }

  protected deliver(d: RawDatagram): void {
    const r = readSolicitation(d.data, d.name);
    if (!r.ok) {
      this.counters.invalid++;
      this.emit('receiveError', { reason: 'invalid', code: r.code, message: r.message });
      return;
    }
    // Frames to another host's unicast address (seen in promiscuous mode) are not ours to answer.
    if (r.value.pktType === PACKET_OTHERHOST || r.value.pktType === PACKET_OUTGOING) return;
    this.counters.received++;
    this.emit('solicitation', r.value);
  }

  protected receiveFailed(reason: ReceiveFailure, code: string, message: string): void {
    this.counters.receiveErrors++;
    this.emit('receiveError', { reason, code, message });
  }
}

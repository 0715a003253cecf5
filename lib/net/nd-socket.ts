// Neighbor Discovery for a home agent (RFC 6275 §10.4.1): duplicate address detection for a
// home address on the home link (RFC 4862 §5.4) and unsolicited Neighbor Advertisements
// when it starts defending one (RFC 4861 §7.2.6).
//
// Two descriptors in the same namespace:
// - a raw ICMPv6 socket that receives only NS and NA (ICMPV6_FILTER), learns the interface
//   and hop limit of each (IPV6_RECVPKTINFO, IPV6_RECVHOPLIMIT), and sends the NAs (hop
//   limit 255; the kernel chooses the link-local source and fills the checksum);
// - an AF_PACKET socket for DAD probes: a probe's source must be the unspecified address,
//   which the IPv6 stack does not send from (it selects an address of its own, and fails
//   with EADDRNOTAVAIL on a link with none yet); a link-layer frame needs neither. Probes
//   therefore go out on Ethernet links only (ARPHRD_ETHER; bridges and bonds are).
// Multicast loopback is off on the ICMPv6 socket, and frames from the packet socket never
// loop back into IPv6, so a node does not hear its own probe or advertisement; each probe
// also carries an RFC 7527 nonce, so a looped copy would still be recognised.
//
// Many DADs run at once on the one socket: each pending (interface, target) has its own
// timer, and concurrent calls for the same pair share one probe and one answer.
// Receive problems become 'receiveError' events and counters, never an 'error' event.
import { randomBytes } from 'node:crypto';
import { KernelError } from '../platform/kernel-errors.js';
import { Errno } from '../platform/sys/errno.js';
import { encodeCmsgs, MsgIo } from '../platform/sys/msghdr.js';
import {
  AF_INET6,
  IPPROTO_ICMPV6,
  IPPROTO_IPV6,
  IPV6_PKTINFO,
  IPV6_RECVHOPLIMIT,
  IPV6_RECVPKTINFO,
  SOCK_DGRAM,
  SOCK_RAW,
  closeFd,
  encodeSockaddrIn6,
  openSocket,
  setsockoptInt,
} from '../platform/sys/socket.js';
import { formatIp6, mustParseIp6, type Ip6 } from '../inet/ip6.js';
import { ip6Octets } from '../inet/ip6-write.js';
import { encodePktinfo } from './ancillary.js';
import {
  ENETDOWN,
  IPV6_MULTICAST_HOPS,
  IPV6_MULTICAST_LOOP,
  IPV6_UNICAST_HOPS,
  ND_HOP_LIMIT,
  ND_NEIGHBOR_ADVERT,
  ND_NEIGHBOR_SOLICIT,
} from './socket-constants.js';
import { ARPHRD_ETHER, hardwareAddress, IFF_RUNNING, IFF_UP, interfaceFlags, interfaceIndex } from './ifreq.js';
import { AF_PACKET, encodeSockaddrLl, ethernetMulticastAddress, ETH_P_IPV6 } from './link-frame.js';
import { GroupMemberships, setIcmp6FilterPassOnly } from './sockopt.js';
import { dadProbePacket, encodeNd, formatMac, parseMac, solicitedNodeAddress } from './nd-codec.js';
import { DatagramSocket, type ReceiveFailure } from './datagram-socket.js';
import { readNdDatagram, type NdObserved, type RawDatagram } from './receive.js';

export type { NdObserved } from './receive.js';

const ALL_NODES = mustParseIp6('ff02::1');
const NONCE_OCTETS = 6;

export type DadResult = 'unique' | 'duplicate';

export interface NdSocketOptions {
  netns?: string;
  /** Router flag of the advertisements (default true: a home agent is a router). */
  router?: boolean;
}

export interface NdReceiveError {
  reason: ReceiveFailure;
  code: string;
  message: string;
}

export interface NdSocketStats {
  received: number;
  sent: number;
  receiveErrors: number;
  malformedCmsgs: number;
  /** NS/NA dropped by the RFC 4861 §7.1 checks (hop limit, code, lengths). */
  invalid: number;
  dadPending: number;
}

interface PendingDad {
  promise: Promise<DadResult>;
  resolve(r: DadResult): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
  nonce: Uint8Array;
  group: Uint8Array;
  ifindex: number;
}

type NdSocketEvents = { neighbor: [NdObserved]; receiveError: [NdReceiveError] };

function sameNonce(got: Uint8Array | undefined, mine: Uint8Array): boolean {
  return got !== undefined && got.length === mine.length && got.every((b, i) => b === mine[i]);
}

export class NdSocket extends DatagramSocket<NdSocketEvents> {
  private readonly pending = new Map<string, PendingDad>();
  /** Solicited-node groups joined for pending DADs. */
  private readonly groups: GroupMemberships;
  private readonly counters = { received: 0, sent: 0, receiveErrors: 0, malformedCmsgs: 0, invalid: 0 };

  private constructor(
    private readonly icmpFd: number,
    private readonly probeFd: number,
    private readonly router: boolean,
    moreMemberships: () => number,
  ) {
    super(icmpFd, new MsgIo({ bufferSize: 4096, controlSize: 256 }));
    this.groups = new GroupMemberships(icmpFd, moreMemberships);
  }

  static open(opts: NdSocketOptions = {}): NdSocket {
    const where = opts.netns === undefined ? {} : { netns: opts.netns };
    const icmpFd = openSocket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6, where);
    let probeFd = -1;
    try {
      // Protocol 0: the packet socket only sends, it receives nothing.
      probeFd = openSocket(AF_PACKET, SOCK_DGRAM, 0, where);
      setIcmp6FilterPassOnly(icmpFd, [ND_NEIGHBOR_SOLICIT, ND_NEIGHBOR_ADVERT]);
      for (const [opt, v] of [
        [IPV6_RECVPKTINFO, 1],
        [IPV6_RECVHOPLIMIT, 1],
        [IPV6_MULTICAST_HOPS, ND_HOP_LIMIT],
        [IPV6_UNICAST_HOPS, ND_HOP_LIMIT],
        [IPV6_MULTICAST_LOOP, 0],
      ] as const) {
        setsockoptInt(icmpFd, IPPROTO_IPV6, opt, v);
      }
      // Sockets that only hold solicited-node memberships, once the ICMPv6 socket's are spent.
      return new NdSocket(icmpFd, probeFd, opts.router ?? true, () => openSocket(AF_INET6, SOCK_DGRAM, 0, where));
    } catch (err) {
      closeFd(icmpFd);
      if (probeFd >= 0) closeFd(probeFd);
      throw err;
    }
  }

  get stats(): Readonly<NdSocketStats> {
    return { ...this.counters, dadPending: this.pending.size };
  }

  /** Interface index of `ifname` in the socket's namespace; throws SyscallError (ENODEV). */
  interfaceIndex(ifname: string): number {
    return interfaceIndex(this.icmpFd, ifname);
  }

  /**
   * Duplicate address detection for `address` on `ifname` (RFC 4862 §5.4): one probe, then
   * 'duplicate' if an NA for the target, or another node's DAD probe for it, arrives within
   * `timeoutMs` (RetransTimer, 1 s by default), else 'unique'. Rejects with a KernelError
   * when the probe cannot be sent (ENETDOWN: link not operational yet; EOPNOTSUPP: not
   * Ethernet), a SyscallError ENODEV for an unknown interface, or ECANCELED when the socket
   * closes first.
   */
  dad(ifname: string, address: Ip6, timeoutMs = 1000): Promise<DadResult> {
    try {
      if (!this.open) throw new KernelError(Errno.EBADF, `dad ${address}: socket closed`);
      const target = ip6Octets(address);
      const ifindex = this.interfaceIndex(ifname);
      const key = `${ifindex}/${formatIp6(target)}`;
      const existing = this.pending.get(key);
      if (existing) return existing.promise;
      const op = `sendmsg DAD probe for ${address} on ${ifname}`;
      if (hardwareAddress(this.icmpFd, ifname).family !== ARPHRD_ETHER) {
        throw new KernelError(Errno.EOPNOTSUPP, `${op}: not an Ethernet interface`);
      }
      // A frame sent before the link is operational is dropped without an error, and the
      // silence that followed would read as 'unique'.
      if ((interfaceFlags(this.icmpFd, ifname) & (IFF_UP | IFF_RUNNING)) !== (IFF_UP | IFF_RUNNING)) {
        throw new KernelError(ENETDOWN, `${op}: link not operational`);
      }
      const group = solicitedNodeAddress(target);
      this.groups.join(ifindex, group);
      const nonce = new Uint8Array(randomBytes(NONCE_OCTETS));
      const name = encodeSockaddrLl(ifindex, ETH_P_IPV6, ethernetMulticastAddress(group));
      const n = this.io.sendmsg(this.probeFd, [dadProbePacket(target, nonce)], { name });
      if (n < 0) {
        this.groups.leave(ifindex, group);
        throw new KernelError(-n, op);
      }
      this.counters.sent++;
      let settle!: Pick<PendingDad, 'resolve' | 'reject'>;
      const promise = new Promise<DadResult>((resolve, reject) => (settle = { resolve, reject }));
      const timer = setTimeout(() => this.finish(key, 'unique'), timeoutMs);
      this.pending.set(key, { promise, ...settle, timer, nonce, group, ifindex });
      return promise;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Unsolicited NA for `address` to all nodes on `ifname` (RFC 4861 §7.2.6): Override set,
   * Solicited clear, Router as configured, Target Link-Layer Address = `linkLayerAddress` or
   * the interface's own MAC. Returns the octets sent; throws KernelError. RFC 4861 allows up
   * to MAX_NEIGHBOR_ADVERTISEMENT (3) of these; repeating them is the caller's choice.
   */
  unsolicitedNa(ifname: string, address: Ip6, linkLayerAddress?: string): number {
    const target = ip6Octets(address);
    const op = `sendmsg unsolicited NA for ${address} on ${ifname}`;
    if (!this.open) throw new KernelError(Errno.EBADF, `${op}: socket closed`);
    const ifindex = this.interfaceIndex(ifname);
    let mac: Uint8Array;
    if (linkLayerAddress !== undefined) mac = parseMac(linkLayerAddress);
    else {
      const hw = hardwareAddress(this.icmpFd, ifname);
      if (hw.family !== ARPHRD_ETHER) throw new KernelError(Errno.EOPNOTSUPP, `${op}: not an Ethernet interface`);
      mac = hw.address;
    }
    const na = encodeNd({ kind: 'na', target, router: this.router, solicited: false, override: true, targetLinkLayer: mac });
    const name = encodeSockaddrIn6({ address: ALL_NODES, port: 0, scopeId: ifindex });
    const control = encodeCmsgs([{ level: IPPROTO_IPV6, type: IPV6_PKTINFO, data: encodePktinfo(undefined, ifindex) }]);
    const n = this.io.sendmsg(this.icmpFd, [na], { name, control });
    if (n < 0) throw new KernelError(-n, `${op} (tll ${formatMac(mac)})`);
    this.counters.sent++;
    return n;
  }

  /** Closes both descriptors; pending DADs reject with ECANCELED. Safe to call twice. */
  close(): void {
    if (!this.shut()) return;
    for (const [key, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(key);
      p.reject(new KernelError(Errno.ECANCELED, `dad ${key}: socket closed`));
    }
    this.groups.clear();
    closeFd(this.icmpFd);
    closeFd(this.probeFd);
  }

  private finish(key: string, result: DadResult): void {
    const p = this.pending.get(key);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(key);
    this.groups.leave(p.ifindex, p.group);
    p.resolve(result);
  }

  protected deliver(d: RawDatagram): void {
    const r = readNdDatagram(d);
    if (!r.ok) {
      if (r.error.reason === 'ancillary' || r.error.reason === 'address') this.counters.malformedCmsgs++;
      else this.counters.invalid++;
      return this.receiveFailed(r.error.reason, r.error.code, r.error.message);
    }
    this.counters.received++;
    const { message: m, ifindex, src } = r.value;
    const key = `${ifindex}/${formatIp6(m.target)}`;
    const dad = this.pending.get(key);
    // RFC 4862 §5.4.3-5.4.4: an NA for the target, or a probe for it from someone else, means taken.
    if (dad && (m.kind === 'na' || (src === '::' && !sameNonce(m.nonce, dad.nonce)))) this.finish(key, 'duplicate');
    this.emit('neighbor', r.value);
  }

  protected receiveFailed(reason: ReceiveFailure, code: string, message: string): void {
    this.counters.receiveErrors++;
    this.emit('receiveError', { reason, code, message });
  }
}

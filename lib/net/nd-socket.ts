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
// Many DADs run at once on the one socket, and concurrent calls for the same pair share one
// probe and one answer. What costs a system call is shared by the DADs started in one
// synchronous run (a drain of the signalling socket starts hundreds in a storm): the
// interface's index, type and flags are read once (platform/sys/per-turn.ts), and they wait
// on one timer, and their probes leave in one sendmmsg (platform/sys/send-batch.ts) at the
// end of the turn. Another node's probe for a target arrives on its solicited-node group, which
// each DAD joins, unless the caller hears the link's solicitations on a socket of its own
// (the home agent's proxy ND packet socket, allmulti) and hands them to probeHeard().
// Receive problems become 'receiveError' events and counters, never an 'error' event.
import { randomBytes } from 'node:crypto';
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
import { perTurnByKey } from '../platform/sys/per-turn.js';

export type { NdObserved } from './receive.js';

const ALL_NODES = mustParseIp6('ff02::1');
const NONCE_OCTETS = 6;
/** Nonces drawn from the random source at a time. */
const NONCE_POOL = 256;

export type DadResult = 'unique' | 'duplicate';

export interface NdSocketOptions {
  netns?: string;
  /** Router flag of the advertisements (default true: a home agent is a router). */
  router?: boolean;
}

export interface DadOptions {
  /**
   * The caller receives every Neighbour Solicitation on the link elsewhere and passes the
   * probes to probeHeard(): no solicited-node group is joined for this DAD.
   */
  probesHeardElsewhere?: boolean;
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

/** The DADs started in one synchronous run with one timeout: one timer for all. */
interface DadBatch {
  timer: NodeJS.Timeout;
  keys: string[];
}

interface PendingDad {
  promise: Promise<DadResult>;
  resolve(r: DadResult): void;
  reject(e: Error): void;
  batch: DadBatch;
  nonce: Uint8Array;
  /** The solicited-node group joined for it, or null (probesHeardElsewhere). */
  group: Uint8Array | null;
  ifindex: number;
}

interface LinkInfo {
  ifindex: number;
  ethernet: boolean;
  operational: boolean;
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
  /** Batches whose timer has not fired, so close() can clear them. */
  private readonly batches = new Set<DadBatch>();
  private readonly batchFor = perTurnByKey((timeoutMs: number) => this.newBatch(timeoutMs));
  private readonly link = perTurnByKey((ifname: string) => this.readLink(ifname));
  private nonces = new Uint8Array(0);
  /** The DAD probes' sends on the packet socket (platform/sys/send-batch.ts). */
  private readonly probes: SendBatch;
  private nonceAt = 0;

  private constructor(
    private readonly icmpFd: number,
    private readonly probeFd: number,
    private readonly router: boolean,
    moreMemberships: () => number,
  ) {
    super(icmpFd, new MsgIo({ bufferSize: 1 }), new RecvBatch({ slots: 16, bufferSize: 4096, controlSize: 256 }));
    this.probes = new SendBatch(probeFd);
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
   * `timeoutMs` (RetransTimer, 1 s by default), else 'unique'. The probe is sent at the end
   * of this turn with the others. Rejects with a KernelError when the probe cannot be sent (ENETDOWN: link not operational yet; EOPNOTSUPP: not
   * Ethernet), a SyscallError ENODEV for an unknown interface, or ECANCELED when the socket
   * closes first.
   */
  dad(ifname: string, address: Ip6, timeoutMs = 1000, opts: DadOptions = {}): Promise<DadResult> {
    try {
      if (!this.open) throw new KernelError(Errno.EBADF, `dad ${address}: socket closed`);
      const target = ip6Octets(address);
      const { ifindex, ethernet, operational } = this.link(ifname);
      const key = `${ifindex}/${formatIp6(target)}`;
      const existing = this.pending.get(key);
      if (existing) return existing.promise;
      const op = `sendmsg DAD probe for ${address} on ${ifname}`;
      if (!ethernet) throw new KernelError(Errno.EOPNOTSUPP, `${op}: not an Ethernet interface`);
      // A frame sent before the link is operational is dropped without an error, and the
      // silence that followed would read as 'unique'.
      if (!operational) throw new KernelError(ENETDOWN, `${op}: link not operational`);
      const multicast = solicitedNodeAddress(target);
      const group = opts.probesHeardElsewhere ? null : multicast;
      if (group) this.groups.join(ifindex, group);
      const nonce = this.nonce();
      const name = encodeSockaddrLl(ifindex, ETH_P_IPV6, ethernetMulticastAddress(multicast));
      let settle!: Pick<PendingDad, 'resolve' | 'reject'>;
      const promise = new Promise<DadResult>((resolve, reject) => (settle = { resolve, reject }));
      const batch = this.batchFor(timeoutMs);
      batch.keys.push(key);
      const dad: PendingDad = { promise, ...settle, batch, nonce, group, ifindex };
      this.pending.set(key, dad);
      // With the other probes of this turn, in one sendmmsg; a probe that failed rejects its DAD.
      this.probes.queue({ data: dadProbePacket(target, nonce), name }, (n) => {
        if (n >= 0) return void this.counters.sent++;
        if (this.pending.get(key) !== dad) return;
        this.pending.delete(key);
        if (group) this.groups.leave(ifindex, group);
        dad.reject(new KernelError(-n, op));
      });
      return promise;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * A DAD probe (an NS from the unspecified address) for `target` on `ifindex`, received by
   * another socket of the caller's: 'duplicate' for a pending DAD of that target, unless the
   * nonce is its own (RFC 7527). For DADs started with probesHeardElsewhere.
   */
  probeHeard(ifindex: number, target: Uint8Array, nonce: Uint8Array | undefined): void {
    const key = `${ifindex}/${formatIp6(target)}`;
    const dad = this.pending.get(key);
    if (dad && !sameNonce(nonce, dad.nonce)) this.finish(key, 'duplicate');
  }

  private newBatch(timeoutMs: number): DadBatch {
    const batch: DadBatch = {
      keys: [],
      timer: setTimeout(() => {
        this.batches.delete(batch);
        for (const key of batch.keys) if (this.pending.get(key)?.batch === batch) this.finish(key, 'unique');
      }, timeoutMs),
    };
    this.batches.add(batch);
    return batch;
  }

  private readLink(ifname: string): LinkInfo {
    const ifindex = this.interfaceIndex(ifname);
    const ethernet = hardwareAddress(this.icmpFd, ifname).family === ARPHRD_ETHER;
    const operational = (interfaceFlags(this.icmpFd, ifname) & (IFF_UP | IFF_RUNNING)) === (IFF_UP | IFF_RUNNING);
    return { ifindex, ethernet, operational };
  }

  /** RFC 7527 nonce octets for one probe, from a pool refilled NONCE_POOL probes at a time. */
  private nonce(): Uint8Array {
    if (this.nonceAt + NONCE_OCTETS > this.nonces.length) {
      this.nonces = new Uint8Array(randomBytes(NONCE_OCTETS * NONCE_POOL));
      this.nonceAt = 0;
    }
    const n = this.nonces.slice(this.nonceAt, this.nonceAt + NONCE_OCTETS);
    this.nonceAt += NONCE_OCTETS;
    return n;
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
    this.probes.flush();
    for (const b of this.batches) clearTimeout(b.timer);
    this.batches.clear();
    for (const [key, p] of this.pending) {
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
    this.pending.delete(key);
    if (p.group) this.groups.leave(p.ifindex, p.group);
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

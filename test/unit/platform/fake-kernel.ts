// Netlink doubles. FakeTransport, for engine tests, records what the socket sends and lets
// a test deliver crafted replies, as the kernel would. InMemoryKernel answers by itself, as
// a kernel that accepts every request would, for tests of the daemons' glue.
import type { DatagramSink, NetlinkTransport } from '../../../lib/platform/netlink/transport.js';
import {
  NLMSG_DONE,
  NLMSG_ERROR,
  NLM_F_ACK_TLVS,
  NLM_F_CAPPED,
  NLM_F_MULTI,
  NLMSGERR_ATTR_MSG,
  NLMSGERR_ATTR_OFFS,
} from '../../../lib/platform/netlink/netlink-constants.js';
import { AttrSet, parseMessages, rdI32, type NlMsg } from '../../../lib/platform/netlink/parse.js';
import { NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL } from '../../../lib/platform/netlink/netlink-constants.js';
import { IFF_LOWER_UP, IFF_UP, IFINFOMSG_SIZE, IFLA_IFNAME, RTM_DELLINK, RTM_GETLINK, RTM_NEWLINK } from '../../../lib/platform/rtnl/rtnl-constants.js';
import { Errno } from '../../../lib/platform/sys/errno.js';

export class FakeTransport implements NetlinkTransport {
  readonly sent: Uint8Array[] = [];
  sink: DatagramSink | null = null;
  sendErrno = 0;
  refs: string[] = [];
  closed = false;
  groups: number[] = [];

  send(datagram: Uint8Array): number {
    if (this.sendErrno) return -this.sendErrno;
    this.sent.push(datagram.slice());
    return datagram.length;
  }
  start(sink: DatagramSink): void {
    this.sink = sink;
  }
  addMembership(group: number): void {
    this.groups.push(group);
  }
  dropMembership(group: number): void {
    this.groups = this.groups.filter((g) => g !== group);
  }
  ref(): void {
    this.refs.push('ref');
  }
  unref(): void {
    this.refs.push('unref');
  }
  close(): void {
    this.closed = true;
  }

  /** Every message sent so far, in order. */
  messages(): NlMsg[] {
    return this.sent.flatMap((d) => parseMessages(d));
  }

  deliver(...parts: Uint8Array[]): void {
    this.sink!.datagram(concat(parts), false);
  }
  deliverMulticast(...parts: Uint8Array[]): void {
    this.sink!.datagram(concat(parts), true);
  }
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** One netlink message with the given header fields and payload (padded to 4). */
export function nlmsg(type: number, seq: number, flags: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const len = 16 + payload.length;
  const b = new Uint8Array((len + 3) & ~3);
  const v = new DataView(b.buffer);
  v.setUint32(0, len, true);
  v.setUint16(4, type, true);
  v.setUint16(6, flags, true);
  v.setUint32(8, seq, true);
  b.set(payload, 16);
  return b;
}

/** One netlink attribute: length, type, data, padded to 4 bytes. */
export function tlv(type: number, data: Uint8Array): Uint8Array {
  const b = new Uint8Array((4 + data.length + 3) & ~3);
  const v = new DataView(b.buffer);
  v.setUint16(0, 4 + data.length, true);
  v.setUint16(2, type, true);
  b.set(data, 4);
  return b;
}

/** NLMSG_ERROR as a kernel with NETLINK_CAP_ACK and NETLINK_EXT_ACK sends it. */
export function ack(seq: number, errno = 0, extack?: { msg?: string; offs?: number }): Uint8Array {
  const parts: Uint8Array[] = [];
  const head = new Uint8Array(20);
  const v = new DataView(head.buffer);
  v.setInt32(0, -errno, true);
  v.setUint32(4, 16, true); // echoed nlmsghdr
  v.setUint32(12, seq, true);
  parts.push(head);
  let flags = NLM_F_CAPPED;
  if (extack) {
    flags |= NLM_F_ACK_TLVS;
    if (extack.msg !== undefined) parts.push(tlv(NLMSGERR_ATTR_MSG, Buffer.from(`${extack.msg}\0`)));
    if (extack.offs !== undefined) {
      const o = new Uint8Array(4);
      new DataView(o.buffer).setUint32(0, extack.offs, true);
      parts.push(tlv(NLMSGERR_ATTR_OFFS, o));
    }
  }
  return nlmsg(NLMSG_ERROR, seq, flags, concat(parts));
}

export function done(seq: number, flags = NLM_F_MULTI, errno = 0): Uint8Array {
  const p = new Uint8Array(4);
  new DataView(p.buffer).setInt32(0, -errno, true);
  return nlmsg(NLMSG_DONE, seq, flags, p);
}

/** Lets queued microtasks (the socket's flush) and promise reactions run. */
export const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** One request as the in-memory kernel received it. */
export interface KernelRequest {
  protocol: number;
  type: number;
  flags: number;
  payload: Uint8Array;
}

const NETLINK_ROUTE = 0;

/**
 * A kernel in memory for daemon glue tests: every request is acknowledged and recorded.
 * Links are kept (the interfaces a test declares and those the daemon creates, tunnels),
 * so RTM_GETLINK finds them, a link dump lists them and RTM_DELLINK removes them; other
 * objects are acknowledged but not kept, so their dumps come back empty. Replies arrive on
 * a later turn of the event loop, as a real socket's do.
 */
export class InMemoryKernel {
  readonly requests: KernelRequest[] = [];
  /** ifindex -> ifinfomsg and attributes, as a dump returns them. */
  private readonly links = new Map<number, Uint8Array>();
  private nextIfindex = 100;
  /** Message types that fail with an errno, once each. */
  private readonly failures: { type: number; errno: number; protocol: number | undefined }[] = [];

  /** Declares an interface that is up (lo, the home link). */
  addLink(name: string, ifindex = this.nextIfindex++): number {
    const head = new Uint8Array(IFINFOMSG_SIZE);
    const v = new DataView(head.buffer);
    v.setInt32(4, ifindex, true);
    v.setUint32(8, IFF_UP | IFF_LOWER_UP, true);
    this.links.set(ifindex, concat([head, tlv(IFLA_IFNAME, Buffer.from(`${name}\0`))]));
    return ifindex;
  }

  linkNames(): string[] {
    return [...this.links.values()].map((p) => nameOf(p) ?? '');
  }

  /**
   * The next request of `type` fails with `errno` (0: is acknowledged without effect). With
   * `protocol`, only a request on that netlink protocol (XFRM_MSG_NEWSA and RTM_NEWLINK are both 16).
   */
  failNext(type: number, errno: number, protocol?: number): void {
    this.failures.push({ type, errno, protocol });
  }

  /** Requests of one message type (RTM_NEWLINK, XFRM_MSG_NEWPOLICY, ...) received so far. */
  received(protocol: number, type: number): KernelRequest[] {
    return this.requests.filter((r) => r.protocol === protocol && r.type === type);
  }

  transport(protocol: number): NetlinkTransport {
    return new InMemoryTransport(this, protocol);
  }

  /** The replies to one request. */
  answer(protocol: number, m: NlMsg): Uint8Array[] {
    this.requests.push({ protocol, type: m.type, flags: m.flags, payload: m.payload.slice() });
    const failure = this.failures.findIndex((f) => f.type === m.type && (f.protocol === undefined || f.protocol === protocol));
    if (failure >= 0) return [ack(m.seq, this.failures.splice(failure, 1)[0]!.errno)];
    if ((m.flags & NLM_F_DUMP) === NLM_F_DUMP) {
      const items = protocol === NETLINK_ROUTE && m.type === RTM_GETLINK ? [...this.links.values()] : [];
      return [...items.map((p) => nlmsg(RTM_NEWLINK, m.seq, NLM_F_MULTI, p)), done(m.seq)];
    }
    if (protocol !== NETLINK_ROUTE) return [ack(m.seq)];
    if (m.type === RTM_NEWLINK && (m.flags & NLM_F_CREATE) !== 0) return [ack(m.seq, this.createLink(m))];
    if (m.type === RTM_GETLINK) {
      const index = this.find(m.payload);
      return index === undefined ? [ack(m.seq, Errno.ENODEV)] : [nlmsg(RTM_NEWLINK, m.seq, 0, this.links.get(index)!), ack(m.seq)];
    }
    if (m.type === RTM_DELLINK) {
      const index = this.find(m.payload);
      if (index === undefined) return [ack(m.seq, Errno.ENODEV)];
      this.links.delete(index);
    }
    return [ack(m.seq)];
  }

  private createLink(m: NlMsg): number {
    const name = nameOf(m.payload);
    if (name === undefined) return Errno.EINVAL;
    if (this.find(m.payload) !== undefined) return (m.flags & NLM_F_EXCL) !== 0 ? Errno.EEXIST : 0;
    const ifindex = this.nextIfindex++;
    const p = m.payload.slice();
    new DataView(p.buffer).setInt32(4, ifindex, true);
    this.links.set(ifindex, p);
    return 0;
  }

  /** The link a request names, by ifindex or IFLA_IFNAME. */
  private find(payload: Uint8Array): number | undefined {
    const index = rdI32(payload, 4);
    if (index > 0) return this.links.has(index) ? index : undefined;
    const name = nameOf(payload);
    for (const [i, p] of this.links) if (nameOf(p) === name) return i;
    return undefined;
  }
}

function nameOf(ifinfo: Uint8Array): string | undefined {
  return new AttrSet(ifinfo, IFINFOMSG_SIZE).string(IFLA_IFNAME);
}

class InMemoryTransport implements NetlinkTransport {
  private sink: DatagramSink | null = null;
  private closed = false;

  constructor(
    private readonly kernel: InMemoryKernel,
    private readonly protocol: number,
  ) {}

  send(datagram: Uint8Array): number {
    const replies = parseMessages(datagram).flatMap((m) => this.kernel.answer(this.protocol, m));
    setImmediate(() => {
      if (!this.closed && replies.length > 0) this.sink?.datagram(concat(replies), false);
    });
    return datagram.length;
  }
  start(sink: DatagramSink): void {
    this.sink = sink;
  }
  addMembership(): void {}
  dropMembership(): void {}
  ref(): void {}
  unref(): void {}
  close(): void {
    this.closed = true;
  }
}

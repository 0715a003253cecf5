// A fake netlink transport for engine tests: records what the socket sends and
// lets a test deliver crafted replies, as the kernel would.
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
import { parseMessages, type NlMsg } from '../../../lib/platform/netlink/parse.js';

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

function tlv(type: number, data: Uint8Array): Uint8Array {
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

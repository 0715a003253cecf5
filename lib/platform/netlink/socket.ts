// NetlinkSocket: many requests in flight over one netlink socket.
// - request(): NLM_F_ACK; resolves on the kernel's ACK, rejects with KernelError.
// - dump(): NLM_F_DUMP; collects parsed messages until NLMSG_DONE and redoes the
//   dump (bounded) when any part was flagged NLM_F_DUMP_INTR.
// Requests wait in a queue and are sent, up to `maxInFlight` unacknowledged at a
// time, several messages per datagram (the kernel processes them in order and
// acknowledges each). At most one dump runs at a time: the kernel refuses a
// second dump on the same socket with EBUSY.
// Multicast deliveries become 'notification' events. When received data is lost
// (ENOBUFS), the socket emits 'resync' and sends a NLMSG_NOOP barrier: ACKs come
// back in request order, so requests sent before the barrier that are still
// unacknowledged when the barrier's ACK arrives lost theirs, and fail with ENOBUFS.
import { EventEmitter } from 'node:events';
import { Errno } from '../sys/errno.js';
import { KernelError } from '../kernel-errors.js';
import { NLMSG_HDRLEN, NLMSG_NOOP, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, nlAlign } from './netlink-constants.js';
import { dumpStep, labelOf, lostAckError, newEntry, replyStep, type Entry, type EntryKind, type OpLabel, type Step } from './entry.js';
import { parseMessages, rdU16, type NlMsg } from './parse.js';
export type { OpLabel } from './entry.js';
import { KernelNetlinkTransport, type DatagramSink, type NetlinkTransport, type NetlinkTransportOptions } from './transport.js';

export interface RequestOptions {
  op?: OpLabel;
  /** Called with each non-ACK message answering the request (a GET's reply). */
  onReply?: (m: NlMsg) => void;
}

export interface NetlinkEngineOptions {
  /** Unacknowledged requests allowed at once (default 256); the rest queue. */
  maxInFlight?: number;
  /** Largest datagram to send (default 64 KiB); a larger single message goes alone. */
  batchBytes?: number;
  /** How often an interrupted dump is redone before failing with EINTR (default 5). */
  maxDumpRetries?: number;
}

export interface NetlinkSocketOptions extends NetlinkEngineOptions, NetlinkTransportOptions {
  /** Multicast groups to join (RTNLGRP_*, XFRMNLGRP_*). */
  groups?: readonly number[];
}

export interface NetlinkStats {
  sent: number;
  datagramsOut: number;
  datagramsIn: number;
  acked: number;
  failed: number;
  dumpsRedone: number;
  lost: number;
  stray: number;
}

export interface NetlinkSocket {
  on(event: 'notification', listener: (m: NlMsg) => void): this;
  on(event: 'resync', listener: (reason: string) => void): this;
  once(event: 'notification', listener: (m: NlMsg) => void): this;
  once(event: 'resync', listener: (reason: string) => void): this;
}

export class NetlinkSocket extends EventEmitter implements DatagramSink {
  readonly stats: NetlinkStats = { sent: 0, datagramsOut: 0, datagramsIn: 0, acked: 0, failed: 0, dumpsRedone: 0, lost: 0, stray: 0 };
  private readonly maxInFlight: number;
  private readonly maxDumpRetries: number;
  private readonly sendBuf: Uint8Array;
  private readonly inflight = new Map<number, Entry>();
  private requests: Entry[] = [];
  private requestsHead = 0;
  private readonly dumps: Entry[] = [];
  private requestsInFlight = 0;
  private dumpActive = false;
  private nextSeq = 1;
  private nextOrder = 1;
  private flushScheduled = false;
  private keepAlive = true;
  private referenced = true;
  private closed = false;

  /** Opens a kernel netlink socket (in `opts.netns` if given) and joins `opts.groups`. */
  static open(opts: NetlinkSocketOptions): NetlinkSocket {
    const t = new KernelNetlinkTransport(opts);
    try {
      for (const g of opts.groups ?? []) t.addMembership(g);
    } catch (err) {
      t.close();
      throw err;
    }
    return new NetlinkSocket(t, opts);
  }

  constructor(
    private readonly transport: NetlinkTransport,
    opts: NetlinkEngineOptions = {},
  ) {
    super();
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? 256);
    this.maxDumpRetries = opts.maxDumpRetries ?? 5;
    this.sendBuf = new Uint8Array(opts.batchBytes ?? 64 * 1024);
    transport.start(this);
  }

  /** Requests waiting to be sent plus those sent and not yet answered. */
  get pending(): number {
    return this.requests.length - this.requestsHead + this.dumps.length + this.inflight.size;
  }

  /** Sends `msg` with NLM_F_ACK; resolves when the kernel acknowledges it. */
  request(msg: Uint8Array, opts: RequestOptions = {}): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.enqueue('request', msg, opts.op, opts.onReply, undefined, resolve as (v: never) => void, reject);
    });
  }

  /** A GET without NLM_F_DUMP: resolves with the parsed reply, or undefined if none came. */
  async get<T>(msg: Uint8Array, parse: (m: NlMsg) => T, op?: OpLabel): Promise<T | undefined> {
    let value: T | undefined;
    await this.request(msg, {
      op,
      onReply: (m) => {
        if (value === undefined) value = parse(m);
      },
    });
    return value;
  }

  /** Dumps with NLM_F_DUMP; `parse` runs on each message (undefined drops it). */
  dump<T>(msg: Uint8Array, parse: (m: NlMsg) => T | undefined, op?: OpLabel): Promise<T[]> {
    return new Promise<T[]>((resolve, reject) => {
      this.enqueue('dump', msg, op, undefined, parse, resolve as (v: never) => void, reject);
    });
  }

  addMembership(group: number): void {
    this.transport.addMembership(group);
  }

  dropMembership(group: number): void {
    this.transport.dropMembership(group);
  }

  /** Lets the process exit while this socket has nothing pending (monitor sockets). */
  unref(): this {
    this.keepAlive = false;
    this.updateRef();
    return this;
  }

  ref(): this {
    this.keepAlive = true;
    this.updateRef();
    return this;
  }

  /** Closes the socket; everything pending fails with ECANCELED. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const all = [...this.inflight.values(), ...this.requests.slice(this.requestsHead), ...this.dumps];
    this.inflight.clear();
    this.requests = [];
    this.requestsHead = 0;
    this.dumps.length = 0;
    this.transport.close();
    for (const e of all) {
      if (e.kind !== 'barrier') e.reject(new KernelError(Errno.ECANCELED, labelOf(e), 'netlink socket closed'));
    }
  }

  private enqueue(
    kind: EntryKind,
    msg: Uint8Array,
    op: OpLabel | undefined,
    onReply: Entry['onReply'],
    parse: Entry['parse'],
    resolve: Entry['resolve'],
    reject: Entry['reject'],
  ): void {
    const e = newEntry(kind, msg, op, { onReply, parse, resolve, reject });
    if (this.closed) {
      reject(new KernelError(Errno.ECANCELED, labelOf(e), 'netlink socket closed'));
      return;
    }
    if (msg.length < NLMSG_HDRLEN) {
      reject(new TypeError('netlink message shorter than its header'));
      return;
    }
    if (kind === 'dump') this.dumps.push(e);
    else this.requests.push(e);
    this.updateRef();
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.closed) return;
    this.flushScheduled = true;
    // A microtask lets a caller queue a whole loop of requests before the first send.
    queueMicrotask(() => this.flush());
  }

  private takeSeq(): number {
    let s = this.nextSeq;
    while (s === 0 || this.inflight.has(s)) s = (s + 1) >>> 0;
    this.nextSeq = (s + 1) >>> 0;
    return s;
  }

  private stamp(e: Entry, extraFlags: number): void {
    const m = e.msg;
    e.seq = this.takeSeq();
    e.order = this.nextOrder++;
    const flags = rdU16(m, 6) | NLM_F_REQUEST | extraFlags;
    m[6] = flags & 0xff;
    m[7] = flags >> 8;
    new DataView(m.buffer, m.byteOffset, 16).setUint32(8, e.seq, true);
    this.inflight.set(e.seq, e);
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.closed) return;
    let used = 0;
    let batch: Entry[] = [];
    const put = (e: Entry): void => {
      const len = nlAlign(e.msg.length);
      if (used > 0 && used + len > this.sendBuf.length) {
        this.sendBatch(this.sendBuf.subarray(0, used), batch);
        used = 0;
        batch = [];
      }
      if (len > this.sendBuf.length) {
        this.sendBatch(e.msg, [e]);
        return;
      }
      this.sendBuf.set(e.msg, used);
      this.sendBuf.fill(0, used + e.msg.length, used + len);
      used += len;
      batch.push(e);
    };
    if (!this.dumpActive && this.dumps.length > 0) {
      const d = this.dumps.shift()!;
      d.attempts++;
      this.dumpActive = true;
      this.stamp(d, NLM_F_DUMP);
      put(d);
    }
    while (this.requestsInFlight < this.maxInFlight && this.requestsHead < this.requests.length) {
      const e = this.requests[this.requestsHead++]!;
      this.requestsInFlight++;
      this.stamp(e, NLM_F_ACK);
      put(e);
    }
    if (this.requestsHead > 1024 && this.requestsHead * 2 > this.requests.length) {
      this.requests = this.requests.slice(this.requestsHead);
      this.requestsHead = 0;
    }
    if (used > 0) this.sendBatch(this.sendBuf.subarray(0, used), batch);
  }

  private sendBatch(datagram: Uint8Array, batch: Entry[]): void {
    const r = this.transport.send(datagram);
    this.stats.datagramsOut++;
    if (r >= 0) {
      this.stats.sent += batch.length;
      return;
    }
    for (const e of batch) this.fail(e, new KernelError(-r, labelOf(e), 'sending to the kernel failed'));
  }

  /** Removes an answered entry from the books and lets queued work go. */
  private complete(e: Entry): void {
    if (this.inflight.get(e.seq) !== e) return;
    this.inflight.delete(e.seq);
    if (e.kind === 'dump') this.dumpActive = false;
    else if (e.kind === 'request') this.requestsInFlight--;
    if (this.requestsHead < this.requests.length || this.dumps.length > 0) this.scheduleFlush();
    this.updateRef();
  }

  private fail(e: Entry, err: unknown): void {
    this.complete(e);
    this.stats.failed++;
    e.reject(err);
  }

  private updateRef(): void {
    const want = this.keepAlive || this.pending > 0;
    if (want === this.referenced || this.closed) return;
    this.referenced = want;
    if (want) this.transport.ref();
    else this.transport.unref();
  }

  // DatagramSink: called by the transport for every datagram received.
  datagram(data: Uint8Array, multicast: boolean): void {
    this.stats.datagramsIn++;
    let msgs: NlMsg[];
    try {
      msgs = parseMessages(data);
    } catch (err) {
      this.lost(`malformed datagram: ${(err as Error).message}`);
      return;
    }
    for (const m of msgs) {
      if (multicast) {
        this.emit('notification', m);
        continue;
      }
      const e = this.inflight.get(m.seq);
      if (!e) {
        this.stats.stray++;
        continue;
      }
      this.apply(e, e.kind === 'dump' ? dumpStep(e, m) : replyStep(e, m));
    }
  }

  lost(reason: string): void {
    this.stats.lost++;
    if (this.closed) return;
    this.emit('resync', reason);
    let waiting = false;
    for (const e of this.inflight.values()) if (e.kind === 'request') waiting = true;
    if (!waiting) return;
    const noop = new Uint8Array(NLMSG_HDRLEN);
    new DataView(noop.buffer).setUint32(0, NLMSG_HDRLEN, true);
    noop[4] = NLMSG_NOOP;
    const b = newEntry('barrier', noop, 'NLMSG_NOOP barrier');
    this.stamp(b, NLM_F_ACK);
    // A barrier that cannot be sent leaves the requests to a later loss or to close().
    if (this.transport.send(noop) < 0) this.inflight.delete(b.seq);
  }

  private apply(e: Entry, step: Step): void {
    switch (step.kind) {
      case 'more':
        return;
      case 'ok':
        this.complete(e);
        if (e.kind === 'request') this.stats.acked++;
        e.resolve((e.kind === 'dump' ? e.results : undefined) as never);
        return;
      case 'fail':
        this.fail(e, step.error);
        return;
      case 'barrier':
        this.complete(e);
        for (const r of [...this.inflight.values()]) {
          if (r.kind === 'request' && r.order < e.order) this.fail(r, lostAckError(r));
        }
        return;
      case 'redo':
        this.redo(e);
        return;
    }
  }

  private redo(e: Entry): void {
    this.complete(e);
    if (e.attempts > this.maxDumpRetries) {
      this.stats.failed++;
      e.reject(new KernelError(Errno.EINTR, labelOf(e), `dump interrupted ${e.attempts} times`));
      return;
    }
    this.stats.dumpsRedone++;
    e.results = [];
    e.intr = false;
    this.dumps.unshift(e);
    this.updateRef();
    this.scheduleFlush();
  }
}

// NetlinkSocket over a fake transport: batching, the in-flight window, per-sequence
// resolution, extended acks, dumps (multi-part, interrupted and redone), lost ACKs
// after an overrun, multicast, close.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KernelError } from '../../../lib/platform/kernel-errors.js';
import { NLM_F_ACK, NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_MULTI, NLMSG_NOOP } from '../../../lib/platform/netlink/netlink-constants.js';
import { NetlinkSocket } from '../../../lib/platform/netlink/socket.js';
import { NlWriter } from '../../../lib/platform/netlink/writer.js';
import { FakeTransport, ack, done, nlmsg, tick } from './fake-kernel.js';

const w = new NlWriter();
const req = (type = 24, n = 0): Uint8Array => w.begin(type).u32(n).finish();
const open = (opts = {}): { t: FakeTransport; s: NetlinkSocket } => {
  const t = new FakeTransport();
  return { t, s: new NetlinkSocket(t, opts) };
};
const state = <T>(p: Promise<T>): { v?: T; e?: unknown; settled: boolean } => {
  const r: { v?: T; e?: unknown; settled: boolean } = { settled: false };
  p.then(
    (v) => Object.assign(r, { v, settled: true }),
    (e: unknown) => Object.assign(r, { e, settled: true }),
  );
  return r;
};

test('requests queued in one tick go out in one datagram with ACK flags and distinct seqs', async () => {
  const { t, s } = open();
  const ps = [s.request(req()), s.request(req()), s.request(req())];
  await tick();
  assert.equal(t.sent.length, 1);
  const msgs = t.messages();
  assert.equal(msgs.length, 3);
  assert.ok(msgs.every((m) => (m.flags & NLM_F_ACK) !== 0));
  assert.equal(new Set(msgs.map((m) => m.seq)).size, 3);
  // Answer out of order: each promise resolves by its own sequence number.
  t.deliver(ack(msgs[2]!.seq), ack(msgs[0]!.seq));
  t.deliver(ack(msgs[1]!.seq));
  await Promise.all(ps);
  assert.equal(s.pending, 0);
});

test('the window bounds unacknowledged requests; the rest go as ACKs free slots', async () => {
  const { t, s } = open({ maxInFlight: 4 });
  const ps = Array.from({ length: 10 }, (_, i) => s.request(req(24, i)));
  await tick();
  let msgs = t.messages();
  assert.equal(msgs.length, 4);
  t.deliver(...msgs.slice(0, 2).map((m) => ack(m.seq)));
  await tick();
  msgs = t.messages();
  assert.equal(msgs.length, 6, 'two more sent after two ACKs');
  for (;;) {
    const unacked = t.messages().slice(msgs.length - 4);
    t.deliver(...unacked.map((m) => ack(m.seq)));
    await tick();
    if (t.messages().length === msgs.length) break;
    msgs = t.messages();
  }
  await Promise.all(ps);
  assert.equal(t.messages().length, 10);
});

test('a batch never exceeds batchBytes; an oversized message goes alone', async () => {
  const { t, s } = open({ batchBytes: 64 });
  const big = w.begin(24).zeros(100).finish();
  const ps = [s.request(req()), s.request(req()), s.request(req()), s.request(big), s.request(req())];
  await tick();
  assert.ok(t.sent.every((d) => d.length <= 64 || d.length === big.length));
  assert.equal(t.messages().length, 5);
  t.deliver(...t.messages().map((m) => ack(m.seq)));
  await Promise.all(ps);
});

test('an error ACK rejects with KernelError carrying errno, code, op and extack', async () => {
  const { t, s } = open();
  const p = state(s.request(req(), { op: 'RTM_NEWLINK ip6tnl mip6-1' }));
  await tick();
  const [m] = t.messages();
  t.deliver(ack(m!.seq, 17, { msg: 'Link already exists', offs: 20 }));
  await tick();
  assert.ok(p.e instanceof KernelError);
  assert.equal(p.e.errno, 17);
  assert.equal(p.e.code, 'EEXIST');
  assert.equal(p.e.op, 'RTM_NEWLINK ip6tnl mip6-1');
  assert.equal(p.e.extack, 'Link already exists');
  assert.equal(p.e.extackOffset, 20);
});

test('a lazy op label is only computed for an error', async () => {
  const { t, s } = open();
  let calls = 0;
  const label = (): string => {
    calls++;
    return 'lazy';
  };
  const ok = s.request(req(), { op: label });
  const bad = state(s.request(req(), { op: label }));
  await tick();
  const [a, b] = t.messages();
  t.deliver(ack(a!.seq), ack(b!.seq, 22));
  await ok;
  await tick();
  assert.equal(calls, 1);
  assert.equal((bad.e as KernelError).op, 'lazy');
});

test('get() returns the reply message delivered before the ACK', async () => {
  const { t, s } = open();
  const p = s.get(req(18), (m) => m.payload.length);
  await tick();
  const [m] = t.messages();
  t.deliver(nlmsg(16, m!.seq, 0, new Uint8Array(12)), ack(m!.seq));
  assert.equal(await p, 12);
});

test('dump collects multi-part replies until NLMSG_DONE, parsing each', async () => {
  const { t, s } = open();
  const p = s.dump(req(26), (m) => (m.payload[0] === 9 ? undefined : m.payload[0]));
  await tick();
  const [m] = t.messages();
  assert.equal(m!.flags & NLM_F_DUMP, NLM_F_DUMP);
  assert.equal(m!.flags & NLM_F_ACK, 0);
  t.deliver(nlmsg(24, m!.seq, NLM_F_MULTI, Uint8Array.of(1)), nlmsg(24, m!.seq, NLM_F_MULTI, Uint8Array.of(9)));
  t.deliver(nlmsg(24, m!.seq, NLM_F_MULTI, Uint8Array.of(2)), done(m!.seq));
  assert.deepEqual(await p, [1, 2]);
});

test('an interrupted dump (NLM_F_DUMP_INTR) is redone and only the clean pass counts', async () => {
  const { t, s } = open();
  const p = s.dump(req(26), (m) => m.payload[0]);
  await tick();
  const first = t.messages()[0]!;
  t.deliver(nlmsg(24, first.seq, NLM_F_MULTI, Uint8Array.of(1)), nlmsg(24, first.seq, NLM_F_MULTI | NLM_F_DUMP_INTR, Uint8Array.of(2)), done(first.seq));
  await tick();
  const second = t.messages()[1]!;
  assert.notEqual(second.seq, first.seq);
  assert.equal(second.type, 26);
  t.deliver(nlmsg(24, second.seq, NLM_F_MULTI, Uint8Array.of(7)), done(second.seq));
  assert.deepEqual(await p, [7]);
  assert.equal(s.stats.dumpsRedone, 1);
});

test('a dump interrupted every time fails with EINTR after the retry bound', async () => {
  const { t, s } = open({ maxDumpRetries: 2 });
  const p = state(s.dump(req(26), (m) => m.payload[0]));
  for (let i = 0; i < 3; i++) {
    await tick();
    const m = t.messages()[i]!;
    t.deliver(done(m.seq, NLM_F_MULTI | NLM_F_DUMP_INTR));
  }
  await tick();
  assert.equal(t.messages().length, 3);
  assert.ok(p.e instanceof KernelError);
  assert.equal(p.e.code, 'EINTR');
});

test('only one dump runs at a time; requests go alongside it', async () => {
  const { t, s } = open();
  const d1 = s.dump(req(26), () => 1);
  const d2 = s.dump(req(26), () => 2);
  const r = s.request(req());
  await tick();
  let msgs = t.messages();
  assert.deepEqual(msgs.map((m) => m.type), [26, 24]);
  t.deliver(ack(msgs[1]!.seq), nlmsg(24, msgs[0]!.seq, NLM_F_MULTI), done(msgs[0]!.seq));
  await r;
  assert.deepEqual(await d1, [1]);
  await tick();
  msgs = t.messages();
  assert.equal(msgs.length, 3);
  t.deliver(nlmsg(24, msgs[2]!.seq, NLM_F_MULTI), done(msgs[2]!.seq));
  assert.deepEqual(await d2, [2]);
});

test('a dump failing in NLMSG_DONE rejects with that errno; a parser error rejects after DONE', async () => {
  const { t, s } = open();
  const a = state(s.dump(req(26), () => 1));
  await tick();
  t.deliver(done(t.messages()[0]!.seq, NLM_F_MULTI, 16));
  await tick();
  assert.equal((a.e as KernelError).code, 'EBUSY');
  const b = state(
    s.dump(req(26), () => {
      throw new RangeError('bad object');
    }),
  );
  await tick();
  const m = t.messages()[1]!;
  t.deliver(nlmsg(24, m.seq, NLM_F_MULTI));
  await tick();
  assert.equal(b.settled, false, 'waits for DONE so the rest of the dump is drained');
  t.deliver(done(m.seq));
  await tick();
  assert.ok(b.e instanceof RangeError);
});

test('lost data emits resync; a NOOP barrier fails exactly the requests whose ACK was lost', async () => {
  const { t, s } = open();
  const resyncs: string[] = [];
  s.on('resync', (r) => resyncs.push(r));
  const a = state(s.request(req()));
  const b = state(s.request(req()));
  const c = state(s.request(req()));
  await tick();
  const [ma, mb, mc] = t.messages();
  t.deliver(ack(ma!.seq));
  s.lost('ENOBUFS: receive queue overrun');
  assert.deepEqual(resyncs, ['ENOBUFS: receive queue overrun']);
  const barrier = t.messages()[3]!;
  assert.equal(barrier.type, NLMSG_NOOP);
  t.deliver(ack(mc!.seq), ack(barrier.seq)); // b's ACK never comes
  await tick();
  assert.equal(a.settled && a.e, undefined);
  assert.equal((b.e as KernelError).code, 'ENOBUFS');
  assert.equal(c.e, undefined);
  assert.equal(s.pending, 0);
  void mb;
});

test('multicast datagrams become notification events, not replies', async () => {
  const { t, s } = open();
  const seen: number[] = [];
  s.on('notification', (m) => seen.push(m.type));
  const p = state(s.request(req()));
  await tick();
  const [m] = t.messages();
  t.deliverMulticast(nlmsg(24, m!.seq, 0), nlmsg(25, 0, 0));
  assert.deepEqual(seen, [24, 25]);
  assert.equal(p.settled, false);
  t.deliver(ack(m!.seq));
  await tick();
  assert.equal(p.settled, true);
});

test('a malformed datagram is reported as lost data, not thrown', () => {
  const { t, s } = open();
  const reasons: string[] = [];
  s.on('resync', (r) => reasons.push(r));
  t.deliver(Uint8Array.of(200, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0));
  assert.equal(reasons.length, 1);
  assert.match(reasons[0]!, /MSG_BAD_LENGTH/);
});

test('a send failure rejects the whole batch with that errno', async () => {
  const { t, s } = open();
  t.sendErrno = 105;
  const ps = [state(s.request(req())), state(s.request(req()))];
  await tick();
  assert.ok(ps.every((p) => (p.e as KernelError).code === 'ENOBUFS'));
});

test('close rejects queued and in-flight requests with ECANCELED', async () => {
  const { t, s } = open({ maxInFlight: 1 });
  const a = state(s.request(req()));
  const b = state(s.request(req()));
  await tick();
  s.close();
  await tick();
  assert.equal(t.closed, true);
  assert.equal((a.e as KernelError).code, 'ECANCELED');
  assert.equal((b.e as KernelError).code, 'ECANCELED');
  const c = state(s.request(req()));
  await tick();
  assert.equal((c.e as KernelError).code, 'ECANCELED');
});

test('unref lets an idle socket go, but pending work keeps the loop referenced', async () => {
  const { t, s } = open();
  s.unref();
  assert.deepEqual(t.refs, ['unref']);
  const p = s.request(req());
  assert.deepEqual(t.refs, ['unref', 'ref']);
  await tick();
  t.deliver(ack(t.messages()[0]!.seq));
  await p;
  assert.deepEqual(t.refs, ['unref', 'ref', 'unref']);
});

test('stray replies (unknown seq) are counted and ignored', () => {
  const { t, s } = open();
  t.deliver(ack(12345));
  assert.equal(s.stats.stray, 1);
});

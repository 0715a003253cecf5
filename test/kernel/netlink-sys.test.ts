// lib/platform/sys against a real kernel: sockets opened inside a namespace from the main
// thread, recvmsg/sendmsg with IPV6_PKTINFO control messages, readiness on Node's
// event loop, and the thread returning to its own namespace.
import assert from 'node:assert/strict';
import { readlinkSync } from 'node:fs';
import { test } from 'node:test';
import { parseIp6, formatIp6 } from '../../lib/inet/ip6.js';
import { Errno } from '../../lib/platform/sys/errno.js';
import { check, sys } from '../../lib/platform/sys/libc.js';
import { decodeCmsgs, encodeCmsgs, MsgIo } from '../../lib/platform/sys/msghdr.js';
import { inNetns } from '../../lib/platform/sys/netns.js';
import { FdWatch } from '../../lib/platform/sys/poll.js';
import { RecvBatch } from '../../lib/platform/sys/recv-batch.js';
import {
  AF_INET6,
  MSG_TRUNC,
  IPPROTO_IPV6,
  IPV6_PKTINFO,
  IPV6_RECVPKTINFO,
  SOCK_DGRAM,
  closeFd,
  decodeSockaddrIn6,
  encodeSockaddrIn6,
  openSocket,
  setsockoptInt,
} from '../../lib/platform/sys/socket.js';
import { procCounter } from './fixtures/kernel-readback.js';
import { until } from './fixtures/wait.js';
import { withNetns } from './netns.js';

const loopback = parseIp6('::1')!;

/** Resolves with the next datagram on fd, waiting on the event loop. */
function nextDatagram(fd: number, io: MsgIo): Promise<{ data: Buffer; from: string; pktinfo?: { dst: string; ifindex: number } }> {
  return new Promise((resolve, reject) => {
    const watch = new FdWatch(fd, {
      readable: () => {
        const r = io.recvmsg(fd);
        if (typeof r === 'number') {
          if (r === -Errno.EAGAIN) return;
          watch.close();
          reject(new Error(`recvmsg ${r}`));
          return;
        }
        watch.close();
        const { cmsgs, error } = decodeCmsgs(r.control);
        if (error) return reject(new Error(error.code));
        const pi = cmsgs.find((c) => c.level === IPPROTO_IPV6 && c.type === IPV6_PKTINFO);
        const from = decodeSockaddrIn6(r.name);
        resolve({
          data: Buffer.from(r.data),
          from: from ? `[${formatIp6(from.address)}]:${from.port}` : '?',
          ...(pi ? { pktinfo: { dst: formatIp6(pi.data, 0), ifindex: new DataView(pi.data.buffer).getUint32(16, true) } } : {}),
        });
      },
    });
  });
}

test('a UDP pair on ::1 inside a namespace: sendmsg with IPV6_PKTINFO, recvmsg gets IPV6_PKTINFO', async () => {
  await withNetns(async (ns) => {
    const rx = openSocket(AF_INET6, SOCK_DGRAM, 0, { netns: ns.name });
    const tx = openSocket(AF_INET6, SOCK_DGRAM, 0, { netns: ns.name });
    try {
      setsockoptInt(rx, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
      check(sys.bind(rx, encodeSockaddrIn6({ address: loopback, port: 5555 })), 'bind');
      const io = new MsgIo({ bufferSize: 2048, nameSize: 28, controlSize: 256 });
      const got = nextDatagram(rx, io);
      // in6_pktinfo { in6_addr src; int ifindex } chooses the source address.
      const pktinfo = new Uint8Array(20);
      pktinfo.set(loopback, 0);
      const payload = Buffer.from('binding update');
      const n = io.sendmsg(tx, [payload.subarray(0, 8), payload.subarray(8)], {
        name: encodeSockaddrIn6({ address: loopback, port: 5555 }),
        control: encodeCmsgs([{ level: IPPROTO_IPV6, type: IPV6_PKTINFO, data: pktinfo }]),
      });
      assert.equal(n, payload.length);
      const d = await got;
      assert.equal(d.data.toString(), 'binding update');
      assert.match(d.from, /^\[::1\]:\d+$/);
      assert.deepEqual(d.pktinfo, { dst: '::1', ifindex: 1 });
    } finally {
      closeFd(rx);
      closeFd(tx);
    }
  });
});

test('recvmmsg: 37 queued datagrams read 16, 16 and 5 at a time, in order, with their sender and PKTINFO; one past its slot is truncated; then EAGAIN', async () => {
  await withNetns(async (ns) => {
    const rx = openSocket(AF_INET6, SOCK_DGRAM, 0, { netns: ns.name });
    const tx = openSocket(AF_INET6, SOCK_DGRAM, 0, { netns: ns.name });
    try {
      setsockoptInt(rx, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
      check(sys.bind(rx, encodeSockaddrIn6({ address: loopback, port: 5556 })), 'bind');
      const io = new MsgIo({ bufferSize: 1 });
      const to = encodeSockaddrIn6({ address: loopback, port: 5556 });
      // Datagram 20 (the 4th of the second read) is 300 octets, past its slot's 256.
      const sizes = Array.from({ length: 37 }, (_, i) => (i === 19 ? 300 : 1 + i));
      const delivered = await procCounter(ns, 'snmp6', 'Ip6InDelivers');
      for (const [i, size] of sizes.entries()) assert.equal(io.sendmsg(tx, [new Uint8Array(size).fill(i)], { name: to }), size);
      // Loopback delivery may finish after sendmsg returns (softirqs deferred on a busy
      // machine); the kernel counts a delivery after the datagram is on the socket's queue.
      await until('all 37 datagrams delivered to the socket', async () => (await procCounter(ns, 'snmp6', 'Ip6InDelivers')) >= delivered + 37);
      const batch = new RecvBatch({ slots: 16, bufferSize: 256, firstBufferSize: 512, nameSize: 28, controlSize: 256 });
      const counts: number[] = [];
      const got: { i: number; length: number; truncated: boolean; ok: boolean }[] = [];
      for (;;) {
        const n = batch.receive(rx);
        if (n < 0) {
          assert.equal(n, -Errno.EAGAIN);
          break;
        }
        counts.push(n);
        for (let k = 0; k < n; k++) {
          const r = batch.result(k);
          const i = got.length;
          const pi = decodeCmsgs(r.control).cmsgs.find((c) => c.level === IPPROTO_IPV6 && c.type === IPV6_PKTINFO);
          assert.ok(pi && formatIp6(pi.data, 0) === '::1', `datagram ${i}: PKTINFO`);
          assert.match(`${formatIp6(decodeSockaddrIn6(r.name)!.address)}`, /^::1$/);
          got.push({ i, length: r.data.length, truncated: (r.flags & MSG_TRUNC) !== 0, ok: r.data.every((b) => b === i) });
        }
      }
      assert.deepEqual(counts, [16, 16, 5]);
      assert.deepEqual(got.map((g) => g.length), sizes.map((s) => Math.min(s, 256)));
      assert.deepEqual(got.filter((g) => g.truncated).map((g) => g.i), [19]);
      assert.ok(got.every((g) => g.ok));
    } finally {
      closeFd(rx);
      closeFd(tx);
    }
  });
});

test('inNetns returns the main thread to its own namespace, also when fn throws', async () => {
  await withNetns(async (ns) => {
    const home = readlinkSync('/proc/thread-self/ns/net');
    const inside = inNetns(ns.name, () => readlinkSync('/proc/thread-self/ns/net'));
    assert.notEqual(inside, home);
    assert.equal(readlinkSync('/proc/thread-self/ns/net'), home);
    assert.throws(() => inNetns(ns.name, () => {
      throw new RangeError('boom');
    }), RangeError);
    assert.equal(readlinkSync('/proc/thread-self/ns/net'), home);
    assert.throws(() => inNetns(ns.name, () => Promise.resolve(1)), TypeError);
    assert.equal(readlinkSync('/proc/thread-self/ns/net'), home);
    assert.throws(() => inNetns('mcoa-no-such-namespace', () => 1), /ENOENT/);
  });
});

// SendBatch (lib/platform/sys/send-batch.ts) against the 6.1 kernel: sendmmsg of many
// Mobility Headers, each with its own control messages, from a home agent (HA) to a mobile
// node (MN) on one veth link, as in mh-socket.test.ts:
//
//   HA ha0: 2001:db8:aa::1/64, 2001:db8:1::1/64
//   MN mn0: 2001:db8:1::10/64 (care-of address); lo: 2001:db8:aa::100/128 home (home address)
//
// The MN has the type 2 routing header XFRM state and policy, so a BA carrying one arrives.
import { ip6 } from '../ip6.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Ip6 } from '../../lib/inet/ip6.js';
import { ip6Octets } from '../../lib/inet/ip6-write.js';
import { encodePktinfo, encodeType2Rthdr } from '../../lib/net/ancillary.js';
import { MhSocket, type MhReceived } from '../../lib/net/mh-socket.js';
import { IPPROTO_MH } from '../../lib/net/socket-constants.js';
import type { KernelError } from '../../lib/platform/kernel-errors.js';
import { Errno } from '../../lib/platform/sys/errno.js';
import { encodeCmsgs } from '../../lib/platform/sys/msghdr.js';
import { SendBatch, type BatchedMessage } from '../../lib/platform/sys/send-batch.js';
import { AF_INET6, IPPROTO_IPV6, IPV6_CHECKSUM, IPV6_HOPLIMIT, IPV6_PKTINFO, IPV6_RTHDR, SOCK_RAW, closeFd, encodeSockaddrIn6, openSocket, setsockoptInt } from '../../lib/platform/sys/socket.js';
import { DRAFT04_PROFILE, decodeMessage, encodeMessage, type BindingAck } from '../../lib/wire/index.js';
import { withNetnsGroup, type Netns } from './netns.js';
import { KERNEL_TEST_TIMEOUT_MS, cable, until } from './fixtures/index.js';

const HA = ip6('2001:db8:aa::1');
const HA_FOREIGN = ip6('2001:db8:1::1');
const COA = ip6('2001:db8:1::10');
const HOA = ip6('2001:db8:aa::100');
/** No route leads there from the HA: a send to it fails with ENETUNREACH. */
const NOWHERE = ip6('2001:db8:ffff::1');

async function link(ha: Netns, mn: Netns): Promise<void> {
  await cable({ ns: ha, dev: 'ha0', addr: `${HA}/64` }, { ns: mn, dev: 'mn0', addr: `${COA}/64` });
  await ha.ip('addr', 'add', `${HA_FOREIGN}/64`, 'dev', 'ha0', 'nodad');
  await mn.ip('addr', 'add', `${HOA}/128`, 'dev', 'lo', 'home');
  await mn.ip('-6', 'route', 'add', '2001:db8:aa::/64', 'via', HA_FOREIGN, 'dev', 'mn0');
  await mn.ip('xfrm', 'state', 'add', 'src', '::', 'dst', '::', 'proto', 'route2', 'spi', '0', 'mode', 'ro', 'coa', '::', 'flag', 'wildrecv', 'sel', 'src', '::/0', 'dst', '::/0');
  await mn.ip('xfrm', 'policy', 'add', 'src', '::/0', 'dst', '::/0', 'proto', '135', 'dir', 'in', 'tmpl', 'proto', 'route2', 'mode', 'ro', 'level', 'use');
}

function ba(sequence: number): BindingAck {
  return { kind: 'ba', payloadProto: 59, checksum: 0, options: [], status: 0, flags: { k: false, r: false, p: false }, sequence, lifetimeSeconds: 400 };
}

/**
 * A BA to `dst` from `src` with hop limit `hops`, through the care-of address (a type 2
 * routing header) unless `dst` is another address: the routing header's address would be
 * the one the route is looked up for.
 */
function baMessage(sequence: number, src: Ip6, hops: number, dst = HOA): BatchedMessage {
  const hopLimit = new Uint8Array(4);
  new DataView(hopLimit.buffer).setInt32(0, hops, true);
  return {
    data: encodeMessage(ba(sequence), DRAFT04_PROFILE),
    name: encodeSockaddrIn6({ address: ip6Octets(dst), port: 0, scopeId: 0 }),
    control: encodeCmsgs([
      { level: IPPROTO_IPV6, type: IPV6_PKTINFO, data: encodePktinfo(ip6Octets(src)) },
      { level: IPPROTO_IPV6, type: IPV6_HOPLIMIT, data: hopLimit },
      ...(dst === HOA ? [{ level: IPPROTO_IPV6, type: IPV6_RTHDR, data: encodeType2Rthdr(ip6Octets(COA)) }] : []),
    ]),
  };
}

/** A raw MH socket in `ns` whose checksums the kernel fills. */
function rawMhSocket(ns: Netns): number {
  const fd = openSocket(AF_INET6, SOCK_RAW, IPPROTO_MH, { netns: ns.name });
  setsockoptInt(fd, IPPROTO_IPV6, IPV6_CHECKSUM, 4);
  return fd;
}

/** Every BA that arrives on `sock`, by sequence number. */
function collect(sock: MhSocket): Map<number, MhReceived> {
  const got = new Map<number, MhReceived>();
  sock.on('message', (m) => {
    const r = decodeMessage(m.data, DRAFT04_PROFILE);
    if (r.ok && r.value.kind === 'ba') got.set(r.value.sequence, m);
  });
  return got;
}

const endOfTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

test('sendmmsg: 64 BAs queued in one turn leave in one call, each with its own source, hop limit and type 2 routing header', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  await withNetnsGroup(2, async ([ha, mn]) => {
    await link(ha!, mn!);
    const fd = rawMhSocket(ha!);
    const mnSock = MhSocket.open({ netns: mn!.name, checksum: 'user' });
    try {
      const got = collect(mnSock);
      const batch = new SendBatch(fd);
      const results: number[] = [];
      for (let i = 0; i < 64; i++) batch.queue(baMessage(100 + i, i % 2 ? HA_FOREIGN : HA, 10 + i), (n) => void results.push(n));
      assert.equal(batch.pending, 64);
      assert.deepEqual(results, [], 'nothing is sent before the end of the turn');
      await endOfTurn();
      assert.equal(results.length, 64);
      assert.ok(results.every((n) => n === 16), `octets sent per BA: ${results.join(',')}`);
      assert.deepEqual(batch.stats, { sent: 64, failed: 0, calls: 1 });
      await until('all 64 BAs at the MN', () => got.size === 64);
      for (let i = 0; i < 64; i++) {
        const m = got.get(100 + i)!;
        assert.equal(m.src, i % 2 ? HA_FOREIGN : HA, `BA ${i}: the source its IPV6_PKTINFO chose`);
        // The MN's routing header processing forwards the packet to itself: one hop less.
        assert.equal(m.hopLimit, 10 + i - 1, `BA ${i}: the hop limit its IPV6_HOPLIMIT set`);
        assert.equal(m.routingHeader, COA, `BA ${i}: its type 2 routing header`);
        assert.equal(m.dst, HOA);
      }
      assert.equal(mnSock.stats.checksumErrors, 0);
    } finally {
      closeFd(fd);
      mnSock.close();
    }
  });
});

test('sendmmsg: a message the kernel refuses mid-batch gets its errno; the rest are sent again from there and arrive', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  await withNetnsGroup(2, async ([ha, mn]) => {
    await link(ha!, mn!);
    const fd = rawMhSocket(ha!);
    const mnSock = MhSocket.open({ netns: mn!.name, checksum: 'user' });
    try {
      const got = collect(mnSock);
      const batch = new SendBatch(fd);
      const results = new Map<number, number>();
      for (let i = 0; i < 6; i++) batch.queue(baMessage(200 + i, HA, 64, i === 2 ? NOWHERE : HOA), (n) => void results.set(i, n));
      batch.flush();
      assert.deepEqual([...results], [[0, 16], [1, 16], [2, -Errno.ENETUNREACH], [3, 16], [4, 16], [5, 16]]);
      // 0-1 in the first call (which stopped at 2 and forgot why), 2 alone (its errno), 3-5.
      assert.deepEqual(batch.stats, { sent: 5, failed: 1, calls: 3 });
      await until('the five BAs that were sent at the MN', () => got.size === 5);
      assert.deepEqual([...got.keys()].sort(), [200, 201, 203, 204, 205]);
    } finally {
      closeFd(fd);
      mnSock.close();
    }
  });
});

test('MhSocket.queue: counted when sent, errors to the callback, and close() sends what the turn queued', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  await withNetnsGroup(2, async ([ha, mn]) => {
    await link(ha!, mn!);
    const haSock = MhSocket.open({ netns: ha!.name });
    const mnSock = MhSocket.open({ netns: mn!.name, checksum: 'user' });
    try {
      const got = collect(mnSock);
      const errors: (KernelError | undefined)[] = [];
      const buf = new Uint8Array(64);
      for (let i = 0; i < 10; i++) {
        // One buffer for all, as the daemon encodes: queue() must copy it.
        const data = encodeMessage(ba(300 + i), DRAFT04_PROFILE, buf, 0);
        haSock.queue(i === 9 ? { data, src: HA, dst: NOWHERE } : { data, src: HA, dst: HOA, routingHeader: COA }, (err) => void errors.push(err));
      }
      assert.equal(haSock.stats.sent, 0);
      haSock.close();
      assert.equal(errors.length, 10, 'close() flushed the queue');
      assert.deepEqual(errors.slice(0, 9), Array(9).fill(undefined));
      assert.equal(errors[9]?.code, 'ENETUNREACH');
      assert.equal(haSock.stats.sent, 9);
      assert.equal(haSock.stats.sendErrors, 1);
      assert.throws(() => haSock.queue({ data: encodeMessage(ba(1), DRAFT04_PROFILE), dst: HOA }, () => undefined), /EBADF/);
      await until('the nine BAs at the MN', () => got.size === 9);
      assert.deepEqual([...got.keys()].sort(), Array.from({ length: 9 }, (_, i) => 300 + i));
      assert.ok([...got.values()].every((m) => m.routingHeader === COA && m.src === HA));
    } finally {
      haSock.close();
      mnSock.close();
    }
  });
});

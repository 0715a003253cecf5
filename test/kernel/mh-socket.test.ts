// MhSocket against the 6.1 kernel with CONFIG_IPV6_MIP6: a home agent (HA) and a mobile node
// (MN) in two namespaces on one veth link carrying two prefixes, the home prefix
// 2001:db8:aa::/64 and the foreign prefix 2001:db8:1::/64.
//
//   HA ha0: 2001:db8:aa::1/64, 2001:db8:1::1/64
//   MN mn0: 2001:db8:1::10/64 (care-of address); lo: 2001:db8:aa::100/128 home (home address)
//          route 2001:db8:aa::/64 via 2001:db8:1::1
//
// XFRM route-optimisation state and policy each side needs (see HA_XFRM and MN_XFRM below).
import { ip6 } from '../ip6.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KernelError } from '../../lib/platform/kernel-errors.js';
import { MhSocket, type MhReceived, type MhReceiveError } from '../../lib/net/mh-socket.js';
import { DRAFT04_PROFILE, decodeMessage, encodeMessage, type BindingAck, type BindingUpdate } from '../../lib/wire/index.js';
import { withNetnsGroup, type Netns } from './netns.js';
import { KERNEL_TEST_TIMEOUT_MS, WAIT_BOUND_MS, cable, procCounter, until } from './fixtures/index.js';

const HA = ip6('2001:db8:aa::1');
const HA_FOREIGN = '2001:db8:1::1';
const COA = ip6('2001:db8:1::10');
const HOA = ip6('2001:db8:aa::100');

/**
 * Home agent: a wildcard Home Address option state (without `flag wildrecv` the wildcard is
 * never matched on input) and an inbound policy for MH whose template accepts it.
 */
const HA_XFRM = [
  ['xfrm', 'state', 'add', 'src', '::', 'dst', '::', 'proto', 'hao', 'spi', '0', 'mode', 'ro', 'coa', '::', 'flag', 'wildrecv', 'sel', 'src', '::/0', 'dst', '::/0'],
  ['xfrm', 'policy', 'add', 'src', '::/0', 'dst', '::/0', 'proto', '135', 'dir', 'in', 'tmpl', 'proto', 'hao', 'mode', 'ro', 'level', 'use'],
];
/** Mobile node: the type 2 routing header counterparts. Sending the HAO needs nothing (see the HAO test). */
const MN_XFRM = [
  ['xfrm', 'state', 'add', 'src', '::', 'dst', '::', 'proto', 'route2', 'spi', '0', 'mode', 'ro', 'coa', '::', 'flag', 'wildrecv', 'sel', 'src', '::/0', 'dst', '::/0'],
  ['xfrm', 'policy', 'add', 'src', '::/0', 'dst', '::/0', 'proto', '135', 'dir', 'in', 'tmpl', 'proto', 'route2', 'mode', 'ro', 'level', 'use'],
];

async function link(ha: Netns, mn: Netns, xfrm = true): Promise<void> {
  await cable({ ns: ha, dev: 'ha0', addr: `${HA}/64` }, { ns: mn, dev: 'mn0', addr: `${COA}/64` });
  await ha.ip('addr', 'add', `${HA_FOREIGN}/64`, 'dev', 'ha0', 'nodad');
  await mn.ip('addr', 'add', `${HOA}/128`, 'dev', 'lo', 'home');
  await mn.ip('-6', 'route', 'add', '2001:db8:aa::/64', 'via', HA_FOREIGN, 'dev', 'mn0');
  if (!xfrm) return;
  for (const cmd of HA_XFRM) await ha.ip(...cmd);
  for (const cmd of MN_XFRM) await mn.ip(...cmd);
}

function bu(sequence: number): BindingUpdate {
  return {
    kind: 'bu',
    payloadProto: 59,
    checksum: 0,
    options: [],
    sequence,
    flags: { a: true, h: true, l: false, k: false, m: false, r: false, p: false },
    lifetimeSeconds: 400,
  };
}

function ba(sequence: number): BindingAck {
  return { kind: 'ba', payloadProto: 59, checksum: 0, options: [], status: 0, flags: { k: false, r: false, p: false }, sequence, lifetimeSeconds: 400 };
}

/** The next 'message' on `sock`, or a rejection after `ms`. */
function nextMessage(sock: MhSocket, ms = WAIT_BOUND_MS): Promise<MhReceived> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sock.off('message', onMessage);
      reject(new Error(`no Mobility Header within ${ms} ms (stats ${JSON.stringify(sock.stats)})`));
    }, ms);
    const onMessage = (m: MhReceived): void => {
      clearTimeout(timer);
      resolve(m);
    };
    sock.once('message', onMessage);
  });
}

/** Every message that arrives from now on, until stop(). */
function collect(sock: MhSocket): { got: MhReceived[]; stop(): void } {
  const got: MhReceived[] = [];
  const on = (m: MhReceived): void => void got.push(m);
  sock.on('message', on);
  return { got, stop: () => sock.off('message', on) };
}

function decode(m: MhReceived): ReturnType<typeof decodeMessage> {
  return decodeMessage(m.data, DRAFT04_PROFILE);
}

/** Packets raw MH sockets in `ns` dropped (the last column of /proc/net/raw6; checksum errors land here). */
async function rawMhDrops(ns: Netns): Promise<number> {
  const lines = (await ns.exec('cat', '/proc/net/raw6')).trim().split('\n').slice(1);
  let drops = 0;
  for (const line of lines) {
    const cols = line.trim().split(/\s+/);
    if (cols[1]?.endsWith(':0087')) drops += Number(cols[cols.length - 1]);
  }
  return drops;
}

test('BU with a Home Address option reaches the HA as from the home address; the BA with a type 2 routing header reaches the MN', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  await withNetnsGroup(2, async ([ha, mn]) => {
    await link(ha!, mn!);
    const haSock = MhSocket.open({ netns: ha!.name });
    const mnSock = MhSocket.open({ netns: mn!.name, checksum: 'user' });
    try {
      const sent = encodeMessage(bu(17), DRAFT04_PROFILE);
      const atHa = nextMessage(haSock);
      mnSock.send({ data: sent, src: COA, dst: HA, homeAddressOption: HOA });
      const got = await atHa;
      assert.equal(got.src, HOA, 'source after the kernel swapped in the Home Address option');
      assert.equal(got.homeAddressOption, COA, 'the option holds the care-of address after the swap');
      assert.equal(got.dst, HA);
      assert.equal(got.routingHeader, undefined);
      const [haLink] = JSON.parse(await ha!.ip('-j', 'link', 'show', 'ha0')) as { ifindex: number }[];
      assert.equal(got.ifindex, haLink!.ifindex);
      assert.equal(got.hopLimit, 64);
      const d = decode(got);
      assert.ok(d.ok, JSON.stringify(d));
      assert.deepEqual({ ...d.value, checksum: 0 }, bu(17));

      const atMn = nextMessage(mnSock);
      haSock.send({ data: encodeMessage(ba(17), DRAFT04_PROFILE), src: HA, dst: got.src, routingHeader: got.homeAddressOption! });
      const back = await atMn;
      assert.equal(back.dst, HOA, 'destination after the routing header was processed');
      assert.equal(back.routingHeader, COA);
      assert.equal(back.src, HA);
      assert.equal(back.homeAddressOption, undefined);
      const a = decode(back);
      assert.ok(a.ok, JSON.stringify(a));
      assert.deepEqual({ ...a.value, checksum: 0 }, ba(17));
      // The MN verified the kernel's checksum itself (user mode) and the HA's kernel the MN's.
      assert.equal(mnSock.stats.checksumErrors, 0);
      assert.deepEqual([haSock.stats.received, haSock.stats.sent, mnSock.stats.received, mnSock.stats.sent], [1, 1, 1, 1]);
    } finally {
      haSock.close();
      mnSock.close();
    }
  });
});

test('the HAO checksum must cover the home address: a kernel-checksummed BU with HAO is dropped by the HA', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  await withNetnsGroup(2, async ([ha, mn]) => {
    await link(ha!, mn!);
    const haSock = MhSocket.open({ netns: ha!.name });
    const wrong = MhSocket.open({ netns: mn!.name, checksum: 'kernel' });
    try {
      assert.equal(await rawMhDrops(ha!), 0);
      const arrived = collect(haSock);
      wrong.send({ data: encodeMessage(bu(1), DRAFT04_PROFILE), src: COA, dst: HA, homeAddressOption: HOA });
      await until('the packet dropped at the HA socket (csum_copy_err)', async () => (await rawMhDrops(ha!)) === 1);
      assert.deepEqual(arrived.got, [], 'the kernel computed over the care-of address: a checksum error');
      assert.equal(haSock.stats.received, 0);
    } finally {
      haSock.close();
      wrong.close();
    }
  });
});

test('without the XFRM states the HAO and type 2 routing header packets are dropped (XfrmInNoStates); plain BUs from the care-of address arrive', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  await withNetnsGroup(2, async ([ha, mn]) => {
    await link(ha!, mn!, false);
    const haSock = MhSocket.open({ netns: ha!.name });
    const mnSock = MhSocket.open({ netns: mn!.name, checksum: 'user' });
    try {
      const arrivedHa = collect(haSock);
      const arrivedMn = collect(mnSock);
      mnSock.send({ data: encodeMessage(bu(2), DRAFT04_PROFILE), src: COA, dst: HA, homeAddressOption: HOA });
      haSock.send({ data: encodeMessage(ba(2), DRAFT04_PROFILE), src: HA, dst: HOA, routingHeader: COA });
      await until('both packets dropped (XfrmInNoStates)', async () =>
        (await procCounter(ha!, 'xfrm_stat', 'XfrmInNoStates')) >= 1 && (await procCounter(mn!, 'xfrm_stat', 'XfrmInNoStates')) >= 1);
      assert.deepEqual(arrivedHa.got, []);
      assert.deepEqual(arrivedMn.got, []);
      assert.equal(await procCounter(ha!, 'xfrm_stat', 'XfrmInNoStates'), 1);
      assert.equal(await procCounter(mn!, 'xfrm_stat', 'XfrmInNoStates'), 1);
      arrivedHa.stop();
      arrivedMn.stop();

      const atHa = nextMessage(haSock);
      mnSock.send({ data: encodeMessage(bu(3), DRAFT04_PROFILE), src: COA, dst: HA });
      const got = await atHa;
      assert.equal(got.src, COA);
      assert.equal(got.homeAddressOption, undefined);
      const d = decode(got);
      assert.ok(d.ok && d.value.kind === 'bu' && d.value.sequence === 3);

      // A burst larger than one wakeup's reads is drained completely, in order.
      const burst = collect(haSock);
      for (let i = 0; i < 300; i++) mnSock.send({ data: encodeMessage(bu(1000 + i), DRAFT04_PROFILE), src: COA, dst: HA });
      await until('the burst received', () => burst.got.length >= 300);
      const seqs = burst.got.map((m) => {
        const r = decode(m);
        return r.ok && r.value.kind === 'bu' ? r.value.sequence : -1;
      });
      assert.deepEqual(seqs, Array.from({ length: 300 }, (_, i) => 1000 + i));
      assert.equal(haSock.stats.receiveErrors, 0);
    } finally {
      haSock.close();
      mnSock.close();
    }
  });
});

test('malformed Mobility Headers do not reach or crash the receiver; the next good one arrives', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  await withNetnsGroup(2, async ([ha, mn]) => {
    await link(ha!, mn!);
    const haSock = MhSocket.open({ netns: ha!.name });
    const mnSock = MhSocket.open({ netns: mn!.name });
    const errors: MhReceiveError[] = [];
    haSock.on('receiveError', (e) => errors.push(e));
    try {
      const paramProblemsBefore = await procCounter(ha!, 'snmp6', 'Icmp6OutParmProblems');
      const good = encodeMessage(bu(9), DRAFT04_PROFILE);
      const badProto = Uint8Array.from(good);
      badProto[0] = 6; // Payload Proto must be 59
      const tooShort = new Uint8Array(8); // a BU needs 16 octets; Header Len 0
      tooShort[0] = 59;
      tooShort[2] = 5;
      const arrived = collect(haSock);
      mnSock.send({ data: badProto, src: COA, dst: HA });
      mnSock.send({ data: tooShort, src: COA, dst: HA });
      mnSock.send({ data: good, src: COA, dst: HA });
      // Both bad ones answered by the kernel (so never delivered), the good one delivered.
      await until('two Parameter Problems and the good message', async () =>
        (await procCounter(ha!, 'snmp6', 'Icmp6OutParmProblems')) - paramProblemsBefore >= 2 && arrived.got.length >= 1);
      const got = arrived.got;
      assert.equal(got.length, 1, `only the good one: ${JSON.stringify(got.map((m) => Array.from(m.data.subarray(0, 4))))}`);
      const d = decode(got[0]!);
      assert.ok(d.ok && d.value.kind === 'bu' && d.value.sequence === 9);
      assert.equal((await procCounter(ha!, 'snmp6', 'Icmp6OutParmProblems')) - paramProblemsBefore, 2, 'the kernel answered both with Parameter Problem');
      assert.deepEqual(errors, []);
    } finally {
      haSock.close();
      mnSock.close();
    }
  });
});

test('sending to an unreachable address throws a KernelError with the errno name; the socket still works', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  await withNetnsGroup(2, async ([ha, mn]) => {
    await link(ha!, mn!);
    const mnSock = MhSocket.open({ netns: mn!.name });
    const haSock = MhSocket.open({ netns: ha!.name });
    try {
      const data = encodeMessage(bu(4), DRAFT04_PROFILE);
      assert.throws(
        () => mnSock.send({ data, dst: ip6('2001:db8:ffff::1') }),
        (e: unknown) => e instanceof KernelError && e.code === 'ENETUNREACH' && e.op.includes('2001:db8:ffff::1'),
      );
      assert.throws(
        () => mnSock.send({ data, src: ip6('2001:db8:77::1'), dst: HA }),
        (e: unknown) => e instanceof KernelError && e.code === 'EINVAL',
        'a source address the node does not have',
      );
      assert.equal(mnSock.stats.sendErrors, 2);
      const atHa = nextMessage(haSock);
      mnSock.send({ data, dst: HA });
      assert.equal((await atHa).src, COA, 'the kernel chose the source');
    } finally {
      mnSock.close();
      haSock.close();
    }
    assert.throws(() => mnSock.send({ data: new Uint8Array(8), dst: HA }), (e: unknown) => e instanceof KernelError && e.code === 'EBADF');
  });
});

// Issue 13's shared-tunnel data plane, proved step by step with traffic in the
// user-mode kernel: one external (collect_md) ip6tnl device, one nexthop with
// `encap ip6` per care-of address, a resilient group of them per home address, the
// home address route via the group, reverse-tunnelled packets received on the one
// device, and the (care-of address, home address) pair check as tc flower filters
// with a matchall drop. First with `ip`/`tc`, then the same through our netlink code
// (read back with `ip`/`tc`). docs/dataplane-findings.md records what was seen.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KernelError } from '../../lib/platform/kernel-errors.js';
import { NETLINK_ROUTE } from '../../lib/platform/netlink/netlink-constants.js';
import { NetlinkSocket } from '../../lib/platform/netlink/socket.js';
import { ip6tnlExternalCreate, ip6tnlExternalGet } from '../../lib/platform/rtnl/ip6tnl-external.js';
import { nexthopReplace } from '../../lib/platform/rtnl/nexthop.js';
import { encapNexthopDump, encapNexthopReplace, resilientGroupReplace } from '../../lib/platform/rtnl/nexthop-encap.js';
import { routeReplace } from '../../lib/platform/rtnl/route.js';
import { filterDelete, filterDump } from '../../lib/platform/tc/filter.js';
import type { FlowerFilterInfo } from '../../lib/platform/tc/flower.js';
import { flowerPairReplace } from '../../lib/platform/tc/flower.js';
import type { MatchallFilterInfo } from '../../lib/platform/tc/matchall.js';
import { matchallReplace } from '../../lib/platform/tc/matchall.js';
import { clsactAdd, qdiscDump } from '../../lib/platform/tc/qdisc.js';
import { ETH_P_IPV6 } from '../../lib/platform/tc/tc-constants.js';
import {
  COA,
  CN,
  FLOW_SOURCES,
  HA,
  HOA,
  HOA_OTHER,
  buildTopology,
  groupBuckets,
  linkCounters,
  ping,
  pingEventually,
  reverseVia,
  tcFilters,
  type Topology,
} from './fixtures/dataplane.js';
import { KERNEL_TEST_TIMEOUT_MS, until } from './fixtures/index.js';
import { withNetnsGroup, type Netns } from './netns.js';

const PROTO = 16;

/** cn -> HOA from every flow source: each flow must arrive on the mobile node's tunnel for
    the care-of address `ip route get` names for it on the home agent. Returns flows per tunnel. */
async function forwardByFlow({ cn, ha, mn }: Topology): Promise<number[]> {
  const before = [await linkCounters(mn, 't1'), await linkCounters(mn, 't2')];
  const expected = [0, 0];
  for (const src of FLOW_SOURCES) {
    const got = await ha.ip('-6', 'route', 'get', HOA, 'from', src, 'iif', 'h0', 'ipproto', 'ipv6-icmp');
    const which = COA.slice(0, 2).findIndex((c) => got.includes(`dst ${c} `));
    assert.ok(which >= 0, `route get for ${src} names a registered care-of address: ${got}`);
    let sent = 0;
    let ok = false;
    while (!ok && sent < 5) {
      sent += 1;
      ok = await ping(cn, src, HOA);
    }
    assert.ok(ok, `echo from ${src} to the home address answered`);
    expected[which]! += sent;
  }
  const after = [await linkCounters(mn, 't1'), await linkCounters(mn, 't2')];
  const got = after.map((a, i) => a.rxPackets - before[i]!.rxPackets);
  assert.deepEqual(got, expected, 'each flow went into the tunnel to the care-of address its group bucket names');
  return expected;
}

/** Adding a member to a resilient group moves only the buckets it takes; removing it gives back only those. */
async function resilientMembershipChange(ha: Netns, add: () => Promise<unknown>, remove: () => Promise<unknown>): Promise<void> {
  const before = await groupBuckets(ha, 11);
  await add();
  const grown = await groupBuckets(ha, 11);
  let moved = 0;
  for (const [i, nh] of grown) {
    if (nh === 3) moved += 1;
    else assert.equal(nh, before.get(i), `bucket ${i} kept its member when nexthop 3 joined`);
  }
  assert.ok(moved > 0, 'the new member took some buckets (idle_timer 0)');
  await remove();
  const shrunk = await groupBuckets(ha, 11);
  for (const [i, nh] of shrunk) {
    assert.notEqual(nh, 3);
    if (grown.get(i) !== 3) assert.equal(nh, grown.get(i), `bucket ${i} kept its member when nexthop 3 left`);
  }
}

/** The mobile node's reverse-tunnelled echo through tunnel tN: replied or not. */
async function reverse(t: Topology, via: 1 | 2 | 3, from = HOA): Promise<boolean> {
  await reverseVia(t.mn, via);
  return ping(t.mn, from, CN);
}

/** The matchall drop counter on the external device's ingress. */
const matchallDrops = async (ha: Netns): Promise<number> => (await tcFilters(ha, 'mcoa0')).find((f) => f.kind === 'matchall')!.drops;

/**
 * The reverse-tunnelled echo through tunnel tN is dropped by the pair check: the matchall
 * action counts it, and no reply came. (The counter is the proof; the echo's own wait is short.)
 */
async function reverseDropped(t: Topology, via: 1 | 2 | 3, from = HOA): Promise<boolean> {
  const drops = await matchallDrops(t.ha);
  await reverseVia(t.mn, via);
  const replied = await ping(t.mn, from, CN, 1);
  await until(`the echo through t${via} counted by the drop action`, async () => (await matchallDrops(t.ha)) > drops);
  return !replied;
}

test('data plane with ip and tc: external ip6tnl, encap nexthops, resilient group, HOA route, reverse tunnel, flower pair check', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  await withNetnsGroup(3, async (nss) => {
    const t = await buildTopology(nss);
    const { ha, mn } = t;

    // Step 1: one external device per namespace.
    await ha.ip('link', 'add', 'mcoa0', 'type', 'ip6tnl', 'external');
    await ha.ip('link', 'set', 'mcoa0', 'up');
    assert.match(await ha.ip('-d', 'link', 'show', 'mcoa0'), /ip6tnl external /);
    await assert.rejects(ha.ip('link', 'add', 'mcoa1', 'type', 'ip6tnl', 'external'), /RTNETLINK answers: File exists/);

    // Step 2: one nexthop per care-of address, encapsulating out of the external device.
    for (const i of [1, 2, 3]) {
      await ha.ip('-6', 'nexthop', 'add', 'id', String(i), 'encap', 'ip6', 'dst', COA[i - 1]!, 'src', HA, 'dev', 'mcoa0');
    }
    assert.match(await ha.ip('-d', 'nexthop', 'show', 'id', '1'), new RegExp(`encap ip6 id 0 src ${HA} dst ${COA[0]} .*dev mcoa0`));

    // Step 3: a resilient group of encap nexthops is accepted; its type and size are fixed.
    await ha.ip('nexthop', 'add', 'id', '11', 'group', '1/2', 'type', 'resilient', 'buckets', '64', 'idle_timer', '0');
    assert.match(await ha.ip('nexthop', 'show', 'id', '11'), /^id 11 group 1\/2 type resilient buckets 64 idle_timer 0 /m);
    await assert.rejects(ha.ip('nexthop', 'replace', 'id', '11', 'group', '1/2', 'type', 'resilient', 'buckets', '32'), /Can not change number of buckets of a resilient nexthop group/);
    await assert.rejects(ha.ip('nexthop', 'replace', 'id', '11', 'group', '1/2'), /Can not replace a nexthop group with one of a different type/);
    await ha.ip('nexthop', 'add', 'id', '12', 'group', '1/2'); // the plain fallback is accepted too

    // Step 4: HOA/128 via the group; cn -> HOA goes into the tunnel to each care-of address.
    await ha.ip('-6', 'route', 'add', `${HOA}/128`, 'nhid', '11');
    assert.ok(await pingEventually(t.cn, CN, HOA), 'cn reaches the home address through the external tunnel');
    const perCoa = await forwardByFlow(t);
    assert.ok(perCoa.every((n) => n > 0), `both care-of addresses carry flows: ${perCoa.join('/')}`);
    await resilientMembershipChange(
      ha,
      () => ha.ip('nexthop', 'replace', 'id', '11', 'group', '1/2/3', 'type', 'resilient'),
      () => ha.ip('nexthop', 'replace', 'id', '11', 'group', '1/2', 'type', 'resilient'),
    );

    // Step 5: the mobile node's reverse tunnel lands on the external device and is forwarded.
    const rx0 = await linkCounters(ha, 'mcoa0');
    assert.ok(await reverse(t, 1), 'reverse-tunnelled echo from the home address via care-of address 1');
    assert.ok(await reverse(t, 3), 'without the pair check any care-of address is accepted');
    assert.ok((await linkCounters(ha, 'mcoa0')).rxPackets >= rx0.rxPackets + 2, 'received on the one external device');

    // Step 6: pair check on ingress: flower pass per pair, then matchall drop.
    await ha.exec('tc', 'qdisc', 'add', 'dev', 'mcoa0', 'clsact');
    for (const c of COA.slice(0, 2)) {
      await ha.exec('tc', 'filter', 'add', 'dev', 'mcoa0', 'ingress', 'prio', '1', 'protocol', 'ipv6', 'flower', 'enc_src_ip', c, 'src_ip', HOA, 'action', 'pass');
    }
    await ha.exec('tc', 'filter', 'add', 'dev', 'mcoa0', 'ingress', 'prio', '2', 'protocol', 'all', 'matchall', 'action', 'drop');
    assert.ok(await reverse(t, 1), 'registered pair 1 passes');
    assert.ok(await reverse(t, 2), 'registered pair 2 passes');
    const f0 = await tcFilters(ha, 'mcoa0');
    const drops0 = f0.find((f) => f.kind === 'matchall')!.drops;
    assert.deepEqual(f0.filter((f) => f.kind === 'flower').map((f) => [f.keys['enc_src_ip'], f.packets > 0]), [[COA[0], true], [COA[1], true]]);
    assert.ok(await reverseDropped(t, 3), 'an unregistered care-of address is dropped');
    assert.ok(await reverseDropped(t, 1, HOA_OTHER), 'a registered care-of address with another home address is dropped');
    const f1 = await tcFilters(ha, 'mcoa0');
    assert.ok(f1.find((f) => f.kind === 'matchall')!.drops >= drops0 + 2, 'the drops are counted by the matchall action');
    assert.deepEqual(f1.filter((f) => f.kind === 'flower').map((f) => f.packets), f0.filter((f) => f.kind === 'flower').map((f) => f.packets), 'no pair filter passed them');
    await mn.ip('link', 'show', 't3'); // the namespace is still there for the cleanup
  });
});

test('data plane through our netlink: the same steps, read back with ip and tc', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  await withNetnsGroup(3, async (nss) => {
    const t = await buildTopology(nss);
    const { ha } = t;
    const sock = NetlinkSocket.open({ protocol: NETLINK_ROUTE, netns: ha.name });
    try {
      await ip6tnlExternalCreate(sock, { name: 'mcoa0', up: true });
      assert.match(await ha.ip('-d', 'link', 'show', 'mcoa0'), /ip6tnl external ip6ip6 /);
      const dev = await ip6tnlExternalGet(sock, 'mcoa0');
      assert.deepEqual({ external: dev?.external, proto: dev?.proto }, { external: true, proto: 41 });
      const second = await ip6tnlExternalCreate(sock, { name: 'mcoa1' }).then(() => undefined, (e: unknown) => e);
      assert.ok(second instanceof KernelError && second.code === 'EEXIST', `a second external device is refused: ${String(second)}`);
      const oif = dev!.ifindex;

      for (const i of [1, 2, 3]) await encapNexthopReplace(sock, { id: i, protocol: PROTO, oif, encap: { dst: COA[i - 1]!, src: HA } });
      assert.match(await ha.ip('-d', 'nexthop', 'show', 'id', '2'), new RegExp(`encap ip6 id 0 src ${HA} dst ${COA[1]} hoplimit 0 tc 0 dev mcoa0 scope link proto dhcp`));
      await resilientGroupReplace(sock, { id: 11, protocol: PROTO, members: [{ id: 1, weight: 1 }, { id: 2, weight: 1 }], buckets: 64, idleTimerS: 0 });
      assert.match(await ha.ip('nexthop', 'show', 'id', '11'), /^id 11 group 1\/2 type resilient buckets 64 idle_timer 0 unbalanced_timer 0 .*proto dhcp/m);
      const dumped = (await encapNexthopDump(sock, { protocol: PROTO })).sort((a, b) => a.id - b.id);
      assert.deepEqual(dumped.map((n) => n.id), [1, 2, 3, 11]);
      assert.deepEqual(dumped[0]!.encap, { dst: COA[0], src: HA });
      assert.equal(dumped[0]!.oif, oif);
      assert.deepEqual({ type: dumped[3]!.groupType, buckets: dumped[3]!.resilient?.buckets, idle: dumped[3]!.resilient?.idleTimerS }, { type: 1, buckets: 64, idle: 0 });

      const rebucket = await resilientGroupReplace(sock, { id: 11, protocol: PROTO, members: [{ id: 1, weight: 1 }], buckets: 32 }).then(() => undefined, (e: unknown) => e);
      assert.ok(rebucket instanceof KernelError && rebucket.code === 'EINVAL', String(rebucket));
      assert.equal(rebucket.extack, 'Can not change number of buckets of a resilient nexthop group.');
      const toPlain = await nexthopReplace(sock, { id: 11, protocol: PROTO, group: [{ id: 1, weight: 1 }] }).then(() => undefined, (e: unknown) => e);
      assert.ok(toPlain instanceof KernelError && toPlain.code === 'EINVAL', String(toPlain));
      assert.equal(toPlain.extack, 'Can not replace a nexthop group with one of a different type.');

      await routeReplace(sock, { dst: HOA, dstLen: 128, table: 254, protocol: PROTO, metric: 1024, nhid: 11 });
      assert.match(await ha.ip('-6', 'route', 'show', `${HOA}/128`), /nhid 11 proto dhcp/);
      assert.ok(await pingEventually(t.cn, CN, HOA), 'cn reaches the home address through the external tunnel');
      const perCoa = await forwardByFlow(t);
      assert.ok(perCoa.every((n) => n > 0), `both care-of addresses carry flows: ${perCoa.join('/')}`);
      await resilientMembershipChange(
        ha,
        () => resilientGroupReplace(sock, { id: 11, protocol: PROTO, members: [1, 2, 3].map((id) => ({ id, weight: 1 })), buckets: 64, idleTimerS: 0 }),
        () => resilientGroupReplace(sock, { id: 11, protocol: PROTO, members: [1, 2].map((id) => ({ id, weight: 1 })), buckets: 64, idleTimerS: 0 }),
      );

      await clsactAdd(sock, oif);
      const again = await clsactAdd(sock, oif).then(() => undefined, (e: unknown) => e);
      assert.ok(again instanceof KernelError && again.code === 'EEXIST', String(again));
      assert.deepEqual((await qdiscDump(sock, { ifindex: oif })).map((q) => q.kind).filter((k) => k === 'clsact'), ['clsact']);
      for (const i of [1, 2]) await flowerPairReplace(sock, { ifindex: oif, prio: 1, handle: i, encSrc: COA[i - 1]!, src: HOA, verdict: 'pass' });
      await matchallReplace(sock, { ifindex: oif, prio: 2, handle: 1, verdict: 'drop' });
      const shown = await ha.exec('tc', 'filter', 'show', 'dev', 'mcoa0', 'ingress');
      assert.match(shown, new RegExp(`handle 0x2 \\n  eth_type ipv6\\n  src_ip ${HOA}\\n  enc_src_ip ${COA[1]}\\n  skip_hw`));
      assert.match(shown, /protocol all pref 2 matchall chain 0 handle 0x1 \n  skip_hw\n[^]*gact action drop/);

      assert.ok(await reverse(t, 1), 'registered pair 1 passes');
      assert.ok(await reverse(t, 2), 'registered pair 2 passes');
      assert.ok(await reverseDropped(t, 3), 'an unregistered care-of address is dropped');
      assert.ok(await reverseDropped(t, 1, HOA_OTHER), 'another home address from a registered care-of address is dropped');

      // Counters move on their own (the tunnels' own multicast reaches the drop too), so
      // ours must lie between two reads by tc taken around it.
      const before = await tcFilters(ha, 'mcoa0');
      const ours = await filterDump(sock, oif);
      const after = await tcFilters(ha, 'mcoa0');
      const between = (what: string, got: number, pick: (f: Awaited<ReturnType<typeof tcFilters>>) => number): void =>
        assert.ok(pick(before) <= got && got <= pick(after), `${what} as tc reads it: ${pick(before)} <= ${got} <= ${pick(after)}`);
      const flowers = ours.filter((f): f is FlowerFilterInfo => f.kind === 'flower');
      assert.deepEqual(
        flowers.map((f) => [f.header.handle, f.header.prio, f.header.protocol, f.encSrc, f.encSrcMaskLen, f.src, f.srcMaskLen, f.ethType, f.actions[0]?.verdict]),
        [1, 2].map((h) => [h, 1, ETH_P_IPV6, COA[h - 1], 128, HOA, 128, ETH_P_IPV6, 'pass']),
      );
      flowers.forEach((f, i) => between(`pass counter ${i + 1}`, f.actions[0]!.packets, (fs) => fs.filter((x) => x.kind === 'flower')[i]!.packets));
      assert.ok(flowers.every((f) => f.actions[0]!.packets > 0));
      const drop = ours.find((f): f is MatchallFilterInfo => f.kind === 'matchall')!;
      assert.equal(drop.actions[0]!.verdict, 'drop');
      between('drop counter', drop.actions[0]!.drops, (fs) => fs.find((x) => x.kind === 'matchall')!.drops);
      assert.ok(drop.actions[0]!.drops >= 2 && (drop.hits ?? 0) >= 2, `drops counted: ${drop.actions[0]!.drops}, hits ${drop.hits}`);

      // Deregistering care-of address 2: its pair filter goes, and its packets are dropped.
      await filterDelete(sock, { ifindex: oif, prio: 1, protocol: ETH_P_IPV6, kind: 'flower', handle: 2 });
      assert.doesNotMatch(await ha.exec('tc', 'filter', 'show', 'dev', 'mcoa0', 'ingress'), new RegExp(`enc_src_ip ${COA[1]}`));
      assert.ok(await reverseDropped(t, 2), 'care-of address 2 is dropped once its pair is gone');
      assert.ok(await reverse(t, 1), 'pair 1 still passes');
      const gone = await filterDelete(sock, { ifindex: oif, prio: 1, protocol: ETH_P_IPV6, kind: 'flower', handle: 2 }).then(() => undefined, (e: unknown) => e);
      assert.ok(gone instanceof KernelError && gone.code === 'ENOENT', `deleting it again: ${String(gone)}`);
    } finally {
      sock.close();
    }
  });
});

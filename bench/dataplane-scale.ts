// Issue 13 measurements for the shared-tunnel data plane, inside user-mode Linux:
// - flower pair filters on the external device's ingress: 10k and 30k added through
//   our netlink (batched: all requests queued, the socket packs them into datagrams),
//   time of the first and last tenth, the same through `tc -batch`;
// - proxy neighbour entries: 10k and 30k through our netlink and through `ip -batch`;
// - whether classification stays one hash lookup: reverse-tunnelled echo rate
//   (`ping -f`) with 2 pair filters, with 30k same-mask filters, and with 30k filters
//   spread over 64 masks (a flower hash table per mask).
// Run: npx tsc -p . && node dist/test/uml/run.js --mem 2048 --timeout 1800 --exec dist/bench/dataplane-scale.js
import { ip6 } from '../test/ip6.js';
import { performance } from 'node:perf_hooks';
import { NETLINK_ROUTE } from '../lib/platform/netlink/netlink-constants.js';
import { NetlinkSocket } from '../lib/platform/netlink/socket.js';
import { ip6tnlExternalCreate } from '../lib/platform/rtnl/ip6tnl-external.js';
import { linkGet } from '../lib/platform/rtnl/link.js';
import { proxyAdd } from '../lib/platform/rtnl/neigh.js';
import { encapNexthopReplace, resilientGroupReplace } from '../lib/platform/rtnl/nexthop-encap.js';
import { routeReplace } from '../lib/platform/rtnl/route.js';
import { filterDump } from '../lib/platform/tc/filter.js';
import { encodeFlowerPairCreate, type FlowerFilterInfo } from '../lib/platform/tc/flower.js';
import { matchallReplace } from '../lib/platform/tc/matchall.js';
import { clsactAdd } from '../lib/platform/tc/qdisc.js';
import { CN, COA, HA, HOA, buildTopology, pingEventually, reverseVia } from '../test/kernel/fixtures/dataplane.js';
import { createNetns, sh, type Netns } from '../test/kernel/netns.js';

const SIZES = [10_000, 30_000];
const results: string[] = [];
const seconds = (ms: number): string => (ms / 1000).toFixed(2);
const note = (k: string, v: string | number): void => {
  results.push(`${k}=${v}`);
  console.log(`${k}=${v}`);
};

/** Pair i: a care-of address and a home address no other pair uses. */
const pairCoa = (i: number) => ip6(`2001:db8:f9::${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}`);
const pairHoa = (i: number) => ip6(`2001:db8:aa::1:${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}`);

async function externalWithClsact(sock: NetlinkSocket, ns: Netns): Promise<number> {
  await ip6tnlExternalCreate(sock, { name: 'mcoa0', up: true });
  const oif = (await linkGet(sock, { name: 'mcoa0' }))!.ifindex;
  await clsactAdd(sock, oif);
  void ns;
  return oif;
}

/** Adds `n` pair filters in ten chunks, each chunk queued at once; returns ms per chunk. */
async function addFlowers(sock: NetlinkSocket, oif: number, n: number, first = 1): Promise<number[]> {
  const chunk = Math.ceil(n / 10);
  const times: number[] = [];
  for (let c = 0; c < n; c += chunk) {
    const t0 = performance.now();
    const reqs: Promise<void>[] = [];
    for (let i = c; i < Math.min(n, c + chunk); i++) {
      const h = first + i;
      reqs.push(sock.request(encodeFlowerPairCreate({ ifindex: oif, prio: 1, handle: h, encSrc: pairCoa(h), src: pairHoa(h), verdict: 'pass' })));
    }
    await Promise.all(reqs);
    times.push(performance.now() - t0);
  }
  return times;
}

async function flowerInstall(n: number): Promise<void> {
  const ns = await createNetns('dpb');
  const sock = NetlinkSocket.open({ protocol: NETLINK_ROUTE, netns: ns.name });
  try {
    const oif = await externalWithClsact(sock, ns);
    // One filter first, so the timing leaves out loading cls_flower and act_gact.
    await sock.request(encodeFlowerPairCreate({ ifindex: oif, prio: 1, handle: 0xfffff0, encSrc: COA[0], src: HOA, verdict: 'pass' }));
    const t0 = performance.now();
    const chunks = await addFlowers(sock, oif, n);
    const total = performance.now() - t0;
    note(`flower_netlink_s_${n}`, seconds(total));
    note(`flower_growth_${n}`, (chunks[chunks.length - 1]! / chunks[0]!).toFixed(2));
    const dumped = (await filterDump(sock, oif)).filter((f): f is FlowerFilterInfo => f.kind === 'flower');
    const masks = new Set(dumped.map((f) => `${f.encSrcMaskLen}/${f.srcMaskLen}/${f.ethType}`));
    note(`flower_dumped_${n}`, dumped.length - 1);
    note(`flower_distinct_masks_${n}`, masks.size);
  } finally {
    sock.close();
    await ns.delete();
  }
  // The same filters through tc -batch, in a fresh namespace.
  const ns2 = await createNetns('dpb');
  try {
    await ns2.ip('link', 'add', 'mcoa0', 'type', 'ip6tnl', 'external');
    await ns2.exec('tc', 'qdisc', 'add', 'dev', 'mcoa0', 'clsact');
    await ns2.exec('tc', 'filter', 'add', 'dev', 'mcoa0', 'ingress', 'prio', '1', 'handle', '0xfffff0', 'protocol', 'ipv6', 'flower', 'skip_hw', 'enc_src_ip', COA[0], 'src_ip', HOA, 'action', 'pass');
    let script = '';
    for (let h = 1; h <= n; h++) {
      script += `filter add dev mcoa0 ingress prio 1 handle ${h} protocol ipv6 flower skip_hw enc_src_ip ${pairCoa(h)} src_ip ${pairHoa(h)} action pass\n`;
    }
    const t0 = performance.now();
    await sh('ip', ['netns', 'exec', ns2.name, 'tc', '-batch', '-'], { input: script, timeoutMs: 1_200_000 });
    note(`flower_tc_batch_s_${n}`, seconds(performance.now() - t0));
  } finally {
    await ns2.delete();
  }
}

async function proxyInstall(n: number): Promise<void> {
  const ns = await createNetns('dpb');
  const sock = NetlinkSocket.open({ protocol: NETLINK_ROUTE, netns: ns.name });
  try {
    await ns.ip('link', 'add', 'home0', 'type', 'veth', 'peer', 'name', 'home1');
    await ns.exec('sysctl', '-qw', 'net.ipv6.conf.home0.proxy_ndp=1');
    const ifindex = (await linkGet(sock, { name: 'home0' }))!.ifindex;
    const chunk = Math.ceil(n / 10);
    const times: number[] = [];
    const t0 = performance.now();
    for (let c = 0; c < n; c += chunk) {
      const c0 = performance.now();
      const reqs: Promise<void>[] = [];
      for (let i = c; i < Math.min(n, c + chunk); i++) reqs.push(proxyAdd(sock, { dst: pairHoa(i + 1), ifindex }));
      await Promise.all(reqs);
      times.push(performance.now() - c0);
    }
    note(`proxy_netlink_s_${n}`, seconds(performance.now() - t0));
    note(`proxy_growth_${n}`, (times[times.length - 1]! / times[0]!).toFixed(2));
    let script = '';
    for (let i = 1; i <= n; i++) script += `neigh add proxy ${pairHoa(i)} dev home1\n`;
    const t1 = performance.now();
    await sh('ip', ['-6', '-n', ns.name, '-batch', '-'], { input: script, timeoutMs: 1_200_000 });
    note(`proxy_ip_batch_s_${n}`, seconds(performance.now() - t1));
  } finally {
    sock.close();
    await ns.delete();
  }
}

/** Reverse-tunnelled echoes per second (mn -> cn through the pair check), `ping -f`. */
async function echoRate(mn: Netns, count: number): Promise<number> {
  const t0 = performance.now();
  await mn.exec('ping', '-n', '-q', '-f', '-c', String(count), '-I', HOA, CN);
  return count / ((performance.now() - t0) / 1000);
}

async function lookupCost(): Promise<void> {
  const nss = [await createNetns('dpb'), await createNetns('dpb'), await createNetns('dpb')];
  const t = await buildTopology(nss);
  const sock = NetlinkSocket.open({ protocol: NETLINK_ROUTE, netns: t.ha.name });
  try {
    const oif = await externalWithClsact(sock, t.ha);
    for (const i of [1, 2]) await encapNexthopReplace(sock, { id: i, protocol: 16, oif, encap: { dst: COA[i - 1]!, src: HA } });
    await resilientGroupReplace(sock, { id: 11, protocol: 16, members: [{ id: 1, weight: 1 }, { id: 2, weight: 1 }], buckets: 64, idleTimerS: 0 });
    await routeReplace(sock, { dst: HOA, dstLen: 128, table: 254, protocol: 16, metric: 1024, nhid: 11 });
    const pairs = [1, 2].map((i) => encodeFlowerPairCreate({ ifindex: oif, prio: 1, handle: 0x100000 + i, encSrc: COA[i - 1]!, src: HOA, verdict: 'pass' }));
    for (const m of pairs) await sock.request(m);
    await matchallReplace(sock, { ifindex: oif, prio: 2, handle: 1, verdict: 'drop' });
    await reverseVia(t.mn, 1);
    if (!(await pingEventually(t.mn, HOA, CN))) throw new Error('reverse path does not work');
    const COUNT = 3000;
    await echoRate(t.mn, 300); // warm up
    note('echo_per_s_2_filters', (await echoRate(t.mn, COUNT)).toFixed(0));
    await addFlowers(sock, oif, 30_000);
    note('echo_per_s_30000_same_mask', (await echoRate(t.mn, COUNT)).toFixed(0));
    // 30k more filters over 64 source prefix lengths /65../128: 64 masks, one table each.
    // Pairs 40001.. so none repeats a /128 pair above (flower refuses a duplicate key
    // and mask at one priority with EEXIST).
    let script = '';
    for (let i = 0; i < 30_000; i++) {
      const len = 65 + (i % 64);
      script += `filter add dev mcoa0 ingress prio 1 handle ${0x200000 + i} protocol ipv6 flower skip_hw enc_src_ip ${pairCoa(40_001 + i)} src_ip ${pairHoa(40_001 + i)}/${len} action pass\n`;
    }
    try {
      await sh('ip', ['netns', 'exec', t.ha.name, 'tc', '-batch', '-'], { input: script, timeoutMs: 1_200_000 });
      note('echo_per_s_60000_64_masks', (await echoRate(t.mn, COUNT)).toFixed(0));
    } catch (err) {
      console.log(`mixed masks refused: ${String(err).slice(0, 300)}`);
      note('echo_per_s_60000_64_masks', 'refused');
    }
  } finally {
    sock.close();
    for (const ns of nss) await ns.delete();
  }
}

// `lookup-only` argument: just the classification rates.
const lookupOnly = process.argv.includes('lookup-only');
if (!lookupOnly) for (const n of SIZES) await flowerInstall(n);
if (!lookupOnly) for (const n of SIZES) await proxyInstall(n);
await lookupCost();
console.log(`RESULT ${results.join(' ')}`);

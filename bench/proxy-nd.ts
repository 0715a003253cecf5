// Issue 13, proxy Neighbour Discovery at scale, inside user-mode Linux. Three ways a home
// agent can answer Neighbour Solicitations for N home addresses on the home link:
// - kernel proxy entries (`ip -6 neigh add proxy`): install time at 10k and 20k with
//   `ip -batch` (the netlink figures are in docs/dataplane-findings.md);
// - the daemon answering from its own hash set: what the kernel needs for the NS to reach
//   it. (a) a solicited-node group per address on one socket: how many the socket may hold
//   (net.core.optmem_max) and the time per join as the groups grow; (b) one AF_PACKET
//   socket with a BPF filter and allmulti (lib/net/proxy-nd-socket.ts): constant set-up,
//   then the planning cost per address and the DAD-defence rate with 1,000 and with 100,000
//   addresses defended;
// - a virtual home link: nothing per address (one route for the prefix).
// Run: npx tsc -p . && /work/tools/uml-slot.sh node dist/test/uml/run.js --mem 3072 --timeout 1800 --exec dist/bench/proxy-nd.js
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { ip6 } from '../test/ip6.js';
import { addVethPair, createNetns, sh, type Netns } from '../test/kernel/netns.js';
import { openSocket, closeFd, AF_INET6, SOCK_RAW, IPPROTO_ICMPV6 } from '../lib/platform/sys/socket.js';
import { setMulticastMembership } from '../lib/net/sockopt.js';
import { errnoName } from '../lib/platform/sys/errno.js';
import { interfaceIndex } from '../lib/net/ifreq.js';
import { ProxyNdSocket } from '../lib/net/proxy-nd-socket.js';
import { NdSocket } from '../lib/net/nd-socket.js';
import { HomeAgentProxyNd } from '../lib/daemon/ha/proxy-nd.js';
import { Metrics } from '../lib/daemon/metrics/metrics.js';
import { systemClock } from '../lib/daemon/service/host.js';
import type { DesiredState } from '../lib/plan/ha/desired.js';
import type { Ip6 } from '../lib/inet/ip6.js';

const results: string[] = [];
const note = (k: string, v: string | number): void => {
  results.push(`${k}=${v}`);
  console.log(`${k}=${v}`);
};
const seconds = (ms: number): string => (ms / 1000).toFixed(2);
/** Home address i: distinct low 24 bits, so each has its own solicited-node group. */
const hoa = (i: number): Ip6 => ip6(`2001:db8:aa::1:${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}`);
const solicitedNode = (i: number): Uint8Array => Uint8Array.from([0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, (i >>> 16) & 0xff, (i >>> 8) & 0xff, i & 0xff]);

async function homeLink(): Promise<[Netns, Netns]> {
  const ha = await createNetns('pnh');
  const nb = await createNetns('pnb');
  await addVethPair(ha, 'home0', nb, 'b0');
  for (const [ns, dev] of [[ha, 'home0'], [nb, 'b0']] as const) {
    await ns.exec('sysctl', '-qw', `net.ipv6.conf.${dev}.accept_dad=0`);
    await ns.ip('link', 'set', dev, 'up');
  }
  await ha.ip('addr', 'add', '2001:db8:aa::1/64', 'dev', 'home0', 'nodad');
  await nb.ip('addr', 'add', '2001:db8:aa::2/64', 'dev', 'b0', 'nodad');
  for (let i = 0; i < 100; i++) {
    const up = (await ha.ip('-o', 'link', 'show', 'home0')).includes('state UP') && (await nb.ip('-o', 'link', 'show', 'b0')).includes('state UP');
    if (up) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return [ha, nb];
}

async function kernelEntries(n: number): Promise<void> {
  const ns = await createNetns('pnk');
  try {
    await ns.ip('link', 'add', 'home0', 'type', 'veth', 'peer', 'name', 'home1');
    let script = '';
    for (let i = 1; i <= n; i++) script += `neigh add proxy ${hoa(i)} dev home0\n`;
    const t0 = performance.now();
    await sh('ip', ['-6', '-n', ns.name, '-batch', '-'], { input: script, timeoutMs: 1_200_000 });
    note(`kernel_proxy_ip_batch_s_${n}`, seconds(performance.now() - t0));
  } finally {
    await ns.delete();
  }
}

/** Joins solicited-node groups on one socket until `max` or the first refusal; ms per tenth. */
function joinGroups(ns: Netns, max: number): { joined: number; errno: string | null; tenths: number[] } {
  const fd = openSocket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6, { netns: ns.name });
  const ifindex = interfaceIndex(fd, 'home0');
  const tenths: number[] = [];
  let joined = 0;
  let errno: string | null = null;
  let t0 = performance.now();
  try {
    for (let i = 1; i <= max; i++) {
      const r = setMulticastMembership(fd, 'join', solicitedNode(i), ifindex, false);
      if (r < 0) {
        errno = errnoName(-r);
        break;
      }
      joined++;
      if (joined % (max / 10) === 0) {
        tenths.push(performance.now() - t0);
        t0 = performance.now();
      }
    }
  } finally {
    closeFd(fd);
  }
  return { joined, errno, tenths };
}

async function groups(): Promise<void> {
  const [ha, nb] = await homeLink();
  try {
    const optmem = (await sh('sysctl', ['-n', 'net.core.optmem_max'])).trim();
    const d = joinGroups(ha, 100_000);
    note('groups_optmem_max', optmem);
    note('groups_joined_default', d.joined);
    note('groups_refused_with', d.errno ?? 'none');
    await sh('sysctl', ['-qw', 'net.core.optmem_max=268435456']);
    const n = 100_000;
    const t0 = performance.now();
    const big = joinGroups(ha, n);
    note(`groups_joined_raised_${n}`, big.joined);
    note(`groups_join_s_${n}`, seconds(performance.now() - t0));
    if (big.tenths.length === 10) note(`groups_growth_${n}`, (big.tenths[9]! / big.tenths[0]!).toFixed(2));
    await sh('sysctl', ['-qw', `net.core.optmem_max=${optmem}`]);
  } finally {
    await ha.delete();
    await nb.delete();
  }
}

function desiredFor(addr: Ip6): DesiredState {
  return { tunnels: new Map(), routes: new Map(), proxies: new Map([[`home0|${addr}`, { key: `home0|${addr}`, address: addr, interface: 'home0', owners: [] }]]) };
}

/** DAD probes from the neighbour for `count` defended targets, `batch` outstanding: defended per second. */
async function defenceRate(peer: NdSocket, targets: Ip6[], batch: number): Promise<{ perSecond: number; defended: number }> {
  const t0 = performance.now();
  let defended = 0;
  for (let c = 0; c < targets.length; c += batch) {
    const r = await Promise.all(targets.slice(c, c + batch).map((t) => peer.dad('b0', t, 5000)));
    defended += r.filter((x) => x === 'duplicate').length;
  }
  return { perSecond: Math.round((targets.length / (performance.now() - t0)) * 1000), defended };
}

/**
 * Kernel proxy entries: install time, then the same DAD-defence measurement as the daemon's.
 * Each entry also joins its solicited-node group on the device (pndisc_constructor), and a
 * multicast NS for a proxied address is answered after a random delay (proxy_delay) from a
 * queue of proxy_qlen (64) entries: a burst beyond it goes unanswered.
 */
async function kernelAnswers(n: number): Promise<void> {
  const [ha, nb] = await homeLink();
  try {
    await ha.exec('sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1');
    await ha.exec('sysctl', '-qw', 'net.ipv6.conf.home0.proxy_ndp=1');
    let script = '';
    for (let i = 1; i <= n; i++) script += `neigh add proxy ${hoa(i)} dev home0\n`;
    const t0 = performance.now();
    await sh('ip', ['-6', '-n', ha.name, '-batch', '-'], { input: script, timeoutMs: 1_700_000 });
    note(`kernel_proxy_install_s_${n}`, seconds(performance.now() - t0));
    const peer = NdSocket.open({ netns: nb.name });
    const targets = Array.from({ length: 1000 }, (_, k) => hoa(1 + ((k * 7919) % n)));
    const r = await defenceRate(peer, targets, 100);
    note(`kernel_dad_defended_per_s_${n}`, r.perSecond);
    note(`kernel_dad_defended_of_1000_${n}`, r.defended);
    const slow = await defenceRate(peer, targets.slice(0, 200), 10);
    note(`kernel_dad_defended_of_200_10_outstanding_${n}`, slow.defended);
    peer.close();
  } finally {
    await ha.delete();
    await nb.delete();
  }
}

async function daemonAnswers(): Promise<void> {
  const [ha, nb] = await homeLink();
  const log = pino({ level: 'silent' });
  try {
    // 1,000 and 100,000 defended, the same 1,000 distinct targets probed (NdSocket.dad shares a probe per target).
    for (const n of [1000, 100_000]) {
      const t0 = performance.now();
      const socket = ProxyNdSocket.open({ ifname: 'home0', netns: ha.name });
      note(`daemon_socket_open_ms_${n}`, (performance.now() - t0).toFixed(1));
      const p = new HomeAgentProxyNd('daemon', () => socket, new Metrics('home-agent'), log, systemClock);
      const heap0 = process.memoryUsage().heapUsed;
      const t1 = performance.now();
      for (let i = 1; i <= n; i++) p.plan(hoa(i), desiredFor(hoa(i)), false);
      note(`daemon_plan_s_${n}`, seconds(performance.now() - t1));
      note(`daemon_heap_bytes_per_address_${n}`, Math.round((process.memoryUsage().heapUsed - heap0) / n));
      const peer = NdSocket.open({ netns: nb.name });
      const targets = Array.from({ length: 1000 }, (_, k) => hoa(1 + ((k * 7919) % n)));
      assert.equal(new Set(targets).size, 1000);
      const r = await defenceRate(peer, targets, 100);
      note(`daemon_dad_defended_per_s_${n}`, r.perSecond);
      note(`daemon_dad_defended_of_1000_${n}`, r.defended);
      const unregistered = await Promise.all(Array.from({ length: 50 }, (_, k) => peer.dad('b0', hoa(200_000 + k), 1000)));
      note(`daemon_unregistered_answered_of_50_${n}`, unregistered.filter((x) => x === 'duplicate').length);
      note(`daemon_kernel_drops_${n}`, socket.stats.kernelDrops);
      peer.close();
      p.close();
    }
  } finally {
    await ha.delete();
    await nb.delete();
  }
}

const only = process.argv.slice(2);
const run = (part: string): boolean => only.length === 0 || only.includes(part);
if (run('daemon')) await daemonAnswers();
if (run('groups')) await groups();
if (run('kernel')) for (const n of [10_000, 20_000]) await kernelEntries(n);
if (run('kernel-answers')) for (const n of [1000, 30_000, 100_000]) await kernelAnswers(n);
console.log(`RESULT ${results.join(' ')}`);

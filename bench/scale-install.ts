// bench:scale, install phase: N bindings (N/2 home addresses × 2 care-of addresses) on the
// shared data plane, written by the daemon's reconciler from its per home address desired
// state (DesiredIndex + HomeAgentKernel 'shared', as KernelSync drives them) in ten equal
// steps, against the same kernel objects through `ip -batch` and `tc -batch` in another
// namespace of the same boot. Proxy neighbour entries are the kernel's (NTF_PROXY, one per
// home address), as the daemon makes them today.
import { readFileSync, writeFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Ip6 } from '../lib/inet/ip6.js';
import { emptyDesired, proxyKey, tunnelKey, type DesiredState } from '../lib/plan/ha/desired.js';
import { DesiredIndex } from '../lib/plan/ha/desired-index.js';
import { HomeAgentKernel } from '../lib/daemon/ha/kernel.js';
import { NetlinkSocket } from '../lib/platform/netlink/socket.js';
import { createNetns, sh, type Netns } from '../test/kernel/netns.js';
import { ip6 } from '../test/ip6.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

export const SCALE_HA = ip6('2001:db8:aa::1');
const IFACE = 'home0';
const STEPS = 10;
const BATCH_TIMEOUT_MS = 3_600_000;

/** Home address h (0-based) and its two care-of addresses. */
export const scaleHoa = (h: number): Ip6 => ip6(`2001:db8:aa::1:${(h >>> 16).toString(16)}:${(h & 0xffff).toString(16)}`);
export const scaleCoa = (h: number, b: 0 | 1): Ip6 => ip6(`2001:db8:${(0x100 + b).toString(16)}::${(h >>> 16).toString(16)}:${(h & 0xffff).toString(16)}`);

/** What the planner makes of one home address with two registered care-of addresses. */
export function scaleDesired(h: number): DesiredState {
  const d = emptyDesired();
  const hoa = scaleHoa(h);
  const route = { key: `${hoa}/128`, dst: hoa, dstLen: 128, nexthops: [] as { kind: 'tunnel'; tunnelKey: string; weight: number }[], owners: [hoa] };
  for (const b of [0, 1] as const) {
    const coa = scaleCoa(h, b);
    const key = tunnelKey(SCALE_HA, coa);
    d.tunnels.set(key, { key, local: SCALE_HA, remote: coa, owners: [hoa] });
    route.nexthops.push({ kind: 'tunnel', tunnelKey: key, weight: 1 });
  }
  d.routes.set(route.key, route);
  d.proxies.set(proxyKey(IFACE, hoa), { key: proxyKey(IFACE, hoa), address: hoa, interface: IFACE, owners: [hoa] });
  return d;
}

/** The kernel's own accounting, in bytes: slab caches and per-cpu allocations. */
export function kernelBytes(): number {
  const m = readFileSync('/proc/meminfo', 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(m)?.[1] ?? 0);
  return (kb('Slab') + kb('Percpu') + kb('PageTables') + kb('KernelStack')) * 1024;
}

export async function homeNetns(): Promise<Netns> {
  const ns = await createNetns('scl');
  await ns.ip('link', 'add', IFACE, 'type', 'veth', 'peer', 'name', 'home0p');
  await ns.ip('link', 'set', IFACE, 'up');
  await ns.ip('-6', 'addr', 'add', `${SCALE_HA}/64`, 'dev', IFACE, 'nodad');
  await ns.exec('sysctl', '-qw', `net.ipv6.conf.${IFACE}.proxy_ndp=1`);
  return ns;
}

const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;

export interface InstallResult {
  n: number;
  /** Wall time of each tenth of the bindings. */
  mcoaSteps: number[];
  batchSteps: number[];
  flushMs: number;
  kernelBytesPerBinding: number;
  heapBytesPerBinding: number;
}

/** When each kind's last operation of the current pass completed (kinds are written one after another). */
const lastOpAt = new Map<string, bigint>();

/** Where a pass's time went: each kind's share, in the order the kinds finished. */
function perKind(t0: bigint): string {
  let prev = t0;
  const parts: string[] = [];
  for (const [kind, at] of [...lastOpAt].sort((a, b) => (a[1] < b[1] ? -1 : 1))) {
    parts.push(`${kind} ${(Number(at - prev) / 1e6).toFixed(0)}`);
    prev = at;
  }
  return parts.join(', ');
}

/** Home addresses [from, to) through the reconciler, one pass. */
async function mcoaStep(index: DesiredIndex, k: HomeAgentKernel, from: number, to: number, want: (h: number) => DesiredState): Promise<number> {
  const t0 = process.hrtime.bigint();
  lastOpAt.clear();
  for (let h = from; h < to; h++) index.update(scaleHoa(h), want(h));
  lastOpAt.set('plan', process.hrtime.bigint());
  const rep = await k.pass();
  if (rep.failed) throw new Error(`reconcile failed: ${rep.errors.slice(0, 3).map((e) => `${e.kind} ${e.op}: ${String(e.error)}`).join('; ')}`);
  console.error(`scale:   ms by kind: ${perKind(t0)}`);
  return ms(t0);
}

async function mcoa(n: number): Promise<Omit<InstallResult, 'batchSteps'>> {
  const hoas = n / 2;
  const ns = await homeNetns();
  const sock = NetlinkSocket.open({ protocol: 0, netns: ns.name });
  try {
    const k = new HomeAgentKernel(sock, {}, undefined, undefined, 'shared');
    const index = new DesiredIndex(k.reconciler, k.planner);
    k.reconciler.onOperation = (kind) => void lastOpAt.set(kind, process.hrtime.bigint());
    // The device, its clsact hook and the drop filter first (and the modules they load).
    const base = await k.pass();
    if (base.failed) throw new Error(`shared device: ${String(base.errors[0]?.error)}`);
    gc();
    const heap0 = process.memoryUsage().heapUsed;
    const kernel0 = kernelBytes();
    const steps: number[] = [];
    const per = Math.ceil(hoas / STEPS);
    for (let s = 0; s < STEPS; s++) {
      steps.push(await mcoaStep(index, k, s * per, Math.min(hoas, (s + 1) * per), scaleDesired));
      console.error(`scale: N=${n} mcoa step ${s + 1}/${STEPS}: ${steps[s]!.toFixed(0)} ms`);
    }
    const kernelBytesPerBinding = Math.round((kernelBytes() - kernel0) / n);
    gc();
    const heapBytesPerBinding = Math.round((process.memoryUsage().heapUsed - heap0) / n);
    await checkCounts(ns, hoas);
    const flushMs = await mcoaStep(index, k, 0, hoas, () => emptyDesired());
    console.error(`scale: N=${n} mcoa flush: ${flushMs.toFixed(0)} ms`);
    return { n, mcoaSteps: steps, flushMs, kernelBytesPerBinding, heapBytesPerBinding };
  } finally {
    sock.close();
    await ns.delete();
  }
}

/** The kernel holds what was asked: a route per home address and a pair filter per binding. */
async function checkCounts(ns: Netns, hoas: number): Promise<void> {
  const routes = (await ns.ip('-6', 'route', 'show', 'proto', '135')).split('\n').filter((l) => l.includes('nhid')).length;
  const filters = (await sh('ip', ['netns', 'exec', ns.name, 'tc', 'filter', 'show', 'dev', 'mip6t-0', 'ingress'], { timeoutMs: BATCH_TIMEOUT_MS })).split('\n').filter((l) => l.includes('enc_src_ip')).length;
  if (routes !== hoas || filters !== 2 * hoas) throw new Error(`kernel holds ${routes} routes and ${filters} pair filters, not ${hoas} and ${2 * hoas}`);
}

/** `ip -6 -batch`, `ip -batch` (nexthop groups have no family) or `tc -batch` of `lines`. */
async function batch(ns: Netns, cmd: 'ip -6' | 'ip' | 'tc', lines: string[]): Promise<number> {
  const file = `/tmp/scale-${ns.name}.batch`;
  writeFileSync(file, lines.join('\n') + '\n');
  const t0 = process.hrtime.bigint();
  await sh('ip', ['netns', 'exec', ns.name, ...cmd.split(' '), '-batch', file], { timeoutMs: BATCH_TIMEOUT_MS });
  return ms(t0);
}

/** The same objects as the reconciler writes, through iproute2's batch mode, tenth by tenth. */
async function baseline(n: number): Promise<number[]> {
  const hoas = n / 2;
  const ns = await homeNetns();
  try {
    await ns.ip('link', 'add', 'mip6t-0', 'type', 'ip6tnl', 'external');
    await ns.ip('link', 'set', 'mip6t-0', 'up');
    await ns.exec('tc', 'qdisc', 'add', 'dev', 'mip6t-0', 'clsact');
    await ns.exec('tc', 'filter', 'add', 'dev', 'mip6t-0', 'ingress', 'prio', '2', 'handle', '0x4d000000', 'protocol', 'all', 'matchall', 'skip_hw', 'action', 'drop');
    const steps: number[] = [];
    const per = Math.ceil(hoas / STEPS);
    for (let s = 0; s < STEPS; s++) {
      const tcLines: string[] = [];
      const encapLines: string[] = [];
      const groupLines: string[] = [];
      const routeLines: string[] = [];
      for (let h = s * per; h < Math.min(hoas, (s + 1) * per); h++) {
        const hoa = scaleHoa(h);
        const id = 1 + 3 * h;
        for (const b of [0, 1] as const) {
          encapLines.push(`nexthop add id ${id + b} encap ip6 dst ${scaleCoa(h, b)} src ${SCALE_HA} dev mip6t-0 proto 135`);
          tcLines.push(`filter add dev mip6t-0 ingress prio 1 handle ${1 + 2 * h + b} protocol ipv6 flower skip_hw enc_src_ip ${scaleCoa(h, b)} src_ip ${hoa} action pass`);
        }
        groupLines.push(`nexthop add id ${id + 2} group ${id}/${id + 1} type resilient buckets 16 idle_timer 1 unbalanced_timer 30 proto 135`);
        routeLines.push(`route add ${hoa}/128 nhid ${id + 2} proto 135`);
        routeLines.push(`neigh add proxy ${hoa} dev ${IFACE} protocol 135`);
      }
      // The reconciler's order: pair filters first, then next hops, groups, routes, proxies.
      const parts = [await batch(ns, 'tc', tcLines), await batch(ns, 'ip -6', encapLines), await batch(ns, 'ip', groupLines), await batch(ns, 'ip -6', routeLines)];
      steps.push(parts.reduce((a, b) => a + b, 0));
      console.error(`scale: N=${n} batch step ${s + 1}/${STEPS}: ${steps[s]!.toFixed(0)} ms (tc filters, encap nexthops, groups, routes + proxies: ${parts.map((p) => p.toFixed(0)).join(', ')})`);
    }
    await checkCounts(ns, hoas);
    return steps;
  } finally {
    await ns.delete();
  }
}

export async function install(n: number): Promise<InstallResult> {
  const batchSteps = await baseline(n);
  return { ...(await mcoa(n)), batchSteps };
}

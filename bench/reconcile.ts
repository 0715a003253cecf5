// bench:reconcile — runs inside one user-mode Linux boot (npm run bench:reconcile):
// reconcile N bindings (tunnel + nexthop + route + proxy entry each) from empty, then
// delete them all, against `ip -batch` doing the same kernel operations in the same boot.
import { ip6 } from '../test/ip6.js';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { emptyDesired, tunnelKey, type DesiredState } from '../lib/plan/ha/desired.js';
import { NetlinkSocket } from '../lib/platform/netlink/socket.js';
import { HomeAgentKernel } from '../lib/daemon/ha/kernel.js';
import { createNetns, type Netns } from '../test/kernel/netns.js';

// A full collection before each heap reading, without needing node's --expose-gc flag.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const HA = ip6('2001:db8:aa::1');
const IFACE = 'home0';
const hoaOf = (i: number) => ip6(`2001:db8:aa:1::${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}`);
const coaOf = (i: number) => ip6(`2001:db8:${(0x100 + (i >> 16)).toString(16)}::${(i & 0xffff).toString(16)}`);

function desired(n: number): DesiredState {
  const d = emptyDesired();
  for (let i = 1; i <= n; i++) {
    const hoa = hoaOf(i);
    const key = tunnelKey(HA, coaOf(i));
    d.tunnels.set(key, { key, local: HA, remote: coaOf(i), owners: [hoa] });
    d.routes.set(`${hoa}/128`, { key: `${hoa}/128`, dst: hoa, dstLen: 128, nexthops: [{ kind: 'tunnel', tunnelKey: key, weight: 1 }], owners: [hoa] });
    d.proxies.set(`${IFACE}|${hoa}`, { key: `${IFACE}|${hoa}`, address: hoa, interface: IFACE, owners: [hoa] });
  }
  return d;
}

async function homeNetns(): Promise<Netns> {
  const ns = await createNetns('bench');
  await ns.ip('link', 'add', IFACE, 'type', 'veth', 'peer', 'name', 'home0p');
  await ns.ip('link', 'set', IFACE, 'up');
  await ns.ip('-6', 'addr', 'add', `${HA}/64`, 'dev', IFACE, 'nodad');
  return ns;
}

function ipBatch(ns: Netns, lines: string[]): number {
  const file = `/tmp/bench-${ns.name}.batch`;
  writeFileSync(file, lines.join('\n') + '\n');
  const t0 = process.hrtime.bigint();
  const r = spawnSync('ip', ['-n', ns.name, '-6', '-batch', file], { encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`ip -batch failed: ${r.stderr}`);
  return ms;
}

/** The same kernel operations as the reconciler: link add (up), nexthop, route, proxy; and back. */
async function baseline(n: number): Promise<{ create: number; remove: number }> {
  const ns = await homeNetns();
  try {
    const add: string[] = [];
    const del: string[] = [];
    for (let i = 1; i <= n; i++) {
      const name = `mip6t${i.toString(36)}`;
      const id = 0x4d430000 + i;
      add.push(`link add ${name} up type ip6tnl local ${HA} remote ${coaOf(i)} mode ip6ip6 encaplimit none`);
      add.push(`nexthop add id ${id} dev ${name} proto 135`);
      add.push(`route add ${hoaOf(i)}/128 nhid ${id} proto 135`);
      add.push(`neigh add proxy ${hoaOf(i)} dev ${IFACE} protocol 135`);
      del.push(`route del ${hoaOf(i)}/128 proto 135`);
      del.push(`nexthop del id ${id}`);
      del.push(`link del ${name}`);
      del.push(`neigh del proxy ${hoaOf(i)} dev ${IFACE}`);
    }
    return { create: ipBatch(ns, add), remove: ipBatch(ns, del) };
  } finally {
    await ns.delete();
  }
}

async function mcoa(n: number): Promise<{ create: number; remove: number; bytesPerBinding: number }> {
  const ns = await homeNetns();
  const sock = NetlinkSocket.open({ protocol: 0, netns: ns.name });
  try {
    const want = desired(n);
    gc();
    const heap0 = process.memoryUsage().heapUsed;
    const k = new HomeAgentKernel(sock);
    let t0 = process.hrtime.bigint();
    k.setDesired(want);
    const rep = await k.pass();
    const create = Number(process.hrtime.bigint() - t0) / 1e6;
    if (rep.failed) throw new Error(`reconcile failed: ${rep.errors.slice(0, 3).map((e) => String(e.error)).join('; ')}`);
    gc();
    const bytesPerBinding = Math.round((process.memoryUsage().heapUsed - heap0) / n);
    t0 = process.hrtime.bigint();
    k.setDesired(emptyDesired());
    const rep2 = await k.pass();
    const remove = Number(process.hrtime.bigint() - t0) / 1e6;
    if (rep2.failed) throw new Error(`delete failed: ${rep2.errors.slice(0, 3).map((e) => String(e.error)).join('; ')}`);
    const left = await ns.ip('-6', 'route', 'show', 'proto', '135');
    if (left.trim()) throw new Error('routes left after delete');
    return { create, remove, bytesPerBinding };
  } finally {
    sock.close();
    await ns.delete();
  }
}

const sizes = (process.argv[2] ?? '1000,10000').split(',').map(Number);
const result: string[] = [];
console.log('| N | ip -batch create ms | mcoa create ms | ip -batch delete ms | mcoa delete ms | ratio (total) | heap B/binding |');
console.log('|---:|---:|---:|---:|---:|---:|---:|');
let bytes = 0;
for (const n of sizes) {
  const b = await baseline(n);
  console.error(`N=${n}: ip -batch create ${b.create.toFixed(0)} ms, delete ${b.remove.toFixed(0)} ms`);
  const m = await mcoa(n);
  console.error(`N=${n}: mcoa create ${m.create.toFixed(0)} ms, delete ${m.remove.toFixed(0)} ms`);
  const ratio = (m.create + m.remove) / (b.create + b.remove);
  bytes = m.bytesPerBinding;
  console.log(`| ${n} | ${b.create.toFixed(0)} | ${m.create.toFixed(0)} | ${b.remove.toFixed(0)} | ${m.remove.toFixed(0)} | ${ratio.toFixed(2)} | ${m.bytesPerBinding} |`);
  result.push(`ratio_${n}=${ratio.toFixed(3)}`, `ip_batch_ms_${n}=${(b.create + b.remove).toFixed(0)}`, `mcoa_ms_${n}=${(m.create + m.remove).toFixed(0)}`);
}
console.log(`RESULT ${result.join(' ')} bytes_per_binding=${bytes}`);

// KernelSync finds the object a delete notification names through its indexes: no scan of
// the observed tunnels or proxy entries per notification, and none per pass (issue 13: a
// flush of N bindings was O(N²)). Proven by counting how often the observed maps are
// iterated and read, against a kernel double holding N objects of each kind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { KernelSync } from '../../../lib/daemon/ha/kernel-sync.js';
import { Reconciler, type ObjectDriver } from '../../../lib/reconcile/engine.js';
import type { HomeAgentKernel } from '../../../lib/daemon/ha/kernel.js';
import type { NetlinkSocket } from '../../../lib/platform/netlink/socket.js';
import { parseMessages } from '../../../lib/platform/netlink/parse.js';
import { encodeLinkDel } from '../../../lib/platform/rtnl/link.js';
import { encodeProxyDel } from '../../../lib/platform/rtnl/neigh.js';
import type { ProxySeen } from '../../../lib/reconcile/drivers/proxy.js';
import type { TunnelSeen } from '../../../lib/reconcile/drivers/tunnel.js';
import { DEFAULT_MARKS } from '../../../lib/reconcile/marks.js';
import { ip6 } from '../../ip6.js';
import type { Ip6 } from '../../../lib/inet/ip6.js';

/** A Map that counts iterations over it (each visited entry) and single-key reads. */
class CountingMap<K, V> extends Map<K, V> {
  visited = 0;
  reads = 0;
  override get(k: K): V | undefined {
    this.reads++;
    return super.get(k);
  }
  override *entries(): MapIterator<[K, V]> {
    for (const e of super.entries()) {
      this.visited++;
      yield e;
    }
  }
  override *keys(): MapIterator<K> {
    for (const [k] of this.entries()) yield k;
  }
  override *values(): MapIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }
  override [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }
}

/** The kernel double: `list()` hands the engine a counting map of what the kernel holds. */
class KernelTable<O> implements ObjectDriver<O, O> {
  objects = new Map<string, O>();
  view: CountingMap<string, O> | undefined;
  removed: string[] = [];
  constructor(readonly kind: string) {}
  async list(): Promise<Map<string, O>> {
    this.view = new CountingMap(this.objects);
    return this.view;
  }
  same(d: O, o: O): boolean {
    return JSON.stringify(d) === JSON.stringify(o);
  }
  async create(key: string, d: O): Promise<O> {
    this.objects.set(key, d);
    return d;
  }
  async update(key: string, d: O): Promise<O> {
    return this.create(key, d);
  }
  async remove(key: string): Promise<void> {
    this.removed.push(key);
    this.objects.delete(key);
  }
}

const N = 5_000;
const HOME_IFINDEX = 2;
const hoa = (i: number): Ip6 => ip6(`2001:db8:1::${(i + 1).toString(16)}`);
const coa = (i: number): Ip6 => ip6(`2001:db8:2::${(i + 1).toString(16)}`);

async function setup() {
  const tunnels = new KernelTable<TunnelSeen>('tunnel');
  const proxies = new KernelTable<ProxySeen>('proxy');
  for (let i = 0; i < N; i++) {
    tunnels.objects.set(`2001:db8::1|${coa(i)}`, { name: `mip6t${i.toString(36)}`, ifindex: 100 + i, local: ip6('2001:db8::1'), remote: coa(i), flags: 9, proto: 41, up: true, link: 0 });
    proxies.objects.set(`home0|${hoa(i)}`, { dst: hoa(i), ifindex: HOME_IFINDEX });
  }
  const r = new Reconciler([tunnels, proxies]);
  // Everything the kernel holds is wanted (adopted after a restart).
  r.setDesired('tunnel', new Map(tunnels.objects));
  r.setDesired('proxy', new Map(proxies.objects));
  const sync = new KernelSync({ reconciler: r, marks: DEFAULT_MARKS } as unknown as HomeAgentKernel, pino({ level: 'silent' }), 3_600_000);
  const announced: string[] = [];
  sync.onProxyAdded = (_iface, addr) => announced.push(addr);
  const monitor = new EventEmitter();
  sync.start(monitor as unknown as NetlinkSocket);
  await sync.passNow(); // the start's resync: lists both kinds, adopts all
  return { r, sync, monitor, tunnels, proxies, announced };
}

const delLink = (name: string) => parseMessages(encodeLinkDel({ name }))[0]!;
const delProxy = (dst: Ip6) => parseMessages(encodeProxyDel({ dst, ifindex: HOME_IFINDEX }))[0]!;

test('kernel sync: delete notifications find their object without scanning the observed objects', async () => {
  const { sync, monitor, tunnels, proxies } = await setup();
  assert.deepEqual(sync.indexSizes, { tunnels: N, proxies: N });
  const t = tunnels.view!;
  const p = proxies.view!;
  t.visited = p.visited = t.reads = p.reads = 0;
  // A flush seen from the monitor: every object's delete notification, plus some unknown ones.
  for (let i = 0; i < N; i++) {
    monitor.emit('notification', delLink(`mip6t${i.toString(36)}`));
    monitor.emit('notification', delProxy(hoa(i)));
  }
  monitor.emit('notification', delLink('eth7'));
  monitor.emit('notification', delProxy(ip6('2001:db8:ff::1')));
  assert.equal(t.visited + p.visited, 0, 'no notification iterates the observed tunnels or proxy entries');
  assert.equal(t.reads + p.reads, 0, 'the index answers alone');
  await sync.stop();
});

test('kernel sync: a deleted wanted object is found through the index and repaired; an unwanted one is not', async () => {
  const { r, sync, monitor, tunnels, proxies } = await setup();
  // Stop wanting tunnel 0; a notification for it must not trigger a repair.
  r.put('tunnel', `2001:db8::1|${coa(0)}`, undefined);
  await sync.passNow();
  assert.deepEqual(tunnels.removed, [`2001:db8::1|${coa(0)}`]);
  assert.equal(sync.indexSizes.tunnels, N - 1, 'the index follows the engine’s removal');
  let lists = 0;
  const list = proxies.list.bind(proxies);
  proxies.list = () => {
    lists++;
    return list();
  };
  monitor.emit('notification', delLink('mip6t0'));
  await new Promise((res) => setTimeout(res, 120));
  assert.equal(lists, 0, 'a notification for an object we no longer want starts no resync');
  // Someone deletes proxy entry 7 behind our back: found through the index, resynced, re-created.
  proxies.objects.delete(`home0|${hoa(7)}`);
  monitor.emit('notification', delProxy(hoa(7)));
  const deadline = Date.now() + 30_000;
  while (!proxies.objects.has(`home0|${hoa(7)}`) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
  assert.ok(proxies.objects.has(`home0|${hoa(7)}`), 'the deleted entry is back');
  assert.ok(lists >= 1, 'through a resync');
  await sync.stop();
});

test('kernel sync: only the proxy entries that appear in a pass are announced, found without a scan', async () => {
  const { r, sync, proxies, announced } = await setup();
  assert.equal(announced.length, N, 'the adopted entries are announced once, at the first pass');
  announced.length = 0;
  proxies.view!.visited = 0;
  r.put('proxy', 'home0|2001:db8:3::1', { dst: '2001:db8:3::1', ifindex: HOME_IFINDEX });
  r.put('proxy', `home0|${hoa(3)}`, undefined);
  await sync.passNow();
  assert.deepEqual(announced, ['2001:db8:3::1']);
  assert.equal(proxies.view!.visited, 0, 'the pass hooks iterate nothing of the observed entries');
  await sync.passNow();
  assert.deepEqual(announced, ['2001:db8:3::1'], 'not announced again');
  await sync.stop();
});

// The home agent reconciler against a real kernel (user-mode Linux): create, adopt,
// update, repair, restart and delete for tunnels, nexthops, groups, routes and proxy
// entries, each read back with `ip` as an independent check.
import { ip6Entries, type Ip6 } from '../../lib/inet/ip6.js';
import { ip6 } from '../ip6.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NetlinkSocket } from '../../lib/platform/netlink/socket.js';
import { HomeAgentKernel } from '../../lib/daemon/ha/kernel.js';
import { emptyDesired, tunnelKey, type DesiredState } from '../../lib/plan/ha/desired.js';
import { withNetns, type Netns } from './netns.js';

const HA = ip6('2001:db8:aa::1');
const IFACE = 'home0';

/** Desired state for home addresses mapped to their care-of addresses. */
function desired(map: Record<Ip6, Ip6[]>): DesiredState {
  const d = emptyDesired();
  for (const [hoa, coas] of ip6Entries(map)) {
    for (const coa of coas) {
      const key = tunnelKey(HA, coa);
      const t = d.tunnels.get(key) ?? { key, local: HA, remote: coa, owners: [] as Ip6[] };
      t.owners.push(hoa);
      d.tunnels.set(key, t);
    }
    d.routes.set(`${hoa}/128`, {
      key: `${hoa}/128`,
      dst: hoa,
      dstLen: 128,
      nexthops: coas.map((coa) => ({ kind: 'tunnel' as const, tunnelKey: tunnelKey(HA, coa), weight: 1 })),
      owners: [hoa],
    });
    d.proxies.set(`${IFACE}|${hoa}`, { key: `${IFACE}|${hoa}`, address: hoa, interface: IFACE, owners: [hoa] });
  }
  return d;
}

async function homeLink(ns: Netns): Promise<void> {
  await ns.ip('link', 'add', IFACE, 'type', 'veth', 'peer', 'name', 'home0p');
  await ns.ip('link', 'set', IFACE, 'up');
  await ns.ip('link', 'set', 'home0p', 'up');
  await ns.ip('-6', 'addr', 'add', `${HA}/64`, 'dev', IFACE, 'nodad');
}

interface Readback {
  tunnels: string[];
  routes: string[];
  nexthops: string[];
  proxies: string[];
}

async function readback(ns: Netns): Promise<Readback> {
  const links = JSON.parse(await ns.ip('-d', '-j', 'link', 'show', 'type', 'ip6tnl')) as { ifname: string; linkinfo?: { info_data?: { local?: Ip6; remote?: Ip6 } } }[];
  const tunnels = links
    .filter((l) => l.ifname.startsWith('mip6t'))
    .map((l) => `${l.linkinfo?.info_data?.local}>${l.linkinfo?.info_data?.remote}`)
    .sort();
  // A route over a group prints its members on indented continuation lines.
  const routes = (await ns.ip('-6', 'route', 'show', 'proto', '135')).split('\n').filter((l) => l && !/^\s/.test(l)).sort();
  const nexthops = (await ns.ip('nexthop', 'show', 'proto', '135')).trim().split('\n').filter(Boolean).sort();
  const proxies = (await ns.ip('-6', 'neigh', 'show', 'proxy')).trim().split('\n').filter(Boolean).sort();
  return { tunnels, routes, nexthops, proxies };
}

async function withHomeAgent(fn: (ns: Netns, open: () => { k: HomeAgentKernel; sock: NetlinkSocket }) => Promise<void>): Promise<void> {
  await withNetns(async (ns) => {
    await homeLink(ns);
    const socks: NetlinkSocket[] = [];
    try {
      await fn(ns, () => {
        const sock = NetlinkSocket.open({ protocol: 0, netns: ns.name });
        socks.push(sock);
        return { k: new HomeAgentKernel(sock), sock };
      });
    } finally {
      for (const s of socks) s.close();
    }
  });
}

const H1 = ip6('2001:db8:aa::100');
const H2 = ip6('2001:db8:aa::200');
const C1 = ip6('2001:db8:1::10');
const C2 = ip6('2001:db8:2::10');
const C3 = ip6('2001:db8:3::10');

test('create from empty: tunnels, nexthops, a group, routes and proxy entries, read back with ip', async () => {
  await withHomeAgent(async (ns, open) => {
    const { k } = open();
    k.setDesired(desired({ [H1]: [C1, C2, C3], [H2]: [C1] }));
    const rep = await k.pass();
    assert.equal(rep.failed, 0, JSON.stringify(rep.errors.map((e) => String(e.error))));
    const rb = await readback(ns);
    assert.deepEqual(rb.tunnels, [`${HA}>${C1}`, `${HA}>${C2}`, `${HA}>${C3}`]);
    assert.equal(rb.nexthops.filter((l) => l.includes('group')).length, 1);
    assert.equal(rb.nexthops.filter((l) => l.includes('dev mip6t')).length, 3);
    assert.equal(rb.routes.length, 2);
    assert.ok(rb.routes.some((r) => r.startsWith(`${H1} nhid`)));
    assert.ok(rb.routes.some((r) => r.startsWith(`${H2} nhid`)));
    assert.deepEqual(
      rb.proxies.map((p) => p.split(' ')[0]),
      [H1, H2],
    );
    const tun = (await ns.ip('-d', 'link', 'show', k.tunnelOf(tunnelKey(HA, C1))!.name)).toString();
    assert.match(tun, /ip6ip6/);
    assert.match(tun, /state UP|,UP/);
  });
});

test('idempotent and restart-safe: a second pass and a second reconciler change nothing', async () => {
  await withHomeAgent(async (ns, open) => {
    const want = desired({ [H1]: [C1, C2], [H2]: [C3] });
    const first = open().k;
    first.setDesired(want);
    assert.equal((await first.pass()).failed, 0);
    const before = await readback(ns);
    first.reconciler.requestResync();
    const again = await first.pass();
    assert.deepEqual([again.created, again.updated, again.removed, again.failed], [0, 0, 0, 0]);
    const second = open().k; // a restarted daemon adopts what is there
    second.setDesired(want);
    const rep = await second.pass();
    assert.deepEqual([rep.created, rep.updated, rep.removed, rep.failed], [0, 0, 0, 0]);
    assert.deepEqual(await readback(ns), before);
  });
});

test('update: a care-of address leaves the group; its tunnel goes with its last owner', async () => {
  await withHomeAgent(async (ns, open) => {
    const { k } = open();
    k.setDesired(desired({ [H1]: [C1, C2, C3], [H2]: [C1] }));
    await k.pass();
    k.setDesired(desired({ [H1]: [C1, C2], [H2]: [C1] }));
    const rep = await k.pass();
    assert.equal(rep.failed, 0, JSON.stringify(rep.errors.map((e) => String(e.error))));
    const rb = await readback(ns);
    assert.deepEqual(rb.tunnels, [`${HA}>${C1}`, `${HA}>${C2}`]);
    assert.equal(rb.nexthops.length, 3); // two tunnel next hops and one group
    // H1 down to one tunnel: the route points at the nexthop itself and the group goes.
    k.setDesired(desired({ [H1]: [C2], [H2]: [C1] }));
    assert.equal((await k.pass()).failed, 0);
    const rb2 = await readback(ns);
    assert.equal(rb2.nexthops.filter((l) => l.includes('group')).length, 0);
    // C1 is still used by H2, so its tunnel stays (reference counted by owners).
    assert.deepEqual(rb2.tunnels, [`${HA}>${C1}`, `${HA}>${C2}`]);
  });
});

test('repair: objects deleted or changed by hand come back at resync; hand-made objects stay', async () => {
  await withHomeAgent(async (ns, open) => {
    const { k } = open();
    k.setDesired(desired({ [H1]: [C1, C2] }));
    await k.pass();
    const good = await readback(ns);
    // Administrator's own objects, which must never be touched.
    await ns.ip('link', 'add', 'admin6', 'type', 'ip6tnl', 'local', HA, 'remote', '2001:db8:99::1', 'mode', 'ip6ip6');
    await ns.ip('-6', 'route', 'add', '2001:db8:77::/64', 'dev', IFACE);
    await ns.ip('-6', 'neigh', 'add', 'proxy', '2001:db8:aa::999', 'dev', IFACE);
    // Damage ours.
    await ns.ip('link', 'del', k.tunnelOf(tunnelKey(HA, C2))!.name);
    await ns.ip('-6', 'neigh', 'del', 'proxy', H1, 'dev', IFACE);
    k.reconciler.requestResync();
    const rep = await k.pass();
    assert.equal(rep.failed, 0, JSON.stringify(rep.errors.map((e) => String(e.error))));
    const fixed = await readback(ns);
    assert.deepEqual(fixed.tunnels, good.tunnels);
    assert.equal(fixed.routes.length, good.routes.length);
    assert.ok(fixed.proxies.some((p) => p.startsWith(H1)));
    // Delete everything of ours: the hand-made objects survive.
    k.setDesired(emptyDesired());
    assert.equal((await k.pass()).failed, 0);
    const left = await readback(ns);
    assert.deepEqual([left.tunnels, left.routes, left.nexthops], [[], [], []]);
    assert.deepEqual(
      left.proxies.map((p) => p.split(' ')[0]),
      ['2001:db8:aa::999'],
    );
    assert.match(await ns.ip('link', 'show', 'admin6'), /admin6/);
    assert.match(await ns.ip('-6', 'route', 'show', '2001:db8:77::/64'), /2001:db8:77::\/64/);
  });
});

test('many bindings: 300 home addresses over 300 tunnels converge and delete in a few passes', async () => {
  await withHomeAgent(async (ns, open) => {
    const { k } = open();
    const map: Record<Ip6, Ip6[]> = {};
    for (let i = 1; i <= 300; i++) map[ip6(`2001:db8:aa::${(0x1000 + i).toString(16)}`)] = [ip6(`2001:db8:${(0x100 + (i % 3)).toString(16)}::${i.toString(16)}`)];
    k.setDesired(desired(map));
    const rep = await k.pass();
    assert.equal(rep.failed, 0, JSON.stringify(rep.errors.slice(0, 3).map((e) => String(e.error))));
    assert.equal(rep.created, 300 * 4);
    const rb = await readback(ns);
    assert.equal(rb.tunnels.length, 300);
    assert.equal(rb.routes.length, 300);
    k.setDesired(emptyDesired());
    const del = await k.pass();
    assert.equal(del.failed, 0);
    const left = await readback(ns);
    assert.deepEqual([left.tunnels.length, left.routes.length, left.proxies.length], [0, 0, 0]);
  });
});

test('XFRM: states and policies in our bands are created, a new key under the same SPI is rewritten, hand-made ones stay', async () => {
  await withNetns(async (ns) => {
    const rt = NetlinkSocket.open({ protocol: 0, netns: ns.name });
    const xf = NetlinkSocket.open({ protocol: 6, netns: ns.name });
    try {
      const k = new HomeAgentKernel(rt, {}, xf);
      const key = (b: number) => Uint8Array.from({ length: 20 }, (_, i) => (i + b) & 0xff);
      const state = (b: number) => ({
        src: H1, dst: HA, proto: 50, spi: 0x1001, mode: 0, reqid: k.xfrmBands.reqidBase + 1,
        selector: { src: H1, srcLen: 128, dst: HA, dstLen: 128, proto: 135 },
        aead: { name: 'rfc4106(gcm(aes))', key: key(b), icvBits: 128 },
      });
      const policy = {
        selector: { src: H1, srcLen: 128, dst: HA, dstLen: 128, proto: 135, mhType: 5 },
        dir: 'in' as const, priority: k.xfrmBands.priorityBase + 0x10,
        templates: [{ proto: 50, mode: 0, reqid: k.xfrmBands.reqidBase + 1 }],
      };
      await ns.ip('xfrm', 'state', 'add', 'src', H2, 'dst', HA, 'proto', 'esp', 'spi', '0x2002', 'mode', 'transport', 'aead', 'rfc4106(gcm(aes))', '0x' + '11'.repeat(20), '128');
      k.setXfrm([state(1)], [policy]);
      let rep = await k.pass();
      assert.equal(rep.failed, 0, JSON.stringify(rep.errors.map((e) => String(e.error))));
      const hex = (b: number) => Buffer.from(key(b)).toString('hex');
      assert.match(await ns.ip('xfrm', 'state'), new RegExp(hex(1)));
      assert.match(await ns.ip('xfrm', 'policy'), /dir in priority 5063440/);
      k.setXfrm([state(7)], [policy]);
      rep = await k.pass();
      assert.equal(rep.failed, 0, JSON.stringify(rep.errors.map((e) => String(e.error))));
      const after = await ns.ip('xfrm', 'state');
      assert.match(after, new RegExp(hex(7)));
      assert.doesNotMatch(after, new RegExp(hex(1)));
      k.setXfrm([], []);
      await k.pass();
      const left = await ns.ip('xfrm', 'state');
      assert.doesNotMatch(left, /spi 0x00001001/);
      assert.match(left, /spi 0x00002002/); // the hand-made state is not ours
      assert.equal((await ns.ip('xfrm', 'policy')).trim(), '');
    } finally {
      rt.close();
      xf.close();
    }
  });
});

// ip6tnl links (create, change, dump, up/down, counters, delete) and IPv6 addresses
// with the home-address flag, read back with `ip -d link show` and `ip -6 addr show`.
import { ip6 } from '../ip6.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KernelError, settle } from '../../lib/platform/kernel-errors.js';
import { NETLINK_ROUTE } from '../../lib/platform/netlink/netlink-constants.js';
import { NetlinkSocket } from '../../lib/platform/netlink/socket.js';
import { addrAdd, addrDelete, addrDump } from '../../lib/platform/rtnl/addr.js';
import { IFA_F_HOMEADDRESS, IFA_F_NODAD, IP6_TNL_F_IGN_ENCAP_LIMIT, IP6_TNL_F_MIP6_DEV } from '../../lib/platform/rtnl/rtnl-constants.js';
import { ip6tnlChange, ip6tnlCreate } from '../../lib/platform/rtnl/ip6tnl.js';
import { linkDelete, linkDump, linkGet, linkSetUp } from '../../lib/platform/rtnl/link.js';
import { withNetns } from './netns.js';

test('ip6tnl: create with MIP6_DEV, read back, change, up/down, counters, delete', async () => {
  await withNetns(async (ns) => {
    await ns.ip('link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
    const sock = NetlinkSocket.open({ protocol: NETLINK_ROUTE, netns: ns.name });
    try {
      const v0 = (await linkGet(sock, { name: 'v0' }))!.ifindex;
      const flags = IP6_TNL_F_MIP6_DEV | IP6_TNL_F_IGN_ENCAP_LIMIT;
      await ip6tnlCreate(sock, { name: 'mip6-1', local: ip6('2001:db8::1'), remote: ip6('2001:db8:c::1'), link: v0, hopLimit: 64, encapLimit: 0, flags });
      const dup = await settle(ip6tnlCreate(sock, { name: 'mip6-1', local: ip6('2001:db8::1'), remote: ip6('2001:db8:c::9') }), 'create');
      assert.equal(dup.outcome, 'exists');
      assert.equal((dup.error as KernelError).op, 'RTM_NEWLINK ip6tnl mip6-1');

      const shown = await ns.ip('-d', 'link', 'show', 'mip6-1');
      assert.match(shown, /ip6tnl ip6ip6 remote 2001:db8:c::1 local 2001:db8::1 dev v0 hoplimit 64 encaplimit none .* mip6 /);
      const l = (await linkGet(sock, { name: 'mip6-1' }))!;
      assert.equal(l.kind, 'ip6tnl');
      assert.equal(l.up, false);
      const { capabilities, ...params } = l.ip6tnl!;
      assert.deepEqual(params, { local: ip6('2001:db8::1'), remote: ip6('2001:db8:c::1'), link: v0, hopLimit: 64, encapLimit: 0, flags, proto: 41, flowinfo: 0 });
      assert.equal((capabilities ?? 0) & 0xffff, 0, 'capability bits are kept apart from the flags');
      assert.equal(l.stats?.txPackets, 0);

      await ip6tnlChange(sock, l.ifindex, { name: 'mip6-1', local: ip6('2001:db8::1'), remote: ip6('2001:db8:d::1'), link: v0, hopLimit: 32, encapLimit: 0, flags });
      await linkSetUp(sock, { ifindex: l.ifindex }, true);
      const changed = (await linkGet(sock, { ifindex: l.ifindex }))!;
      assert.equal(changed.ip6tnl?.remote, '2001:db8:d::1');
      assert.equal(changed.ip6tnl?.hopLimit, 32);
      assert.equal(changed.up, true);
      assert.match(await ns.ip('link', 'show', 'mip6-1'), /<[^>]*\bUP\b/);

      await ip6tnlCreate(sock, { name: 'mip6-2', local: ip6('2001:db8::1'), remote: ip6('2001:db8:c::2'), up: true });
      const tunnels = await linkDump(sock, { kind: 'ip6tnl' });
      assert.deepEqual(tunnels.map((t) => t.name).sort(), ['ip6tnl0', 'mip6-1', 'mip6-2'].filter((n) => tunnels.some((t) => t.name === n)).sort());
      assert.ok(tunnels.some((t) => t.name === 'mip6-2' && t.up && t.ip6tnl?.remote === '2001:db8:c::2'));
      assert.ok(tunnels.every((t) => t.kind === 'ip6tnl'));

      await linkSetUp(sock, { name: 'mip6-1' }, false);
      assert.equal((await linkGet(sock, { name: 'mip6-1' }))!.up, false);
      await linkDelete(sock, { name: 'mip6-1' });
      await linkDelete(sock, { ifindex: tunnels.find((t) => t.name === 'mip6-2')!.ifindex });
      const gone = await settle(linkDelete(sock, { name: 'mip6-1' }), 'delete');
      assert.equal(gone.outcome, 'gone');
      assert.equal((gone.error as KernelError).code, 'ENODEV');
      assert.equal(await linkGet(sock, { name: 'mip6-1' }), undefined);
    } finally {
      sock.close();
    }
  });
});

test('ip6tnl: 300 tunnels created and deleted in flight', async () => {
  await withNetns(async (ns) => {
    const sock = NetlinkSocket.open({ protocol: NETLINK_ROUTE, netns: ns.name });
    try {
      const names = Array.from({ length: 300 }, (_, i) => `mip6-${i}`);
      await Promise.all(names.map((name, i) => ip6tnlCreate(sock, { name, local: ip6('2001:db8::1'), remote: ip6(`2001:db8:c::${(i + 1).toString(16)}`), flags: IP6_TNL_F_MIP6_DEV, up: true })));
      const mine = (await linkDump(sock, { kind: 'ip6tnl' })).filter((l) => l.name.startsWith('mip6-'));
      assert.equal(mine.length, 300);
      const odd = mine.filter((l) => !l.up || l.ip6tnl?.flags !== IP6_TNL_F_MIP6_DEV).map((l) => l.name);
      assert.deepEqual(odd, []);
      await Promise.all(names.map((name) => linkDelete(sock, { name })));
      assert.equal((await linkDump(sock, { kind: 'ip6tnl' })).filter((l) => l.name.startsWith('mip6-')).length, 0);
    } finally {
      sock.close();
    }
  });
});

test('addresses: a home address on lo (IFA_F_HOMEADDRESS), dump, delete', async () => {
  await withNetns(async (ns) => {
    const sock = NetlinkSocket.open({ protocol: NETLINK_ROUTE, netns: ns.name });
    try {
      const lo = (await linkGet(sock, { name: 'lo' }))!.ifindex;
      const hoa = { ifindex: lo, address: ip6('2001:db8:1::77'), prefixLen: 128, flags: IFA_F_HOMEADDRESS | IFA_F_NODAD };
      await addrAdd(sock, hoa);
      assert.equal((await settle(addrAdd(sock, hoa), 'create')).outcome, 'exists');
      await addrAdd(sock, hoa, { replace: true });
      assert.match(await ns.ip('-6', 'addr', 'show', 'dev', 'lo'), /inet6 2001:db8:1::77\/128 scope global (nodad home|home nodad)/);
      const found = (await addrDump(sock, { ifindex: lo })).find((a) => a.address === '2001:db8:1::77');
      assert.ok(found);
      assert.equal(found.prefixLen, 128);
      assert.equal(found.flags! & (IFA_F_HOMEADDRESS | IFA_F_NODAD), IFA_F_HOMEADDRESS | IFA_F_NODAD);
      await addrDelete(sock, hoa);
      assert.doesNotMatch(await ns.ip('-6', 'addr', 'show', 'dev', 'lo'), /2001:db8:1::77/);
      assert.equal((await settle(addrDelete(sock, hoa), 'delete')).outcome, 'fail', 'IPv6 says EADDRNOTAVAIL, not ENOENT');
    } finally {
      sock.close();
    }
  });
});

// Nexthop objects, groups and routes that use them (RTA_NH_ID), read back with `ip`.
import { ip6 } from '../ip6.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KernelError, settle } from '../../lib/platform/kernel-errors.js';
import { NETLINK_ROUTE } from '../../lib/platform/netlink/netlink-constants.js';
import { NetlinkSocket } from '../../lib/platform/netlink/socket.js';
import { linkGet } from '../../lib/platform/rtnl/link.js';
import { nexthopDelete, nexthopDump, nexthopReplace } from '../../lib/platform/rtnl/nexthop.js';
import { routeDump, routeReplace } from '../../lib/platform/rtnl/route.js';
import { withNetns } from './netns.js';

const PROTO = 16;

test('nexthop: two device next hops, a weighted group, a route via the group; changing the group moves the route', async () => {
  await withNetns(async (ns) => {
    for (const [a, b] of [['a0', 'a1'], ['b0', 'b1']] as const) {
      await ns.ip('link', 'add', a, 'type', 'veth', 'peer', 'name', b);
      await ns.ip('link', 'set', a, 'up');
      await ns.ip('link', 'set', b, 'up');
    }
    const sock = NetlinkSocket.open({ protocol: NETLINK_ROUTE, netns: ns.name });
    try {
      const a0 = (await linkGet(sock, { name: 'a0' }))!.ifindex;
      const b0 = (await linkGet(sock, { name: 'b0' }))!.ifindex;
      await nexthopReplace(sock, { id: 1, protocol: PROTO, oif: a0 });
      await nexthopReplace(sock, { id: 2, protocol: PROTO, oif: b0, gateway: ip6('fe80::2') });
      await nexthopReplace(sock, { id: 10, protocol: PROTO, group: [{ id: 1, weight: 1 }, { id: 2, weight: 3 }] });
      await routeReplace(sock, { dst: ip6('2001:db8::1'), dstLen: 128, table: 254, protocol: PROTO, metric: 1024, nhid: 10 });

      const shown = await ns.ip('nexthop', 'show');
      assert.match(shown, /^id 1 dev a0 scope link proto dhcp/m);
      assert.match(shown, /^id 2 via fe80::2 dev b0 scope link proto dhcp/m);
      assert.match(shown, /^id 10 group 1\/2,3 proto dhcp/m);
      assert.match(await ns.ip('-6', 'route', 'show', '2001:db8::1'), /^2001:db8::1 nhid 10 proto dhcp metric 1024/m);

      const nhs = (await nexthopDump(sock, { protocol: PROTO })).sort((x, y) => x.id - y.id);
      assert.deepEqual(nhs.map((n) => n.id), [1, 2, 10]);
      assert.equal(nhs[0]!.oif, a0);
      assert.equal(nhs[1]!.gateway, 'fe80::2');
      assert.deepEqual(nhs[2]!.group, [{ id: 1, weight: 1 }, { id: 2, weight: 3 }]);
      const [route] = await routeDump(sock, { table: 254, protocol: PROTO });
      assert.equal(route!.nhid, 10);

      // Replace the group with one member: the route follows without being touched.
      await nexthopReplace(sock, { id: 10, protocol: PROTO, group: [{ id: 2, weight: 1 }] });
      assert.match(await ns.ip('nexthop', 'show', 'id', '10'), /^id 10 group 2 proto dhcp/m);
      assert.match(await ns.ip('-6', 'route', 'show', '2001:db8::1'), /nhid 10/);

      await nexthopDelete(sock, 10);
      const gone = await settle(nexthopDelete(sock, 10), 'delete');
      assert.equal(gone.outcome, 'gone');
      assert.equal((gone.error as KernelError).code, 'ENOENT');
      assert.equal((await ns.ip('-6', 'route', 'show', '2001:db8::1')).trim(), '', 'routes using a deleted nexthop go with it');
      await nexthopDelete(sock, 1);
      await nexthopDelete(sock, 2);
      assert.deepEqual(await nexthopDump(sock, { protocol: PROTO }), []);
    } finally {
      sock.close();
    }
  });
});

// Proxy neighbour entries, read back with `ip -6 neigh show proxy`.
import { ip6 } from '../ip6.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KernelError, settle } from '../../lib/platform/kernel-errors.js';
import { NETLINK_ROUTE } from '../../lib/platform/netlink/netlink-constants.js';
import { NetlinkSocket } from '../../lib/platform/netlink/socket.js';
import { linkGet } from '../../lib/platform/rtnl/link.js';
import { proxyAdd, proxyDelete, proxyDump } from '../../lib/platform/rtnl/neigh.js';
import { withNetns } from './netns.js';

test('proxy neighbours: add (twice, harmlessly), dump, delete, ENOENT on a second delete', async () => {
  await withNetns(async (ns) => {
    await ns.ip('link', 'add', 'home0', 'type', 'veth', 'peer', 'name', 'home1');
    const sock = NetlinkSocket.open({ protocol: NETLINK_ROUTE, netns: ns.name });
    try {
      const ifindex = (await linkGet(sock, { name: 'home0' }))!.ifindex;
      const entries = Array.from({ length: 50 }, (_, i) => ({ dst: ip6(`2001:db8:1::${(i + 1).toString(16)}`), ifindex }));
      await Promise.all(entries.map((p) => proxyAdd(sock, p)));
      await proxyAdd(sock, entries[0]!);
      const shown = await ns.ip('-6', 'neigh', 'show', 'proxy');
      assert.equal(shown.trim().split('\n').length, 50);
      assert.match(shown, /^2001:db8:1::1 dev home0 proxy/m);
      const dumped = await proxyDump(sock, { ifindex });
      assert.deepEqual(
        dumped.map((p) => p.dst).sort(),
        entries.map((p) => p.dst).sort(),
      );
      assert.ok(dumped.every((p) => p.ifindex === ifindex));
      await Promise.all(entries.map((p) => proxyDelete(sock, p)));
      assert.equal((await ns.ip('-6', 'neigh', 'show', 'proxy')).trim(), '');
      const again = await settle(proxyDelete(sock, entries[0]!), 'delete');
      assert.equal(again.outcome, 'gone');
      assert.equal((again.error as KernelError).code, 'ENOENT');
    } finally {
      sock.close();
    }
  });
});

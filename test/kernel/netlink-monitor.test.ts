// Monitor sockets: multicast notifications decoded as they arrive, and a receive
// queue overrun (ENOBUFS) reported as 'resync' while the socket keeps working.
import { ip6 } from '../ip6.js';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { NETLINK_ROUTE } from '../../lib/platform/netlink/netlink-constants.js';
import type { NlMsg } from '../../lib/platform/netlink/parse.js';
import { NetlinkSocket } from '../../lib/platform/netlink/socket.js';
import { RTM_DELROUTE, RTM_NEWLINK, RTM_NEWROUTE, RTNLGRP_IPV6_ROUTE, RTNLGRP_LINK } from '../../lib/platform/rtnl/rtnl-constants.js';
import { decodeLink } from '../../lib/platform/rtnl/link.js';
import { decodeRoute, routeDelete, routeReplace } from '../../lib/platform/rtnl/route.js';
import { withNetns } from './netns.js';
import { KERNEL_TEST_TIMEOUT_MS, bounded } from './fixtures/index.js';

/** Resolves with the first notification `pick` accepts (decode inside: the message is a view). */
function nextNotification<T>(mon: NetlinkSocket, pick: (m: NlMsg) => T | undefined): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: NlMsg): void => {
      const v = pick(m);
      if (v === undefined) return;
      mon.off('notification', on);
      resolve(v);
    };
    mon.on('notification', on);
  });
}

test('monitor: route and link notifications arrive decoded; own requests on another socket', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  await withNetns(async (ns) => {
    const mon = NetlinkSocket.open({ protocol: NETLINK_ROUTE, netns: ns.name, groups: [RTNLGRP_IPV6_ROUTE, RTNLGRP_LINK] }).unref();
    const sock = NetlinkSocket.open({ protocol: NETLINK_ROUTE, netns: ns.name });
    try {
      const link = nextNotification(mon, (m) => (m.type === RTM_NEWLINK ? decodeLink(m) : undefined));
      await ns.ip('link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
      assert.ok(['v0', 'v1'].includes((await bounded('the link notification', link)).name));
      await ns.ip('link', 'set', 'v0', 'up');
      const ifindex = Number(/^(\d+):/.exec(await ns.ip('link', 'show', 'v0'))![1]);
      const r = { dst: ip6('2001:db8:5::'), dstLen: 64, table: 254, protocol: 16, metric: 7, oif: ifindex };
      const added = nextNotification(mon, (m) => (m.type === RTM_NEWROUTE ? decodeRoute(m) : undefined));
      await routeReplace(sock, r);
      const got = await bounded('the new route notification', added);
      assert.equal(got?.dst, '2001:db8:5::');
      assert.equal(got?.protocol, 16);
      const removed = nextNotification(mon, (m) => (m.type === RTM_DELROUTE ? decodeRoute(m) : undefined));
      await routeDelete(sock, r);
      assert.equal((await bounded('the deleted route notification', removed))?.metric, 7);
    } finally {
      sock.close();
      mon.close();
    }
  });
});

test('monitor: an overrun gives a resync event, never an exception, and monitoring goes on', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  await withNetns(async (ns) => {
    await ns.ip('link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
    await ns.ip('link', 'set', 'v0', 'up');
    const mon = NetlinkSocket.open({ protocol: NETLINK_ROUTE, netns: ns.name, groups: [RTNLGRP_IPV6_ROUTE], rcvbuf: 4096 });
    try {
      const resync = once(mon, 'resync');
      // A synchronous burst: the event loop cannot drain the monitor while `ip` runs.
      const batch = Array.from({ length: 1000 }, (_, i) => `route add 2001:db8:7::${(i + 1).toString(16)}/128 dev v0 proto 16`).join('\n');
      execFileSync('ip', ['-n', ns.name, '-6', '-batch', '-'], { input: `${batch}\n` });
      const [reason] = (await bounded('the resync event', resync)) as [string];
      assert.match(reason, /ENOBUFS/);
      assert.ok(mon.stats.lost >= 1);
      const later = nextNotification(mon, (m) => (m.type === RTM_NEWROUTE ? decodeRoute(m) : undefined)).then((r) => r?.dst);
      // Notifications still queued from the burst may come first; wait for ours.
      await ns.ip('-6', 'route', 'add', '2001:db8:8::1/128', 'dev', 'v0', 'proto', '17');
      let dst = await later;
      while (dst !== '2001:db8:8::1') dst = await nextNotification(mon, (m) => (m.type === RTM_NEWROUTE ? decodeRoute(m)?.dst : undefined));
    } finally {
      mon.close();
    }
  });
});

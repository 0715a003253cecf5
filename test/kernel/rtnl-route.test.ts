// IPv6 routes through NetlinkSocket against a real kernel, read back with `ip`.
import { ip6 } from '../ip6.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KernelError, classifyError, settle } from '../../lib/platform/kernel-errors.js';
import { NETLINK_ROUTE } from '../../lib/platform/netlink/netlink-constants.js';
import { NetlinkSocket } from '../../lib/platform/netlink/socket.js';
import { linkGet } from '../../lib/platform/rtnl/link.js';
import { routeAdd, routeDelete, routeDump, routeReplace, type Route6 } from '../../lib/platform/rtnl/route.js';
import { withNetns, type Netns } from './netns.js';

const PROTO = 16;
const TABLE = 100;

async function setup(ns: Netns): Promise<{ sock: NetlinkSocket; v0: number }> {
  await ns.ip('link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
  await ns.ip('link', 'set', 'v0', 'up');
  const sock = NetlinkSocket.open({ protocol: NETLINK_ROUTE, netns: ns.name });
  const v0 = (await linkGet(sock, { name: 'v0' }))!.ifindex;
  return { sock, v0 };
}

test('route: add, replace, dump filtered by protocol and table, delete; `ip` agrees', async () => {
  await withNetns(async (ns) => {
    const { sock, v0 } = await setup(ns);
    try {
      const r: Route6 = { dst: ip6('2001:db8:1::'), dstLen: 64, table: TABLE, protocol: PROTO, metric: 10, oif: v0 };
      await routeAdd(sock, r);
      await routeReplace(sock, { ...r, gateway: ip6('fe80::1') });
      await ns.ip('-6', 'route', 'add', '2001:db8:2::/64', 'dev', 'v0', 'table', String(TABLE), 'proto', 'static');
      const shown = await ns.ip('-6', 'route', 'show', 'table', String(TABLE), 'proto', String(PROTO));
      // `ip` leaves out the field it filters on (proto).
      assert.match(shown, /^2001:db8:1::\/64 via fe80::1 dev v0 metric 10/m);
      assert.doesNotMatch(shown, /2001:db8:2::/);
      const mine = await routeDump(sock, { table: TABLE, protocol: PROTO });
      assert.deepEqual(mine, [{ ...r, gateway: 'fe80::1', type: 1 }]);
      const all = await routeDump(sock, { table: TABLE });
      assert.equal(all.length, 2);
      assert.deepEqual(await routeDump(sock, { table: 4242 }), [], 'a table that does not exist holds no routes');
      await routeDelete(sock, r);
      assert.equal((await ns.ip('-6', 'route', 'show', 'table', String(TABLE), 'proto', String(PROTO))).trim(), '');
    } finally {
      sock.close();
    }
  });
});

test('route: EEXIST on add is "exists", ESRCH on delete is "gone", delete never touches another owner', async () => {
  await withNetns(async (ns) => {
    const { sock, v0 } = await setup(ns);
    try {
      const r: Route6 = { dst: ip6('2001:db8::7'), dstLen: 128, table: TABLE, protocol: PROTO, metric: 5, oif: v0 };
      await routeAdd(sock, r);
      const again = await settle(routeAdd(sock, r), 'create');
      assert.equal(again.outcome, 'exists');
      assert.equal((again.error as KernelError).code, 'EEXIST');
      // Same prefix, another owner: our delete must not remove it.
      await assert.rejects(routeDelete(sock, { ...r, protocol: PROTO + 1 }), (e: unknown) => classifyError(e, 'delete') === 'gone');
      await routeDelete(sock, r);
      const gone = await settle(routeDelete(sock, r), 'delete');
      assert.equal(gone.outcome, 'gone');
      assert.equal((gone.error as KernelError).code, 'ESRCH');
    } finally {
      sock.close();
    }
  });
});

test('route: an invalid request fails with the kernel\'s extended-ack text', async () => {
  await withNetns(async (ns) => {
    const { sock, v0 } = await setup(ns);
    try {
      await assert.rejects(routeAdd(sock, { dst: ip6('2001:db8::'), dstLen: 64, table: TABLE, protocol: PROTO, metric: 1, oif: v0, nhid: 999 }), (e: unknown) => {
        assert.ok(e instanceof KernelError);
        assert.equal(typeof e.extack, 'string');
        assert.ok(e.extack!.length > 0, 'kernel explains the refusal');
        assert.match(e.op, /^RTM_NEWROUTE 2001:db8::\/64 table 100/);
        return true;
      });
    } finally {
      sock.close();
    }
  });
});

test('route: 5,000 requests in flight resolve per request; the failing ones are exactly those that should fail', async () => {
  await withNetns(async (ns) => {
    const { sock, v0 } = await setup(ns);
    try {
      const N = 5000;
      const routes = Array.from({ length: N }, (_, i): Route6 => ({
        dst: ip6(`2001:db8:${(i >> 12).toString(16)}::${(i & 0xfff).toString(16)}`),
        dstLen: 128,
        table: TABLE,
        protocol: PROTO,
        metric: 1,
        // every 97th names a device that does not exist
        oif: i % 97 === 0 ? 9999 : v0,
      }));
      const t0 = performance.now();
      const results = await Promise.all(routes.map((r) => settle(routeReplace(sock, r), 'replace')));
      const ms = performance.now() - t0;
      const failed = results.flatMap((r, i) => (r.outcome === 'ok' ? [] : [i]));
      assert.deepEqual(failed, routes.flatMap((_, i) => (i % 97 === 0 ? [i] : [])));
      assert.ok(results.filter((r) => r.outcome !== 'ok').every((r) => (r.error as KernelError).code === 'ENODEV'));
      assert.ok(sock.stats.datagramsOut < N / 10, `batched: ${sock.stats.datagramsOut} datagrams for ${N} requests`);
      const dumped = await routeDump(sock, { table: TABLE, protocol: PROTO });
      assert.equal(dumped.length, N - failed.length);
      const ipCount = (await ns.ip('-6', 'route', 'show', 'table', String(TABLE), 'proto', String(PROTO))).trim().split('\n').length;
      assert.equal(ipCount, N - failed.length);
      const dels = await Promise.all(routes.map((r) => settle(routeDelete(sock, r), 'delete')));
      assert.ok(dels.every((d) => d.outcome === 'ok' || d.outcome === 'gone'));
      assert.equal((await routeDump(sock, { table: TABLE, protocol: PROTO })).length, 0);
      process.stderr.write(`# ${N} route replaces in ${ms.toFixed(0)} ms, ${sock.stats.datagramsOut} datagrams out\n`);
    } finally {
      sock.close();
    }
  });
});

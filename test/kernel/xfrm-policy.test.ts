// XFRM policies through NETLINK_XFRM, read back with `ip xfrm policy`.
import { ip6 } from '../ip6.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KernelError, settle } from '../../lib/platform/kernel-errors.js';
import { NETLINK_XFRM } from '../../lib/platform/netlink/netlink-constants.js';
import { NetlinkSocket } from '../../lib/platform/netlink/socket.js';
import { IPPROTO_DSTOPTS, IPPROTO_ESP, IPPROTO_ROUTING, XFRM_MODE_ROUTEOPTIMIZATION, XFRM_MODE_TUNNEL } from '../../lib/platform/xfrm/xfrm-constants.js';
import { policyAdd, policyDelete, policyDump, policyUpdate, type XfrmPolicy } from '../../lib/platform/xfrm/policy.js';
import { xfrmMigrate } from '../../lib/platform/xfrm/report.js';
import { withNetns } from './netns.js';

// The home agent's policies for Mobile IPv6 signalling (RFC 6275 / UMIP layout).
const baInHao: XfrmPolicy = {
  selector: { src: ip6('::'), srcLen: 0, dst: ip6('::'), dstLen: 0, proto: 135, mhType: 5 },
  dir: 'in',
  priority: 1,
  type: 'sub',
  templates: [{ proto: IPPROTO_DSTOPTS, mode: XFRM_MODE_ROUTEOPTIMIZATION, optional: true }],
};
const baOutRh2: XfrmPolicy = {
  selector: { src: ip6('2001:db8::a'), srcLen: 128, dst: ip6('2001:db8:1::1'), dstLen: 128, proto: 135, mhType: 6 },
  dir: 'out',
  priority: 1,
  type: 'sub',
  templates: [{ proto: IPPROTO_ROUTING, mode: XFRM_MODE_ROUTEOPTIMIZATION, src: ip6('2001:db8::a'), dst: ip6('2001:db8:1::1') }],
};

test('policy: add, EEXIST, update, dump, `ip xfrm policy` agrees, delete, ENOENT', async () => {
  await withNetns(async (ns) => {
    const sock = NetlinkSocket.open({ protocol: NETLINK_XFRM, netns: ns.name });
    try {
      await policyAdd(sock, baInHao);
      const dup = await settle(policyAdd(sock, baInHao), 'create');
      assert.equal(dup.outcome, 'exists');
      await policyUpdate(sock, baOutRh2);
      await policyUpdate(sock, { ...baOutRh2, priority: 2 });
      const shown = await ns.ip('xfrm', 'policy', 'list', 'ptype', 'sub');
      assert.match(shown, /^src ::\/0 dst ::\/0 proto mobility-header type 5\s*\n\s+dir in priority 1 ptype sub\s*\n\s+tmpl src :: dst ::\n\s+proto hao reqid 0 mode ro\n\s+level use/m);
      assert.match(shown, /^src 2001:db8::a\/128 dst 2001:db8:1::1\/128 proto mobility-header type 6\s*\n\s+dir out priority 2 ptype sub/m);
      assert.match(shown, /tmpl src 2001:db8::a dst 2001:db8:1::1\n\s+proto route2 reqid 0 mode ro/);
      const dumped = await policyDump(sock);
      assert.equal(dumped.length, 2);
      const out = dumped.find((p) => p.dir === 'out')!;
      assert.deepEqual(out.selector, baOutRh2.selector);
      assert.equal(out.priority, 2);
      assert.equal(out.type, 'sub');
      assert.deepEqual(out.templates.map((t) => [t.proto, t.mode, t.src, t.dst, t.optional]), [[43, 2, '2001:db8::a', '2001:db8:1::1', false]]);
      const inn = dumped.find((p) => p.dir === 'in')!;
      assert.equal(inn.selector.mhType, 5);
      assert.equal(inn.templates[0]!.optional, true);

      await policyDelete(sock, baInHao);
      await policyDelete(sock, { selector: baOutRh2.selector, dir: 'out', type: 'sub' });
      const gone = await settle(policyDelete(sock, baInHao), 'delete');
      assert.equal(gone.outcome, 'gone');
      assert.equal((gone.error as KernelError).code, 'ENOENT');
      assert.equal((await ns.ip('xfrm', 'policy', 'list', 'ptype', 'sub')).trim(), '');
      // The main-type policy of the same selector is a different object.
      assert.equal((await settle(policyDelete(sock, { ...baInHao, type: 'main' }), 'delete')).outcome, 'gone');
    } finally {
      sock.close();
    }
  });
});

test('policy: XFRM_MSG_MIGRATE moves an ESP tunnel template to a new care-of address', async () => {
  await withNetns(async (ns) => {
    const sock = NetlinkSocket.open({ protocol: NETLINK_XFRM, netns: ns.name });
    try {
      const p: XfrmPolicy = {
        selector: { src: ip6('2001:db8:1::1'), srcLen: 128, dst: ip6('::'), dstLen: 0, proto: 0 },
        dir: 'out',
        priority: 10,
        templates: [{ proto: IPPROTO_ESP, mode: XFRM_MODE_TUNNEL, src: ip6('2001:db8:c::1'), dst: ip6('2001:db8::a'), reqid: 9 }],
      };
      await policyAdd(sock, p);
      await xfrmMigrate(sock, p, [{ oldSrc: ip6('2001:db8:c::1'), oldDst: ip6('2001:db8::a'), newSrc: ip6('2001:db8:d::1'), newDst: ip6('2001:db8::a'), proto: IPPROTO_ESP, mode: XFRM_MODE_TUNNEL, reqid: 9 }]);
      const [moved] = await policyDump(sock);
      assert.equal(moved!.templates[0]!.src, '2001:db8:d::1');
      assert.match(await ns.ip('xfrm', 'policy'), /tmpl src 2001:db8:d::1 dst 2001:db8::a/);
    } finally {
      sock.close();
    }
  });
});

test('policy: an invalid policy is refused with extended-ack text', async () => {
  await withNetns(async (ns) => {
    const sock = NetlinkSocket.open({ protocol: NETLINK_XFRM, netns: ns.name });
    try {
      const bad: XfrmPolicy = { ...baInHao, selector: { ...baInHao.selector, srcLen: 200 } };
      await assert.rejects(policyAdd(sock, bad), (e: unknown) => {
        assert.ok(e instanceof KernelError);
        assert.equal(e.code, 'EINVAL');
        assert.ok(e.extack && e.extack.length > 0, `extack: ${String(e.extack)}`);
        return true;
      });
    } finally {
      sock.close();
    }
  });
});

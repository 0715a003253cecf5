// `mcoactl purge` on the host: it refuses while a control socket answers (before touching
// the kernel), and its kernel side deletes step by step over the fake netlink transport,
// taking "already gone" as done and reporting other errors by errno name.
import { ip6 } from '../../ip6.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { main } from '../../../lib/cli/main.js';
import { applyPurge } from '../../../lib/cli/commands/purge-kernel.js';
import type { PurgeStep } from '../../../lib/plan/common/purge.js';
import { NetlinkSocket } from '../../../lib/platform/netlink/socket.js';
import { Errno } from '../../../lib/platform/sys/errno.js';
import { RTM_DELLINK, RTM_DELNEIGH, RTM_DELNEXTHOP, RTM_DELROUTE } from '../../../lib/platform/rtnl/rtnl-constants.js';
import { XFRM_MSG_DELPOLICY, XFRM_MSG_DELSA } from '../../../lib/platform/xfrm/xfrm-constants.js';
import { FakeTransport, ack, tick } from '../platform/fake-kernel.js';
import { makeStaleSocket, tempSocket } from '../control/helpers.js';

function capture(): { out: string[]; err: string[]; io: { out(l: string): void; err(l: string): void } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l) => out.push(l), err: (l) => err.push(l) } };
}

test('purge refuses while the control socket answers: mcoad would re-create the objects', async () => {
  const s = tempSocket();
  const server = createServer((c) => c.end());
  await new Promise<void>((r) => server.listen(s.path, r));
  try {
    const c = capture();
    assert.equal(await main(['purge', '--socket', s.path], c.io), 1);
    assert.match(c.err.join('\n'), /mcoad is running .*control socket .*mcoad\.sock answers.*stop it first/);
    assert.deepEqual(c.out, []);
  } finally {
    await new Promise((r) => server.close(r));
    s.cleanup();
  }
});

test('purge takes a stale socket file (nobody listening) as no daemon', async () => {
  const s = tempSocket();
  makeStaleSocket(s.path);
  try {
    const c = capture();
    // Past the daemon check it needs the kernel: as root it purges this host's own
    // namespace, so give it one that does not exist and check only how far it got.
    const code = await main(['purge', '--socket', s.path, '--netns', 'mcoa-purge-test-no-such-ns', '--dry-run'], c.io);
    assert.equal(code, 1);
    assert.doesNotMatch(c.err.join('\n'), /mcoad is running/);
    assert.match(c.err.join('\n'), /cannot open a netlink socket in network namespace mcoa-purge-test-no-such-ns|needs CAP_NET_ADMIN/);
  } finally {
    s.cleanup();
  }
});

test('purge --config reads the control socket from the configuration', async () => {
  const s = tempSocket();
  const server = createServer((c) => c.end());
  await new Promise<void>((r) => server.listen(s.path, r));
  const { writeFileSync } = await import('node:fs');
  const file = `${s.dir}/mcoad.yaml`;
  writeFileSync(file, `role: home-agent\nhome_agent:\n  interface: home0\n  address: 2001:db8:aa::1\n  served_prefixes: [2001:db8:aa::/64]\nipsec:\n  required: false\ncontrol:\n  socket: ${s.path}\nstate_directory: ${s.dir}/state\n`);
  try {
    const c = capture();
    assert.equal(await main(['purge', '--config', file], c.io), 1);
    assert.match(c.err.join('\n'), /mcoad is running/);
  } finally {
    await new Promise((r) => server.close(r));
    s.cleanup();
  }
});

test('the kernel side deletes in the given order; already gone is done, other errors are named', async () => {
  const rt = new FakeTransport();
  const xt = new FakeTransport();
  const rtnl = new NetlinkSocket(rt, {});
  const xfrm = new NetlinkSocket(xt, {});
  const steps: PurgeStep[] = [
    { kind: 'route', route: { dst: ip6('2001:db8:aa::100'), dstLen: 128, table: 254, protocol: 135, metric: 1024, nhid: 7 } },
    { kind: 'group', nexthop: { id: 7, protocol: 135, group: [{ id: 6, weight: 1 }] } },
    { kind: 'nexthop', nexthop: { id: 6, protocol: 135, oif: 10 } },
    { kind: 'tunnel', link: { ifindex: 10, name: 'mip6t0' } },
    { kind: 'proxy', proxy: { dst: ip6('2001:db8:aa::100'), ifindex: 3, protocol: 135 } },
    { kind: 'xfrm-policy', policy: { selector: { src: ip6('::'), srcLen: 0, dst: ip6('::'), dstLen: 0, proto: 135 }, dir: 'in', priority: 0x4d4300, templates: [] } },
    { kind: 'xfrm-state', state: { src: ip6('::'), dst: ip6('::'), proto: 60, spi: 0, mode: 2, reqid: 0x4d430000 } },
  ];
  // The kernel's answer per step: ok, gone (ENOENT, ESRCH), or refused.
  const answers = [0, Errno.ENOENT, 0, Errno.EPERM, 0, 0, Errno.ESRCH];
  const running = applyPurge(rtnl, xfrm, steps);
  const seen: number[] = [];
  for (let i = 0; i < steps.length; i++) {
    let m;
    for (let t = 0; t < 20 && !m; t++) {
      await tick();
      const all = [...rt.messages(), ...xt.messages()];
      if (all.length > seen.length) m = (steps[i]!.kind.startsWith('xfrm') ? xt : rt).messages().at(-1);
    }
    assert.ok(m, `step ${i} sent`);
    seen.push(m.type);
    (steps[i]!.kind.startsWith('xfrm') ? xt : rt).deliver(ack(m.seq, answers[i]));
  }
  const results = await running;
  assert.deepEqual(seen, [RTM_DELROUTE, RTM_DELNEXTHOP, RTM_DELNEXTHOP, RTM_DELLINK, RTM_DELNEIGH, XFRM_MSG_DELPOLICY, XFRM_MSG_DELSA]);
  assert.deepEqual(results.map((r) => r.result), ['deleted', 'gone', 'deleted', 'failed', 'deleted', 'deleted', 'gone']);
  const failed = results[3]!;
  assert.ok(failed.result === 'failed' && /RTM_DELLINK.*EPERM/.test(failed.error), JSON.stringify(failed));
  rtnl.close();
  xfrm.close();
});

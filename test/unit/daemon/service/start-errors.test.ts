// A failed start says what mcoad was doing and what to do: one row per kind of failure, and
// the Mobility Header socket's EPERM through the shell (log line and the stderr message).
import test from 'node:test';
import assert from 'node:assert/strict';
import { HOME_AGENT_ROLE } from '../../../../lib/daemon/ha/daemon.js';
import { explainStartFailure, StartStepError } from '../../../../lib/daemon/service/start-errors.js';
import { KernelError } from '../../../../lib/platform/kernel-errors.js';
import { Errno, SyscallError } from '../../../../lib/platform/sys/errno.js';
import { homeAgentYaml, serveRole } from '../fake-host.js';

const rows: [string, string, unknown, RegExp][] = [
  [
    'raw socket EPERM: CAP_NET_RAW',
    'home-agent start',
    new StartStepError('opening the Mobility Header socket', new SyscallError('socket', Errno.EPERM, '(10, 3, 135)')),
    /^home-agent start: opening the Mobility Header socket: socket \(10, 3, 135\): EPERM: needs CAP_NET_RAW \(run as root or via systemd\/mcoad\.service\)$/,
  ],
  ['a netlink write EPERM: CAP_NET_ADMIN', 'home-agent start', new KernelError(Errno.EPERM, 'RTM_NEWLINK ip6tnl mip6t0'), /RTM_NEWLINK ip6tnl mip6t0: EPERM: needs CAP_NET_ADMIN/],
  [
    'sysctl EACCES: CAP_NET_ADMIN and a writable /proc/sys',
    'kernel settings',
    Object.assign(new Error("EACCES: permission denied, open '/proc/sys/net/ipv6/conf/all/forwarding'"), { code: 'EACCES' }),
    /^kernel settings: EACCES: .*forwarding': needs CAP_NET_ADMIN and a writable \/proc\/sys\/net\/ipv6/,
  ],
  [
    'XFRM socket EPROTONOSUPPORT: a missing kernel feature',
    'home-agent start',
    new StartStepError('opening a netlink socket (protocol 6)', new SyscallError('socket', Errno.EPROTONOSUPPORT)),
    /opening a netlink socket \(protocol 6\): socket: EPROTONOSUPPORT: the kernel lacks this feature/,
  ],
  [
    'a missing network namespace',
    'home-agent start',
    new StartStepError('opening the Mobility Header socket in network namespace ha', new SyscallError('open', Errno.ENOENT, '/var/run/netns/ha')),
    /no such network namespace: create it \(ip netns add NAME\)/,
  ],
  ['an error that already says it all passes through', 'state directory lock', new Error('another mcoad (pid 7) holds /var/lib/mcoad'), /^state directory lock: another mcoad \(pid 7\) holds \/var\/lib\/mcoad$/],
];

for (const [name, step, err, re] of rows) {
  test(`start error: ${name}`, () => assert.match(explainStartFailure(step, err), re));
}

test('the Mobility Header socket refused (EPERM): the log and stderr say it needs CAP_NET_RAW; nothing stays open', async () => {
  const failed: string[] = [];
  const r = await serveRole(HOME_AGENT_ROLE, homeAgentYaml(), { prepare: (h) => void (h.refuseMh = Errno.EPERM), listeners: { failed: (m) => void failed.push(m) } });
  assert.equal(await r.run, 1);
  assert.equal(failed.length, 1);
  assert.match(failed[0]!, /opening the Mobility Header socket: socket \(10, 3, 135\): EPERM: needs CAP_NET_RAW \(run as root or via systemd\/mcoad\.service\)/);
  assert.ok(r.messages().some((m) => m === `cannot start: ${failed[0]!}`));
  const opened = r.host.steps.filter((s) => s.startsWith('open')).length;
  const closed = r.host.steps.filter((s) => s.startsWith('close')).length;
  assert.equal(opened, closed, r.host.steps.join(', '));
  r.dir.remove();
});

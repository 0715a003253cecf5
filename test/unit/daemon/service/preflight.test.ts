// Start-up checks through the shell on the host doubles: the state directory lock refuses a
// second mcoad, and every preflight failure stops the start before the first journal write,
// sysctl or kernel change, naming what is missing and what to do. --check-config's offline
// run reports what needs privileges as warnings or as not checked.
import test, { afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOME_AGENT_ROLE } from '../../../../lib/daemon/ha/daemon.js';
import { CORRESPONDENT_ROLE } from '../../../../lib/daemon/cn/daemon.js';
import { KERNEL_CHECKS, PROBE_TUNNEL_NAME } from '../../../../lib/daemon/service/kernel-probes.js';
import { CAP_CHOWN, CAP_NET_ADMIN, CAP_NET_RAW, capBit, runPreflight, type PreflightCheck } from '../../../../lib/daemon/service/preflight.js';
import { SYSTEM_CHECKS } from '../../../../lib/daemon/service/preflight-checks.js';
import { StateLock, stateLockGuard } from '../../../../lib/daemon/service/state-lock.js';
import { RTM_NEWLINK, RTM_NEWNEXTHOP } from '../../../../lib/platform/rtnl/rtnl-constants.js';
import { Errno } from '../../../../lib/platform/sys/errno.js';
import { XFRM_MSG_NEWPOLICY, XFRM_MSG_NEWSA } from '../../../../lib/platform/xfrm/xfrm-constants.js';
import { TestDir, TestHost, homeAgentYaml, stop, stopAll, serveRole, type Running, type ServeOptions } from '../fake-host.js';
import { preflightGuard } from '../../../../lib/daemon/service/preflight.js';

afterEach(stopAll);

const PREFLIGHT: readonly PreflightCheck[] = [...SYSTEM_CHECKS, ...KERNEL_CHECKS];
const NETLINK_ROUTE = 0;
const NETLINK_XFRM = 6;
const ALL_CAPS = (1n << 41n) - 1n;

/** The home agent through the shell with mcoad's real guards: the lock, then the preflight. */
function serve(opts: ServeOptions = {}): Promise<Running> {
  return serveRole(HOME_AGENT_ROLE, opts.yaml ?? homeAgentYaml(), {
    ...opts,
    guards: ({ host }) => [stateLockGuard(), preflightGuard(host.ports, PREFLIGHT)],
  });
}

/** A start that failed: exit 1, nothing changed (no store, no sysctl, no kernel write but the probes'). */
async function refused(r: Running): Promise<string> {
  assert.equal(await r.run, 1, 'the start must fail');
  const changes = r.host.steps.filter((s) => s === 'open store' || s.startsWith('sysctl') || s === 'serving');
  assert.deepEqual(changes, [], 'nothing changed before the failure');
  assert.equal(r.host.kernel.received(NETLINK_XFRM, XFRM_MSG_NEWPOLICY).length, 0, 'no XFRM policy');
  assert.ok(!existsSync(r.dir.state) || readdirSync(r.dir.state).every((f) => f === 'mcoad.lock'), 'no journal written');
  assert.equal(r.dir.socketExists(), false);
  assert.ok(r.host.steps.includes('failed'), 'stderr told');
  const fatal = r.lines.find((l) => String(l['msg']).startsWith('cannot start'));
  assert.ok(fatal, r.messages().join('\n'));
  r.dir.remove();
  return String(fatal['msg']);
}

test('a second mcoad on the same state directory stops at the lock, before the store, sysctls or kernel', async () => {
  const r1 = await serve();
  assert.equal(r1.exit, undefined, r1.messages().join('\n'));
  // The second daemon: same state directory, its own control socket.
  const r2 = await serveRole(HOME_AGENT_ROLE, homeAgentYaml(), {
    guards: ({ host }) => [stateLockGuard(), preflightGuard(host.ports, PREFLIGHT)],
    prepare: async (_host, dir) => {
      // Point the second daemon's state directory at the first one's.
      Object.defineProperty(dir, 'state', { value: r1.dir.state });
    },
  });
  assert.equal(await r2.run, 1);
  assert.deepEqual(r2.host.steps, ['failed'], 'no socket, store, sysctl or probe');
  const fatal = r2.lines.find((l) => String(l['msg']).startsWith('cannot start'));
  assert.match(String(fatal?.['msg']), new RegExp(`another mcoad \\(pid ${process.pid}\\) holds ${r1.dir.state.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  r2.dir.remove();
  // The first one is untouched and still serves; once it stopped, the directory is free.
  assert.equal(await stop(r1), 0);
});

test('a stale lock file (its holder gone) does not stop the start; the lock is released at stop', async () => {
  const r = await serve({ prepare: (_h, dir) => void StateLock.acquire(dir.state, 999_999).release() });
  assert.equal(r.exit, undefined, r.messages().join('\n'));
  const state = r.dir.state;
  assert.throws(() => StateLock.acquire(state), /another mcoad/);
  r.signals.term();
  assert.equal(await r.run, 0);
  StateLock.acquire(state).release();
  r.dir.remove();
});

test('the kernel probes run once at start, each object created and deleted, before any change', async () => {
  const r = await serve();
  assert.equal(r.exit, undefined, r.messages().join('\n'));
  const k = r.host.kernel;
  assert.ok(!k.linkNames().includes(PROBE_TUNNEL_NAME), 'the scratch tunnel is gone');
  const types = k.requests.map((q) => `${q.protocol}:${q.type}`);
  const firstPolicy = types.indexOf(`${NETLINK_XFRM}:${XFRM_MSG_NEWPOLICY}`);
  const probeSa = types.indexOf(`${NETLINK_XFRM}:${XFRM_MSG_NEWSA}`);
  assert.ok(probeSa >= 0 && (firstPolicy < 0 || probeSa < firstPolicy), 'the MIP6 probe comes first');
  assert.ok(r.host.steps.indexOf('open store') > r.host.steps.lastIndexOf('close netlink 6'), 'probes done before the store opens');
  assert.equal(await stop(r), 0);
});

interface Failure {
  name: string;
  opts: ServeOptions;
  /** What the message must name. */
  says: RegExp[];
}

const IPSEC_YAML = `role: home-agent
home_agent:
  interface: home0
  address: 2001:db8:1::1
  served_prefixes: [2001:db8:1::/64]
  authorisation:
    home_addresses:
      2001:db8:1::a2a2:
        ipsec:
          spi_in: 0x1001
          spi_out: 0x1002
          aead: { name: 'rfc4106(gcm(aes))', key: '0x${'ab'.repeat(16)}c0ffee00', icv_bits: 128 }
`;

const failures: Failure[] = [
  {
    name: 'control.group names no group',
    opts: { control: '  group: mcoa\n' },
    says: [/control\.group mcoa: no such group/, /groupadd --system mcoa/],
  },
  {
    name: 'control.group exists, but mcoad is not in it and lacks CAP_CHOWN (the unit without SupplementaryGroups=)',
    opts: {
      control: '  group: mcoa\n',
      prepare: (h) => {
        h.system.groupTable.set('mcoa', 4242);
        h.system.capabilities = capBit(CAP_NET_ADMIN) | capBit(CAP_NET_RAW);
      },
    },
    says: [/not in group mcoa \(gid 4242\) and lacks CAP_CHOWN/, /SupplementaryGroups=mcoa/],
  },
  {
    name: 'the control socket directory is not writable',
    opts: { prepare: (h, d) => void h.system.unwritable.set(d.dir, 'EACCES') },
    says: [/control\.socket .*: directory .*: EACCES/, /run as root or via systemd\/mcoad\.service/],
  },
  {
    name: 'the state directory is read-only',
    opts: { prepare: (h, d) => void h.system.unwritable.set(d.state, 'EROFS') },
    says: [/in .*state: EROFS: the file system is read-only/, /state_directory/],
  },
  {
    name: 'the state directory has no room for a record',
    opts: { prepare: (h, d) => void h.system.scratchFails.set(d.state, 'ENOSPC') },
    says: [/writing \d+ octets in .*state: ENOSPC: no space left/, /state_directory/],
  },
  {
    name: 'the home interface does not exist',
    opts: { yaml: homeAgentYaml().replace('interface: home0', 'interface: nosuch0') },
    says: [/home_agent\.interface nosuch0: no such interface/],
  },
  {
    name: 'no CAP_NET_RAW',
    opts: { prepare: (h) => void (h.system.capabilities = ALL_CAPS & ~capBit(CAP_NET_RAW)) },
    says: [/needs CAP_NET_RAW/, /run as root or via systemd\/mcoad\.service/],
  },
  {
    name: 'no CAP_NET_ADMIN (the kernel is not probed without it)',
    opts: { prepare: (h) => void (h.system.capabilities = ALL_CAPS & ~capBit(CAP_NET_ADMIN)) },
    says: [/needs CAP_NET_ADMIN/],
  },
  {
    name: 'netns set without CAP_SYS_ADMIN (the unit as shipped)',
    opts: { yaml: `${homeAgentYaml()}netns: ha\n`, prepare: (h) => void (h.system.capabilities = capBit(CAP_NET_ADMIN) | capBit(CAP_NET_RAW)) },
    says: [/CAP_SYS_ADMIN to enter network namespace ha/, /AmbientCapabilities=/],
  },
  {
    name: 'no ip6tnl (EOPNOTSUPP on the scratch tunnel)',
    opts: { prepare: (h) => h.kernel.failNext(RTM_NEWLINK, Errno.EOPNOTSUPP, NETLINK_ROUTE) },
    says: [/ip6tnl/, /modprobe ip6_tunnel/, /CONFIG_IPV6_TUNNEL/],
  },
  {
    name: 'no MIP6 XFRM types (EPROTONOSUPPORT on the scratch hao state)',
    opts: { prepare: (h) => h.kernel.failNext(XFRM_MSG_NEWSA, Errno.EPROTONOSUPPORT, NETLINK_XFRM) },
    says: [/modprobe mip6/, /CONFIG_IPV6_MIP6/],
  },
  {
    name: 'no XFRM netlink at all (socket EPROTONOSUPPORT)',
    opts: { prepare: (h) => void h.refuseNetlink.add(NETLINK_XFRM) },
    says: [/modprobe xfrm_user/, /CONFIG_XFRM_USER/],
  },
  {
    name: 'IPsec configured, no ESP (EPROTONOSUPPORT on the scratch ESP state)',
    opts: {
      yaml: IPSEC_YAML,
      prepare: (h) => {
        h.kernel.failNext(XFRM_MSG_NEWSA, 0, NETLINK_XFRM); // the MIP6 probe passes
        h.kernel.failNext(XFRM_MSG_NEWSA, Errno.EPROTONOSUPPORT, NETLINK_XFRM);
      },
    },
    says: [/modprobe esp6/, /CONFIG_INET6_ESP/],
  },
  {
    name: 'IPsec configured, the AEAD missing from the crypto API (ENOSYS)',
    opts: {
      yaml: IPSEC_YAML,
      prepare: (h) => {
        h.kernel.failNext(XFRM_MSG_NEWSA, 0, NETLINK_XFRM);
        h.kernel.failNext(XFRM_MSG_NEWSA, Errno.ENOSYS, NETLINK_XFRM);
      },
    },
    says: [/no rfc4106\(gcm\(aes\)\)/, /modprobe gcm/],
  },
  {
    name: 'no nexthop objects (EOPNOTSUPP)',
    opts: { prepare: (h) => h.kernel.failNext(RTM_NEWNEXTHOP, Errno.EOPNOTSUPP, NETLINK_ROUTE) },
    says: [/nexthop objects/, /Linux 5\.3/],
  },
];

for (const f of failures) {
  test(`preflight: ${f.name}: refused before any change, with the fix`, async () => {
    const message = await refused(await serve(f.opts));
    for (const re of f.says) assert.match(message, re);
  });
}

test('preflight: every problem found is reported at once (group and capabilities)', async () => {
  const message = await refused(
    await serve({
      control: '  group: mcoa\n',
      prepare: (h) => void (h.system.capabilities = capBit(CAP_CHOWN)),
    }),
  );
  assert.match(message, /3 problems/);
  assert.match(message, /CAP_NET_ADMIN/);
  assert.match(message, /CAP_NET_RAW/);
  assert.match(message, /no such group: mcoa/);
});

test('preflight: the correspondent needs no tunnel, nexthop or home interface; its probe is route2', async () => {
  const r = await serveRole(CORRESPONDENT_ROLE, 'role: correspondent\ncorrespondent:\n  address: 2001:db8:c::1\n', {
    guards: ({ host }) => [stateLockGuard(), preflightGuard(host.ports, PREFLIGHT)],
    prepare: (h) => {
      h.kernel.failNext(RTM_NEWLINK, Errno.EOPNOTSUPP, NETLINK_ROUTE);
      h.kernel.failNext(RTM_NEWNEXTHOP, Errno.EOPNOTSUPP, NETLINK_ROUTE);
    },
  });
  assert.equal(r.exit, undefined, r.messages().join('\n'));
  const sa = r.host.kernel.received(NETLINK_XFRM, XFRM_MSG_NEWSA)[0];
  assert.ok(sa, 'the MIP6 probe ran');
  // struct xfrm_usersa_info: selector (56 octets), then id: daddr (16), spi (4), proto.
  assert.equal(sa.payload[56 + 16 + 4], 43, 'IPPROTO_ROUTING: route2');
  assert.equal(await stop(r), 0);
});

test('--check-config (offline): checks that need no privileges run and warn; the kernel ones are listed as not checked', async () => {
  const host = new TestHost();
  const dir = new TestDir();
  try {
    host.system.capabilities = 0n;
    const cfg = await dir.write(homeAgentYaml(), '  group: mcoa\n');
    const report = await runPreflight(PREFLIGHT, cfg, host.ports, 'offline');
    assert.deepEqual(report.problems, [], "this machine's state is not the file's fault");
    assert.ok(report.warnings.some((w) => /no such group: mcoa/.test(w)), 'the group is looked up');
    assert.ok(report.warnings.some((w) => /CAP_NET_RAW/.test(w)), 'capabilities become a warning');
    assert.ok(report.skipped.includes('interfaces'));
    assert.ok(report.skipped.some((s) => /ip6tnl/.test(s)) && report.skipped.some((s) => /Mobile IPv6/.test(s)));
    assert.equal(host.kernel.requests.length, 0, 'the kernel is not touched offline');
    assert.equal(existsSync(dir.state), false, 'nothing created');
  } finally {
    dir.remove();
  }
});

test('the real system port: the scratch write leaves nothing behind; a file where a directory should be is ENOTDIR', async () => {
  const host = new TestHost();
  const dir = new TestDir();
  try {
    writeFileSync(join(dir.dir, 'plain'), '');
    const cfg = await dir.write(homeAgentYaml());
    const bad = { ...cfg, stateDirectory: join(dir.dir, 'plain', 'state'), control: { ...cfg.control, path: join(dir.dir, 'plain', 'sock') } };
    const report = await runPreflight(SYSTEM_CHECKS, bad, host.ports, 'start');
    assert.ok(report.problems.some((p) => /control\.socket .*ENOTDIR/.test(p)), report.problems.join('\n'));
    assert.ok(report.problems.some((p) => /state_directory/.test(p) && /ENOTDIR/.test(p)), report.problems.join('\n'));
    const good = await runPreflight(SYSTEM_CHECKS, { ...cfg, stateDirectory: dir.dir }, host.ports, 'start');
    assert.deepEqual(good.problems, []);
    assert.deepEqual(readdirSync(dir.dir).sort(), ['mcoad.yaml', 'plain']);
  } finally {
    dir.remove();
  }
});

// The Debian package as an image builder uses it: `dpkg -i` into a scratch root (dpkg
// --root with --force-script-chrootless, so the maintainer scripts run here with $DPKG_ROOT
// set), the files in place, the group made by postinst, the unit's own command lines
// (ExecStartPre, ExecStart) run against the installed configuration, edited for a
// namespace pair; a real BU registers and the installed mcoactl shows it; after a stop,
// `mcoactl purge` removes every kernel object mcoad made; `dpkg --remove` and `--purge`
// then leave the root as it was, but for the group (Debian keeps system groups).
// The .deb is built on the host by the harness (test/uml/package-artifact.ts).
import test from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { sh, type Netns } from './netns.js';
import { COA, HA, HOA, HOME_PREFIX, KERNEL_TEST_TIMEOUT_MS, bu, coaBid, stopDaemon, withPair } from './fixtures/index.js';
import { builtPackage } from '../uml/package-artifact.js';

const REPO = new URL('../../..', import.meta.url).pathname;
const UNIT = 'usr/lib/systemd/system/mcoad.service';

/** dpkg on the scratch root, its maintainer scripts outside any chroot with $DPKG_ROOT. */
const dpkg = (root: string, ...args: string[]): Promise<string> => sh('dpkg', [`--root=${root}`, '--force-script-chrootless', ...args]);

/**
 * An empty root with what dpkg and the scripts read: the group files (copies of this
 * system's), a dpkg database that lists the package's dependencies as this system has
 * them (node runs from the host), and /etc/systemd/system as on any systemd machine.
 */
async function scratchRoot(root: string): Promise<void> {
  for (const d of ['etc/systemd/system', 'var/lib/dpkg/info', 'var/lib/dpkg/updates']) mkdirSync(join(root, d), { recursive: true });
  for (const f of ['group', 'gshadow']) copyFileSync(join('/etc', f), join(root, 'etc', f));
  const deps = ['nodejs', 'passwd'];
  const status = await sh('dpkg-query', ['-W', '-f', 'Package: ${Package}\nStatus: ${Status}\nVersion: ${Version}\nArchitecture: ${Architecture}\nMaintainer: ${Maintainer}\nDescription: ${binary:Summary}\n\n', ...deps]);
  writeFileSync(join(root, 'var/lib/dpkg/status'), status);
  for (const d of deps) writeFileSync(join(root, `var/lib/dpkg/info/${d}.list`), '');
}

/** Every path under `root` (relative), the dpkg database left out. */
function tree(root: string, dir = root, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const rel = relative(root, p);
    if (rel === 'var/lib/dpkg') continue;
    out.push(rel);
    if (lstatSync(p).isDirectory()) tree(root, p, out);
  }
  return out;
}

/** The [Service] setting `key` of the installed unit, split into words. */
function unitCommand(root: string, key: string): string[] {
  const line = readFileSync(join(root, UNIT), 'utf8').split('\n').find((l) => l.startsWith(`${key}=`));
  assert.ok(line, `${key}= in the installed unit`);
  return line.slice(key.length + 1).trim().split(/\s+/);
}

/** Whether `path` exists itself (a symbolic link to an absolute path points outside the scratch root). */
function present(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** A path the package installed is taken from the scratch root; anything else (node) from this system. */
const inRoot = (root: string, word: string): string => (word.startsWith('/') && existsSync(join(root, word)) ? join(root, word) : word);

/** What mcoad's marks cover in `ns`, read back with ip: tunnels, routes, proxy entries, XFRM. */
async function kernelObjects(ns: Netns): Promise<string[]> {
  const links = (JSON.parse(await ns.ip('-j', 'link', 'show', 'type', 'ip6tnl')) as { ifname: string }[]).map((l) => `tunnel ${l.ifname}`).filter((l) => l !== 'tunnel ip6tnl0');
  const routes = (await ns.ip('-6', 'route', 'show', 'table', 'all', 'proto', '135')).split('\n').filter(Boolean).map((r) => `route ${r}`);
  const proxies = (await ns.ip('-6', 'neigh', 'show', 'proxy')).split('\n').filter(Boolean).map((p) => `proxy ${p}`);
  const policies = [...(await ns.ip('xfrm', 'policy', 'show')).matchAll(/^src .*$/gm)].map((m) => `xfrm-policy ${m[0]}`);
  const states = [...(await ns.ip('xfrm', 'state', 'show')).matchAll(/^src .*$/gm)].map((m) => `xfrm-state ${m[0]}`);
  return [...links, ...routes, ...proxies, ...policies, ...states];
}

test('dpkg -i into a scratch root, the unit\'s command line serves a BU, mcoactl purge, dpkg --remove and --purge leave nothing', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  const deb = builtPackage(REPO);
  assert.ok(deb, 'dist/deb/mcoa_*.deb: the harness builds it on the host before the boot (run this file through dist/test/uml/run.js)');
  await withPair({}, async ({ ha, mnSide, scope }) => {
    const root = join(scope.dir(), 'root');
    await scratchRoot(root);
    const before = tree(root);

    await dpkg(root, '-i', deb);
    assert.match(await dpkg(root, '-s', 'mcoa'), /^Status: install ok installed$/m);
    for (const f of ['usr/lib/mcoa/bin/mcoad', 'usr/lib/mcoa/bin/mcoactl', 'usr/lib/mcoa/dist/lib/daemon/main.js', UNIT,
      'usr/share/man/man8/mcoad.8.gz', 'usr/share/man/man8/mcoactl.8.gz', 'usr/share/man/man5/mcoad.yaml.5.gz']) {
      assert.ok(existsSync(join(root, f)), `${f} is installed`);
    }
    assert.equal(readlinkSync(join(root, 'usr/bin/mcoad')), '../lib/mcoa/bin/mcoad');
    assert.equal(readlinkSync(join(root, 'usr/bin/mcoactl')), '../lib/mcoa/bin/mcoactl');
    const conffile = join(root, 'etc/mcoad/mcoad.yaml');
    assert.equal(statSync(conffile).mode & 0o777, 0o600, 'the configuration will hold keys');
    assert.match(await dpkg(root, '-s', 'mcoa'), /^Conffiles:\n \/etc\/mcoad\/mcoad\.yaml [0-9a-f]{32}$/m);
    const group = /^mcoa:x:(\d+):/m.exec(readFileSync(join(root, 'etc/group'), 'utf8'));
    assert.ok(group, 'postinst created group mcoa in the root it installed into');
    assert.equal(/^mcoa:/m.test(readFileSync('/etc/group', 'utf8')), false, 'and not in the running system');
    // The configure step again (dpkg-reconfigure, a re-run after a failure) changes nothing.
    const groupFile = readFileSync(join(root, 'etc/group'), 'utf8');
    await sh('env', [`DPKG_ROOT=${root}`, 'sh', join(root, 'var/lib/dpkg/info/mcoa.postinst'), 'configure', '']);
    assert.equal(readFileSync(join(root, 'etc/group'), 'utf8'), groupFile);

    // "Edit one file": the installed configuration, for this namespace pair. systemd would
    // make the state and runtime directories (StateDirectory=, RuntimeDirectory=).
    const state = join(root, 'var/lib/mcoad');
    const run = join(root, 'run/mcoad');
    mkdirSync(state, { recursive: true, mode: 0o700 });
    mkdirSync(run, { recursive: true, mode: 0o755 });
    writeFileSync(conffile, `role: home-agent
home_agent:
  interface: home0
  address: ${HA}
  served_prefixes: [${HOME_PREFIX}]
ipsec:
  required: false
state_directory: ${state}
control:
  socket: ${join(run, 'mcoad.sock')}
`);
    const pre = unitCommand(root, 'ExecStartPre').map((w) => inRoot(root, w));
    assert.match(await sh(pre[0]!, pre.slice(1)), /configuration is valid/);
    const start = unitCommand(root, 'ExecStart').map((w) => inRoot(root, w));
    const config = start.indexOf('--config');
    assert.ok(config > 0 && start[config + 1] === conffile, `ExecStart runs the installed configuration: ${start.join(' ')}`);
    const d = await scope.startDaemon(ha, 'home agent (installed package)', () => conffile, run, { command: start.slice(0, config) });

    mnSide.sendBu(bu(10, 400, [coaBid(1, COA)]));
    assert.equal((await mnSide.nextBa()).ba.status, 0, 'the BU is accepted');
    const mcoactl = join(root, 'usr/bin/mcoactl');
    const shown = await sh(mcoactl, ['show', 'bindings', '--socket', d.socket]);
    assert.ok(shown.includes(HOA) && shown.includes(COA), shown);
    const made = await kernelObjects(ha);
    assert.ok(made.some((o) => o.startsWith('tunnel mip6t')) && made.some((o) => o.startsWith(`route ${HOA}`)), made.join('\n'));

    // Stopped, mcoad leaves its objects for the next start; purge removes them all.
    assert.equal(await stopDaemon(d, 'SIGTERM'), 0);
    assert.deepEqual(await kernelObjects(ha), made, 'a stopped mcoad leaves its objects in place');
    const purged = JSON.parse(await sh(mcoactl, ['purge', '--netns', ha.name, '--config', conffile, '--json'])) as { objects: { result: string }[] };
    assert.ok(purged.objects.length >= made.length && purged.objects.every((o) => o.result === 'deleted'), JSON.stringify(purged));
    assert.deepEqual(await kernelObjects(ha), [], 'nothing of mcoad\'s is left in the kernel');

    // The operator's `systemctl enable`, done offline as an image builder would.
    await sh('systemctl', [`--root=${root}`, 'enable', 'mcoad.service']);
    const wants = join(root, 'etc/systemd/system/multi-user.target.wants/mcoad.service');
    assert.equal(readlinkSync(wants), '/usr/lib/systemd/system/mcoad.service');
    // systemd removes the runtime directory when the unit stops.
    await sh('rm', ['-r', join(root, 'run')]);

    await dpkg(root, '--remove', 'mcoa');
    assert.equal(present(join(root, 'usr/lib/mcoa')), false, 'the program is gone');
    assert.equal(present(join(root, 'usr/bin/mcoad')), false);
    assert.equal(present(wants), false, 'prerm disabled the unit');
    assert.ok(existsSync(conffile), 'remove keeps the configuration');
    await dpkg(root, '--purge', 'mcoa');
    await assert.rejects(dpkg(root, '-s', 'mcoa'), 'dpkg knows nothing of mcoa any more');
    // What is left: the group (files may still carry it) with groupadd's backups, and the
    // empty unit directories systemctl made; no file of the package, journal or configuration.
    const leftOver = tree(root).filter((p) => !before.includes(p));
    assert.deepEqual(leftOver.filter((p) => !['etc/group-', 'etc/gshadow-', 'etc/systemd/system/multi-user.target.wants'].includes(p)), []);
    assert.ok(/^mcoa:/m.test(readFileSync(join(root, 'etc/group'), 'utf8')));
  });
});

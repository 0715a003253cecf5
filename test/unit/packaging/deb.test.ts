// `npm run package`: builds the .deb in a temporary directory and checks it with dpkg-deb
// (control fields, conffile, maintainer scripts, the files it holds and lacks), then runs the
// packaged programs from the extracted tree and the postinst with recording stand-ins for
// getent/groupadd/systemctl. lintian runs only when it is installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDeb, REPO_ROOT, type BuiltDeb } from '../../../packaging/deb.js';

const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const sh = (cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): string =>
  execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });

const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const out = mkdtempSync(join(tmpdir(), 'mcoa-pkg-test-'));
let built: BuiltDeb;
let listing: string[]; // dpkg-deb -c: one path per entry, './' stripped
let tree: string; // dpkg-deb -x

test('npm run package builds mcoa_<version>_<arch>.deb', { timeout: 900_000 }, async () => {
  built = await buildDeb({ outDir: out });
  const arch = sh('dpkg', ['--print-architecture']).trim();
  assert.equal(built.path, join(out, `mcoa_${version}_${arch}.deb`));
  listing = sh('dpkg-deb', ['-c', built.path])
    .trim()
    .split('\n')
    .map((l) => l.split(/\s+/).slice(5).join(' ').replace(/^\.\//, '').replace(/ -> .*$/, ''));
  tree = join(out, 'tree');
  sh('dpkg-deb', ['-x', built.path, tree]);
});

test('control: package, version, architecture, dependencies; the configuration is a conffile', () => {
  const field = (f: string) => sh('dpkg-deb', ['-f', built.path, f]).trim();
  assert.equal(field('Package'), 'mcoa');
  assert.equal(field('Version'), version);
  assert.equal(field('Architecture'), built.arch);
  assert.match(field('Depends'), /nodejs \(>= 20\)/);
  assert.ok(Number(field('Installed-Size')) > 0);
  const info = sh('dpkg-deb', ['-I', built.path]);
  for (const s of ['postinst', 'prerm', 'postrm', 'conffiles', 'md5sums']) assert.match(info, new RegExp(`\\b${s}\\b`));
  const ctl = join(out, 'control');
  sh('dpkg-deb', ['-e', built.path, ctl]);
  assert.equal(readFileSync(join(ctl, 'conffiles'), 'utf8'), '/etc/mcoad/mcoad.yaml\n');
  for (const s of ['postinst', 'prerm', 'postrm']) sh('sh', ['-n', join(ctl, s)]);
});

test('contents: library, launchers, unit, configuration, man pages; no tests, benches, demo, dev packages or source maps', () => {
  for (const p of [
    'usr/lib/mcoa/bin/mcoad',
    'usr/lib/mcoa/bin/mcoactl',
    'usr/lib/mcoa/package.json',
    'usr/lib/mcoa/dist/lib/daemon/main.js',
    'usr/lib/mcoa/dist/lib/cli/mcoactl.js',
    'usr/lib/mcoa/node_modules/koffi/package.json',
    'usr/lib/mcoa/node_modules/pino/package.json',
    'usr/bin/mcoad',
    'usr/bin/mcoactl',
    'usr/lib/systemd/system/mcoad.service',
    'etc/mcoad/mcoad.yaml',
    'usr/share/man/man8/mcoad.8.gz',
    'usr/share/man/man8/mcoactl.8.gz',
    'usr/share/man/man5/mcoad.yaml.5.gz',
    'usr/share/doc/mcoa/copyright',
  ]) {
    assert.ok(listing.includes(p), `${p} is in the package`);
  }
  // Ours: no tests, benches, demo or packaging code, no sources or source maps (dependencies ship as npm left them).
  const ours = listing.filter((p) => p.startsWith('usr/lib/mcoa/') && !p.startsWith('usr/lib/mcoa/node_modules/'));
  assert.deepEqual(ours.filter((p) => /\/dist\/(test|bench|demo|packaging)\/|\.map$|\.ts$/.test(p)), []);
  const devPackages = listing.filter((p) => /^usr\/lib\/mcoa\/node_modules\/(typescript|fast-check|@types)\//.test(p));
  assert.deepEqual(devPackages, [], 'npm prune --omit=dev leaves no dev packages');
  const conf = sh('dpkg-deb', ['-c', built.path]).split('\n').find((l) => l.endsWith('./etc/mcoad/mcoad.yaml'));
  assert.match(conf ?? '', /^-rw------- root\/root /, 'the conffile will hold keys: 0600 root');
});

test('the packaged programs run from the extracted tree (no dev dependencies needed)', () => {
  const app = join(tree, 'usr/lib/mcoa');
  assert.equal(sh(process.execPath, [join(app, 'bin/mcoactl'), '--version']).trim(), `mcoactl ${version}`);
  assert.equal(sh(process.execPath, [join(app, 'bin/mcoad'), '--version']).trim(), `mcoad ${version}`);
  const conf = join(tree, 'etc/mcoad/mcoad.yaml');
  assert.match(sh(process.execPath, [join(app, 'bin/mcoad'), '--check-config', conf]), /configuration is valid/);
  // koffi's native part (libc calls) loads from the package's node_modules.
  const probe = `const { sys } = await import(${JSON.stringify(join(app, 'dist/lib/platform/sys/libc.js'))}); process.stdout.write(String(sys.close(-1)));`;
  assert.equal(sh(process.execPath, ['--input-type=module', '-e', probe], { cwd: tmpdir() }), '-9', 'close(-1) is EBADF through koffi');
});

test('postinst creates the mcoa system group only when it is missing', () => {
  const ctl = join(out, 'control');
  const shims = mkdtempSync(join(tmpdir(), 'mcoa-shims-'));
  try {
    const log = join(shims, 'calls');
    const shim = (name: string, body: string) => {
      writeFileSync(join(shims, name), `#!/bin/sh\necho "${name} $*" >> ${log}\n${body}\n`);
      chmodSync(join(shims, name), 0o755);
    };
    shim('groupadd', 'exit 0');
    shim('systemctl', 'exit 0');
    const env = { PATH: `${shims}:/usr/bin:/bin` };
    shim('getent', 'exit 2'); // no such group
    sh('sh', [join(ctl, 'postinst'), 'configure', ''], { env });
    assert.match(readFileSync(log, 'utf8'), /^getent group mcoa\ngroupadd --system mcoa\n/);
    writeFileSync(log, '');
    shim('getent', 'echo mcoa:x:999:; exit 0'); // already there
    sh('sh', [join(ctl, 'postinst'), 'configure', '0.0.9'], { env });
    assert.doesNotMatch(readFileSync(log, 'utf8'), /groupadd/);
  } finally {
    rmSync(shims, { recursive: true, force: true });
  }
});

test('maintainer scripts with $DPKG_ROOT act on that root only, and can run again', () => {
  const ctl = join(out, 'control');
  const shims = mkdtempSync(join(tmpdir(), 'mcoa-shims-'));
  const target = mkdtempSync(join(tmpdir(), 'mcoa-root-'));
  try {
    const log = join(shims, 'calls');
    writeFileSync(log, '');
    const shim = (name: string, body: string) => {
      writeFileSync(join(shims, name), `#!/bin/sh\necho "${name} $*" >> ${log}\n${body}\n`);
      chmodSync(join(shims, name), 0o755);
    };
    // groupadd --prefix writes the group into the target's files, as the real one does.
    shim('groupadd', `[ "$1" = --prefix ] && echo "mcoa:x:999:" >> "$2/etc/group"; exit 0`);
    shim('getent', 'exit 0'); // this system's NSS: must not be asked
    shim('systemctl', 'exit 0');
    const env = { PATH: `${shims}:/usr/bin:/bin`, DPKG_ROOT: target };
    mkdirSync(join(target, 'etc'));
    writeFileSync(join(target, 'etc/group'), 'root:x:0:\n');
    sh('sh', [join(ctl, 'postinst'), 'configure', ''], { env });
    sh('sh', [join(ctl, 'postinst'), 'configure', ''], { env });
    assert.equal(readFileSync(log, 'utf8'), `groupadd --prefix ${target} --system mcoa\n`, 'once, into the target; no getent, no systemctl');
    assert.equal(readFileSync(join(target, 'etc/group'), 'utf8'), 'root:x:0:\nmcoa:x:999:\n');

    writeFileSync(log, '');
    sh('sh', [join(ctl, 'prerm'), 'remove'], { env });
    assert.equal(readFileSync(log, 'utf8'), `systemctl --root=${target} disable mcoad.service\n`, 'the enablement links of the target only');

    mkdirSync(join(target, 'var/lib/mcoad'), { recursive: true });
    writeFileSync(join(target, 'var/lib/mcoad/journal.1'), 'x');
    mkdirSync(join(target, 'etc/mcoad'));
    writeFileSync(log, '');
    for (let i = 0; i < 2; i++) sh('sh', [join(ctl, 'postrm'), 'purge'], { env });
    assert.equal(existsSync(join(target, 'var/lib/mcoad')), false);
    assert.equal(existsSync(join(target, 'etc/mcoad')), false);
    assert.equal(readFileSync(log, 'utf8'), '', 'no daemon-reload of the running system');
  } finally {
    rmSync(shims, { recursive: true, force: true });
    rmSync(target, { recursive: true, force: true });
  }
});

test('lintian (when installed) finds no errors', { skip: has('lintian') ? false : 'lintian is not installed' }, () => {
  const r = spawnSync('lintian', ['--no-tag-display-limit', built.path], { encoding: 'utf8' });
  const errors = r.stdout.split('\n').filter((l) => l.startsWith('E:'));
  assert.deepEqual(errors, []);
});

test('clean up', () => rmSync(out, { recursive: true, force: true }));

// `npm run package`: builds mcoa_<version>_<arch>.deb with dpkg-deb. The tree is what
// `npm ci && npm prune --omit=dev` leaves (run as one `npm ci --omit=dev` in a staging
// directory, so the developer's node_modules is never pruned), plus the library compiled
// with tsconfig.build.json (no tests, benches or demo), bin/, the systemd unit, the example
// configuration as the conffile /etc/mcoad/mcoad.yaml and the man pages rendered from
// packaging/man/pages.ts.
//   node dist/packaging/deb.js [--out DIR]      (default: the repository root)
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, createReadStream, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { COMMANDS } from '../lib/cli/main.js';
import { mcoactl, mcoad, mcoadYaml } from './man/pages.js';
import { renderManPage, type ManPage } from './man/roff.js';

/** The repository root: dist/packaging/deb.js -> ../.. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where things go on the target system. */
const APP = 'usr/lib/mcoa';
const CONFFILE = 'etc/mcoad/mcoad.yaml';

export interface DebOptions {
  /** Directory the .deb is written to. */
  outDir: string;
  root?: string;
  /** Log lines saying what is being done. */
  say?: (line: string) => void;
}

export interface BuiltDeb {
  path: string;
  version: string;
  arch: string;
  installedSizeKiB: number;
}

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
}

/** Every file and directory below `dir` (lstat: symbolic links are not followed). */
function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    out.push(p);
    if (lstatSync(p).isDirectory()) walk(p, out);
  }
  return out;
}

/** Modes as Debian wants them whatever the umask was: 0755 directories and executables, 0644 the rest. */
function normaliseModes(root: string): void {
  chmodSync(root, 0o755);
  for (const p of walk(root)) {
    const st = lstatSync(p);
    if (st.isSymbolicLink()) continue;
    chmodSync(p, st.isDirectory() || st.mode & 0o100 ? 0o755 : 0o644);
  }
}

function md5(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('md5');
    createReadStream(path)
      .on('data', (c) => h.update(c))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });
}

/** Words into lines of at most `width` characters (Debian's extended description). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(/\s+/)) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last]!.length + 1 + word.length <= width) lines[last] += ` ${word}`;
    else lines.push(word);
  }
  return lines;
}

/** YYYY-MM-DD from SOURCE_DATE_EPOCH (reproducible builds), else today. */
function buildDate(): string {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  const d = epoch && /^\d+$/.test(epoch) ? new Date(Number(epoch) * 1000) : new Date();
  return d.toISOString().slice(0, 10);
}

function installMan(pkg: string, page: ManPage, version: string, date: string): void {
  const dir = join(pkg, 'usr/share/man', `man${page.section}`);
  mkdirSync(dir, { recursive: true });
  // gzip -9n: Node's gzip header carries no name and mtime 0, so the output is reproducible.
  writeFileSync(join(dir, `${page.name}.${page.section}.gz`), gzipSync(renderManPage(page, version, date), { level: 9 }));
}

/** The three man pages, rendered from their one source. */
export function manPages(root: string): ManPage[] {
  const example = readFileSync(join(root, 'examples/mcoad.yaml'), 'utf8').replace(/\n$/, '').split('\n');
  return [mcoad, mcoactl(COMMANDS), mcoadYaml(example)];
}

export async function buildDeb(opts: DebOptions): Promise<BuiltDeb> {
  const root = opts.root ?? REPO_ROOT;
  const say = opts.say ?? (() => {});
  const meta = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string; description: string };
  const version = meta.version;
  const arch = run('dpkg', ['--print-architecture'], root).trim();
  const stage = mkdtempSync(join(tmpdir(), 'mcoa-deb-'));
  try {
    const pkg = join(stage, 'root');
    const app = join(pkg, APP);
    mkdirSync(app, { recursive: true });

    say(`compiling lib/ with tsconfig.build.json into ${APP}/dist`);
    run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json'), '--outDir', join(app, 'dist')], root);

    say('installing runtime dependencies (npm ci --omit=dev)');
    copyFileSync(join(root, 'package.json'), join(app, 'package.json'));
    copyFileSync(join(root, 'package-lock.json'), join(app, 'package-lock.json'));
    // --ignore-scripts: `prepare` would compile the sources, which are not here; koffi's
    // native part comes prebuilt in its platform package (@koromix/koffi-<os>-<arch>).
    run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], app);
    rmSync(join(app, 'package-lock.json'));
    // protobufjs (etcd3 -> @grpc/proto-loader) lists @types/node as a runtime dependency;
    // type declarations are never loaded at run time.
    rmSync(join(app, 'node_modules/@types'), { recursive: true, force: true });

    say('adding bin/, the unit, the configuration, the man pages');
    mkdirSync(join(app, 'bin'));
    for (const b of ['mcoad', 'mcoactl']) {
      copyFileSync(join(root, 'bin', b), join(app, 'bin', b));
      chmodSync(join(app, 'bin', b), 0o755);
    }
    copyFileSync(join(root, 'README.md'), join(app, 'README.md'));
    mkdirSync(join(pkg, 'usr/bin'), { recursive: true });
    for (const b of ['mcoad', 'mcoactl']) symlinkSync(`../lib/mcoa/bin/${b}`, join(pkg, 'usr/bin', b));
    mkdirSync(join(pkg, 'usr/lib/systemd/system'), { recursive: true });
    copyFileSync(join(root, 'systemd/mcoad.service'), join(pkg, 'usr/lib/systemd/system/mcoad.service'));
    mkdirSync(join(pkg, 'etc/mcoad'), { recursive: true });
    copyFileSync(join(root, 'examples/mcoad.yaml'), join(pkg, CONFFILE));
    const doc = join(pkg, 'usr/share/doc/mcoa');
    mkdirSync(join(doc, 'examples'), { recursive: true });
    copyFileSync(join(root, 'packaging/debian/copyright'), join(doc, 'copyright'));
    for (const f of readdirSync(join(root, 'examples'))) copyFileSync(join(root, 'examples', f), join(doc, 'examples', f));
    const date = buildDate();
    for (const page of manPages(root)) installMan(pkg, page, version, date);

    normaliseModes(pkg);
    chmodSync(join(pkg, CONFFILE), 0o600); // holds ESP keys once edited

    const sums: string[] = [];
    for (const p of walk(pkg).sort()) if (lstatSync(p).isFile()) sums.push(`${await md5(p)}  ${relative(pkg, p)}`);
    const installedSizeKiB = Math.ceil(Number(run('du', ['-s', '-k', '--apparent-size', pkg], root).split('\t')[0]));

    const debian = join(pkg, 'DEBIAN');
    mkdirSync(debian);
    writeFileSync(
      join(debian, 'control'),
      [
        'Package: mcoa',
        `Version: ${version}`,
        `Architecture: ${arch}`,
        'Maintainer: mcoa developers <mcoa@localhost>',
        `Installed-Size: ${installedSizeKiB}`,
        'Depends: nodejs (>= 20), passwd',
        'Section: net',
        'Priority: optional',
        'Homepage: https://localhost/mcoa',
        `Description: Mobile IPv6 home agent with Multiple Care-of Addresses Registration`,
        ...wrap(`${meta.description}.`, 72).map((l) => ` ${l}`),
        ' mcoad runs a home agent, mobile node or correspondent; mcoactl inspects',
        ' and controls it. Installs a systemd unit (not enabled: edit',
        ' /etc/mcoad/mcoad.yaml first, then systemctl enable --now mcoad).',
        '',
      ].join('\n'),
    );
    writeFileSync(join(debian, 'conffiles'), `/${CONFFILE}\n`);
    writeFileSync(join(debian, 'md5sums'), sums.join('\n') + '\n');
    for (const s of ['postinst', 'prerm', 'postrm']) copyFileSync(join(root, 'packaging/debian', s), join(debian, s));
    normaliseModes(debian);
    for (const f of ['control', 'conffiles', 'md5sums']) chmodSync(join(debian, f), 0o644);

    mkdirSync(opts.outDir, { recursive: true });
    const path = join(opts.outDir, `mcoa_${version}_${arch}.deb`);
    say(`dpkg-deb --build -> ${path}`);
    run('dpkg-deb', ['--root-owner-group', '--build', pkg, path], root);
    return { path, version, arch, installedSizeKiB };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  const built = await buildDeb({ outDir: values.out ?? REPO_ROOT, say: (l) => process.stdout.write(`package: ${l}\n`) });
  process.stdout.write(`${built.path} (${built.installedSizeKiB} KiB installed)\n`);
}

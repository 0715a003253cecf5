// The Debian package that test/kernel/package-install.test.ts installs inside user-mode
// Linux. It is built here, on the host, before the boot: inside, the repository is
// read-only and `npm ci --omit=dev` has neither a writable cache nor a network. The .deb
// goes to dist/deb/ with a hash of everything it is made from, so an unchanged tree is not
// packaged again (building takes a minute or more on a loaded machine).
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { buildDeb } from '../../packaging/deb.js';

/** The kernel test file that needs the package. */
export const PACKAGE_TEST_FILE = 'package-install.test.js';
/** Where the package and the hash of its inputs are kept, relative to the repository root. */
export const PACKAGE_DIR = join('dist', 'deb');
const INPUTS_HASH = 'inputs.sha256';

/** What the package is made from (packaging/deb.ts): sources, programs, unit, examples, scripts, dependencies. */
const INPUTS = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'bin', 'lib', 'packaging', 'systemd', 'examples'];

function filesUnder(path: string, out: string[]): void {
  const st = lstatSync(path);
  if (!st.isDirectory()) {
    out.push(path);
    return;
  }
  for (const name of readdirSync(path).sort()) filesUnder(join(path, name), out);
}

/** sha256 over the inputs' paths and contents. */
export function inputsHash(root: string): string {
  const h = createHash('sha256');
  const files: string[] = [];
  for (const i of INPUTS) if (existsSync(join(root, i))) filesUnder(join(root, i), files);
  for (const f of files) {
    h.update(`${f.slice(root.length)}\0`);
    h.update(readFileSync(f));
  }
  return h.digest('hex');
}

/** The package in dist/deb/, or undefined when none was built. */
export function builtPackage(root: string): string | undefined {
  const dir = join(root, PACKAGE_DIR);
  if (!existsSync(dir)) return undefined;
  return readdirSync(dir).filter((n) => /^mcoa_.+\.deb$/.test(n)).map((n) => join(dir, n))[0];
}

/** Builds dist/deb/mcoa_<version>_<arch>.deb when `testFiles` include the package test and the inputs changed. */
export async function preparePackage(root: string, testFiles: readonly string[], say: (line: string) => void): Promise<void> {
  if (!testFiles.some((f) => basename(f) === PACKAGE_TEST_FILE)) return;
  const dir = join(root, PACKAGE_DIR);
  const hash = inputsHash(root);
  const hashFile = join(dir, INPUTS_HASH);
  if (builtPackage(root) !== undefined && existsSync(hashFile) && readFileSync(hashFile, 'utf8').trim() === hash) {
    say(`${PACKAGE_TEST_FILE}: ${builtPackage(root)!} is up to date`);
    return;
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  say(`${PACKAGE_TEST_FILE}: building the package on the host (npm run package) into ${PACKAGE_DIR}`);
  const built = await buildDeb({ outDir: dir, root, say: (l) => say(`package: ${l}`) });
  writeFileSync(hashFile, `${hash}\n`);
  say(`${PACKAGE_TEST_FILE}: ${built.path}`);
}

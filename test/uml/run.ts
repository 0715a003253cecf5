// Runs the kernel tests inside user-mode Linux (UML).
//
// Why: the kernel that runs the sessions and CI has no ip6tnl, no Mobile IPv6
// (CONFIG_IPV6_MIP6) and no ESP, and cannot load modules. Debian's user-mode-linux (6.1)
// has them all as modules, boots in about two seconds, and can use the host's root file
// system, so the host's node and the compiled repository run inside unchanged.
//
// Interface for whoever writes kernel tests:
// - Kernel test files are test/kernel/**/*.test.ts (compiled to dist/test/kernel/**/*.test.js).
// - They run inside UML as root, with MCOA_IN_UML=1, the repository root as working
//   directory, `node --test` (one process per file), the host root read-only; write only
//   under /tmp (a tmpfs) or the test's own network namespaces.
// - Each test creates its own network namespaces with test/kernel/netns.ts and never
//   touches the initial namespace; netns.ts refuses to run outside UML.
// - Loaded before the tests: ipv6 ip6_tunnel mip6 xfrm_user esp6 veth (required), plus
//   tunnel6 xfrm6_tunnel ah6 ipcomp6 dummy and the AES-GCM crypto modules when present.
//   Anything else loads on demand (kernel.modprobe points at the UML module tree), or can
//   be made required with --module NAME.
// - The whole suite: `npx tsc -p . && node dist/test/uml/run.js` (default: every
//   *.test.js under dist/test/kernel/). Or name files or directories:
//   `node dist/test/uml/run.js dist/test/kernel/harness.test.js`.
// - Exit status: node --test's own (0 pass, 1 a test failed); 3 when the harness failed
//   (no `linux`, kernel did not boot, init failed, no test files); 124 on a timeout.
//   Install the prerequisites with .ci/uml-deps.sh.

import { readdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { EXIT_HARNESS_FAILED, HarnessError, findLinux, runInUml, type UmlRun } from './boot.js';

const USAGE = `usage: node dist/test/uml/run.js [options] [test files or directories...]
  --timeout SECONDS       whole run, boot included (default 540, or $MCOA_UML_TIMEOUT)
  --boot-timeout SECONDS  until init starts (default 120)
  --mem MIB               UML memory (default 1024)
  --reporter NAME         node --test reporter: spec, tap, dot (default spec)
  --module NAME           a further kernel module that must load (repeatable)
  --verbose               also show kernel boot and shutdown messages
  --exec                  run the first argument as a plain node script (benchmarks, the
                          demo) with the remaining arguments, instead of node --test
Directories are searched for *.test.js; default: dist/test/kernel/ of this repository.`;

/** Repository root, from this file's place in dist/test/uml/. */
function repoRoot(): string {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  if (!existsSync(join(root, 'test', 'uml', 'init.sh'))) {
    throw new HarnessError(`cannot find test/uml/init.sh under ${root}; run the compiled dist/test/uml/run.js of the repository`);
  }
  return root;
}

function testFilesUnder(dir: string, into: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules') testFilesUnder(path, into);
    else if (entry.isFile() && entry.name.endsWith('.test.js')) into.push(path);
  }
}

/** Absolute, sorted, unique test files named by the arguments (files as given, directories searched). */
function collectTestFiles(args: readonly string[]): string[] {
  const files: string[] = [];
  for (const arg of args) {
    const path = resolve(arg);
    let isDir: boolean;
    try {
      isDir = statSync(path).isDirectory();
    } catch {
      throw new HarnessError(`no such test file or directory: ${arg} (did the build run? npx tsc -p .)`);
    }
    if (isDir) testFilesUnder(path, files);
    else files.push(path);
  }
  const unique = [...new Set(files)].sort();
  if (unique.length === 0) throw new HarnessError(`no *.test.js files in ${args.join(' ')} (did the build run? npx tsc -p .)`);
  const bad = unique.find((f) => f.includes('\n'));
  if (bad !== undefined) throw new HarnessError(`test file path contains a line break: ${JSON.stringify(bad)}`);
  return unique;
}

/** --exec: the script (made absolute) and its arguments, passed through unchanged. */
function execArguments(args: readonly string[]): string[] {
  const [script, ...rest] = args;
  if (script === undefined) throw new HarnessError('--exec needs a script to run');
  if (!existsSync(script)) throw new HarnessError(`no such script: ${script} (did the build run? npx tsc -p .)`);
  const all = [resolve(script), ...rest];
  if (all.some((a) => a.includes('\n'))) throw new HarnessError('--exec arguments must not contain line breaks');
  return all;
}

function positiveNumber(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new HarnessError(`${name} must be a positive number, not "${text}"`);
  return n;
}

function parseRun(argv: readonly string[]): UmlRun | undefined {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      timeout: { type: 'string', default: process.env['MCOA_UML_TIMEOUT'] ?? '540' },
      'boot-timeout': { type: 'string', default: '120' },
      mem: { type: 'string', default: '1024' },
      reporter: { type: 'string', default: 'spec' },
      module: { type: 'string', multiple: true, default: [] },
      verbose: { type: 'boolean', default: false },
      exec: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return undefined;
  const root = repoRoot();
  const memMiB = Math.round(positiveNumber('--mem', values.mem));
  if (memMiB < 256) throw new HarnessError('--mem below 256 MiB will not run node');
  const forceColor = process.env['FORCE_COLOR'];
  return {
    linux: findLinux(),
    repoRoot: root,
    initScript: join(root, 'test', 'uml', 'init.sh'),
    node: process.execPath,
    testFiles: values.exec
      ? execArguments(positionals)
      : collectTestFiles(positionals.length > 0 ? positionals : [join(root, 'dist', 'test', 'kernel')]),
    memMiB,
    bootTimeoutMs: positiveNumber('--boot-timeout', values['boot-timeout']) * 1000,
    timeoutMs: positiveNumber('--timeout', values.timeout) * 1000,
    // init.sh reads the reporter "exec" as: run tests.list as `node SCRIPT ARGS...`.
    reporter: values.exec ? 'exec' : values.reporter,
    color: forceColor !== undefined ? forceColor !== '0' : process.stdout.isTTY === true && process.env['NO_COLOR'] === undefined,
    modules: values.module,
    verbose: values.verbose,
  };
}

async function main(): Promise<number> {
  try {
    const run = parseRun(process.argv.slice(2));
    if (run === undefined) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    return await runInUml(run);
  } catch (err) {
    // Bad arguments print the usage; the harness's own failures say what to do instead.
    const harness = err instanceof HarnessError;
    process.stderr.write(`uml-run: FAILED: ${err instanceof Error ? err.message : String(err)}\n${harness ? '' : `${USAGE}\n`}`);
    return harness ? err.exitCode : EXIT_HARNESS_FAILED;
  }
}

process.exitCode = await main();

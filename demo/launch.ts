// `npm run demo`: chooses where the demo runs (path-choice.ts) and runs it there, with one
// line saying which path and why. Directly in network namespaces on this kernel when it has
// what the demo needs (as root, probed in a scratch namespace: kernel-probe.ts), otherwise
// inside user-mode Linux through the kernel test harness (test/uml/run.ts --exec), which
// also installs its own prerequisites. --uml or --direct forces a path.
// Exit status: the demo's; 1 when neither path can run, 2 on bad arguments.
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PrerequisiteError, ensurePrerequisites } from '../test/uml/prerequisites.js';
import { probeKernel } from './kernel-probe.js';
import { choiceLine, choosePath, wantsProbe, type ForcedPath, type ProbeOutcome } from './path-choice.js';

const USAGE = `usage: npm run demo [-- --uml | --direct]
  (no option)  directly in network namespaces when this kernel has ip6tnl, Mobile IPv6 and
               ESP (probed as root in a scratch namespace), otherwise in user-mode Linux
  --uml        always in user-mode Linux
  --direct     always directly; fails, naming what is missing, when the kernel lacks it`;

/** What the direct path runs besides node (demo.ts and its fixtures). */
const DIRECT_PROGRAMS = ['ip', 'sysctl'];

/** The repository root, from this file's place in dist/demo/. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const say = (line: string): void => void process.stdout.write(`${line}\n`);

function forcedPath(argv: readonly string[]): ForcedPath | undefined | 'help' {
  const { values } = parseArgs({ args: [...argv], options: { uml: { type: 'boolean' }, direct: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) return 'help';
  if (values.uml && values.direct) throw new TypeError('--uml and --direct exclude each other');
  return values.uml ? 'uml' : values.direct ? 'direct' : undefined;
}

/** Runs node with `args` (stdio shared), resolves with its exit status; SIGINT/SIGTERM go to it, and this process waits for it. */
function runNode(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const child = spawn(process.execPath, args, { stdio: 'inherit', cwd: ROOT, env });
  const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolvePromise, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      process.removeListener('SIGINT', forward);
      process.removeListener('SIGTERM', forward);
      resolvePromise(code ?? (signal === 'SIGINT' ? 130 : 1));
    });
  });
}

async function main(): Promise<number> {
  let forced: ReturnType<typeof forcedPath>;
  try {
    forced = forcedPath(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    return 2;
  }
  if (forced === 'help') {
    say(USAGE);
    return 0;
  }
  const uid = process.getuid?.() ?? -1;
  // A signal during the probe still deletes its scratch namespace (its exit hook); `on`, so
  // that a second signal finds this handler instead of the default action.
  const exitOnSignal = (): never => process.exit(130);
  process.on('SIGINT', exitOnSignal);
  process.on('SIGTERM', exitOnSignal);
  const probe = wantsProbe(uid, forced)
    ? await probeKernel().catch((err: unknown): ProbeOutcome => ({ ran: false, why: `the probe failed: ${err instanceof Error ? err.message : String(err)}` }))
    : undefined;
  process.removeListener('SIGINT', exitOnSignal);
  process.removeListener('SIGTERM', exitOnSignal);
  const choice = choosePath({ uid, inUml: process.env['MCOA_IN_UML'] === '1', forced, probe });
  say(choiceLine(choice));
  if (choice.path === 'refuse') return 1;
  if (choice.path === 'uml') return runNode([join(ROOT, 'dist', 'test', 'uml', 'run.js'), '--exec', join(ROOT, 'dist', 'demo', 'demo.js')]);
  try {
    ensurePrerequisites(ROOT, (line) => say(`demo: ${line}`), DIRECT_PROGRAMS);
  } catch (err) {
    if (!(err instanceof PrerequisiteError)) throw err;
    say(`demo: cannot run: ${err.message}`);
    return 1;
  }
  return runNode([join(ROOT, 'dist', 'demo', 'demo.js')], { ...process.env, MCOA_DEMO_DIRECT: '1' });
}

process.exitCode = await main();

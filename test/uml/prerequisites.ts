// The programs the tests and the demo run outside node, and what to do when some are
// missing: the README's two commands (`npm run demo`, `npm test`) install them on a fresh
// Debian machine with the script CI uses (.ci/uml-deps.sh), as root, and say so; without
// root they stop with the command to run. The decision is pure (planPrerequisites); the
// effects (PATH lookup, running the script) are in ensurePrerequisites.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Program -> the Debian package .ci/uml-deps.sh installs it from. */
export const REQUIRED_PROGRAMS: readonly (readonly [program: string, pkg: string])[] = [
  ['linux', 'user-mode-linux'],
  ['cc', 'gcc'],
  ['modprobe', 'kmod'],
  ['ip', 'iproute2'],
  ['sysctl', 'procps'],
  ['mount', 'util-linux'],
  ['setsid', 'util-linux'],
  ['tshark', 'tshark'],
  ['tcpdump', 'tcpdump'],
  ['systemd-analyze', 'systemd'],
  ['ping', 'iputils-ping'],
  ['radvd', 'radvd'],
];

export const DEPS_SCRIPT = '.ci/uml-deps.sh';

export type PrerequisitePlan =
  | { action: 'none' }
  | { action: 'install'; missing: string[]; packages: string[]; command: string[] }
  | { action: 'refuse'; missing: string[]; packages: string[]; message: string };

/** Programs missing -> nothing to do, the install command (root), or a message saying how (not root). */
export function planPrerequisites(missing: readonly string[], uid: number, scriptPath: string): PrerequisitePlan {
  if (missing.length === 0) return { action: 'none' };
  const packages = [...new Set(missing.map((p) => REQUIRED_PROGRAMS.find(([prog]) => prog === p)?.[1] ?? p))];
  if (uid === 0) return { action: 'install', missing: [...missing], packages, command: ['sh', scriptPath] };
  return {
    action: 'refuse',
    missing: [...missing],
    packages,
    message:
      `missing ${missing.join(', ')} (Debian packages ${packages.join(' ')}); ` +
      `run this command as root to have them installed, or install them first: sudo sh ${scriptPath}`,
  };
}

const ALL_PROGRAMS: readonly string[] = REQUIRED_PROGRAMS.map(([prog]) => prog);

/**
 * The programs of `programs` (default all of REQUIRED_PROGRAMS) not found as executables on
 * `pathVar` or in `alsoIn` (Debian keeps ip, sysctl and modprobe in sbin, which a user's
 * PATH may leave out).
 */
export function missingPrograms(
  pathVar: string = process.env['PATH'] ?? '',
  alsoIn: readonly string[] = ['/usr/sbin', '/sbin'],
  programs: readonly string[] = ALL_PROGRAMS,
): string[] {
  const dirs = [...new Set([...pathVar.split(delimiter).filter((d) => d !== ''), ...alsoIn])];
  const found = (prog: string): boolean =>
    dirs.some((d) => {
      try {
        accessSync(join(d, prog), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  return programs.filter((p) => !found(p));
}

export class PrerequisiteError extends Error {
  override name = 'PrerequisiteError';
}

/**
 * Installs what is missing of `programs` (as root, with the repository's .ci/uml-deps.sh,
 * its output shown), or throws PrerequisiteError saying what to run. Silent when all are
 * present. The demo's direct path asks only for the programs it runs.
 */
export function ensurePrerequisites(
  repoRoot: string,
  say: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
  programs: readonly string[] = ALL_PROGRAMS,
): void {
  const missing = (): string[] => missingPrograms(undefined, undefined, programs);
  const plan = planPrerequisites(missing(), process.getuid?.() ?? -1, join(repoRoot, DEPS_SCRIPT));
  if (plan.action === 'none') return;
  if (plan.action === 'refuse') throw new PrerequisiteError(plan.message);
  say(`prerequisites: missing ${plan.missing.join(', ')}; installing Debian packages ${plan.packages.join(' ')}: ${plan.command.join(' ')}`);
  const r = spawnSync(plan.command[0]!, plan.command.slice(1), { stdio: ['ignore', 'inherit', 'inherit'], cwd: repoRoot });
  if (r.error) throw new PrerequisiteError(`${plan.command.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new PrerequisiteError(`${plan.command.join(' ')} failed (exit status ${r.status ?? r.signal}); see its output above`);
  const still = missing();
  if (still.length > 0) throw new PrerequisiteError(`still missing after ${plan.command.join(' ')}: ${still.join(', ')}`);
  say('prerequisites: installed');
}

// The README's test command: unit tests on the host, then the kernel tests inside
// user-mode Linux, with one closing line that sums both runs ("N passed, N failed").
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PrerequisiteError, ensurePrerequisites } from './uml/prerequisites.js';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..');

interface Totals {
  pass: number;
  fail: number;
  skipped: number;
}

/** Runs a command with live output and picks the spec/TAP reporter's summary counts from it. */
function run(cmd: string, args: string[]): Promise<{ code: number; totals: Totals }> {
  return new Promise((resolve) => {
    const totals: Totals = { pass: 0, fail: 0, skipped: 0 };
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let rest = '';
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        const m = /^(?:ℹ|#) (pass|fail|skipped) (\d+)\s*$/.exec(line.trim());
        if (m) totals[m[1] as keyof Totals] += Number(m[2]);
      }
    });
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), totals }));
  });
}

const stages: [string, string, string[]][] = [
  ['unit tests (host)', process.execPath, [
    // A test that leaves a handle open must fail its file, not hold the run until CI's limit.
    '--test', '--test-reporter=spec', '--test-timeout=600000', '--test-force-exit', join(dist, 'test', 'unit'),
  ]],
  // The kernel test files in two user-mode Linux instances side by side (about twenty
  // minutes of scenarios in one instance on a 2-core machine); the harness stops at 45.
  ['kernel tests (user-mode Linux)', process.execPath, [join(dist, 'test', 'uml', 'run.js'), '--timeout', '2700']],
];

// The host tests run tshark and systemd-analyze too: install what is missing before either stage.
try {
  ensurePrerequisites(join(dist, '..'), (line) => process.stdout.write(`${line}\n`));
} catch (err) {
  if (!(err instanceof PrerequisiteError)) throw err;
  process.stderr.write(`npm test: ${err.message}\n`);
  process.exit(3);
}

/** A command with its output held back (printed once it ends), so it can run beside a stage. */
function runQuiet(cmd: string, args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    child.on('error', (err) => resolve({ code: 1, output: `${output}${err.message}\n` }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), output }));
  });
}

const sum: Totals = { pass: 0, fail: 0, skipped: 0 };
let failedStage = '';
// The linter (typescript-eslint: floating and misused promises) runs beside the host unit
// tests, which keep one core of two busy; its report follows theirs.
const repo = join(dist, '..');
const lint = runQuiet(process.execPath, [join(repo, 'node_modules', 'eslint', 'bin', 'eslint.js'), '--max-warnings', '0', '.'], repo);
for (const [name, cmd, args] of stages) {
  if (name === stages[1]?.[0]) {
    process.stdout.write('\n=== lint (eslint) ===\n');
    const { code, output } = await lint;
    process.stdout.write(output || 'no problems\n');
    if (code !== 0) {
      failedStage ||= 'lint (eslint)';
      sum.fail += 1;
    }
  }
  process.stdout.write(`\n=== ${name} ===\n`);
  const { code, totals } = await run(cmd, args);
  sum.pass += totals.pass;
  sum.fail += totals.fail;
  sum.skipped += totals.skipped;
  if (code !== 0) {
    failedStage ||= name;
    // A harness failure (kernel did not boot) counts as a failure even with no test counted.
    if (totals.fail === 0) sum.fail += 1;
  }
}
if (failedStage) process.stdout.write(`\nfirst failing stage: ${failedStage}\n`);
process.stdout.write(`\ntests: ${sum.pass} passed, ${sum.fail} failed, ${sum.skipped} skipped\n`);
process.exitCode = sum.fail > 0 || failedStage ? 1 : 0;

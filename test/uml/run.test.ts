// Host-side checks of the harness itself (needs `linux`; about 5 minutes): the exit status of
// the tests inside reaches the host, and every way the run can go wrong exits non-zero
// with a message and leaves no UML process or temporary directory behind.
// Run: node --test dist/test/uml/

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { REQUIRED_PROGRAMS } from './prerequisites.js';

const here = dirname(fileURLToPath(import.meta.url));
const runJs = join(here, 'run.js');
const fixture = (name: string): string => join(here, 'fixtures', `${name}.fixture.js`);

/** A program's path on this PATH, or undefined. */
function which(prog: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    if (dir !== '' && existsSync(join(dir, prog))) return join(dir, prog);
  }
  return undefined;
}

interface Outcome {
  status: number | null;
  stdout: string;
  stderr: string;
}

function runHarness(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [runJs, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** The work directories a run announced, one per instance (they appear in UML's command line). */
function workDirs(out: Outcome): string[] {
  const dirs = [...out.stdout.matchAll(/MCOA_UML_CTL=(\S+)/g)].map((m) => m[1] as string);
  assert.ok(dirs.length > 0, `no work directory announced in:\n${out.stdout}${out.stderr}`);
  return dirs;
}

/** Host processes whose command line mentions the directory, i.e. UML processes of that run. */
function processesMentioning(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

function assertNothingLeft(out: Outcome): void {
  for (const dir of workDirs(out)) {
    assert.deepEqual(processesMentioning(dir), [], 'UML processes survived the run');
    assert.ok(!existsSync(dir), `${dir} was not removed`);
  }
}

test('a failing test inside makes the run fail; results and one summed summary reach the host', async () => {
  // Two files: by default two instances side by side, one file each.
  const out = await runHarness([fixture('passing'), fixture('failing')]);
  assert.equal(out.status, 1, out.stdout + out.stderr);
  assert.equal(workDirs(out).length, 2, 'two instances, each with its own work directory');
  assert.match(out.stdout, /^--- dist\/test\/uml\/fixtures\/passing\.fixture\.js \(uml \d\/2\)\n✔ fixture: sees MCOA_IN_UML=1 .*\n--- dist\/test\/uml\/fixtures\/passing\.fixture\.js: passed, pass 1, fail 0/m,
    'a file\'s lines come whole between its header and footer');
  assert.match(out.stdout, /✖ fixture: fails on purpose/);
  assert.match(out.stdout, /failing\.fixture\.js: FAILED \(exit status 1\), pass 0, fail 1/);
  assert.equal([...out.stdout.matchAll(/^ℹ pass (\d+)$/gm)].map((m) => m[1]).join(), '1', 'one summary, the sum of both files');
  assert.equal([...out.stdout.matchAll(/^ℹ fail (\d+)$/gm)].map((m) => m[1]).join(), '1');
  assert.match(out.stdout, /\[uml \d\/2\] mcoa-uml: done, exit status 1/);
  assert.match(out.stdout, /uml-run: failed \(exit status 1\): dist\/test\/uml\/fixtures\/failing\.fixture\.js \(uml \d\/2\)/);
  assert.doesNotMatch(out.stdout, /SELinux|reboot: System halted/, 'boot and shutdown messages are held back');
  assertNothingLeft(out);
});

test('with two instances, a timeout of one fails the run and names it; the other\'s results still arrive', async () => {
  // Equal estimates (no record for fixtures): the first file goes to instance 1. The
  // deadline leaves the passing instance ample time on a busy machine (it needs ~5-25 s).
  const out = await runHarness(['--timeout', '150', fixture('hanging'), fixture('passing')]);
  assert.equal(out.status, 124, out.stdout + out.stderr);
  assert.match(out.stderr, /uml-run: uml 1\/2: FAILED: timed out after 150\.0 s \(tests still running\)/);
  assert.match(out.stderr, /uml-run: FAILED: uml 1\/2 timed out \(exit status 124\)/);
  assert.match(out.stdout, /passing\.fixture\.js: passed, pass 1, fail 0.*\(uml 2\/2\)/);
  assert.match(out.stdout, /hanging\.fixture\.js: DID NOT FINISH, .*\(uml 1\/2\)/);
  assert.match(out.stdout, /uml-run: did not finish: dist\/test\/uml\/fixtures\/hanging\.fixture\.js \(uml 1\/2\)/);
  assertNothingLeft(out);
});

test('--instances 1 runs several files in one instance, each under its own header, live', async () => {
  const out = await runHarness(['--instances', '1', fixture('passing'), fixture('failing')]);
  assert.equal(out.status, 1, out.stdout + out.stderr);
  assert.equal(workDirs(out).length, 1);
  assert.match(out.stdout, /^--- dist\/test\/uml\/fixtures\/failing\.fixture\.js\n✖ fixture: fails on purpose/m);
  assert.match(out.stdout, /^--- dist\/test\/uml\/fixtures\/passing\.fixture\.js: passed, pass 1, fail 0, skipped 0, [\d.]+ s$/m);
  assert.match(out.stdout, /^ℹ pass 1\nℹ fail 1\n/m);
  assertNothingLeft(out);
});

test('a passing run exits 0 and the TAP reporter can be chosen', async () => {
  const out = await runHarness(['--reporter', 'tap', fixture('passing')]);
  assert.equal(out.status, 0, out.stdout + out.stderr);
  assert.match(out.stdout, /^# pass 1$/m);
  assert.match(out.stdout, /^# fail 0$/m);
  assertNothingLeft(out);
});

test('an init failure (a module that cannot load) fails the run with the reason', async () => {
  const out = await runHarness(['--module', 'mcoa_no_such_module', fixture('passing')]);
  assert.equal(out.status, 3, out.stdout + out.stderr);
  assert.match(out.stderr, /uml-run: FAILED: init script failed: modprobe could not load all of: .*mcoa_no_such_module/);
  assertNothingLeft(out);
});

test('a run past its deadline is killed and exits 124', async () => {
  // On a busy machine the deadline may pass while UML still boots; either way it must end the run.
  const out = await runHarness(['--timeout', '10', fixture('hanging')]);
  assert.equal(out.status, 124, out.stdout + out.stderr);
  assert.match(out.stderr, /uml-run: FAILED: timed out after 10\.0 s \((tests still running|still booting)\)/);
  assertNothingLeft(out);
});

test('a missing `linux` or a kernel that dies at boot fails the run', async () => {
  const bin = mkdtempSync(join(tmpdir(), 'mcoa-uml-fake-'));
  try {
    // Every other prerequisite present, and what .ci/uml-deps.sh runs: as root the harness
    // runs it, finds the package installed, and still no `linux` on this PATH.
    const noLinux = join(bin, 'no-linux');
    mkdirSync(noLinux);
    for (const prog of [...REQUIRED_PROGRAMS.map(([p]) => p), 'sh', 'dpkg-query', 'grep', 'id']) {
      const path = which(prog);
      if (prog !== 'linux' && path !== undefined) symlinkSync(path, join(noLinux, prog));
    }
    const missing = await runHarness([fixture('passing')], { ...process.env, PATH: `${noLinux}:/usr/sbin:/sbin` });
    assert.equal(missing.status, 3, missing.stderr);
    assert.match(missing.stderr, process.getuid?.() === 0 ? /still missing after .*: linux$/m : /missing linux .*run this command as root/);

    writeFileSync(join(bin, 'linux'), '#!/bin/sh\necho "fake kernel: panic"\nexit 7\n');
    chmodSync(join(bin, 'linux'), 0o755);
    const died = await runHarness([fixture('passing')], { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}` });
    assert.equal(died.status, 3);
    assert.match(died.stderr, /\| fake kernel: panic/);
    assert.match(died.stderr, /ended \(exit code 7\) before the tests finished; the kernel never reached init/);
    assertNothingLeft(died);
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
});

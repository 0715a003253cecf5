// Host-side checks of the harness itself (needs `linux`; about 25 s): the exit status of
// the tests inside reaches the host, and every way the run can go wrong exits non-zero
// with a message and leaves no UML process or temporary directory behind.
// Run: node --test dist/test/uml/

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const runJs = join(here, 'run.js');
const fixture = (name: string): string => join(here, 'fixtures', `${name}.fixture.js`);

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

/** The work directory a run announced on its first line (it appears in UML's command line). */
function workDir(out: Outcome): string {
  const m = /MCOA_UML_CTL=(\S+)/.exec(out.stdout);
  assert.ok(m?.[1], `no work directory announced in:\n${out.stdout}${out.stderr}`);
  return m[1];
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
  const dir = workDir(out);
  assert.deepEqual(processesMentioning(dir), [], 'UML processes survived the run');
  assert.ok(!existsSync(dir), `${dir} was not removed`);
}

test('a failing test inside makes the run fail; results and the summary reach the host', async () => {
  const out = await runHarness([fixture('passing'), fixture('failing')]);
  assert.equal(out.status, 1, out.stdout + out.stderr);
  assert.match(out.stdout, /✔ fixture: sees MCOA_IN_UML=1/);
  assert.match(out.stdout, /✖ fixture: fails on purpose/);
  assert.match(out.stdout, /ℹ pass 1\n/);
  assert.match(out.stdout, /ℹ fail 1\n/);
  assert.match(out.stdout, /mcoa-uml: done, exit status 1/);
  assert.doesNotMatch(out.stdout, /SELinux|reboot: System halted/, 'boot and shutdown messages are held back');
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
  const out = await runHarness(['--timeout', '10', fixture('hanging')]);
  assert.equal(out.status, 124, out.stdout + out.stderr);
  assert.match(out.stderr, /uml-run: FAILED: timed out after 10\.0 s \(tests still running\)/);
  assertNothingLeft(out);
});

test('a missing `linux` or a kernel that dies at boot fails the run', async () => {
  const missing = await runHarness([fixture('passing')], { ...process.env, PATH: '/nonexistent' });
  assert.equal(missing.status, 3);
  assert.match(missing.stderr, /`linux` is not on PATH/);

  const bin = mkdtempSync(join(tmpdir(), 'mcoa-uml-fake-'));
  try {
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

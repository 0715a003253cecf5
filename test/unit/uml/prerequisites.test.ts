// The README's two commands on a fresh machine: what they do when programs are missing.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { REQUIRED_PROGRAMS, missingPrograms, planPrerequisites } from '../../uml/prerequisites.js';

const SCRIPT = '/repo/.ci/uml-deps.sh';

test('prerequisites: nothing missing -> nothing to do, as root or not', () => {
  assert.deepEqual(planPrerequisites([], 0, SCRIPT), { action: 'none' });
  assert.deepEqual(planPrerequisites([], 1000, SCRIPT), { action: 'none' });
});

test('prerequisites: missing as root -> the CI script installs their packages', () => {
  const plan = planPrerequisites(['linux', 'tshark', 'mount', 'setsid'], 0, SCRIPT);
  assert.equal(plan.action, 'install');
  assert.ok(plan.action === 'install');
  assert.deepEqual(plan.command, ['sh', SCRIPT]);
  assert.deepEqual(plan.packages, ['user-mode-linux', 'tshark', 'util-linux']);
  assert.deepEqual(plan.missing, ['linux', 'tshark', 'mount', 'setsid']);
});

test('prerequisites: missing, not root -> a message naming programs, packages and the command', () => {
  const plan = planPrerequisites(['linux', 'ip'], 1000, SCRIPT);
  assert.ok(plan.action === 'refuse');
  assert.match(plan.message, /missing linux, ip/);
  assert.match(plan.message, /user-mode-linux iproute2/);
  assert.match(plan.message, /sudo sh \/repo\/\.ci\/uml-deps\.sh/);
});

test('prerequisites: every program maps to a package the CI script installs', () => {
  const script = readFileSync(new URL('../../../../.ci/uml-deps.sh', import.meta.url), 'utf8');
  const listed = /^PACKAGES="([^"]+)"/m.exec(script)?.[1]?.split(/\s+/) ?? [];
  for (const [prog, pkg] of REQUIRED_PROGRAMS) assert.ok(listed.includes(pkg), `${prog}: ${pkg} not in .ci/uml-deps.sh`);
});

test('prerequisites: missingPrograms looks on PATH and in the extra directories, executables only', () => {
  const dir = mkdtempSync(join(tmpdir(), 'prereq-'));
  try {
    for (const [prog] of REQUIRED_PROGRAMS) {
      writeFileSync(join(dir, prog), '#!/bin/sh\n');
      chmodSync(join(dir, prog), 0o755);
    }
    assert.deepEqual(missingPrograms(dir, []), []);
    rmSync(join(dir, 'tshark'));
    chmodSync(join(dir, 'linux'), 0o644); // not executable: missing
    assert.deepEqual(missingPrograms(dir, []), ['linux', 'tshark']);
    assert.deepEqual(missingPrograms('', [dir]), ['linux', 'tshark']);
    assert.deepEqual(missingPrograms('', []), REQUIRED_PROGRAMS.map(([p]) => p));
    // The demo's direct path asks only for what it runs.
    assert.deepEqual(missingPrograms(dir, [], ['ip', 'tshark', 'sysctl']), ['tshark']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

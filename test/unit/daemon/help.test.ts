// `mcoad --help [ROLE]`: the usage names the roles; each role's help lists every reload rule
// of that role (so it says what a reload applies and what needs a restart, and cannot drift
// from the rules); a mistyped role exits 2 with "did you mean". Run through bin/mcoad.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { RELOAD_RULES } from '../../../lib/daemon/service/reload-rules.js';
import { ROLES, closestRole, roleHelp } from '../../../lib/daemon/help.js';

const MCOAD = new URL('../../../../bin/mcoad', import.meta.url).pathname;
const mcoad = (...args: string[]) => spawnSync(process.execPath, [MCOAD, ...args], { encoding: 'utf8' });

test('mcoad --help: usage with --help ROLE and the three roles, exit 0', () => {
  const r = mcoad('--help');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /--help \[ROLE\]/);
  for (const role of ROLES) assert.ok(r.stdout.includes(role), role);
});

for (const role of ROLES) {
  test(`mcoad --help ${role}: its section and, key by key, what a reload does`, () => {
    const r = mcoad('--help', role);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${roleHelp(role)!}\n`);
    assert.match(r.stdout, new RegExp(`^configuration: ${role.replace('-', '_')}:`, 'm'));
    const rules = RELOAD_RULES[role];
    if (!rules) {
      assert.match(r.stdout, /does not reload/);
      return;
    }
    for (const [key, rule] of Object.entries(rules)) {
      const line = r.stdout.split('\n').find((l) => l.trim().startsWith(`${key} `));
      assert.ok(line, `a line for ${key}`);
      assert.ok(line.includes('live' in rule ? `applied: ${rule.live}` : `restart: ${rule.restart}`), line);
    }
  });
}

test('mcoad --help with a mistyped role: exit 2, "did you mean"; a stray argument without --help is refused', () => {
  const r = mcoad('--help', 'home-agnet');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /no role "home-agnet" \(did you mean home-agent\?\)/);
  assert.equal(closestRole('xyzzy'), undefined);
  const stray = mcoad('home-agent');
  assert.equal(stray.status, 2);
  assert.match(stray.stderr, /unexpected argument "home-agent"/);
});

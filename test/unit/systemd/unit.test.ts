// The systemd unit: valid for systemd itself, and only the capabilities a home agent needs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const UNIT = fileURLToPath(new URL('../../../../systemd/mcoad.service', import.meta.url));

test('systemd-analyze verify accepts systemd/mcoad.service', () => {
  // Throws with systemd-analyze's complaints (non-zero exit) when the unit is invalid.
  const out = execFileSync('systemd-analyze', ['verify', UNIT], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.equal(out.trim(), '');
});

test('the unit grants CAP_NET_ADMIN and CAP_NET_RAW only, keeps state and runtime directories, restarts on failure', () => {
  const text = readFileSync(UNIT, 'utf8');
  const value = (key: string) => [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!.trim());
  assert.deepEqual(value('CapabilityBoundingSet'), ['CAP_NET_ADMIN CAP_NET_RAW']);
  assert.deepEqual(value('AmbientCapabilities'), ['CAP_NET_ADMIN CAP_NET_RAW']);
  assert.deepEqual(value('StateDirectory'), ['mcoad']);
  assert.deepEqual(value('RuntimeDirectory'), ['mcoad']);
  assert.deepEqual(value('Restart'), ['on-failure']);
  assert.deepEqual(value('MemoryDenyWriteExecute'), [], 'V8 needs writable executable memory');
});

test('under the unit\'s capability bounding set, the control socket gets control.group only through SupplementaryGroups=', async (t) => {
  const text = readFileSync(UNIT, 'utf8');
  const value = (key: string) => [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!.trim());
  assert.deepEqual(value('SupplementaryGroups'), ['mcoa'], 'the example configuration sets control.group: mcoa');
  if (process.getuid?.() !== 0) return t.skip('needs root to drop capabilities with setpriv');
  // setpriv stands in for systemd: the unit's bounding set (no CAP_CHOWN), and the group as
  // a supplementary group or not; a free gid stands for mcoa, which need not exist here.
  const caps = value('CapabilityBoundingSet')[0]!.split(/\s+/).map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`);
  const gid = 64123;
  const base = mkdtempSync(join(tmpdir(), 'mcoa-unit-'));
  const server = fileURLToPath(new URL('../../../lib/control/server.js', import.meta.url));
  const script = `const { ControlServer } = await import(${JSON.stringify(server)});
const s = new ControlServer({ onHandlerError() {} });
await s.listen(process.argv[1], { mode: 0o660, group: ${gid} });
const st = (await import('node:fs')).statSync(process.argv[1]);
process.stdout.write(String(st.gid));
await s.close();`;
  const listen = (groups: string[], name: string) =>
    spawnSync('setpriv', ['--bounding-set', `-all,${caps.join(',')}`, ...groups, process.execPath, '--input-type=module', '-e', script, join(base, name)], { encoding: 'utf8' });
  try {
    const withGroup = listen(['--groups', String(gid)], 'a.sock');
    assert.equal(withGroup.status, 0, withGroup.stderr);
    assert.equal(withGroup.stdout, String(gid));
    const without = listen(['--clear-groups'], 'b.sock');
    assert.notEqual(without.status, 0, 'without the supplementary group chown needs CAP_CHOWN');
    assert.match(without.stderr, /EPERM/);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

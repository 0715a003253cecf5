// The systemd unit: valid for systemd itself, and only the capabilities a home agent needs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

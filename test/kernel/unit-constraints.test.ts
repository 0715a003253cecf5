// systemd/mcoad.service's real constraints, read from the unit file itself: mcoad runs as
// root with only the unit's capabilities (bounding, inheritable and ambient sets), its
// supplementary group and no new privileges (setpriv does what systemd would), in a
// runtime directory and state directory with the unit's modes. It must serve a Binding
// Update, tell $NOTIFY_SOCKET it is ready (Type=notify), and its control socket must
// answer `mcoactl` for a member of control.group and refuse anyone else.
// The group `mcoa` is added to a copy of /etc/group bind-mounted over the read-only one.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sh } from './netns.js';
import { COA, HA, HOA, HOME_PREFIX, KERNEL_TEST_TIMEOUT_MS, bu, coaBid, until, withPair } from './fixtures/index.js';
import { receiver } from '../unit/daemon/service/notify-receiver.js';

const ROOT = new URL('../../..', import.meta.url).pathname;
const MCOA_GID = 4711;
const MEMBER_UID = 4712;
const OUTSIDER_UID = 4713;

/** The [Service] settings of the unit (last one wins, as systemd reads them). */
function unitSettings(): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of readFileSync(join(ROOT, 'systemd/mcoad.service'), 'utf8').split('\n')) {
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (kv) m.set(kv[1]!, kv[2]!);
  }
  return m;
}

/** "CAP_NET_ADMIN CAP_NET_RAW" -> setpriv's "-all,+net_admin,+net_raw". */
function capList(text: string): string {
  return ['-all', ...text.split(/\s+/).filter(Boolean).map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`)].join(',');
}

/** mcoactl under another user and groups; resolves with its exit status and output. */
function mcoactlAs(uid: number, groups: readonly number[], socket: string, ...args: string[]): Promise<{ code: number; out: string }> {
  const ids = ['--reuid', String(uid), '--regid', String(uid), ...(groups.length ? ['--groups', groups.join(',')] : ['--clear-groups'])];
  return new Promise((resolve) => {
    execFile('setpriv', [...ids, '--', process.execPath, join(ROOT, 'bin/mcoactl'), '--socket', socket, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

async function withMcoaGroup<T>(fn: () => Promise<T>): Promise<T> {
  const copy = '/tmp/mcoa-test-group';
  writeFileSync(copy, `${readFileSync('/etc/group', 'utf8').replace(/\n?$/, '\n')}mcoa:x:${MCOA_GID}:\n`);
  await sh('mount', ['--bind', copy, '/etc/group']);
  try {
    return await fn();
  } finally {
    await sh('umount', ['/etc/group']);
  }
}

test('the unit\'s capabilities, group and directory modes: mcoad serves a BU, is READY, and mcoactl works for group members only', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  const unit = unitSettings();
  assert.equal(unit.get('Type'), 'notify');
  assert.equal(unit.get('SupplementaryGroups'), 'mcoa');
  await withMcoaGroup(() =>
    withPair({}, async ({ ha, mnSide, scope }) => {
      const dir = scope.dir();
      chmodSync(dir, 0o755); // stands for / and /run, which everyone may traverse
      const run = join(dir, 'run');
      const state = join(dir, 'state');
      mkdirSync(run, { mode: Number.parseInt(unit.get('RuntimeDirectoryMode')!, 8) });
      mkdirSync(state, { mode: Number.parseInt(unit.get('StateDirectoryMode')!, 8) });
      const config = join(dir, 'mcoad.yaml');
      writeFileSync(
        config,
        `role: home-agent
home_agent:
  interface: home0
  address: ${HA}
  served_prefixes: [${HOME_PREFIX}]
ipsec:
  required: false
state_directory: ${state}
control:
  socket: ${join(run, 'mcoad.sock')}
  group: mcoa
`,
      );
      const notify = scope.closeAtEnd(receiver(join(dir, 'notify')));
      const wrap = [
        'setpriv',
        '--bounding-set', capList(unit.get('CapabilityBoundingSet')!),
        '--inh-caps', capList(unit.get('AmbientCapabilities')!),
        '--ambient-caps', capList(unit.get('AmbientCapabilities')!),
        '--groups', String(MCOA_GID), // SupplementaryGroups=mcoa
        ...(unit.get('NoNewPrivileges') === 'yes' ? ['--no-new-privs'] : []),
        '--',
      ];
      const d = await scope.startDaemon(ha, 'home agent (unit constraints)', () => config, run, { wrap, env: { NOTIFY_SOCKET: join(dir, 'notify') } });

      // What it runs with: only the unit's capabilities (CAP_NET_ADMIN 12, CAP_NET_RAW 13), group mcoa.
      const status = readFileSync(`/proc/${d.proc.pid!}/status`, 'utf8');
      assert.equal(/^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1], (3n << 12n).toString(16).padStart(16, '0'), status);
      assert.match(/^Groups:(.*)$/m.exec(status)?.[1] ?? '', new RegExp(`\\b${MCOA_GID}\\b`));

      const got: string[] = [];
      await until('READY=1 on $NOTIFY_SOCKET', () => (got.push(...notify.take()), got.some((m) => m.startsWith('READY=1'))));
      assert.match(got.find((m) => m.startsWith('READY=1'))!, /STATUS=serving 0 bindings/);

      mnSide.sendBu(bu(10, 400, [coaBid(1, COA)]));
      assert.equal((await mnSide.nextBa()).ba.status, 0, 'the BU is accepted');

      const member = await mcoactlAs(MEMBER_UID, [MCOA_GID], d.socket, 'show', 'bindings', '--json');
      assert.equal(member.code, 0, member.out);
      assert.ok(member.out.includes(HOA), member.out);
      const outsider = await mcoactlAs(OUTSIDER_UID, [], d.socket, 'show', 'bindings');
      assert.notEqual(outsider.code, 0, outsider.out);
      assert.match(outsider.out, /EACCES|permission denied/i);
    }),
  );
});

// Reload of a running home agent through the shell: log_level applies at once (the home
// agent ignored it before), a new home interface gets its sysctls, and the reply lists what
// was applied (how) and what waits for a restart (why), the latter until the restart.
import test, { afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import type { ReloadResult } from '../../../lib/control/protocol.js';
import { HOME_AGENT_ROLE } from '../../../lib/daemon/ha/daemon.js';
import { command, homeAgentYaml, serveRole, stop, stopAll, type Running } from './fake-host.js';

afterEach(stopAll);

const CONF = '/proc/sys/net/ipv6/conf';

function rewrite(r: Running, body: string, extra = ''): void {
  writeFileSync(r.dir.config, `${body}state_directory: ${r.dir.state}\ncontrol:\n  socket: ${r.dir.socket}\n${extra}`);
}

test('home agent reload: log_level live, new home interface gets forwarding/proxy_ndp, the reply names applied and restart keys', async () => {
  const r = await serveRole(HOME_AGENT_ROLE, homeAgentYaml(), { prepare: (host) => void host.ipv6Conf.push('home1') });
  // Started at debug (TestDir writes log_level: debug): reload to warn.
  rewrite(r, homeAgentYaml().replace('interface: home0', 'interface: home1'), 'log_level: warn\nkernel:\n  table: 100\n');
  const res = await command<ReloadResult>(r, 'reload');
  assert.deepEqual(res.applied?.map((a) => a.key).sort(), ['home_agent.interface', 'log_level']);
  assert.deepEqual(res.notApplied?.map((n) => n.key), ['kernel.table']);
  assert.match(res.notApplied![0]!.detail, /left behind/);
  assert.equal(r.host.sysctls.get(`${CONF}/home1/proxy_ndp`), '1', 'the new home link has proxy_ndp');
  assert.ok(r.host.steps.includes('sysctl home1/proxy_ndp=1'));

  // The level is live: an info line (a later reload's summary) is no longer written; warn is.
  const before = r.lines.length;
  rewrite(r, homeAgentYaml().replace('interface: home0', 'interface: home1'), 'log_level: warn\nkernel:\n  table: 100\n');
  const again = await command<ReloadResult>(r, 'reload');
  assert.deepEqual(again.applied, [], 'nothing changed since the last reload');
  assert.deepEqual(again.notApplied?.map((n) => n.key), ['kernel.table'], 'still waiting for a restart');
  assert.ok(r.lines.slice(before).every((l) => (l['level'] as number) >= 40), 'no info or debug lines at warn');

  rewrite(r, homeAgentYaml().replace('interface: home0', 'interface: home1'), 'log_level: debug\n');
  const back = await command<ReloadResult>(r, 'reload');
  assert.deepEqual(back.applied?.map((a) => a.key), ['log_level']);
  assert.deepEqual(back.notApplied, [], 'kernel.table back to what runs');
  assert.ok(r.messages().includes('reload: keys applied, keys waiting for a restart'), 'info lines again');
  assert.equal(await stop(r), 0);
});

// The home agent's kernel settings at start: forwarding and proxy_ndp written, and one
// warning naming the interfaces whose accept_ra is not 2 (all/forwarding=1 is global, so
// they stop accepting router advertisements).
import test, { afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { HOME_AGENT_ROLE } from '../../../lib/daemon/ha/daemon.js';
import { interfacesIgnoringRas } from '../../../lib/daemon/ha/sysctl.js';
import { homeAgentYaml, serveRole, stop, stopAll } from './fake-host.js';

afterEach(stopAll);

const CONF = '/proc/sys/net/ipv6/conf';

test('accept_ra: interfaces other than lo whose accept_ra is not 2, sorted; one that vanished is skipped', async () => {
  const values = new Map([[`${CONF}/wan0/accept_ra`, '2\n'], [`${CONF}/wan1/accept_ra`, '1\n'], [`${CONF}/home0/accept_ra`, '0\n'], [`${CONF}/lo/accept_ra`, '1\n']]);
  const sysctl = {
    read: async (p: string) => {
      const v = values.get(p);
      if (v === undefined) throw new Error(`ENOENT ${p}`);
      return v;
    },
    write: async () => undefined,
    list: async () => ['all', 'default', 'wan1', 'lo', 'gone0', 'wan0', 'home0'],
  };
  assert.deepEqual(await interfacesIgnoringRas(sysctl), ['home0', 'wan1']);
  values.set(`${CONF}/wan1/accept_ra`, '2');
  values.set(`${CONF}/home0/accept_ra`, '2');
  assert.deepEqual(await interfacesIgnoringRas(sysctl), []);
});

test('home agent start: forwarding on, and one warning naming the interfaces that stop accepting router advertisements', async () => {
  const r = await serveRole(HOME_AGENT_ROLE, homeAgentYaml(), {
    prepare: (host) => {
      host.ipv6Conf.push('wan0', 'wan1');
      host.sysctls.set(`${CONF}/wan0/accept_ra`, '2');
      host.sysctls.set(`${CONF}/wan1/accept_ra`, '1');
      host.sysctls.set(`${CONF}/home0/accept_ra`, '0');
    },
  });
  assert.equal(r.host.sysctls.get(`${CONF}/all/forwarding`), '1');
  const warnings = r.lines.filter((l) => String(l['msg']).startsWith('net.ipv6.conf.all.forwarding=1 is global'));
  assert.equal(warnings.length, 1);
  assert.deepEqual(warnings[0]!['interfaces'], ['home0', 'wan1']);
  assert.match(String(warnings[0]!['msg']), /home0, wan1 no longer accept router advertisements/);
  assert.equal(await stop(r), 0);
});

test('home agent start: no warning when every interface has accept_ra 2', async () => {
  const r = await serveRole(HOME_AGENT_ROLE, homeAgentYaml(), { prepare: (host) => void host.sysctls.set(`${CONF}/home0/accept_ra`, '2') });
  assert.equal(r.messages().filter((m) => m.includes('accept router advertisements')).length, 0);
  assert.equal(await stop(r), 0);
});

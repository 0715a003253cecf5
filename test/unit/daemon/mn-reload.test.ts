// Mobile node reload: which changes apply live (as core operator commands) and which wait
// for a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAnyConfig, type MobileNodeDaemonConfig } from '../../../lib/config/index.js';
import { planMobileNodeReload } from '../../../lib/daemon/mn/reload-plan.js';

const BASE = {
  home_address: '2001:db8:aa::100',
  home_agent: '2001:db8:aa::1',
  interfaces: '[wlan0, eth0]',
  bulk: 'true',
  home_link_policy: 'return-home',
  lifetime: '300',
};

function config(over: Partial<Record<keyof typeof BASE, string>> = {}, logLevel = 'info'): MobileNodeDaemonConfig {
  const v = { ...BASE, ...over };
  const text = `role: mobile-node
mobile_node:
${Object.entries(v).map(([k, x]) => `  ${k}: ${x}`).join('\n')}
ipsec: { required: false }
log_level: ${logLevel}
`;
  const c = parseAnyConfig(text, 'mn.yaml');
  assert.equal(c.role, 'mobile-node');
  return c as MobileNodeDaemonConfig;
}

test('nothing changed: an empty plan', () => {
  assert.deepEqual(planMobileNodeReload(config(), config()), { commands: [], interfaces: null, logLevel: null, restartKeys: [] });
});

test('bulk, home-link policy, interfaces and log level apply live', () => {
  const plan = planMobileNodeReload(config(), config({ bulk: 'false', home_link_policy: 'h-flag', interfaces: '[eth0, lte0]' }, 'debug'));
  assert.deepEqual(plan.commands, [
    { op: 'setBulk', enabled: false },
    { op: 'setHomeLinkPolicy', policy: 'h-flag' },
    { op: 'forgetInterface', iface: 'wlan0' },
  ]);
  assert.deepEqual(plan.interfaces, ['eth0', 'lte0']);
  assert.equal(plan.logLevel, 'debug');
  assert.deepEqual(plan.restartKeys, []);
});

test('addresses and lifetimes wait for a restart, named by key', () => {
  const plan = planMobileNodeReload(config(), config({ home_address: '2001:db8:aa::200', lifetime: '600' }));
  assert.deepEqual(plan.restartKeys, ['mobile_node.home_address', 'mobile_node.lifetime']);
  assert.deepEqual(plan.commands, []);
});

test('correspondents added and removed become core commands', () => {
  const withCn = (list: string): MobileNodeDaemonConfig => {
    const c = parseAnyConfig(`role: mobile-node
mobile_node:
  home_address: 2001:db8:aa::100
  home_agent: 2001:db8:aa::1
  interfaces: [wlan0]
  correspondents: ${list}
ipsec: { required: false }
`, 'mn.yaml');
    return c as MobileNodeDaemonConfig;
  };
  const plan = planMobileNodeReload(withCn('[2001:db8:c::10]'), withCn('[2001:db8:d::10]'));
  assert.deepEqual(plan.commands.map((c) => [c.op, 'address' in c ? Buffer.from(c.address).toString('hex') : '']), [
    ['addCorrespondent', '20010db8000d00000000000000000010'],
    ['removeCorrespondent', '20010db8000c00000000000000000010'],
  ]);
  assert.deepEqual(plan.restartKeys, []);
});

test('RFC 6089 flows changed: applied live as one setFlows command (the core re-registers with them)', () => {
  const withFlows = (port: number): MobileNodeDaemonConfig =>
    parseAnyConfig(`role: mobile-node
mobile_node:
  home_address: 2001:db8:aa::100
  home_agent: 2001:db8:aa::1
  interfaces: [wlan0, eth0]
  flows:
    - { id: 1, protocol: udp, destination_port: ${port}, interface: wlan0 }
ipsec: { required: false }
`, 'mn.yaml') as MobileNodeDaemonConfig;
  const plan = planMobileNodeReload(withFlows(5004), withFlows(5006));
  assert.deepEqual(plan.restartKeys, []);
  assert.equal(plan.commands.length, 1);
  const c = plan.commands[0]!;
  assert.ok(c.op === 'setFlows');
  assert.deepEqual(c.flows.map((f) => [f.fid, f.selector.destinationPortStart]), [[1, 5006]]);
  assert.deepEqual(planMobileNodeReload(withFlows(5004), withFlows(5004)).commands, []);
});

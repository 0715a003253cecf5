// The mobile-node role's configuration: values and defaults, and one row per kind of
// mistake with the file:line:column and key path it must be reported at.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigFileError, MN_IPSEC_OFF_WARNING, parseAnyConfig } from '../../../lib/config/index.js';
import { DEFAULT_MARKS } from '../../../lib/reconcile/marks.js';
import { DRAFT04_PROFILE } from '../../../lib/wire/profiles.js';

const MINIMAL = `role: mobile-node
mobile_node:
  home_address: 2001:db8:aa::100
  home_agent: 2001:db8:aa::1
  interfaces: [wlan0, eth0]
ipsec: { required: false }
`;

function problems(text: string): string[] {
  try {
    parseAnyConfig(text, 'mn.yaml');
  } catch (e) {
    assert.ok(e instanceof ConfigFileError, `ConfigFileError expected, got ${String(e)}`);
    return e.message.split('\n');
  }
  assert.fail('the file was accepted');
}

test('a minimal mobile node file: values and defaults', () => {
  const c = parseAnyConfig(MINIMAL, 'mn.yaml');
  assert.equal(c.role, 'mobile-node');
  if (c.role !== 'mobile-node') return;
  const m = c.mobileNode;
  assert.equal(m.homeAddress, '2001:db8:aa::100');
  assert.equal(m.homeAgent, '2001:db8:aa::1');
  assert.equal(m.homePrefixLength, 64);
  assert.deepEqual(m.interfaces, ['wlan0', 'eth0']);
  assert.equal(m.bulk, true);
  assert.equal(m.lifetimeSeconds, 600);
  assert.deepEqual(m.routes.map((p) => p.text), ['::/0']);
  assert.equal(m.profile, DRAFT04_PROFILE);
  assert.equal(m.ipsecRequired, false);
  assert.deepEqual(c.marks, DEFAULT_MARKS);
  assert.deepEqual(c.control, { path: '/run/mcoad/mcoad.sock', group: null, mode: 0o660 });
  assert.deepEqual(c.warnings, [MN_IPSEC_OFF_WARNING]);
});

test('every mobile node key, written canonically or not', () => {
  const c = parseAnyConfig(
    `role: mobile-node
mobile_node:
  home_address: 2001:DB8:AA:0::100
  home_agent: 2001:db8:aa::1
  home_prefix_length: 48
  interfaces: [mn1, mn2, mn3]
  bulk: false
  lifetime: 5m
  routes: [2001:db8:c::/64, 2001:db8:d::1/48]
ipsec: { required: false }
control: { socket: /tmp/mn.sock }
kernel: { tunnel_prefix: mnt }
`,
    'mn.yaml',
  );
  if (c.role !== 'mobile-node') assert.fail(c.role);
  assert.equal(c.mobileNode.homeAddress, '2001:db8:aa::100');
  assert.equal(c.mobileNode.homePrefixLength, 48);
  assert.equal(c.mobileNode.bulk, false);
  assert.equal(c.mobileNode.lifetimeSeconds, 300);
  assert.deepEqual(c.mobileNode.routes.map((p) => p.text), ['2001:db8:c::/64', '2001:db8:d::/48']);
  assert.equal(c.control.path, '/tmp/mn.sock');
  assert.equal(c.marks.tunnelPrefix, 'mnt');
});

test('parseAnyConfig still reads home agent files', () => {
  const c = parseAnyConfig('role: home-agent\nhome_agent:\n  interface: eth1\n  address: 2001:db8:1::1\n  served_prefixes: [2001:db8:1::/64]\n', 'ha.yaml');
  assert.equal(c.role, 'home-agent');
});

const NO_SAS = 'missing required key ipsec (ipsec.required is true): the ESP SAs shared with the home agent; or set ipsec.required: false (lab only)';

const ROWS: [string, string, string[]][] = [
  ['missing section', 'role: mobile-node\nipsec: { required: false }\n', ['mn.yaml:1:1: missing required key mobile_node (role is mobile-node)']],
  ['missing required key', MINIMAL.replace('  home_agent: 2001:db8:aa::1\n', ''), ['mn.yaml:3:3: mobile_node: missing required key home_agent']],
  ['ipsec left required (the default), no SAs', MINIMAL.replace('ipsec: { required: false }\n', ''), [`mn.yaml:3:3: mobile_node: ${NO_SAS}`]],
  ['ipsec required written, no SAs', MINIMAL.replace('required: false', 'required: true'), [`mn.yaml:3:3: mobile_node: ${NO_SAS}`]],
  ['home agent outside the home prefix', MINIMAL.replace('home_agent: 2001:db8:aa::1', 'home_agent: 2001:db8:bb::1'), ['mn.yaml:4:15: mobile_node.home_agent: home agent is outside the home prefix 2001:db8:aa::100/64']],
  ['home address is the home agent', MINIMAL.replace('2001:db8:aa::100', '2001:db8:aa::1'), ['mn.yaml:3:17: mobile_node.home_address: same address as home_agent']],
  ['bad address', MINIMAL.replace('2001:db8:aa::100', '2001:db8:aa::g'), ['mn.yaml:3:17: mobile_node.home_address: not an IPv6 address: "2001:db8:aa::g"']],
  ['no interfaces', MINIMAL.replace('[wlan0, eth0]', '[]'), ['mn.yaml:5:15: mobile_node.interfaces: needs at least one interface']],
  ['interface twice', MINIMAL.replace('[wlan0, eth0]', '[wlan0, wlan0]'), ['mn.yaml:5:23: mobile_node.interfaces[1]: wlan0 is listed twice']],
  ['bad interface name', MINIMAL.replace('[wlan0, eth0]', '[wlan0, eth/0]'), ['mn.yaml:5:23: mobile_node.interfaces[1]: not an interface name: "eth/0"']],
  ['lifetime below range', MINIMAL.replace('ipsec:', '  lifetime: 3\nipsec:'), ['mn.yaml:6:13: mobile_node.lifetime: out of range 4..262140: 3']],
  ['bad route prefix', MINIMAL.replace('ipsec:', '  routes: [2001:db8::/129]\nipsec:'), ['mn.yaml:6:12: mobile_node.routes[0]: not an IPv6 prefix: "2001:db8::/129"']],
  ['home_agent section under the mobile node role', MINIMAL + 'home_agent: { interface: eth1 }\n', ['mn.yaml:7:13: home_agent: only for role home-agent']],
  ['unknown key', MINIMAL.replace('  interfaces:', '  interface: [x]\n  interfaces:'), ['mn.yaml:5:3: mobile_node.interface: unknown key (did you mean interfaces?)']],
];

for (const [name, text, expected] of ROWS) {
  test(`mobile node problem reported with position and key path: ${name}`, () => {
    assert.deepEqual(problems(text), expected);
  });
}

test('a mobile_node section in a home agent file is refused', () => {
  const text = 'role: home-agent\nhome_agent:\n  interface: eth1\n  address: 2001:db8:1::1\n  served_prefixes: [2001:db8:1::/64]\nmobile_node: { home_address: 2001:db8:1::5 }\n';
  assert.deepEqual(problems(text), ['mn.yaml:6:14: mobile_node: only for role mobile-node']);
});

test('registration behaviour keys: defaults, values, and a wrong value reported where it is', () => {
  const d = parseAnyConfig(MINIMAL, 'mn.yaml');
  assert.ok(d.role === 'mobile-node');
  if (d.role !== 'mobile-node') return;
  assert.deepEqual(
    [d.mobileNode.multipleCoa, d.mobileNode.bootstrapOverwrite, d.mobileNode.bidConflict, d.mobileNode.homeLinkPolicy],
    [true, true, 'overwrite', 'return-home'],
  );
  const c = parseAnyConfig(
    MINIMAL.replace('ipsec:', '  multiple_coa: false\n  bootstrap_overwrite: false\n  bid_conflict: stop-bids\n  home_link_policy: h-flag\nipsec:'),
    'mn.yaml',
  );
  assert.ok(c.role === 'mobile-node');
  if (c.role !== 'mobile-node') return;
  assert.deepEqual(
    [c.mobileNode.multipleCoa, c.mobileNode.bootstrapOverwrite, c.mobileNode.bidConflict, c.mobileNode.homeLinkPolicy],
    [false, false, 'stop-bids', 'h-flag'],
  );
  const p = problems(MINIMAL.replace('ipsec:', '  home_link_policy: stay\nipsec:'));
  assert.ok(p.some((l) => /mn\.yaml:6:\d+: mobile_node\.home_link_policy: must be one of return-home, disable-home-interface, h-flag/.test(l)), p.join('\n'));
});

// DHAAD configuration: `home_agent.dhaad` (RFC 6275 §10.5) and `mobile_node.home_agent: auto`
// (§11.4.1): values, defaults, and one row per mistake with where it is reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigFileError, parseAnyConfig } from '../../../lib/config/index.js';

const HA = (dhaad: string): string => `role: home-agent
home_agent:
  interface: home0
  address: 2001:db8:aa::1
  served_prefixes: [2001:db8:aa::/64]
${dhaad}ipsec: { required: false }
`;

const MN = (homeAgent: string, extra = ''): string => `role: mobile-node
mobile_node:
  home_address: 2001:db8:aa::100
  home_agent: ${homeAgent}
  interfaces: [wlan0]
${extra}ipsec: { required: false }
`;

/** The problem lines of a refused file. */
function problems(text: string): string[] {
  let lines: string[] = [];
  assert.throws(
    () => parseAnyConfig(text, 'f.yaml'),
    (e: unknown) => e instanceof ConfigFileError && (lines = e.message.split('\n')).length > 0,
  );
  return lines;
}

test('home_agent.dhaad: absent is off; present with defaults (preference 0, lifetime 1800 s) or the values given', () => {
  const rows: [string, unknown][] = [
    ['', null],
    ['  dhaad: {}\n', { preference: 0, lifetime: 1800 }],
    ['  dhaad:\n    preference: -5\n    lifetime: 10m\n', { preference: -5, lifetime: 600 }],
  ];
  for (const [text, want] of rows) {
    const c = parseAnyConfig(HA(text), 'ha.yaml');
    assert.ok(c.role === 'home-agent');
    assert.deepEqual(c.dhaad, want, JSON.stringify(text));
  }
});

test('home_agent.dhaad mistakes, one row each', () => {
  const rows: [string, RegExp][] = [
    ['  dhaad:\n    preference: 40000\n', /home_agent\.dhaad\.preference/],
    ['  dhaad:\n    lifetime: 0\n', /home_agent\.dhaad\.lifetime/],
    ['  dhaad:\n    lifetime: 70000\n', /home_agent\.dhaad\.lifetime/],
    ['  dhaad:\n    weight: 1\n', /home_agent\.dhaad.*weight/],
  ];
  for (const [text, re] of rows) assert.match(problems(HA(text)).join('\n'), re, text);
});

test('mobile_node.home_agent: auto discovers, and stands for the Home-Agents anycast address until then', () => {
  const c = parseAnyConfig(MN('auto'), 'mn.yaml');
  assert.ok(c.role === 'mobile-node');
  assert.equal(c.mobileNode.discoverHomeAgent, true);
  assert.equal(c.mobileNode.homeAgent, '2001:db8:aa:0:fdff:ffff:ffff:fffe');
  const fixed = parseAnyConfig(MN('2001:db8:aa::1'), 'mn.yaml');
  assert.ok(fixed.role === 'mobile-node');
  assert.equal(fixed.mobileNode.discoverHomeAgent, false);
  assert.match(problems(MN('auto', '  home_prefix_length: 124\n')).join('\n'), /home_prefix_length.*RFC 2526/);
  assert.match(problems(MN('automatic')).join('\n'), /home_agent/);
});

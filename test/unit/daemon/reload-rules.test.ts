// Reload, key by key: every key the configuration readers accept (their own key lists,
// recorded while reading the complete example files) has a rule in each role that reloads:
// applied at once, or "needs a restart" with the reason. A key added to a reader without a
// rule fails here. And the plan a reload answers with: what changed since the last file
// was applied, what waits for a restart since the start.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { configSchema, type Role } from '../../../lib/config/index.js';
import { joinPath } from '../../../lib/config/reader.js';
import { RELOAD_RULES, changedPaths, planReload, ruleFor } from '../../../lib/daemon/service/reload-rules.js';
import { planMobileNodeReload } from '../../../lib/daemon/mn/reload-plan.js';
import { parseAnyConfig, type MobileNodeDaemonConfig } from '../../../lib/config/index.js';

const example = (name: string): string => readFileSync(new URL(`../../../../examples/${name}`, import.meta.url), 'utf8');

/** The example files, with what they leave commented out, so every section is read. */
const COMPLETE: Record<Role, string> = {
  'home-agent': '',
  correspondent: example('mcoad-correspondent.yaml').replace('  nonce_regenerate: 30s', '  nonce_regenerate: 30s\n  kcn_rotate: 1h') +
    `ipsec:\n  required: true\nwire_profile:\n  name: x\n  bid_option_type: 35\n  status: { incompliant: 164 }\nkernel:\n  table: 254\n  resync_interval: 5m\nnetns: cn1\nlimits: { max_bindings: 5, max_journal_backlog: 9 }\n`,
  'mobile-node': example('mcoad-mobile-node.yaml').replace('# correspondents:', 'correspondents:') +
    `wire_profile:\n  name: x\n  bid_option_type: 35\n  status: { incompliant: 164 }\nkernel:\n  table: 254\n  resync_interval: 5m\nnetns: mn1\n`,
};
COMPLETE['home-agent'] = example('mcoad.yaml')
  .replace('# netns: ha1', 'netns: ha1')
  .replace(
    '      2001:db8:1::bad:\n',
    `      2001:db8:1::200:\n        ipsec: { sas: ike, reqid: 7 }\n      2001:db8:1::300:\n        ipsec:\n          spi_in: 0x2001\n          spi_out: 0x2002\n          aead: { name: 'rfc4106(gcm(aes))', key: '0x00112233445566778899aabbccddeeff01020304', icv_bits: 128 }\n          payload:\n            spi_in: 0x2003\n            spi_out: 0x2004\n            aead: { name: 'rfc4106(gcm(aes))', key: '0x00112233445566778899aabbccddeeff01020304', icv_bits: 128 }\n      2001:db8:1::bad:\n`,
  ) +
  'cluster:\n  endpoints: [http://127.0.0.1:2379]\n  tls: { ca_file: /etc/mcoa/ca.pem }\n  node: ha1\n  key_prefix: /mcoa/\n  service_addresses: { 2001:db8:1::1: { preference: 10 } }\n  preempt: false\n  timers: { lease_ttl: 2s, step_down_margin_ms: 500 }\n  replication: { max_expiry_lag: 2m, max_sequence_lag: 16 }\n';

/** Every key path the readers accept for a role (other roles' top-level sections left out). */
function keyPaths(role: Role, text: string): { sections: string[]; keys: string[] } {
  const schema = configSchema(text);
  const others = ['home_agent', 'mobile_node', 'correspondent', 'cluster'].filter((k) => k !== role.replace('-', '_') && (k !== 'cluster' || role !== 'home-agent'));
  // A key that is itself a section is covered by its own keys' rules.
  const keys = [...schema]
    .flatMap(([section, ks]) => ks.map((k) => joinPath(section, k)))
    .filter((p) => !others.includes(p) && !schema.has(p));
  return { sections: [...schema.keys()], keys };
}

for (const role of ['home-agent', 'mobile-node', 'correspondent'] as const) {
  test(`reload rules (${role}): the complete example parses, and reaches every section`, () => {
    assert.equal(parseAnyConfig(COMPLETE[role], 'complete.yaml').role, role);
    const { sections } = keyPaths(role, COMPLETE[role]);
    const want = role === 'correspondent'
      ? ['', 'ipsec', 'wire_profile', 'wire_profile.status', 'kernel', 'control', 'correspondent']
      : role === 'home-agent'
      ? ['', 'ipsec', 'wire_profile', 'wire_profile.status', 'kernel', 'control', 'home_agent', 'home_agent.mcoa', 'home_agent.authorisation',
        'home_agent.authorisation.default', 'home_agent.authorisation.home_addresses[*]', 'home_agent.authorisation.home_addresses[*].ipsec',
        'home_agent.authorisation.home_addresses[*].ipsec.aead', 'home_agent.authorisation.home_addresses[*].ipsec.payload',
        'home_agent.authorisation.home_addresses[*].ipsec.payload.aead', 'home_agent.binding_refresh_request']
      : role === 'mobile-node'
        ? ['', 'ipsec', 'wire_profile', 'wire_profile.status', 'kernel', 'control', 'mobile_node', 'mobile_node.ipsec', 'mobile_node.ipsec.aead']
        : ['', 'ipsec', 'kernel', 'control', 'correspondent', 'limits'];
    for (const s of want) assert.ok(sections.includes(s), `section ${s || '(top)'} not read`);
  });

  test(`reload rules (${role}): every key the readers accept is applied live or needs a restart, with a reason`, () => {
    const rules = RELOAD_RULES[role]!;
    const { keys } = keyPaths(role, COMPLETE[role]);
    assert.ok(keys.length > (role === 'correspondent' ? 20 : 30), `only ${keys.length} keys found`);
    const rows = keys.map((k) => [k, ruleFor(rules, k)] as const);
    const missing = rows.filter(([, r]) => r === undefined).map(([k]) => k);
    assert.deepEqual(missing, [], `keys without a reload rule: ${missing.join(', ')}`);
    for (const [k, r] of rows) {
      const text = 'live' in r!.rule ? r!.rule.live : r!.rule.restart;
      assert.ok(text.length > 10, `${k}: the rule says how or why`);
    }
    // No rule for a key that does not exist (a renamed key would leave one behind).
    for (const ruleKey of Object.keys(rules)) assert.ok(keys.some((k) => k === ruleKey || k.startsWith(`${ruleKey}.`) || k.startsWith(`${ruleKey}[`)), `rule for unknown key ${ruleKey}`);
  });
}

test('reload rules (mobile-node): keys the mobile node applies live are not among its planner\'s restart keys, and the other way round', () => {
  const base = parseAnyConfig(COMPLETE['mobile-node'], 'a.yaml') as MobileNodeDaemonConfig;
  const rules = RELOAD_RULES['mobile-node']!;
  // Change one key at a time and compare the planner's verdict with the rule.
  const variants: [string, string, string][] = [
    ['mobile_node.lifetime', 'lifetime: 300', 'lifetime: 400'],
    ['mobile_node.bulk', 'bulk: true ', 'bulk: false '],
    ['mobile_node.home_link_policy', 'home_link_policy: return-home', 'home_link_policy: h-flag'],
    ['mobile_node.interfaces', 'interfaces: [wlan0, lte0, eth1]', 'interfaces: [wlan0, lte0]'],
    ['mobile_node.bid_conflict', 'bid_conflict: overwrite', 'bid_conflict: stop-bids'],
    ['kernel.table', 'table: 254', 'table: 100'],
    ['kernel.resync_interval', 'resync_interval: 5m', 'resync_interval: 10m'],
    ['wire_profile', 'bid_option_type: 35', 'bid_option_type: 36'],
  ];
  for (const [key, from, to] of variants) {
    assert.ok(COMPLETE['mobile-node'].includes(from), from);
    const next = parseAnyConfig(COMPLETE['mobile-node'].replace(from, to), 'b.yaml') as MobileNodeDaemonConfig;
    const plan = planMobileNodeReload(base, next);
    const rule = ruleFor(rules, key)!.rule;
    const plannerWaits = plan.restartKeys.length > 0;
    assert.equal(plannerWaits, 'restart' in rule, `${key}: planner restartKeys ${JSON.stringify(plan.restartKeys)}`);
  }
});

test('planReload: applied since the last file, waiting since the start; a correspondent applies its live keys and caps', () => {
  const started = { role: 'home-agent', log_level: 'info', state_directory: '/a', home_agent: { max_lifetime: 600, interface: 'eth1' } };
  const previous = { ...started, log_level: 'debug', state_directory: '/b' };
  const next = { ...previous, home_agent: { max_lifetime: 40, interface: 'eth1' }, control: { socket: '/run/x.sock' } };
  const plan = planReload('home-agent', started, previous, next);
  assert.deepEqual(plan.applied.map((a) => a.key), ['home_agent.max_lifetime'], 'log_level was applied by the reload before');
  assert.deepEqual(plan.notApplied.map((n) => n.key), ['state_directory', 'control']);
  assert.match(plan.notApplied[0]!.detail, /journal/);
  const cn = planReload('correspondent', { correspondent: { mcoa: true, address: '::1' } }, { correspondent: { mcoa: true, address: '::1' } }, { correspondent: { mcoa: false, address: '::2' }, limits: { max_bindings: 5 } });
  assert.deepEqual(cn.applied.map((a) => a.key).sort(), ['correspondent.mcoa', 'limits']);
  assert.deepEqual(cn.notApplied.map((n) => n.key), ['correspondent.address']);
});

test('changedPaths: leaves that differ, sections on one side compared with nothing, lists as values', () => {
  assert.deepEqual(changedPaths({ a: 1, b: { c: [1, 2] } }, { a: 1, b: { c: [1, 2] } }), []);
  assert.deepEqual(changedPaths({ a: 1, b: { c: [1, 2] } }, { a: 2, b: { c: [2] } }), ['a', 'b.c']);
  assert.deepEqual(changedPaths({}, { m: { x: 1, y: { z: 2 } } }), ['m.x', 'm.y.z']);
  assert.deepEqual(changedPaths({ h: { '2001:db8::1': { allowed: true } } }, { h: {} }), ['h[2001:db8::1].allowed']);
  assert.equal(ruleFor(RELOAD_RULES['home-agent']!, 'home_agent.authorisation.home_addresses[2001:db8::1].ipsec.aead.key')?.key, 'home_agent.authorisation.home_addresses[*].ipsec');
});

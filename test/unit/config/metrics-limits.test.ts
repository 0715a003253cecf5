// The metrics: and limits: sections: defaults, accepted values, and one row per mistake
// with the key it is reported at.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigFileError, parseAnyConfig, parseConfig } from '../../../lib/config/index.js';
import { parseListen } from '../../../lib/config/metrics-limits-sections.js';
import { DEFAULT_LIMITS } from '../../../lib/proto/ha/limits.js';
import { DEFAULT_CN_LIMITS } from '../../../lib/proto/cn/limits.js';
import { planReload } from '../../../lib/daemon/service/reload-rules.js';

const MINIMAL = `role: home-agent
home_agent:
  interface: eth1
  address: 2001:db8:1::1
  served_prefixes: [2001:db8:1::/64]
`;

function problems(text: string): string[] {
  try {
    parseAnyConfig(text, 'mcoad.yaml');
  } catch (e) {
    assert.ok(e instanceof ConfigFileError, String(e));
    return e.message.split('\n');
  }
  assert.fail('the file was accepted');
}

test('defaults: no metrics endpoint; the documented limits', () => {
  const c = parseConfig(MINIMAL, 'mcoad.yaml');
  assert.equal(c.metrics.listen, null);
  assert.deepEqual(c.homeAgent.limits, { ...DEFAULT_LIMITS });
});

test('metrics.listen on loopback, IPv4 and IPv6; a remote address with allow_remote', () => {
  assert.deepEqual(parseConfig(`${MINIMAL}metrics: { listen: "127.0.0.1:9417" }\n`, 'm.yaml').metrics.listen, { host: '127.0.0.1', port: 9417 });
  assert.deepEqual(parseConfig(`${MINIMAL}metrics: { listen: "[::1]:0" }\n`, 'm.yaml').metrics.listen, { host: '::1', port: 0 });
  assert.deepEqual(parseConfig(`${MINIMAL}metrics: { listen: "[2001:db8::5]:9417", allow_remote: true }\n`, 'm.yaml').metrics.listen, { host: '2001:db8::5', port: 9417 });
});

test('limits: each key reaches the core configuration', () => {
  const c = parseConfig(`${MINIMAL}limits:\n  max_bindings: 10\n  max_bindings_per_home_address: 3\n  max_pending_dad: 2\n  max_held_acknowledgements: 1\n  max_journal_backlog: 7\n`, 'm.yaml');
  assert.deepEqual(c.homeAgent.limits, { maxBindings: 10, maxBindingsPerHomeAddress: 3, maxPendingDad: 2, maxHeldAcks: 1, maxJournalBacklog: 7 });
});

const bad: [string, string, RegExp][] = [
  ['a remote address without allow_remote', 'metrics: { listen: "192.0.2.1:9417" }', /metrics\.listen: 192\.0\.2\.1 is not a loopback address; set metrics\.allow_remote: true/],
  ['a host name', 'metrics: { listen: "localhost:9417" }', /metrics\.listen: not ADDRESS:PORT/],
  ['IPv6 without brackets', 'metrics: { listen: "::1:9417" }', /metrics\.listen: not ADDRESS:PORT/],
  ['a port past 65535', 'metrics: { listen: "127.0.0.1:70000" }', /metrics\.listen: port 70000 is above 65535/],
  ['an unknown metrics key', 'metrics: { listne: "127.0.0.1:1" }', /metrics\.listne: unknown key \(did you mean listen\?\)/],
  ['a zero limit', 'limits: { max_bindings: 0 }', /limits\.max_bindings: /],
  ['a limit that is not a number', 'limits: { max_pending_dad: many }', /limits\.max_pending_dad: /],
  ['an unknown limit', 'limits: { max_binding: 5 }', /limits\.max_binding: unknown key \(did you mean max_bindings\?\)/],
];

for (const [name, yaml, re] of bad) {
  test(`config: ${name} is refused at its key`, () => {
    const p = problems(`${MINIMAL}${yaml}\n`);
    assert.ok(p.some((l) => re.test(l)), p.join('\n'));
  });
}

const CN = `role: correspondent\ncorrespondent:\n  address: 2001:db8:c::1\n`;

test('limits on a correspondent: max_bindings and max_journal_backlog, the documented defaults', () => {
  const dflt = parseAnyConfig(CN, 'cn.yaml');
  assert.equal(dflt.role, 'correspondent');
  if (dflt.role !== 'correspondent') return;
  assert.deepEqual(dflt.correspondent.core.limits, { ...DEFAULT_CN_LIMITS });
  const set = parseAnyConfig(`${CN}limits: { max_bindings: 5, max_journal_backlog: 9 }\n`, 'cn.yaml');
  assert.ok(set.role === 'correspondent');
  assert.deepEqual(set.correspondent.core.limits, { maxBindings: 5, maxJournalBacklog: 9 });
});

test('limits: the home agent\'s DAD caps are unknown keys on a correspondent; a mobile node has no limits', () => {
  assert.ok(problems(`${CN}limits: { max_pending_dad: 5 }\n`).some((l) => /limits\.max_pending_dad: unknown key/.test(l)));
  const mn = `role: mobile-node\nmobile_node:\n  home_address: 2001:db8:1::100\n  home_agent: 2001:db8:1::1\n  interfaces: [eth0]\nipsec: { required: false }\nlimits: { max_bindings: 5 }\n`;
  assert.ok(problems(mn).some((l) => /limits: only for roles home-agent and correspondent/.test(l)), problems(mn).join('\n'));
});

test('parseListen rows', () => {
  assert.deepEqual(parseListen('127.0.0.2:1'), { host: '127.0.0.2', port: 1 });
  assert.equal(typeof parseListen('[127.0.0.1]:1'), 'string');
  assert.equal(typeof parseListen('999.1.1.1:1'), 'string');
});

test('reload: limits apply live on a home agent; metrics waits for a restart', () => {
  const before = parseConfig(MINIMAL, 'm.yaml');
  const after = parseConfig(`${MINIMAL}limits: { max_bindings: 5 }\nmetrics: { listen: "127.0.0.1:9417" }\n`, 'm.yaml');
  const plan = planReload('home-agent', before.raw, before.raw, after.raw);
  assert.deepEqual(plan.applied.map((a) => a.key), ['limits']);
  assert.deepEqual(plan.notApplied.map((a) => a.key), ['metrics']);
});

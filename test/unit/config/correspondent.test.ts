// The correspondent role's configuration, and mobile_node.correspondents: values and
// defaults, and one row per kind of mistake with the place it must be reported at.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigFileError, parseAnyConfig, parseConfig } from '../../../lib/config/index.js';
import { DRAFT04_PROFILE } from '../../../lib/wire/profiles.js';

const MINIMAL = `role: correspondent
correspondent:
  address: 2001:DB8:c::10
`;

const MN = `role: mobile-node
mobile_node:
  home_address: 2001:db8:aa::100
  home_agent: 2001:db8:aa::1
  interfaces: [wlan0]
  correspondents: [CORR]
ipsec: { required: false }
`;

function problems(text: string, file = 'cn.yaml'): string[] {
  try {
    parseAnyConfig(text, file);
  } catch (e) {
    assert.ok(e instanceof ConfigFileError, `ConfigFileError expected, got ${String(e)}`);
    return e.message.split('\n');
  }
  assert.fail('the file was accepted');
}

test('a minimal correspondent file: values and RFC 6275 defaults', () => {
  const c = parseAnyConfig(MINIMAL, 'cn.yaml');
  assert.equal(c.role, 'correspondent');
  if (c.role !== 'correspondent') return;
  assert.equal(c.correspondent.address, '2001:db8:c::10', 'RFC 5952 form');
  const core = c.correspondent.core;
  assert.equal(core.maxLifetimeSeconds, 420, 'MAX_RR_BINDING_LIFETIME');
  assert.equal(core.mcoaAllowed, true);
  assert.equal(core.nonceRegenerateSeconds, 30);
  assert.equal(core.kcnRotateSeconds, null);
  assert.equal(core.profile, DRAFT04_PROFILE);
  assert.deepEqual(c.warnings, []);
  assert.equal(c.stateDirectory, '/var/lib/mcoad');
});

test('correspondent settings are read', () => {
  const c = parseAnyConfig(`${MINIMAL}  max_lifetime: 2m\n  mcoa: false\n  nonce_regenerate: 10s\n  kcn_rotate: 1h\nlog_level: debug\n`, 'cn.yaml');
  assert.ok(c.role === 'correspondent');
  if (c.role !== 'correspondent') return;
  assert.deepEqual(
    [c.correspondent.core.maxLifetimeSeconds, c.correspondent.core.mcoaAllowed, c.correspondent.core.nonceRegenerateSeconds, c.correspondent.core.kcnRotateSeconds, c.logLevel],
    [120, false, 10, 3600, 'debug'],
  );
});

test('correspondent mistakes, each at file:line:col and key', () => {
  const rows: [string, string, RegExp][] = [
    ['no section', 'role: correspondent\n', /^cn\.yaml:1:1: missing required key correspondent/],
    ['no address', 'role: correspondent\ncorrespondent:\n  mcoa: true\n', /^cn\.yaml:3:3: correspondent: missing required key address/],
    ['bad address', 'role: correspondent\ncorrespondent:\n  address: nope\n', /^cn\.yaml:3:12: correspondent\.address: not an IPv6 address/],
    ['lifetime above 420 s (RFC 6275 §5.2.6)', `${MINIMAL}  max_lifetime: 600\n`, /^cn\.yaml:4:17: correspondent\.max_lifetime: .*420/],
    ['nonce regenerated too slowly for MAX_TOKEN_LIFETIME', `${MINIMAL}  nonce_regenerate: 31\n`, /^cn\.yaml:4:21: correspondent\.nonce_regenerate: .*30/],
    ['unknown key', `${MINIMAL}  adress: 2001:db8::1\n`, /^cn\.yaml:4:3: correspondent\.adress: unknown key \(did you mean address\?\)/],
    ['home agent section in this role', `${MINIMAL}home_agent: {}\n`, /^cn\.yaml:4:13: home_agent: only for role home-agent/],
    ['correspondent section in the home agent role', 'role: home-agent\nhome_agent: {interface: eth0, address: 2001:db8::1, served_prefixes: [2001:db8::/64]}\nipsec: {required: false}\ncorrespondent: {address: 2001:db8::2}\n', /^cn\.yaml:4:16: correspondent: only for role correspondent/],
  ];
  for (const [name, text, want] of rows) {
    const p = problems(text);
    assert.ok(p.some((l) => want.test(l)), `${name}: ${p.join(' | ')}`);
  }
});

test('the home agent loader (reload) still refuses the correspondent role', () => {
  assert.throws(() => parseConfig(MINIMAL, 'cn.yaml'), (e: unknown) => e instanceof ConfigFileError && /only the home-agent role/.test(e.message));
});

test('mobile_node.correspondents: optional, canonical, checked', () => {
  const none = parseAnyConfig(MN.replace('  correspondents: [CORR]\n', ''), 'mn.yaml');
  assert.ok(none.role === 'mobile-node' && none.mobileNode.correspondents.length === 0);
  const two = parseAnyConfig(MN.replace('CORR', '2001:DB8:c::10, 2001:db8:d::1'), 'mn.yaml');
  assert.ok(two.role === 'mobile-node');
  if (two.role === 'mobile-node') assert.deepEqual(two.mobileNode.correspondents, ['2001:db8:c::10', '2001:db8:d::1']);
  const rows: [string, string, RegExp][] = [
    ['twice', '2001:db8:c::10, 2001:db8:c::10', /mn\.yaml:6:36: mobile_node\.correspondents\[1\]: 2001:db8:c::10 is listed twice/],
    ['not an address', 'cn.example', /mn\.yaml:6:20: mobile_node\.correspondents\[0\]: not an IPv6 address/],
    ['the home agent', '2001:db8:aa::1', /correspondents\[0\]: 2001:db8:aa::1 is the home address or the home agent/],
    ['link-local', 'fe80::1', /correspondents\[0\]: fe80::1 is not a global unicast address/],
    ['not a list', '', /mobile_node\.correspondents: /],
  ];
  for (const [name, value, want] of rows) {
    const text = value === '' ? MN.replace('[CORR]', '2001:db8:c::10') : MN.replace('CORR', value);
    const p = problems(text, 'mn.yaml');
    assert.ok(p.some((l) => want.test(l)), `${name}: ${p.join(' | ')}`);
  }
});

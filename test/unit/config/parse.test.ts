// The configuration loader: the example file, defaults, and one row per kind of mistake
// with the file:line:column and key path it must be reported at.
import { ip6, notIp6 } from '../../ip6.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigFileError, coreErrorKey, IPSEC_OFF_WARNING, loadAnyConfigFile, loadConfigFile, parseConfig } from '../../../lib/config/index.js';
import { compileHomeAgentConfig, ConfigError } from '../../../lib/proto/common/core-config.js';
import { DRAFT04_PROFILE, RFC5648_PROFILE } from '../../../lib/wire/profiles.js';
import { DEFAULT_MARKS } from '../../../lib/reconcile/marks.js';
import { homeAgentYaml } from './ha-yaml.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../../..');

const MINIMAL = `role: home-agent
home_agent:
  interface: eth1
  address: 2001:db8:1::1
  served_prefixes: [2001:db8:1::/64]
`;

/** The problems of a file as formatted lines. */
function problems(text: string): string[] {
  try {
    parseConfig(text, 'mcoad.yaml');
  } catch (e) {
    assert.ok(e instanceof ConfigFileError, `ConfigFileError expected, got ${String(e)}`);
    return e.message.split('\n');
  }
  assert.fail('the file was accepted');
}

test('the example file parses, and its values reach the core configuration', async () => {
  const c = await loadConfigFile(join(ROOT, 'examples', 'mcoad.yaml'));
  assert.equal(c.role, 'home-agent');
  assert.equal(c.file, 'mcoad.yaml');
  const ha = c.homeAgent;
  assert.equal(ha.homeLinkInterface, 'eth1');
  assert.equal(ha.homeAgentAddress, '2001:db8:1::1');
  assert.deepEqual(ha.servedPrefixes, ['2001:db8:1::/64']);
  assert.equal(ha.maxLifetimeSeconds, 3600);
  assert.equal(ha.ipsecRequired, true);
  assert.deepEqual(ha.authorisation.homeAddresses[ip6('2001:db8:1::100')], {
    allowed: true,
    mcoa: true,
    mobileRouter: true,
    mobileNetworkPrefixes: ['2001:db8:100::/48'],
  });
  assert.equal(ha.authorisation.homeAddresses[ip6('2001:db8:1::bad')]?.allowed, false);
  assert.deepEqual(ha.profile.status, DRAFT04_PROFILE.status);
  assert.equal(c.control.mode, 0o660, 'mode 0660 is read as octal');
  assert.equal(c.control.group, 'mcoa');
  assert.equal(c.resyncIntervalSeconds, 300);
  assert.deepEqual(c.marks, DEFAULT_MARKS);
  assert.deepEqual(c.warnings, []);
  compileHomeAgentConfig(ha);
});

test('defaults of a minimal file', () => {
  const c = parseConfig(MINIMAL, 'm.yaml');
  assert.equal(c.stateDirectory, '/var/lib/mcoad');
  assert.deepEqual(c.control, { path: '/run/mcoad/mcoad.sock', group: null, mode: 0o660 });
  assert.equal(c.logLevel, 'info');
  assert.equal(c.netns, null);
  assert.equal(c.homeAgent.ipsecRequired, true);
  assert.equal(c.homeAgent.profile, DRAFT04_PROFILE);
  assert.deepEqual(c.homeAgent.authorisation, { default: { allowed: true }, homeAddresses: {} });
});

test('home_binding_lifetime follows max_lifetime unless set; durations in units', () => {
  const a = parseConfig(MINIMAL + '  max_lifetime: 10m\n', 'm.yaml');
  assert.equal(a.homeAgent.maxLifetimeSeconds, 600);
  assert.equal(a.homeAgent.homeBindingLifetimeSeconds, 600);
  const b = parseConfig(MINIMAL + '  max_lifetime: 600\n  home_binding_lifetime: 1h\n', 'm.yaml');
  assert.equal(b.homeAgent.homeBindingLifetimeSeconds, 3600);
});

test('ipsec.required: false is accepted with a warning for the start-up log', () => {
  const c = parseConfig(MINIMAL + 'ipsec: { required: false }\n', 'm.yaml');
  assert.equal(c.homeAgent.ipsecRequired, false);
  assert.deepEqual(c.warnings, [IPSEC_OFF_WARNING]);
  assert.match(c.warnings[0]!, /anyone who can send a packet to the home agent can register/);
});

test('surroundings: kernel marks, control socket with numeric group, netns, log level, profile', () => {
  const c = parseConfig(
    MINIMAL +
      `kernel: { route_protocol: 200, tunnel_prefix: mt, nexthop_id_base: 0x1000, nexthop_id_count: 16, table: 100, resync_interval: 90s }
control: { socket: /tmp/x.sock, group: 1000, mode: 0o600 }
netns: ha1
log_level: debug
state_directory: /srv/mcoad
wire_profile: { bid_option_type: 200, status: { flag_conflicts: 171 } }
`,
    'm.yaml',
  );
  assert.deepEqual(c.marks, { protocol: 200, tunnelPrefix: 'mt', nexthopIdBase: 0x1000, nexthopIdCount: 16, table: 100, sharedNexthopIdBase: 0x4d440000, sharedNexthopIdCount: 0x400000 });
  assert.equal(c.resyncIntervalSeconds, 90);
  assert.deepEqual(c.control, { path: '/tmp/x.sock', group: 1000, mode: 0o600 });
  assert.equal(c.netns, 'ha1');
  assert.equal(c.logLevel, 'debug');
  assert.equal(c.stateDirectory, '/srv/mcoad');
  assert.equal(c.homeAgent.profile.bidOptionType, 200);
  assert.equal(c.homeAgent.profile.status.flagConflicts, 171);
  assert.equal(c.homeAgent.profile.status.incompliant, 164);
});

test('wire_profile: rfc5648 selects RFC 5648 (layout, O in the BU, rules); draft-04 stays the default', () => {
  const rfc = parseConfig(MINIMAL + 'wire_profile: rfc5648\n', 'm.yaml');
  assert.equal(rfc.homeAgent.profile, RFC5648_PROFILE);
  assert.equal(rfc.homeAgent.profile.buOverwriteFlag, 0x0080);
  assert.equal(parseConfig(MINIMAL + 'wire_profile: draft-04\n', 'm.yaml').homeAgent.profile, DRAFT04_PROFILE);
  assert.equal(parseConfig(MINIMAL, 'm.yaml').homeAgent.profile.name, 'draft-04');
  // A section named rfc5648 keeps RFC 5648's layout and rules with a number replaced.
  const custom = parseConfig(MINIMAL + 'wire_profile: { name: rfc5648, bid_option_type: 200 }\n', 'm.yaml').homeAgent.profile;
  assert.equal(custom.bid, RFC5648_PROFILE.bid);
  assert.equal(custom.rules, RFC5648_PROFILE.rules);
  assert.equal(custom.bidOptionType, 200);
});

// One row per kind of mistake: [name, file text, expected problem lines].
const ROWS: [string, string, string[]][] = [
  ['bad address', MINIMAL.replace('2001:db8:1::1', '2001:db8:1::g'), ['mcoad.yaml:4:12: home_agent.address: not an IPv6 address: "2001:db8:1::g"']],
  [
    'bad prefix, second of a block list',
    MINIMAL.replace('[2001:db8:1::/64]', '\n    - 2001:db8:1::/64\n    - 2001:db8::/129'),
    ['mcoad.yaml:7:7: home_agent.served_prefixes[1]: not an IPv6 prefix: "2001:db8::/129"'],
  ],
  ['unknown top-level key', MINIMAL + 'lgo_level: info\n', ['mcoad.yaml:6:1: lgo_level: unknown key (did you mean log_level?)']],
  ['unknown nested key', MINIMAL + '  mcoa: { allowed: true, bulk: false }\n', ['mcoad.yaml:6:26: home_agent.mcoa.bulk: unknown key']],
  ['wrong type: string for boolean', MINIMAL + '  mobile_router_support: yes\n', ['mcoad.yaml:6:26: home_agent.mobile_router_support: expected true or false, got string "yes"']],
  ['wrong type: list for string', MINIMAL.replace('eth1', '[eth1]'), ['mcoad.yaml:3:14: home_agent.interface: expected a non-empty string, got a list']],
  ['wrong type: mapping for list', MINIMAL.replace('[2001:db8:1::/64]', '{ a: 1 }'), ['mcoad.yaml:5:20: home_agent.served_prefixes: expected a list, got a mapping']],
  ['missing required key', 'role: home-agent\nhome_agent:\n  interface: eth1\n  address: 2001:db8:1::1\n', ['mcoad.yaml:3:3: home_agent: missing required key served_prefixes']],
  ['missing required value', MINIMAL.replace('eth1', ''), ['mcoad.yaml:3:3: home_agent: missing required key interface']],
  ['missing section', 'role: home-agent\n', ['mcoad.yaml:1:1: missing required key home_agent (role is home-agent)']],
  ['missing role', MINIMAL.replace('role: home-agent\n', ''), ['mcoad.yaml:1:1: missing required key role']],
  ['unknown role', MINIMAL.replace('home-agent', 'router'), ['mcoad.yaml:1:7: role: must be one of home-agent, mobile-node, correspondent; got string "router"']],
  ['role not run here (parseConfig is the home agent\'s)', MINIMAL.replace('home-agent', 'mobile-node'), ['mcoad.yaml:1:7: role: mcoad runs only the home-agent role here, not mobile-node']],
  ['lifetime below range', MINIMAL + '  max_lifetime: 3\n', ['mcoad.yaml:6:17: home_agent.max_lifetime: out of range 4..262140: 3']],
  ['lifetime above range', MINIMAL + '  home_binding_lifetime: 4d\n', ['mcoad.yaml:6:26: home_agent.home_binding_lifetime: out of range 4..262140: 345600']],
  ['lifetime not a duration', MINIMAL + '  max_lifetime: 1.5h\n', ['mcoad.yaml:6:17: home_agent.max_lifetime: expected seconds (an integer, or a duration like "90s", "10m", "1h"), got string "1.5h"']],
  ['profile: option type collides', MINIMAL + 'wire_profile:\n  bid_option_type: 1\n', ['mcoad.yaml:7:20: wire_profile.bid_option_type: BID option type 1 collides with a base mobility option (0..6)']],
  ['profile: status not a rejection', MINIMAL + 'wire_profile:\n  status:\n    prohibited: 100\n', ['mcoad.yaml:8:17: wire_profile.status.prohibited: out of range 128..255: 100']],
  ['profile: status means something else', MINIMAL + 'wire_profile:\n  status:\n    bid_conflict: 129\n', ['mcoad.yaml:8:19: wire_profile.status.bid_conflict: status bidConflict = 129 already means ADMINISTRATIVELY_PROHIBITED (RFC 6275/3963)']],
  ['profile: unknown name', MINIMAL + 'wire_profile: rfc3775\n', ['mcoad.yaml:6:15: wire_profile: unknown wire profile "rfc3775": draft-04 or rfc5648']],
  ['profile: two statuses alike', MINIMAL + 'wire_profile:\n  status:\n    flag_conflicts: 164\n', ['mcoad.yaml:8:21: wire_profile.status.flag_conflicts: status flagConflicts = 164 is also used for incompliant']],
  ['authorised home address outside served prefixes', MINIMAL + '  authorisation:\n    home_addresses:\n      2001:db8:9::1: { allowed: true }\n', ['mcoad.yaml:8:7: home_agent.authorisation.home_addresses[2001:db8:9::1]: home address is outside every served prefix']],
  ['same home address twice in two spellings', MINIMAL + '  authorisation:\n    home_addresses:\n      2001:db8:1::1: {}\n      2001:DB8:1:0::1: {}\n', ['mcoad.yaml:9:7: home_agent.authorisation.home_addresses[2001:DB8:1:0::1]: same home address as 2001:db8:1::1']],
  ['bad mobile network prefix', MINIMAL + '  authorisation:\n    default: { mobile_router: true, mobile_network_prefixes: [10.0.0.0/8] }\n', ['mcoad.yaml:7:63: home_agent.authorisation.default.mobile_network_prefixes[0]: not an IPv6 prefix: "10.0.0.0/8"']],
  ['mode written in decimal-looking octal beyond 0777', MINIMAL + 'control: { mode: 4755 }\n', ['mcoad.yaml:6:18: control.mode: setuid, setgid and sticky bits are not allowed: 4755']],
  ['relative socket path', MINIMAL + 'control: { socket: run/x.sock }\n', ['mcoad.yaml:6:20: control.socket: must be an absolute path: "run/x.sock"']],
  ['route protocol of another daemon', MINIMAL + 'kernel: { route_protocol: 12 }\n', ['mcoad.yaml:6:27: kernel.route_protocol: 12 is RTPROT_BIRD: routes of that origin would be taken for ours']],
  ['nexthop band past 2^32', MINIMAL + 'kernel: { nexthop_id_base: 0xffffff00, nexthop_id_count: 0x1000 }\n', ['mcoad.yaml:6:58: kernel.nexthop_id_count: nexthop id band 4294967040+4096 passes 2^32-1']],
  ['log level', MINIMAL + 'log_level: verbose\n', ['mcoad.yaml:6:12: log_level: must be one of fatal, error, warn, info, debug, trace, silent; got string "verbose"']],
  ['duplicate key (YAML error)', MINIMAL + 'role: home-agent\n', ['mcoad.yaml:6:1: Map keys must be unique']],
  ['YAML syntax error', 'role: [home-agent\n', ['mcoad.yaml:2:1: Flow sequence in block collection must be sufficiently indented and end with a ]']],
  ['empty file', '# nothing\n', ['mcoad.yaml:1:1: the file is empty; it needs at least role and home_agent']],
];

for (const [name, text, expected] of ROWS) {
  test(`problem reported with position and key path: ${name}`, () => {
    assert.deepEqual(problems(text), expected);
  });
}

test('several problems in one file are all reported, in file order', () => {
  const text = `role: home-agent
home_agent:
  interface: eth1
  address: 2001:db8:1::zz
  served_prefixes: [2001:db8:1::/64, nope]
  max_lifetme: 100
  mcoa: { allowed: 1 }
kernel: { table: 255 }
`;
  assert.deepEqual(problems(text), [
    'mcoad.yaml:4:12: home_agent.address: not an IPv6 address: "2001:db8:1::zz"',
    'mcoad.yaml:5:38: home_agent.served_prefixes[1]: not an IPv6 prefix: "nope"',
    'mcoad.yaml:6:3: home_agent.max_lifetme: unknown key (did you mean max_lifetime?)',
    'mcoad.yaml:7:20: home_agent.mcoa.allowed: expected true or false, got number 1',
    'mcoad.yaml:8:18: kernel.table: 255 is the local table, which the kernel manages',
  ]);
});

test('the problem list is structured as well as formatted', () => {
  try {
    parseConfig(MINIMAL.replace('eth1', 'eth/1'), 'x.yaml');
    assert.fail('accepted');
  } catch (e) {
    assert.ok(e instanceof ConfigFileError);
    assert.equal(e.code, 'CONFIG_INVALID');
    assert.deepEqual(e.problems, [{ file: 'x.yaml', line: 3, col: 14, path: 'home_agent.interface', message: 'not a Linux interface name: "eth/1"' }]);
  }
});

test('an unreadable file is a ConfigFileError naming the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcoa-config-'));
  try {
    await assert.rejects(loadConfigFile(join(dir, 'none.yaml')), (e: unknown) => e instanceof ConfigFileError && /none\.yaml:1:1: cannot read: ENOENT/.test(e.message));
    writeFileSync(join(dir, 'ok.yaml'), MINIMAL);
    assert.equal((await loadConfigFile(join(dir, 'ok.yaml'))).file, 'ok.yaml');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the core's own complaints map to the YAML key they are about", () => {
  const cases: [() => unknown, string][] = [
    [() => compileHomeAgentConfig({ ...parseConfig(MINIMAL, 'm').homeAgent, homeAgentAddress: notIp6('x') }), 'address'],
    [() => compileHomeAgentConfig({ ...parseConfig(MINIMAL, 'm').homeAgent, servedPrefixes: [] }), 'served_prefixes'],
    [() => compileHomeAgentConfig({ ...parseConfig(MINIMAL, 'm').homeAgent, maxLifetimeSeconds: 1 }), 'max_lifetime'],
    [() => compileHomeAgentConfig({ ...parseConfig(MINIMAL, 'm').homeAgent, homeLinkInterface: '' }), 'interface'],
  ];
  for (const [fn, key] of cases) {
    assert.throws(fn, (e: unknown) => e instanceof ConfigError && coreErrorKey(e.message) === key);
  }
  assert.equal(coreErrorKey('config: authorisation 2001:db8::1: bad mobile network prefix "x"'), 'authorisation.home_addresses[2001:db8::1]');
  assert.equal(coreErrorKey('config: authorisation default: bad mobile network prefix "x"'), 'authorisation.default');
});

test('the example files of the other roles load as shipped', async () => {
  const mn = await loadAnyConfigFile(join(ROOT, 'examples', 'mcoad-mobile-node.yaml'));
  assert.equal(mn.role, 'mobile-node');
  if (mn.role === 'mobile-node') {
    assert.deepEqual(mn.mobileNode.interfaces, ['wlan0', 'lte0', 'eth1']);
    assert.equal(mn.mobileNode.ipsec?.spiOut, 0x1001);
    assert.deepEqual(mn.warnings, []);
  }
  const cn = await loadAnyConfigFile(join(ROOT, 'examples', 'mcoad-correspondent.yaml'));
  assert.equal(cn.role, 'correspondent');
});

test('home_agent.dataplane: shared by default, per-binding or shared when set, anything else refused', () => {
  const base = homeAgentYaml;
  assert.equal(parseConfig(base(''), 'x.yaml').dataplane, 'shared');
  assert.equal(parseConfig(base('  dataplane: per-binding\n'), 'x.yaml').dataplane, 'per-binding');
  assert.equal(parseConfig(base('  dataplane: shared\n'), 'x.yaml').dataplane, 'shared');
  assert.throws(() => parseConfig(base('  dataplane: both\n'), 'x.yaml'), /dataplane/);
});

// The cluster: section: absent by default (the home agent runs alone), the accepted form
// with its defaults, and one row per mistake with the key it is reported at.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigFileError, parseAnyConfig, parseConfig } from '../../../lib/config/index.js';
import { DEFAULT_CLUSTER_TIMERS, DEFAULT_REPLICATION } from '../../../lib/config/cluster-section.js';

const MINIMAL = `role: home-agent
home_agent:
  interface: eth1
  address: 2001:db8:1::1
  served_prefixes: [2001:db8:1::/64]
`;

const CLUSTER = `cluster:
  endpoints: [http://127.0.0.1:2379, 'http://[::1]:2379']
  node: ha1
  service_addresses:
    2001:db8:1:0::1: { preference: 200 }
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

test('no cluster: section: no cluster key at all in the parsed configuration (single mode as before)', () => {
  const c = parseConfig(MINIMAL, 'mcoad.yaml');
  assert.equal('cluster' in c, false);
});

test('cluster: endpoints, node, the service address (canonical), defaults for the rest', () => {
  const c = parseConfig(MINIMAL + CLUSTER, 'mcoad.yaml');
  assert.deepEqual(c.cluster, {
    endpoints: ['http://127.0.0.1:2379', 'http://[::1]:2379'],
    tls: null,
    node: 'ha1',
    keyPrefix: '/mcoa/',
    serviceAddresses: [{ address: '2001:db8:1::1', preference: 200 }],
    preempt: false,
    timers: { ...DEFAULT_CLUSTER_TIMERS },
    replication: { ...DEFAULT_REPLICATION },
  });
});

test('cluster: shares: several service addresses, each with its preference, the home agent address among them', () => {
  const c = parseConfig(MINIMAL + `cluster:
  endpoints: [http://127.0.0.1:2379]
  node: ha2
  service_addresses:
    2001:db8:1::1: { preference: 100 }
    2001:db8:1::2: { preference: 200 }
    2001:db8:1::3:
`, 'mcoad.yaml');
  assert.deepEqual(c.cluster?.serviceAddresses, [
    { address: '2001:db8:1::1', preference: 100 },
    { address: '2001:db8:1::2', preference: 200 },
    { address: '2001:db8:1::3', preference: 0 },
  ]);
});

test('cluster: every key given', () => {
  const c = parseConfig(MINIMAL + CLUSTER + `  tls: { ca_file: /etc/mcoa/ca.pem, cert_file: /etc/mcoa/ha1.pem, key_file: /etc/mcoa/ha1.key }
  key_prefix: /lab/mcoa/
  preempt: true
  timers: { lease_ttl: 5s, step_down_margin_ms: 1000 }
  replication: { max_expiry_lag: 1m, max_sequence_lag: 4, esp_seq_margin: 0 }
`, 'mcoad.yaml');
  assert.deepEqual(c.cluster?.tls, { caFile: '/etc/mcoa/ca.pem', certFile: '/etc/mcoa/ha1.pem', keyFile: '/etc/mcoa/ha1.key' });
  assert.equal(c.cluster?.keyPrefix, '/lab/mcoa/');
  assert.equal(c.cluster?.preempt, true);
  assert.deepEqual(c.cluster?.timers, { leaseTtlSeconds: 5, stepDownMarginMs: 1000 });
  assert.deepEqual(c.cluster?.replication, { maxExpiryLagSeconds: 60, maxSequenceLag: 4, espSeqMargin: 0 });
});

const MISTAKES: [string, string, RegExp][] = [
  ['no endpoints', 'cluster:\n  node: ha1\n  service_addresses: { 2001:db8:1::1: }\n', /cluster: missing required key endpoints/],
  ['empty endpoints', 'cluster:\n  endpoints: []\n  node: ha1\n  service_addresses: { 2001:db8:1::1: }\n', /cluster\.endpoints: at least one etcd endpoint/],
  ['endpoint without scheme', 'cluster:\n  endpoints: [127.0.0.1:2379]\n  node: ha1\n  service_addresses: { 2001:db8:1::1: }\n', /cluster\.endpoints\[0\]: not an etcd client URL/],
  ['mixed schemes', 'cluster:\n  endpoints: [http://a:1, https://b:2]\n  node: ha1\n  service_addresses: { 2001:db8:1::1: }\n', /cluster\.endpoints: mixes http/],
  ['bad node name', 'cluster:\n  endpoints: [http://a:1]\n  node: "ha 1"\n  service_addresses: { 2001:db8:1::1: }\n', /cluster\.node: not a node name/],
  ['no service address', 'cluster:\n  endpoints: [http://a:1]\n  node: ha1\n  service_addresses: {}\n', /cluster\.service_addresses: at least one service address/],
  ['service address not IPv6', 'cluster:\n  endpoints: [http://a:1]\n  node: ha1\n  service_addresses: { 192.0.2.1: }\n', /not an IPv6 address: "192\.0\.2\.1"/],
  ['service address twice', 'cluster:\n  endpoints: [http://a:1]\n  node: ha1\n  service_addresses: { 2001:db8:1::1: , "2001:db8:1:0::1": }\n', /2001:db8:1::1 is listed twice/],
  ['preference out of range', 'cluster:\n  endpoints: [http://a:1]\n  node: ha1\n  service_addresses: { 2001:db8:1::1: { preference: -1 } }\n', /preference: out of range 0\.\.65535/],
  ['cert without key', 'cluster:\n  endpoints: [https://a:1]\n  node: ha1\n  tls: { cert_file: /c.pem }\n  service_addresses: { 2001:db8:1::1: }\n', /cluster\.tls: cert_file and key_file go together/],
  ['relative TLS path', 'cluster:\n  endpoints: [https://a:1]\n  node: ha1\n  tls: { ca_file: ca.pem }\n  service_addresses: { 2001:db8:1::1: }\n', /cluster\.tls\.ca_file: must be an absolute path/],
  ['lease TTL below etcd minimum', 'cluster:\n  endpoints: [http://a:1]\n  node: ha1\n  timers: { lease_ttl: 1 }\n  service_addresses: { 2001:db8:1::1: }\n', /cluster\.timers\.lease_ttl: out of range 2\.\.3600/],
  ['margin above half the TTL', 'cluster:\n  endpoints: [http://a:1]\n  node: ha1\n  timers: { lease_ttl: 2, step_down_margin_ms: 1500 }\n  service_addresses: { 2001:db8:1::1: }\n', /step_down_margin_ms 1500 is above half the lease TTL/],
  ['sequence lag too large', 'cluster:\n  endpoints: [http://a:1]\n  node: ha1\n  replication: { max_sequence_lag: 40000 }\n  service_addresses: { 2001:db8:1::1: }\n', /max_sequence_lag: out of range 0\.\.1024/],
  ['ESP sequence margin too large', 'cluster:\n  endpoints: [http://a:1]\n  node: ha1\n  replication: { esp_seq_margin: 99999999 }\n  service_addresses: { 2001:db8:1::1: }\n', /esp_seq_margin: out of range 0\.\.16777216/],
  ['key prefix without slashes', 'cluster:\n  endpoints: [http://a:1]\n  node: ha1\n  key_prefix: mcoa\n  service_addresses: { 2001:db8:1::1: }\n', /cluster\.key_prefix: must start and end with \//],
  ['a service address that is not the home agent address', 'cluster:\n  endpoints: [http://a:1]\n  node: ha1\n  service_addresses: { 2001:db8:1::2: }\n', /cluster\.service_addresses: must include the home agent address 2001:db8:1::1 .*listed: 2001:db8:1::2$/],
  ['two service addresses, neither the home agent address', 'cluster:\n  endpoints: [http://a:1]\n  node: ha1\n  service_addresses: { 2001:db8:1::2: , 2001:db8:1::3: }\n', /must include the home agent address 2001:db8:1::1 .*listed: 2001:db8:1::2, 2001:db8:1::3$/],
  ['unknown key', 'cluster:\n  endpoints: [http://a:1]\n  node: ha1\n  prempt: true\n  service_addresses: { 2001:db8:1::1: }\n', /unknown key \(did you mean preempt\?\)/],
];

for (const [name, section, want] of MISTAKES) {
  test(`cluster: ${name}`, () => {
    const found = problems(MINIMAL + section);
    assert.ok(found.some((p) => want.test(p)), `${want} not in:\n${found.join('\n')}`);
  });
}

test('cluster: only for the home agent role', () => {
  const found = problems(`role: correspondent
correspondent:
  address: 2001:db8:5::1
cluster:
  endpoints: [http://a:1]
`);
  assert.ok(found.some((p) => /cluster: only for role home-agent/.test(p)), found.join('\n'));
});

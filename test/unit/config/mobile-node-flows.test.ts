// `mobile_node.flows` (lib/config/mobile-node-flows.ts): readable selectors turned into
// RFC 6088 IPv6 selectors, the BID or interface, priority; each mistake reported at its key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigFileError, parseAnyConfig } from '../../../lib/config/index.js';
import { mustParseIp6 } from '../../../lib/inet/ip6.js';

const BASE = `role: mobile-node
mobile_node:
  home_address: 2001:db8:aa::100
  home_agent: 2001:db8:aa::1
  interfaces: [wlan0, eth0]
  flows:
`;
const TAIL = 'ipsec: { required: false }\n';

function flowsOf(items: string): unknown {
  const c = parseAnyConfig(BASE + items + TAIL, 'mn.yaml');
  assert.equal(c.role, 'mobile-node');
  return c.role === 'mobile-node' ? c.mobileNode.flows : undefined;
}

function problems(items: string): string[] {
  try {
    parseAnyConfig(BASE + items + TAIL, 'mn.yaml');
  } catch (e) {
    assert.ok(e instanceof ConfigFileError, String(e));
    return e.message.split('\n');
  }
  assert.fail('the file was accepted');
}

test('flows: protocol, ports, prefixes, DSCP and the target become RFC 6088 selectors', () => {
  const flows = flowsOf(`    - id: 1
      priority: 10
      protocol: udp
      destination_port: 5004
      source: 2001:db8:c::/48
      dscp: 46
      interface: wlan0
    - id: 2
      protocol: 6
      source_port: 8000-8010
      destination: 2001:db8:aa::100
      bid: 7
    - id: 3
      discard: true
`);
  assert.deepEqual(flows, [
    {
      fid: 1, priority: 10, target: { kind: 'interface', name: 'wlan0' },
      selector: {
        format: 'ipv6', nextHeaderStart: 17, destinationPortStart: 5004,
        sourceAddressStart: mustParseIp6('2001:db8:c::'), sourceAddressEnd: mustParseIp6('2001:db8:c:ffff:ffff:ffff:ffff:ffff'),
        trafficClassStart: 184, trafficClassEnd: 187,
      },
    },
    {
      fid: 2, priority: 2, target: { kind: 'bid', bid: 7 },
      selector: { format: 'ipv6', nextHeaderStart: 6, sourcePortStart: 8000, sourcePortEnd: 8010, destinationAddressStart: mustParseIp6('2001:db8:aa::100'), destinationAddressEnd: mustParseIp6('2001:db8:aa::100') },
    },
    { fid: 3, priority: 3, target: { kind: 'discard' }, selector: { format: 'ipv6' } },
  ]);
});

test('flows: no flows key means none', () => {
  const c = parseAnyConfig(BASE.replace('  flows:\n', '') + TAIL, 'mn.yaml');
  assert.deepEqual(c.role === 'mobile-node' && c.mobileNode.flows, []);
});

const MISTAKES: [string, string, string][] = [
  ['id missing', '    - protocol: udp\n      bid: 1\n', 'mobile_node.flows[0]'],
  ['id twice', '    - { id: 1, bid: 1 }\n    - { id: 1, bid: 2, priority: 5 }\n', 'mobile_node.flows[1].id'],
  ['priority twice', '    - { id: 1, bid: 1, priority: 5 }\n    - { id: 2, bid: 2, priority: 5 }\n', 'mobile_node.flows[1].priority'],
  ['no target', '    - { id: 1, protocol: udp }\n', 'needs exactly one of interface, bid or discard'],
  ['two targets', '    - { id: 1, bid: 1, interface: wlan0 }\n', 'got interface, bid'],
  ['interface not a candidate', '    - { id: 1, interface: wwan0 }\n', 'wwan0 is not in mobile_node.interfaces'],
  ['unknown protocol', '    - { id: 1, bid: 1, protocol: quic }\n', 'unknown protocol "quic"'],
  ['ports without a port protocol', '    - { id: 1, bid: 1, protocol: icmpv6, destination_port: 80 }\n', 'ports need protocol tcp, udp or sctp'],
  ['port range upside down', '    - { id: 1, bid: 1, destination_port: "90-80" }\n', 'not a port or a range'],
  ['DSCP above 63', '    - { id: 1, bid: 1, dscp: 64 }\n', 'mobile_node.flows[0].dscp'],
  ['bad prefix', '    - { id: 1, bid: 1, source: 2001:db8::/200 }\n', 'not an IPv6 address or prefix'],
  ['unknown key', '    - { id: 1, bid: 1, port: 80 }\n', 'mobile_node.flows[0].port'],
  ['BID 0', '    - { id: 1, bid: 0 }\n', 'mobile_node.flows[0].bid'],
];
for (const [name, items, expect] of MISTAKES) {
  test(`flows refused: ${name}`, () => {
    const got = problems(items);
    assert.ok(got.some((l) => l.includes(expect)), got.join('\n'));
  });
}

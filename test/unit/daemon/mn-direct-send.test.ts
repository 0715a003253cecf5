// The mobile node's sender (daemon/mn/send.ts): a CoTI or a Binding Update to a correspondent
// from a care-of address goes out on a socket bound to that address's interface, opened for
// the message and closed after it; everything to the home agent uses the shared socket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { parseAnyConfig, type MobileNodeDaemonConfig } from '../../../lib/config/index.js';
import { MobileNodeSender, directToCorrespondent } from '../../../lib/daemon/mn/send.js';
import { Metrics } from '../../../lib/daemon/metrics/metrics.js';
import { mustIp6, mustParseIp6 } from '../../../lib/inet/ip6.js';
import type { SendAction } from '../../../lib/proto/mn/index.js';
import { FakeMhSocket } from './fake-host.js';

const HA = mustIp6('2001:db8:aa::1');
const HOA = mustIp6('2001:db8:aa::100');
const CN = mustIp6('2001:db8:cc::1');
const COA = mustIp6('2001:db8:f1::10');
const cfg = parseAnyConfig(`role: mobile-node\nmobile_node:\n  home_address: ${HOA}\n  home_agent: ${HA}\n  interfaces: [wlan0]\nipsec: { required: false }\n`, 'mn.yaml') as MobileNodeDaemonConfig;

const coti = (dst: string, src: string): SendAction => ({
  kind: 'send',
  message: { kind: 'coti', payloadProto: 59, checksum: 0, cookie: new Uint8Array(8), options: [] } as unknown as SendAction['message'],
  destination: mustParseIp6(dst),
  source: mustParseIp6(src),
  iface: 'wlan0',
  homeAddressOption: false,
  reverseTunnel: false,
  authorization: null,
});

const rows: [string, string, string, boolean, boolean][] = [
  ['RFC 6275 §5.2.5: a CoTI to a correspondent from a care-of address leaves directly', CN, COA, false, true],
  ['to the home agent: the shared socket (its routes and policies apply)', HA, COA, false, false],
  ['from the home address (at home): the shared socket', CN, HOA, false, false],
  ['reverse-tunnelled (a HoTI): never the bound socket', CN, HOA, true, false],
];
for (const [name, dst, src, reverseTunnel, direct] of rows) {
  test(name, () => {
    assert.equal(directToCorrespondent({ source: mustParseIp6(src), reverseTunnel }, dst as ReturnType<typeof mustIp6>, cfg.mobileNode), direct);
  });
}

test('the bound socket is opened for the interface, used once and closed; the shared one is left alone', () => {
  const shared = new FakeMhSocket(() => undefined);
  const opened: { iface: string; sock: FakeMhSocket }[] = [];
  const sender = new MobileNodeSender(shared, () => cfg.mobileNode, null, () => 7, () => [], new Metrics('mobile-node'), pino({ level: 'silent' }), (iface) => {
    const sock = new FakeMhSocket(() => undefined);
    opened.push({ iface, sock });
    return sock;
  });
  sender.send(coti(CN, COA));
  assert.equal(opened.length, 1);
  assert.equal(opened[0]!.iface, 'wlan0');
  assert.equal(opened[0]!.sock.sent.length, 1);
  assert.deepEqual([opened[0]!.sock.sent[0]!.src, opened[0]!.sock.sent[0]!.dst], [COA, CN]);
  assert.equal(opened[0]!.sock.closed, true);
  assert.equal(shared.sent.length, 0);
  sender.send(coti(HA, COA));
  assert.equal(opened.length, 1, 'nothing new opened for the home agent');
  assert.equal(shared.sent.length, 1);
  assert.equal(shared.closed, false);
});

// End to end: the mobile node core against lib/proto's HomeAgent and CorrespondentNode,
// every message encoded, sealed and decoded with lib/wire as on a real link. Appendix A
// Figures 6-9, the H flag, peers that refuse MCoA or bulk, and a reboot (§5.9).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIp6, ip6Equal } from '../../../../lib/inet/ip6.js';
import type { HomeAgentConfig } from '../../../../lib/proto/common/core-config.js';
import type { MnConfig, MnEvent } from '../../../../lib/proto/mn/index.js';
import { CN, COA1, COA2, COA3, HOA, Mn, seededRandom } from './harness.js';
import { Net } from './interop-net.js';

const t = formatIp6;

function figure6(cfg: Partial<MnConfig> = {}, ha: Partial<HomeAgentConfig> = {}, cnMcoa = true): Net {
  const mn = new Mn({ correspondents: [CN], ...cfg });
  const net = new Net(mn, ha, cnMcoa);
  net.settle(mn.start([['eth0', COA1], ['eth1', COA2], ['eth2', COA3]]));
  return net;
}

const ifaceOps = (mn: Mn) => mn.all.filter((a) => a.kind === 'interface').map((a) => (a.kind === 'interface' ? `${a.op} ${a.iface}` : ''));

test('interop Figure 6: home agent and correspondent both hold BID1-3', () => {
  const net = figure6();
  assert.deepEqual(net.haBindings(), [[1, t(COA1), false], [2, t(COA2), false], [3, t(COA3), false]]);
  assert.deepEqual(net.cnBindings(), [[1, t(COA1)], [2, t(COA2)], [3, t(COA3)]]);
  assert.ok(net.mn.core.bindingUpdateList().every((e) => e.state === 'registered'));
  assert.equal(net.dropped, 0);
});

test('interop Figure 7: return home -> home agent empty, correspondent keeps BID2 and BID3', () => {
  const net = figure6();
  net.mn.now = 10_000;
  net.settle(net.mn.send({ kind: 'homeLink', iface: 'eth0', attached: true }, { kind: 'careOfAddress', iface: 'eth0', address: null }));
  assert.deepEqual(net.haBindings(), []);
  assert.deepEqual(net.cnBindings(), [[2, t(COA2)], [3, t(COA3)]]);
  assert.deepEqual(ifaceOps(net.mn), ['useHomeAddress eth0']);
  assert.equal(net.dropped, 0);
});

test('interop Figure 8: home interface disabled -> both peers keep BID1 and BID2', () => {
  const net = figure6({ homeLinkPolicy: 'disable-home-interface' });
  net.mn.now = 10_000;
  net.settle(net.mn.send({ kind: 'homeLink', iface: 'eth2', attached: true }, { kind: 'careOfAddress', iface: 'eth2', address: null }));
  assert.deepEqual(net.haBindings(), [[1, t(COA1), false], [2, t(COA2), false]]);
  assert.deepEqual(net.cnBindings(), [[1, t(COA1)], [2, t(COA2)]]);
  assert.deepEqual(ifaceOps(net.mn), ['disable eth2']);
});

test('interop Figure 9: two interfaces home -> home agent empty, correspondent keeps BID2', () => {
  const net = figure6();
  net.mn.now = 10_000;
  net.settle(net.mn.send(
    { kind: 'homeLink', iface: 'eth0', attached: true }, { kind: 'careOfAddress', iface: 'eth0', address: null },
    { kind: 'homeLink', iface: 'eth2', attached: true }, { kind: 'careOfAddress', iface: 'eth2', address: null },
  ));
  assert.deepEqual(net.haBindings(), []);
  assert.deepEqual(net.cnBindings(), [[2, t(COA2)]]);
});

test('interop §5.5 H flag: a home binding (care-of = home address) next to the foreign ones', () => {
  const net = figure6({ homeLinkPolicy: 'h-flag' });
  net.mn.now = 10_000;
  net.settle(net.mn.send({ kind: 'homeLink', iface: 'eth0', attached: true }, { kind: 'careOfAddress', iface: 'eth0', address: null }));
  assert.deepEqual(net.haBindings(), [[1, t(HOA), true], [2, t(COA2), false], [3, t(COA3), false]]);
  assert.deepEqual(net.cnBindings(), [[2, t(COA2)], [3, t(COA3)]]);
  assert.deepEqual(ifaceOps(net.mn), ['useHomeAddress eth0']);
  net.mn.now = 20_000;
  net.settle(net.mn.send({ kind: 'homeLink', iface: 'eth0', attached: false }, { kind: 'careOfAddress', iface: 'eth0', address: COA1 }));
  assert.deepEqual(net.haBindings(), [[1, t(COA1), false], [2, t(COA2), false], [3, t(COA3), false]]);
  assert.deepEqual(net.cnBindings(), [[1, t(COA1)], [2, t(COA2)], [3, t(COA3)]]);
});

test('interop §5.6 home agent without bulk support: every BID registered one by one', () => {
  const net = figure6({}, { bulkAllowed: false });
  assert.deepEqual(net.haBindings().map((b) => b[0]), [1, 2, 3]);
  assert.equal(net.mn.core.peers().find((p) => p.role === 'ha')!.useBulk, false);
});

test('interop §5.6 MCoA prohibited at the home agent: one regular binding', () => {
  const net = figure6({}, { mcoaAllowed: false });
  assert.deepEqual(net.haBindings(), [[0, t(COA1), false]]);
  assert.deepEqual(net.cnBindings().map((b) => b[0]), [1, 2, 3]);
});

test('interop §5.2 correspondent without MCoA: one regular binding there', () => {
  const net = figure6({}, {}, false);
  assert.deepEqual(net.cnBindings(), [[0, t(COA1)]]);
  assert.deepEqual(net.haBindings().map((b) => b[0]), [1, 2, 3]);
});

test('interop §5.9 reboot: the O flag clears old bindings; 135 -> retry with the home agent\'s number + 1', () => {
  const net = figure6();
  const last = net.ha.cache.lastSequence(formatIp6(HOA))!;
  // The rebooted node's first sequence number is 10 behind the home agent's last accepted one.
  const first = (last - 9 + 0x10000) % 0x10000;
  const rest = seededRandom(7);
  let calls = 0;
  const random = (n: number) => (calls++ === 0 ? Uint8Array.of(((first - 1) >> 8) & 0xff, (first - 1) & 0xff) : rest(n));
  const rebooted = new Net(new Mn({}, random), net.ha);
  rebooted.settle(rebooted.mn.start([['wlan0', COA2]]));
  assert.deepEqual(rebooted.haBindings(), [[1, t(COA2), false]]);
  const sent = rebooted.mn.all.filter((a) => a.kind === 'send' && a.message.kind === 'bu');
  assert.deepEqual(sent.map((a) => (a.kind === 'send' && a.message.kind === 'bu' ? [a.message.sequence, a.message.options.some((o) => o.kind === 'bid' && o.o)] : [])), [
    [first, true],
    [(last + 1) % 0x10000, true],
  ]);
});

test('interop §5.5 every interface home: both peers flushed, the correspondent from the home link', () => {
  const net = figure6();
  net.mn.now = 10_000;
  const events: MnEvent[] = [];
  for (const iface of ['eth0', 'eth1', 'eth2']) events.push({ kind: 'homeLink', iface, attached: true }, { kind: 'careOfAddress', iface, address: null });
  net.settle(net.mn.send(...events));
  assert.deepEqual(net.haBindings(), []);
  assert.deepEqual(net.cnBindings(), []);
  const flush = net.mn.all.filter((a) => a.kind === 'send' && a.message.kind === 'bu' && ip6Equal(a.destination, CN)).at(-1)!;
  assert.ok(flush.kind === 'send' && flush.message.kind === 'bu');
  assert.deepEqual([t(flush.source), flush.homeAddressOption, flush.message.lifetimeSeconds], [t(HOA), false, 0]);
  assert.equal(net.dropped, 0);
});

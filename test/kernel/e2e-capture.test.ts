// Capture check: a Figure 6 registration (three foreign interfaces, one bulk BU) captured on
// the home agent's uplink with tcpdump, then read back by two independent decoders — tshark
// and `mcoactl decode --pcap` — which must both show the Binding Update and Binding
// Acknowledgement with the sequence numbers, BIDs and care-of addresses that the daemons
// report in `mcoactl show bindings`. tcpdump and tshark are host binaries on UML's read-only
// root; tshark wants a writable HOME for its profile directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  COAS, HA, HOA, MH_BA, MH_BU, SCENARIO_TIMEOUT_MS, bindings, decodeWithMcoactl, decodeWithTshark, registeredWith, until, withRoutedWorld,
  writeHomeAgentConfig, writeMobileNodeConfig, type SeenMh,
} from './fixtures/index.js';

/** One Mobility Header message as both decoders show it: type, sequence, BIDs with their care-of addresses (sorted by BID). */
const key = (m: SeenMh): string => `${m.type} ${m.seq} ${[...m.bids].sort((a, b) => a.bid - b.bid).map((b) => `${b.bid}=${b.coa ?? '-'}`).join(' ')}`;
const pairs = (m: SeenMh): string[] => m.bids.map((b) => `${b.bid}=${b.coa ?? '-'}`);

test('capture of a Figure 6 registration: tshark and mcoactl decode agree with the daemons', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  await withRoutedWorld({}, async ({ ns, scope }) => {
    const capture = await scope.capture(ns.ha, 'up0', 'uplink.pcap', 'ip6 protochain 135 or ip6 proto 41');
    const haD = await scope.startDaemon(ns.ha, 'home agent', (dir) => writeHomeAgentConfig(dir, { ipsecRequired: false }));
    const mnD = await scope.startDaemon(ns.mn, 'mobile node', (dir) => writeMobileNodeConfig(dir, { bulk: true }));
    const list = await until('three bindings at the home agent', async () => {
      const l = await bindings(haD);
      return l.length === 3 ? l : undefined;
    });
    // The mobile node has processed the BA once its list says registered for every care-of address.
    await until('three registered entries at the mobile node', async () => (await registeredWith(mnD, HA)).length === 3);
    // The BA has passed up0; wait until the file holds it too before stopping tcpdump.
    await until('the BA in the capture file', async () =>
      (await decodeWithMcoactl(capture.file)).some((m) => m.type === MH_BA && list.every((b) => b.sequence === m.seq)));
    await capture.stop();
    assert.deepEqual(list.map((b) => b.coa).sort(), [...COAS]);
    assert.ok(list.every((b) => b.hoa === HOA));

    const shark = await decodeWithTshark(capture.file);
    // decodeWithMcoactl also checks that every Mobility Header checksum verifies.
    const ours = await decodeWithMcoactl(capture.file);
    t.diagnostic(`tshark: ${shark.map(key).join(' | ')}`);
    t.diagnostic(`mcoactl decode: ${ours.map(key).join(' | ')}`);
    // The two decoders read the same messages the same way.
    assert.deepEqual(ours.map(key), shark.map(key));

    // The BU(s) the home agent accepted: each binding's BID and care-of address, under its sequence number.
    for (const b of list) {
      const bu = ours.find((m) => m.type === MH_BU && m.seq === b.sequence && pairs(m).includes(`${b.bid}=${b.coa}`));
      assert.ok(bu, `a BU with sequence ${b.sequence} carrying BID ${b.bid} care-of ${b.coa}`);
      const ba = ours.find((m) => m.type === MH_BA && m.seq === b.sequence && m.bids.some((x) => x.bid === b.bid));
      assert.ok(ba, `a BA with sequence ${b.sequence} answering BID ${b.bid}`);
    }
  });
});

// The mobile node's uplink flow filters (lib/plan/mn/flow-uplink.ts): the mirror of each
// flow's selector on every tunnel but the bound one, redirecting to the bound one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { uplinkWants, type UplinkPath } from '../../../../lib/plan/mn/flow-uplink.js';
import { mnTunnelKey } from '../../../../lib/plan/mn/routes.js';
import type { MnFlow } from '../../../../lib/proto/mn/flows.js';
import { ip6Octets } from '../../../../lib/inet/ip6-write.js';
import { ip6 } from '../../../ip6.js';

const HOA = ip6('2001:db8:aa::100');
const HA = ip6('2001:db8:aa::1');
const PATHS: UplinkPath[] = [
  { iface: 'wlan0', bid: 1, coa: ip6('2001:db8:f1::10') },
  { iface: 'lte0', bid: 2, coa: ip6('2001:db8:f2::10') },
  { iface: 'eth0', bid: 3, coa: ip6('2001:db8:f3::10') },
];
const T = PATHS.map((p) => mnTunnelKey(p.coa, HA));
const flow = (fid: number, target: MnFlow['target']): MnFlow => ({
  fid, priority: fid * 10, target,
  selector: { format: 'ipv6', nextHeaderStart: 17, destinationPortStart: 5004, sourceAddressStart: ip6Octets(ip6('2001:db8:c::10')) },
});

test('uplink: on every other tunnel, the mirrored match (correspondent as destination, ports swapped) redirects to the bound tunnel', () => {
  const w = uplinkWants({ homeAddress: HOA, homeAgent: HA, flows: [flow(1, { kind: 'interface', name: 'wlan0' })], paths: PATHS, preferred: [] });
  assert.deepEqual([...w.keys()], [`${T[1]}|1|1`, `${T[2]}|1|1`]);
  assert.deepEqual(w.get(`${T[1]}|1|1`), { device: T[1], target: T[0], fid: 1, index: 1, prio: 11, match: { ipProto: 17, dst: { addr: '2001:db8:c::10', len: 128 }, srcPort: { min: 5004, max: 5004 } } });
});

test('uplink: a flow whose interface has no tunnel follows the preferred interfaces; by BID; discard and a single tunnel steer nothing', () => {
  const gone = uplinkWants({ homeAddress: HOA, homeAgent: HA, flows: [flow(1, { kind: 'interface', name: 'wlan0' })], paths: PATHS.slice(1), preferred: ['wlan0', 'eth0', 'lte0'] });
  assert.deepEqual([...gone.values()].map((x) => [x.device, x.target]), [[T[1], T[2]]]);
  const byBid = uplinkWants({ homeAddress: HOA, homeAgent: HA, flows: [flow(2, { kind: 'bid', bid: 2 })], paths: PATHS, preferred: [] });
  assert.deepEqual([...byBid.values()].map((x) => x.target), [T[1], T[1]]);
  assert.equal(uplinkWants({ homeAddress: HOA, homeAgent: HA, flows: [flow(3, { kind: 'discard' })], paths: PATHS, preferred: [] }).size, 0);
  assert.equal(uplinkWants({ homeAddress: HOA, homeAgent: HA, flows: [flow(1, { kind: 'interface', name: 'wlan0' })], paths: PATHS.slice(0, 1), preferred: [] }).size, 0);
});

// Cluster mode at start: which addresses on the home link are service addresses an earlier run
// left (removed), and which are the same address configured by hand (left, with a warning).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leftoverServiceAddresses } from '../../../lib/daemon/ha/leftover-addresses.js';
import { ip6 } from '../../ip6.js';

const SERVICE = [ip6('2001:db8:aa::1'), ip6('2001:db8:aa::2')];
const on = (address: string, prefixLen: number) => ({ ifindex: 3, address: ip6(address), prefixLen });

const ROWS: { name: string; onLink: ReturnType<typeof on>[]; remove: string[]; foreign: string[] }[] = [
  { name: 'nothing left: nothing to remove', onLink: [on('2001:db8:aa::11', 64), on('fe80::1', 64)], remove: [], foreign: [] },
  { name: 'the /128 a killed active added: removed', onLink: [on('2001:db8:aa::11', 64), on('2001:db8:aa::1', 128)], remove: ['2001:db8:aa::1'], foreign: [] },
  { name: 'both service addresses left: both removed', onLink: [on('2001:db8:aa::2', 128), on('2001:db8:aa::1', 128)], remove: ['2001:db8:aa::2', '2001:db8:aa::1'], foreign: [] },
  { name: 'the service address with another prefix length: put there by hand, left', onLink: [on('2001:db8:aa::1', 64)], remove: [], foreign: ['2001:db8:aa::1'] },
  { name: 'an address that is not a service address: left', onLink: [on('2001:db8:aa::3', 128)], remove: [], foreign: [] },
];

for (const row of ROWS) {
  test(`leftover service addresses: ${row.name}`, () => {
    const r = leftoverServiceAddresses(row.onLink, SERVICE);
    assert.deepEqual(r.remove.map((a) => a.address), row.remove);
    assert.deepEqual(r.foreign.map((a) => a.address), row.foreign);
  });
}

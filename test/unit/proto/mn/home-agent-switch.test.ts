// RFC 5142 §4 and §6: which Home Agent Switch messages a mobile node acts on, and where it goes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { homeAgentSwitchVerdict } from '../../../../lib/proto/mn/home-agent-switch.js';
import { mustIp6, mustParseIp6 } from '../../../../lib/inet/ip6.js';

const HA = mustIp6('2001:db8:1::1');
const list = (...a: string[]): Uint8Array[] => a.map((x) => mustParseIp6(x));

const rows: { name: string; from: string; addresses: Uint8Array[]; want: string[] | 'refused' }[] = [
  { name: '§6.1 from the home agent: the first listed address first', from: HA, addresses: list('2001:db8:1::2', '2001:db8:1::3'), want: ['2001:db8:1::2', '2001:db8:1::3'] },
  { name: '§4 no address: run DHAAD', from: HA, addresses: [], want: [] },
  { name: '§6.1 from another address: refused', from: '2001:db8:1::9', addresses: list('2001:db8:1::2'), want: 'refused' },
  { name: 'the sender itself and duplicates are skipped', from: HA, addresses: list('2001:db8:1::1', '2001:db8:1::2', '2001:db8:1::2'), want: ['2001:db8:1::2'] },
  { name: 'multicast, link-local, unspecified and loopback are skipped', from: HA, addresses: list('ff02::1', 'fe80::1', '::', '::1', '2001:db8:1::4'), want: ['2001:db8:1::4'] },
  { name: 'a list of nothing usable is refused, not read as "discover"', from: HA, addresses: list('::', '2001:db8:1::1'), want: 'refused' },
];

for (const r of rows) {
  test(r.name, () => {
    const v = homeAgentSwitchVerdict(mustIp6(r.from), HA, r.addresses);
    if (r.want === 'refused') {
      assert.equal(v.accept, false);
      if (!v.accept) assert.ok(v.why.length > 0);
    } else {
      assert.deepEqual(v, { accept: true, candidates: r.want });
    }
  });
}

// `mcoactl show prefixes`: the header line and the aligned table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prefixesLines } from '../../../lib/cli/commands/prefixes-render.js';
import { mustIp6 } from '../../../lib/inet/ip6.js';

const HOA = mustIp6('2001:db8:aa::100');
const HA = mustIp6('2001:db8:aa::1');

test('a learned home prefix and another: lifetimes left of the advertised, the R address, infinite shown as such', () => {
  const lines = prefixesLines({
    homeAddress: HOA,
    homeAgent: HA,
    outstandingIdentifier: null,
    nextSolicitInSeconds: 2878,
    lastAdvertisementSecondsAgo: 2,
    prefixes: [
      { prefix: '2001:db8:aa::/64', home: true, routerAddress: HA, validLifetime: 3600, preferredLifetime: 1800, learnedAtMs: 0, validLeftSeconds: 3598, preferredLeftSeconds: 1798 },
      { prefix: '2001:db8:ab::/64', home: false, routerAddress: null, validLifetime: 0xffffffff, preferredLifetime: 0xffffffff, learnedAtMs: 0, validLeftSeconds: null, preferredLeftSeconds: null },
    ],
  });
  assert.deepEqual(lines, [
    'home address 2001:db8:aa::100  home agent 2001:db8:aa::1  last advertisement 2s ago  next solicitation in 2878s',
    'PREFIX            HOME  VALID        PREFERRED    ROUTER',
    '2001:db8:aa::/64  yes   3598s/3600s  1798s/1800s  2001:db8:aa::1',
    '2001:db8:ab::/64  no    infinite     infinite     -',
  ]);
});

test('nothing learned yet, a solicitation outstanding', () => {
  assert.deepEqual(
    prefixesLines({ homeAddress: HOA, homeAgent: HA, outstandingIdentifier: 7, nextSolicitInSeconds: 3, lastAdvertisementSecondsAgo: null, prefixes: [] }),
    ['home address 2001:db8:aa::100  home agent 2001:db8:aa::1  last advertisement none yet  next solicitation waiting for an answer to identifier 7', 'no prefixes learned'],
  );
});

// `home_agent.prefix_discovery`: the lifetimes of the Mobile Prefix Advertisements.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../lib/config/index.js';
import { homeAgentYaml } from './ha-yaml.js';
import { DEFAULT_PREFIX_DISCOVERY } from '../../../lib/proto/ha/prefix-advert.js';

const base = homeAgentYaml;

test('prefix_discovery absent: no section (the advertiser uses RFC 4861 defaults)', () => {
  assert.equal(parseConfig(base(''), 'x.yaml').prefixDiscovery, undefined);
});

test('prefix_discovery: durations and integers; a missing key takes its default', () => {
  assert.deepEqual(parseConfig(base('  prefix_discovery:\n    valid_lifetime: 1h\n    preferred_lifetime: 600\n'), 'x.yaml').prefixDiscovery, {
    ...DEFAULT_PREFIX_DISCOVERY,
    validLifetimeSeconds: 3600,
    preferredLifetimeSeconds: 600,
  });
  assert.deepEqual(parseConfig(base('  prefix_discovery:\n    valid_lifetime: 30d\n'), 'x.yaml').prefixDiscovery, {
    ...DEFAULT_PREFIX_DISCOVERY,
    validLifetimeSeconds: 2_592_000,
    preferredLifetimeSeconds: 604_800,
  });
});

test('prefix_discovery: countdown and the RFC 6275 §13 advertisement intervals', () => {
  assert.deepEqual(
    parseConfig(base('  prefix_discovery:\n    valid_lifetime: 60\n    preferred_lifetime: 30\n    countdown: true\n    min_advertisement_interval: 2\n    max_advertisement_interval: 1m\n'), 'x.yaml').prefixDiscovery,
    { validLifetimeSeconds: 60, preferredLifetimeSeconds: 30, countdown: true, minAdvertisementIntervalSeconds: 2, maxAdvertisementIntervalSeconds: 60 },
  );
});

const refused: [string, string, RegExp][] = [
  ['preferred longer than valid', '  prefix_discovery:\n    valid_lifetime: 60\n    preferred_lifetime: 120\n', /prefix_discovery\.preferred_lifetime.*longer than valid_lifetime/],
  ['an unknown key', '  prefix_discovery:\n    valid: 60\n', /prefix_discovery/],
  ['a negative lifetime', '  prefix_discovery:\n    valid_lifetime: -1\n', /prefix_discovery\.valid_lifetime/],
  ['countdown not a boolean', '  prefix_discovery:\n    countdown: yes please\n', /prefix_discovery\.countdown/],
  ['a zero advertisement interval', '  prefix_discovery:\n    min_advertisement_interval: 0\n', /prefix_discovery\.min_advertisement_interval/],
  ['max below min', '  prefix_discovery:\n    min_advertisement_interval: 60\n    max_advertisement_interval: 30\n', /max_advertisement_interval.*below min_advertisement_interval/],
];
for (const [name, yaml, message] of refused) {
  test(`prefix_discovery refused: ${name}`, () => {
    assert.throws(() => parseConfig(base(yaml), 'x.yaml'), message);
  });
}

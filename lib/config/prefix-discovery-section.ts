// `home_agent.prefix_discovery:` the lifetimes the home agent's Mobile Prefix Advertisements
// give the served prefixes (RFC 6275 §10.6.1); RFC 4861's AdvValidLifetime and
// AdvPreferredLifetime defaults when absent. `countdown` makes them decrement in real time
// (RFC 4861 §6.2.1); `min_/max_advertisement_interval` are RFC 6275 §13's
// MinMobPfxAdvInterval / MaxMobPfxAdvInterval for the periodic unsolicited advertisements.
import { DEFAULT_PREFIX_DISCOVERY, type PrefixDiscoveryConfig } from '../proto/ha/prefix-advert.js';
import { INFINITE_LIFETIME } from '../wire/icmp/mobile-prefix.js';
import type { ConfigReader, Field } from './reader.js';

export function readPrefixDiscovery(r: ConfigReader, f: Field): PrefixDiscoveryConfig | undefined {
  const s = r.section(f, ['valid_lifetime', 'preferred_lifetime', 'countdown', 'min_advertisement_interval', 'max_advertisement_interval']);
  if (!s) return undefined;
  const before = r.problems.length;
  const read = (k: string, dflt: number, min = 0): number => {
    const x = s.get(k);
    return (x && r.seconds(x, min, INFINITE_LIFETIME)) ?? dflt;
  };
  const valid = read('valid_lifetime', DEFAULT_PREFIX_DISCOVERY.validLifetimeSeconds);
  const preferred = read('preferred_lifetime', DEFAULT_PREFIX_DISCOVERY.preferredLifetimeSeconds);
  const pf = s.get('preferred_lifetime');
  if (pf && preferred > valid) r.report(pf.node, pf.path, `longer than valid_lifetime (${valid} s)`);
  const cd = s.get('countdown');
  const countdown = (cd && r.boolean(cd)) ?? DEFAULT_PREFIX_DISCOVERY.countdown;
  const minInterval = read('min_advertisement_interval', DEFAULT_PREFIX_DISCOVERY.minAdvertisementIntervalSeconds, 1);
  const maxInterval = read('max_advertisement_interval', DEFAULT_PREFIX_DISCOVERY.maxAdvertisementIntervalSeconds, 1);
  const mx = s.get('max_advertisement_interval') ?? s.get('min_advertisement_interval');
  if (mx && maxInterval < minInterval) r.report(mx.node, mx.path, `max_advertisement_interval (${maxInterval} s) below min_advertisement_interval (${minInterval} s)`);
  return r.problems.length === before
    ? { validLifetimeSeconds: valid, preferredLifetimeSeconds: preferred, countdown, minAdvertisementIntervalSeconds: minInterval, maxAdvertisementIntervalSeconds: maxInterval }
    : undefined;
}

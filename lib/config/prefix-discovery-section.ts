// `home_agent.prefix_discovery:` the lifetimes the home agent's Mobile Prefix Advertisements
// give the served prefixes (RFC 6275 §10.6.1); RFC 4861's AdvValidLifetime and
// AdvPreferredLifetime defaults when absent.
import { DEFAULT_PREFIX_DISCOVERY, type PrefixDiscoveryConfig } from '../proto/ha/prefix-advert.js';
import { INFINITE_LIFETIME } from '../wire/icmp/mobile-prefix.js';
import type { ConfigReader, Field } from './reader.js';

export function readPrefixDiscovery(r: ConfigReader, f: Field): PrefixDiscoveryConfig | undefined {
  const s = r.section(f, ['valid_lifetime', 'preferred_lifetime']);
  if (!s) return undefined;
  const before = r.problems.length;
  const read = (k: 'valid_lifetime' | 'preferred_lifetime', dflt: number): number => {
    const x = s.get(k);
    return (x && r.seconds(x, 0, INFINITE_LIFETIME)) ?? dflt;
  };
  const valid = read('valid_lifetime', DEFAULT_PREFIX_DISCOVERY.validLifetimeSeconds);
  const preferred = read('preferred_lifetime', DEFAULT_PREFIX_DISCOVERY.preferredLifetimeSeconds);
  const pf = s.get('preferred_lifetime');
  if (pf && preferred > valid) r.report(pf.node, pf.path, `longer than valid_lifetime (${valid} s)`);
  return r.problems.length === before ? { validLifetimeSeconds: valid, preferredLifetimeSeconds: preferred } : undefined;
}

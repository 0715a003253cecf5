// The base-protocol checks a home agent applies to a BU before any binding changes:
// RFC 6275 §9.5.1 (validity, sequence number, registration type), §10.3.1 (home agent
// service, home subnet, authorisation) and RFC 3963 §6.2 (mobile router and prefixes).
import { BaStatus, type BindingUpdate } from '../../wire/types.js';
import type { Ip6 } from '../../inet/ip6.js';
import { isUnicastRoutable, makePrefix, prefixContains, prefixCovers } from '../../inet/prefix.js';
import type { BindingCache } from '../common/cache.js';
import { authorisationFor, type CompiledAuthorisation, type CompiledHomeAgentConfig } from '../common/core-config.js';
import { mobileNetworkPrefixOptions } from '../common/bu-options.js';
import type { RefusalReason, ReceivedBu } from '../common/outcome.js';
import { sequenceNewer } from '../common/sequence.js';

export type HaVerdict =
  | { kind: 'drop'; reason: RefusalReason }
  /** `sequence` is what the BA carries: the last accepted one for 135. */
  | { kind: 'reject'; status: number; sequence: number }
  | { kind: 'proceed'; auth: CompiledAuthorisation; prefixes: readonly string[] };

export function checkHomeRegistration(
  cache: BindingCache,
  cfg: CompiledHomeAgentConfig,
  input: ReceivedBu,
  hoaOctets: Uint8Array,
): HaVerdict {
  const { bu, hoa } = input;
  const reject = (status: number, sequence = bu.sequence): HaVerdict => ({ kind: 'reject', status, sequence });
  // RFC 6275 §5.1: BUs to the home agent MUST be protected by IPsec; anything else is
  // silently discarded (§9.5.1 last rule: failures other than sequence/type/nonces).
  if (cfg.source.ipsecRequired && !input.ipsecProtected) return { kind: 'drop', reason: 'ipsec-required' };
  // §9.5.1: the packet MUST carry a unicast routable home address.
  if (!isUnicastRoutable(hoaOctets)) return { kind: 'drop', reason: 'home-address-not-routable' };
  const rec = cache.record(hoa);
  if (rec) {
    // §9.5.1: not newer than the last accepted -> 135 carrying the last accepted number.
    if (!sequenceNewer(bu.sequence, rec.lastSequence)) {
      return reject(BaStatus.SEQUENCE_OUT_OF_WINDOW, rec.lastSequence);
    }
    // §9.5.1: the home registration flag of an existing entry must not change (139);
    // RFC 3963 §6.2 applies the same to the mobile router flag.
    const first = rec.bindings[0];
    if (first && (first.flags.homeRegistration !== bu.flags.h || first.flags.r !== bu.flags.r)) {
      return reject(BaStatus.REGISTRATION_TYPE_CHANGE_DISALLOWED);
    }
  }
  // §10.3.1 first test: this core serves home registrations only; a BU without H is a
  // correspondent registration, which the daemon routes to the correspondent core if any.
  if (!bu.flags.h) return reject(BaStatus.HOME_REGISTRATION_NOT_SUPPORTED);
  // §10.3.1: the home address must be on-link with respect to the home prefixes (132).
  if (!cfg.served.some((p) => prefixContains(p, hoaOctets))) return reject(BaStatus.NOT_HOME_SUBNET);
  // §10.3.1: "rejects the Binding Update for any other reason" - local policy (129).
  const auth = authorisationFor(cfg, hoa);
  if (!auth.allowed) return reject(BaStatus.ADMINISTRATIVELY_PROHIBITED);
  if (!bu.flags.r || bu.lifetimeSeconds === 0) return { kind: 'proceed', auth, prefixes: [] };
  const nemo = checkMobileRouter(bu, cfg, auth);
  return typeof nemo === 'number' ? reject(nemo) : { kind: 'proceed', auth, prefixes: nemo };
}

/**
 * RFC 3963 §6.2 for a registration with the R flag: mobile router service must be allowed
 * (140); each Mobile Network Prefix option must be a valid prefix (141) that the router is
 * authorised for (142). Without prefix options (implicit mode) the configured prefixes are
 * used, and none configured means forwarding cannot be set up (143).
 * Returns the prefixes to store, or the rejection status.
 */
export function checkMobileRouter(
  bu: BindingUpdate,
  cfg: CompiledHomeAgentConfig,
  auth: CompiledAuthorisation,
): string[] | number {
  if (!cfg.source.mobileRouterSupport || !auth.mobileRouter) return BaStatus.MR_OPERATION_NOT_PERMITTED;
  const requested = mobileNetworkPrefixOptions(bu);
  if (requested.length === 0) {
    if (auth.prefixes.length === 0) return BaStatus.FORWARDING_SETUP_FAILED;
    return auth.prefixes.map((p) => p.text).sort();
  }
  const out = new Set<string>();
  for (const o of requested) {
    if (o.prefixLength === 0 || o.prefixLength > 128 || !isUnicastRoutable(o.prefix)) return BaStatus.INVALID_PREFIX;
    const p = makePrefix(o.prefix, o.prefixLength);
    if (cfg.served.some((home) => prefixCovers(home, p) || prefixCovers(p, home))) return BaStatus.INVALID_PREFIX;
    if (!auth.prefixes.some((a) => prefixCovers(a, p))) return BaStatus.NOT_AUTHORIZED_FOR_PREFIX;
    out.add(p.text);
  }
  return [...out].sort();
}

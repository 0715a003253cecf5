// Configuration of the protocol core: the shape a daemon parses from its file, defaults,
// and a compiled form with prefixes parsed and addresses canonical, checked once.
import { canonicalIp6, ip6Entries, type Ip6 } from '../../inet/ip6.js';
import { MAX_LIFETIME_UNITS, LIFETIME_UNIT_SECONDS } from '../../wire/lifetime.js';
import type { WireProfile } from '../../wire/profile.js';
import { DRAFT04_PROFILE } from '../../wire/profiles.js';
import { parsePrefix, type Prefix } from '../../inet/prefix.js';
import { DEFAULT_LIMITS, type HomeAgentLimits } from '../ha/limits.js';
import type { CorrespondentLimits } from '../cn/limits.js';

/** When a home agent asks for a refresh (draft-04 §6.4, RFC 6275 §9.5.5). */
export interface BrrPolicy {
  enabled: boolean;
  /** Send once the remaining lifetime is below this many seconds ... */
  leadSeconds: number;
  /** ... or below this fraction of the granted lifetime (0..1), whichever is larger. */
  leadFraction: number;
}

export interface HoaAuthorisation {
  /** May register at all (RFC 6275 §10.3.1 "any other reason": 129 otherwise). */
  allowed: boolean;
  /** May register several care-of addresses (BID sub-options); default true. */
  mcoa?: boolean;
  /** May act as a mobile router (RFC 3963 R flag); default false. */
  mobileRouter?: boolean;
  /** Mobile network prefixes it may claim ('addr/len'); also used in implicit mode. */
  mobileNetworkPrefixes?: string[];
}

export interface HomeAgentConfig {
  homeAgentAddress: Ip6;
  /** Home link prefixes ('addr/len'); a home address outside all of them gets 132. */
  servedPrefixes: string[];
  maxLifetimeSeconds: number;
  /** Lifetime of a home binding made by a de-registration with the H flag (§5.5). */
  homeBindingLifetimeSeconds: number;
  /** Multiple care-of address registration at all; MCOA PROHIBITED otherwise. */
  mcoaAllowed: boolean;
  /** Several BID sub-options in one BU; MCOA BULK REGISTRATION NOT SUPPORTED otherwise. */
  bulkAllowed: boolean;
  /** Drop BUs that did not arrive under IPsec (RFC 6275 §5.1 requires ESP for them). */
  ipsecRequired: boolean;
  /** Whether the key management daemon can follow a care-of address change (BA K flag). */
  keyManagementMobility: boolean;
  /** NEMO mobile router support at all (BA R flag, RFC 3963 §6.2). */
  mobileRouterSupport: boolean;
  /** Per home address; compileHomeAgentConfig checks each key (a checked edge: records from JSON or tests). */
  authorisation: { default: HoaAuthorisation; homeAddresses: Record<Ip6, HoaAuthorisation> };
  brrPolicy: BrrPolicy;
  homeLinkInterface: string;
  profile: WireProfile;
  /** Resource caps (proto/ha/limits.ts); DEFAULT_LIMITS when absent. */
  limits?: HomeAgentLimits;
}

export interface CorrespondentConfig {
  /** Capped at MAX_RR_BINDING_LIFETIME (RFC 6275 §5.2.6). */
  maxLifetimeSeconds: number;
  /** Accept BID sub-options; MCOA PROHIBITED otherwise. */
  mcoaAllowed: boolean;
  /** How often a new nonce is generated (RFC 6275 §5.2.7). */
  nonceRegenerateSeconds: number;
  /** How often Kcn is replaced; null keeps one Kcn for the node's life. */
  kcnRotateSeconds: number | null;
  profile: WireProfile;
  /** Resource caps (proto/cn/limits.ts); DEFAULT_CN_LIMITS when absent. */
  limits?: CorrespondentLimits;
}

export const MAX_WIRE_LIFETIME_SECONDS = MAX_LIFETIME_UNITS * LIFETIME_UNIT_SECONDS;

export const DEFAULT_BRR_POLICY: Readonly<BrrPolicy> = Object.freeze({
  enabled: true,
  leadSeconds: 30,
  leadFraction: 0.1,
});

type Required3 = Pick<HomeAgentConfig, 'homeAgentAddress' | 'servedPrefixes' | 'homeLinkInterface'>;

/** A complete home agent configuration from the three fields that have no default. */
export function homeAgentConfig(c: Required3 & Partial<HomeAgentConfig>): HomeAgentConfig {
  return {
    maxLifetimeSeconds: 3600,
    homeBindingLifetimeSeconds: c.maxLifetimeSeconds ?? 3600,
    mcoaAllowed: true,
    bulkAllowed: true,
    ipsecRequired: true,
    keyManagementMobility: false,
    mobileRouterSupport: true,
    authorisation: { default: { allowed: true }, homeAddresses: {} },
    brrPolicy: { ...DEFAULT_BRR_POLICY },
    profile: DRAFT04_PROFILE,
    ...c,
  };
}

export function correspondentConfig(c: Partial<CorrespondentConfig> = {}): CorrespondentConfig {
  return { maxLifetimeSeconds: 420, mcoaAllowed: true, nonceRegenerateSeconds: 30, kcnRotateSeconds: null, profile: DRAFT04_PROFILE, ...c };
}

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(message: string) {
    super(`config: ${message}`);
    this.name = 'ConfigError';
  }
}

export interface CompiledAuthorisation {
  readonly allowed: boolean;
  readonly mcoa: boolean;
  readonly mobileRouter: boolean;
  readonly prefixes: readonly Prefix[];
}

export interface CompiledHomeAgentConfig {
  readonly source: HomeAgentConfig;
  readonly haAddress: Ip6;
  readonly served: readonly Prefix[];
  readonly defaultAuth: CompiledAuthorisation;
  readonly authByHoa: ReadonlyMap<Ip6, CompiledAuthorisation>;
  readonly limits: HomeAgentLimits;
}

function checkLifetime(v: number, what: string): void {
  if (!Number.isInteger(v) || v < LIFETIME_UNIT_SECONDS || v > MAX_WIRE_LIFETIME_SECONDS) {
    throw new ConfigError(`${what} must be an integer ${LIFETIME_UNIT_SECONDS}..${MAX_WIRE_LIFETIME_SECONDS}, got ${v}`);
  }
}

function compileAuth(a: HoaAuthorisation, what: string): CompiledAuthorisation {
  const prefixes = (a.mobileNetworkPrefixes ?? []).map((t) => {
    const p = parsePrefix(t);
    if (!p) throw new ConfigError(`${what}: bad mobile network prefix ${JSON.stringify(t)}`);
    return p;
  });
  return Object.freeze({ allowed: a.allowed, mcoa: a.mcoa ?? true, mobileRouter: a.mobileRouter ?? false, prefixes });
}

/** Checks a home agent configuration; throws ConfigError naming the first bad field. */
export function compileHomeAgentConfig(cfg: HomeAgentConfig): CompiledHomeAgentConfig {
  const haAddress = canonicalIp6(cfg.homeAgentAddress);
  if (!haAddress) throw new ConfigError(`homeAgentAddress is not an IPv6 address: ${cfg.homeAgentAddress}`);
  if (cfg.servedPrefixes.length === 0) throw new ConfigError('servedPrefixes is empty');
  const served = cfg.servedPrefixes.map((t) => {
    const p = parsePrefix(t);
    if (!p) throw new ConfigError(`servedPrefixes: bad prefix ${JSON.stringify(t)}`);
    return p;
  });
  checkLifetime(cfg.maxLifetimeSeconds, 'maxLifetimeSeconds');
  checkLifetime(cfg.homeBindingLifetimeSeconds, 'homeBindingLifetimeSeconds');
  const b = cfg.brrPolicy;
  if (!(b.leadSeconds >= 0) || !(b.leadFraction >= 0 && b.leadFraction <= 1)) {
    throw new ConfigError('brrPolicy: leadSeconds must be >= 0 and leadFraction within 0..1');
  }
  if (!cfg.homeLinkInterface) throw new ConfigError('homeLinkInterface is empty');
  const authByHoa = new Map<Ip6, CompiledAuthorisation>();
  for (const [text, a] of ip6Entries(cfg.authorisation.homeAddresses)) {
    // Checked all the same: the record may come from JSON, where any string is a key.
    const hoa = canonicalIp6(text);
    if (!hoa) throw new ConfigError(`authorisation: not an IPv6 address: ${text}`);
    authByHoa.set(hoa, compileAuth(a, `authorisation ${text}`));
  }
  return {
    source: cfg,
    haAddress,
    served,
    defaultAuth: compileAuth(cfg.authorisation.default, 'authorisation default'),
    authByHoa,
    limits: cfg.limits ?? DEFAULT_LIMITS,
  };
}

export function authorisationFor(c: CompiledHomeAgentConfig, hoa: Ip6): CompiledAuthorisation {
  return c.authByHoa.get(hoa) ?? c.defaultAuth;
}

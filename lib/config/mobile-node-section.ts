// The `mobile_node:` section (role mobile-node): home address, home agent, the interfaces
// whose global addresses become care-of addresses, bulk or individual registration, the
// requested lifetime, the prefixes routed through the home agent, and the ESP SAs that
// protect its Binding Updates and Acknowledgements (`ipsec`, read as the home agent's are).
import { isUnicastRoutable, type Prefix } from '../inet/prefix.js';
import { ip6InPrefix, mustParseIp6, type Ip6 } from '../inet/ip6.js';
import type { WireProfile } from '../wire/profile.js';
import { DRAFT04_PROFILE } from '../wire/profiles.js';
import type { DaemonCommon, HoaIpsecSas } from './daemon-config.js';
import { readHoaIpsec } from './ipsec-section.js';
import type { ConfigReader, Field } from './reader.js';
import { isScalar } from 'yaml';
import { homeAgentsAnycast } from '../inet/home-agents-anycast.js';
import { makePrefix } from '../inet/prefix.js';
import type { MnFlow } from '../proto/mn/flows.js';
import { readMobileNodeFlows } from './mobile-node-flows.js';

const MOBILE_NODE_KEYS = [
  'home_address', 'home_agent', 'home_prefix_length', 'interfaces', 'bulk', 'lifetime', 'routes',
  'multiple_coa', 'bootstrap_overwrite', 'bid_conflict', 'home_link_policy', 'ipsec', 'correspondents',
  'key_management_mobility', 'flows',
] as const;
const HOME_LINK_POLICIES = ['return-home', 'disable-home-interface', 'h-flag'] as const;
const BID_CONFLICT_ACTIONS = ['overwrite', 'stop-bids'] as const;
/** RFC 6275 §6.1.7: the Lifetime field counts 4-second units in 16 bits. */
const MAX_LIFETIME_SECONDS = 0xffff * 4;
const DEFAULT_LIFETIME_SECONDS = 600;

export const MN_IPSEC_OFF_WARNING =
  'Binding Updates leave without ESP protection (ipsec.required: false): use this in a lab only';

export interface MobileNodeSettings {
  homeAddress: Ip6;
  /**
   * The home agent; with discoverHomeAgent, the Home-Agents anycast address of the home
   * prefix until discovery (daemon/mn/discovery.ts) replaces it with a discovered one.
   */
  homeAgent: Ip6;
  /** `home_agent: auto`: find the home agent by DHAAD (RFC 6275 §11.4.1). */
  discoverHomeAgent: boolean;
  /** Length of the home link's prefix; the home agent address must lie inside it. */
  homePrefixLength: number;
  /** Candidate interfaces for care-of addresses, in order of preference. */
  interfaces: string[];
  /** One bulk Binding Update for all BIDs (true) or one per BID (false). */
  bulk: boolean;
  /** Requested home registration lifetime, seconds. */
  lifetimeSeconds: number;
  /** Register with BIDs (draft-04); false sends regular RFC 6275 Binding Updates, one binding. */
  multipleCoa: boolean;
  /** O flag on the first BID registration after a start (§5.9), replacing stale bindings. */
  bootstrapOverwrite: boolean;
  /** On MCOA BID CONFLICT: register again with the O flag, or fall back to a regular binding. */
  bidConflict: (typeof BID_CONFLICT_ACTIONS)[number];
  /** What to do when an interface attaches to the home link (§5.5, Appendix A Figures 7-9). */
  homeLinkPolicy: (typeof HOME_LINK_POLICIES)[number];
  /** Prefixes routed through the tunnels to the home agent with the home address as source (default ::/0). */
  routes: Prefix[];
  /** Correspondents to run return routability and route optimisation with (RFC 6275 §11.7.2). */
  correspondents: Ip6[];
  profile: WireProfile;
  /**
   * Binding Updates to the home agent leave under ESP (the kernel policy requires it): true
   * exactly when `ipsec` is set, which ipsec.required (the default) makes mandatory.
   */
  ipsecRequired: boolean;
  /**
   * `mobile_node.ipsec`: spiOut protects BUs (the home agent's spi_in), spiIn the BAs; its
   * `payload` the tunnels (spiOut = the home agent's payload spi_in, spiIn = its spi_out).
   */
  ipsec?: HoaIpsecSas;
  /** K flag in home registrations (RFC 6275 §11.7.1, MCoA §8.1): a BA with K moves the payload SAs. */
  keyManagementMobility: boolean;
  /** RFC 6089 flow bindings sent in registrations (mobile-node-flows.ts). */
  flows: MnFlow[];
}

export interface MobileNodeDaemonConfig extends DaemonCommon {
  role: 'mobile-node';
  mobileNode: MobileNodeSettings;
}

export interface MobileNodeShared {
  ipsecRequired: boolean;
  /** Where ipsec.required was written. */
  ipsecField: Field | undefined;
  profile: WireProfile | undefined;
}

export function readMobileNode(r: ConfigReader, f: Field, shared: MobileNodeShared): MobileNodeSettings | undefined {
  const s = r.section(f, MOBILE_NODE_KEYS, ['home_address', 'home_agent', 'interfaces']);
  if (!s) return undefined;
  const before = r.problems.length;
  const get = (k: (typeof MOBILE_NODE_KEYS)[number]): Field | undefined => s.get(k);
  const hoaField = get('home_address');
  const haField = get('home_agent');
  const homeAddress = hoaField && r.ip6(hoaField);
  const discoverHomeAgent = haField !== undefined && isScalar(haField.node) && haField.node.value === 'auto';
  const lenField = get('home_prefix_length');
  const homePrefixLength = (lenField && r.integer(lenField, 1, 128)) ?? 64;
  if (discoverHomeAgent && homePrefixLength > 121 && lenField) r.report(lenField.node, lenField.path, 'home_agent: auto needs a home prefix of at most /121 (RFC 2526)');
  const homeAgent = discoverHomeAgent
    ? homeAddress && homePrefixLength <= 121 ? homeAgentsAnycast(makePrefix(mustParseIp6(homeAddress), homePrefixLength)) : undefined
    : haField && r.ip6(haField);
  if (homeAddress && homeAgent && haField && !ip6InPrefix(mustParseIp6(homeAgent), mustParseIp6(homeAddress), homePrefixLength)) {
    r.report(haField.node, haField.path, `home agent is outside the home prefix ${homeAddress}/${homePrefixLength}`);
  }
  if (homeAddress && homeAgent && homeAddress === homeAgent && hoaField) r.report(hoaField.node, hoaField.path, 'same address as home_agent');
  const interfaces = readInterfaces(r, get('interfaces'));
  const bulkField = get('bulk');
  const bulk = (bulkField && r.boolean(bulkField)) ?? true;
  const lifetimeField = get('lifetime');
  const lifetimeSeconds = (lifetimeField && r.seconds(lifetimeField, 4, MAX_LIFETIME_SECONDS)) ?? DEFAULT_LIFETIME_SECONDS;
  const flag = (k: 'multiple_coa' | 'bootstrap_overwrite', dflt: boolean): boolean => {
    const field = get(k);
    return (field && r.boolean(field)) ?? dflt;
  };
  const multipleCoa = flag('multiple_coa', true);
  const kmmField = get('key_management_mobility');
  const keyManagementMobility = (kmmField && r.boolean(kmmField)) ?? false;
  const bootstrapOverwrite = flag('bootstrap_overwrite', true);
  const conflictField = get('bid_conflict');
  const bidConflict = (conflictField && r.oneOf(conflictField, BID_CONFLICT_ACTIONS)) ?? 'overwrite';
  const policyField = get('home_link_policy');
  const homeLinkPolicy = (policyField && r.oneOf(policyField, HOME_LINK_POLICIES)) ?? 'return-home';
  const routesField = get('routes');
  const routes = routesField ? readPrefixes(r, routesField) : [{ bytes: new Uint8Array(16), length: 0, text: '::/0' }];
  const correspondentsField = get('correspondents');
  const correspondents = correspondentsField ? readCorrespondents(r, correspondentsField, [homeAddress, homeAgent]) : [];
  const ipsecField = get('ipsec');
  const ipsec = ipsecField && readHoaIpsec(r, ipsecField, 'mobile-node');
  // Both outbound SAs go to the home agent address (source ::): their SPIs must differ.
  if (ipsec?.payload && ipsecField && ipsec.payload.spiOut === ipsec.spiOut) {
    r.report(ipsecField.node, `${ipsecField.path}.payload.spi_out`, 'must differ from the signalling spi_out (both go to the home agent address)');
  }
  if (shared.ipsecRequired && !ipsecField) {
    r.report(f.node, f.path, 'missing required key ipsec (ipsec.required is true): the ESP SAs shared with the home agent; or set ipsec.required: false (lab only)');
  }
  const flowsField = get('flows');
  const flows = flowsField ? readMobileNodeFlows(r, flowsField, interfaces) : [];
  if (r.problems.length > before || !homeAddress || !homeAgent || !interfaces || !routes || !correspondents || !flows || (ipsecField && !ipsec)) return undefined;
  return {
    homeAddress,
    homeAgent,
    discoverHomeAgent,
    homePrefixLength,
    interfaces,
    bulk,
    lifetimeSeconds,
    multipleCoa,
    bootstrapOverwrite,
    bidConflict,
    homeLinkPolicy,
    keyManagementMobility,
    flows,
    routes,
    correspondents,
    profile: shared.profile ?? DRAFT04_PROFILE,
    ipsecRequired: ipsec !== undefined,
    ...(ipsec ? { ipsec } : {}),
  };
}

/** Linux interface names: 1..15 octets, no '/', no whitespace, no ':' (alias syntax). */
function readInterfaces(r: ConfigReader, f: Field | undefined): string[] | undefined {
  const items = f && r.list(f);
  if (!f || !items) return undefined;
  if (items.length === 0) r.report(f.node, f.path, 'needs at least one interface');
  const out: string[] = [];
  for (const item of items) {
    const name = r.string(item);
    if (name === undefined) continue;
    if (!/^[^\s/:]{1,15}$/.test(name) || name === '.' || name === '..') r.report(item.node, item.path, `not an interface name: ${JSON.stringify(name)}`);
    else if (out.includes(name)) r.report(item.node, item.path, `${name} is listed twice`);
    else out.push(name);
  }
  return out.length === items.length && items.length > 0 ? out : undefined;
}

function readPrefixes(r: ConfigReader, f: Field): Prefix[] | undefined {
  const items = r.list(f);
  if (!items) return undefined;
  const out: Prefix[] = [];
  for (const item of items) {
    const p = r.prefix(item);
    if (p && out.some((q) => q.text === p.text)) r.report(item.node, item.path, `${p.text} is listed twice`);
    else if (p) out.push(p);
  }
  return out.length === items.length ? out : undefined;
}

/** Correspondent addresses: unicast, each once, neither the home address nor the home agent. */
function readCorrespondents(r: ConfigReader, f: Field, own: readonly (Ip6 | undefined)[]): Ip6[] | undefined {
  const items = r.list(f);
  if (!items) return undefined;
  const out: Ip6[] = [];
  for (const item of items) {
    const a = r.ip6(item);
    if (a === undefined) continue;
    if (out.includes(a)) r.report(item.node, item.path, `${a} is listed twice`);
    else if (own.includes(a)) r.report(item.node, item.path, `${a} is the home address or the home agent`);
    else if (!isUnicastRoutable(mustParseIp6(a))) r.report(item.node, item.path, `${a} is not a global unicast address`);
    else out.push(a);
  }
  return out.length === items.length ? out : undefined;
}

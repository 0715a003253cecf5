// The `home_agent:` section: home link, served prefixes, lifetimes, MCoA switches,
// per-home-address authorisation and the Binding Refresh Request policy.
import {
  DEFAULT_BRR_POLICY,
  MAX_WIRE_LIFETIME_SECONDS,
  homeAgentConfig,
  type BrrPolicy,
  type HoaAuthorisation,
  type HomeAgentConfig,
} from '../proto/common/core-config.js';
import { prefixContains, type Prefix } from '../inet/prefix.js';
import { LIFETIME_UNIT_SECONDS } from '../wire/lifetime.js';
import { mustParseIp6, type Ip6 } from '../inet/ip6.js';
import type { WireProfile } from '../wire/profile.js';
import type { HoaIpsecSas, IkeSignalling } from './daemon-config.js';
import { isIkeIpsec, readHoaIpsec, readIkeIpsec } from './ipsec-section.js';
import type { ConfigReader, Field } from './reader.js';
import { readDhaad, type HomeAgentDhaadConfig } from './dhaad-section.js';
import { readPrefixDiscovery } from './prefix-discovery-section.js';
import type { PrefixDiscoveryConfig } from '../proto/ha/prefix-advert.js';

const HOME_AGENT_KEYS = [
  'interface',
  'address',
  'served_prefixes',
  'max_lifetime',
  'home_binding_lifetime',
  'mcoa',
  'key_management_mobility',
  'mobile_router_support',
  'authorisation',
  'binding_refresh_request',
  'dataplane',
  'proxy_nd',
  'dhaad',
  'prefix_discovery',
] as const;
const AUTH_KEYS = ['allowed', 'mcoa', 'mobile_router', 'mobile_network_prefixes'] as const;
const HOA_AUTH_KEYS = [...AUTH_KEYS, 'ipsec'] as const;

/** Settings read outside the section that the core's configuration holds too. */
export interface SharedSettings {
  ipsecRequired: boolean;
  profile: WireProfile | undefined;
  /** Filled with each home address's `ipsec` SAs (they live in the daemon's configuration). */
  ipsecSas?: Map<Ip6, HoaIpsecSas>;
  /** Filled with the home addresses whose signalling SAs come from an IKE daemon. */
  ikeSignalling?: Map<Ip6, IkeSignalling>;
  /** Set to `home_agent.dataplane` when the file has it. */
  dataplane?: 'per-binding' | 'shared';
  /** Set to `home_agent.proxy_nd` when the file has it. */
  proxyNd?: 'kernel' | 'daemon' | 'none';
  /** Set to `home_agent.dhaad` when the file has it. */
  dhaad?: HomeAgentDhaadConfig;
  /** Set to `home_agent.prefix_discovery` when the file has it. */
  prefixDiscovery?: PrefixDiscoveryConfig;
}

export function readHomeAgent(r: ConfigReader, f: Field, shared: SharedSettings): HomeAgentConfig | undefined {
  const s = r.section(f, HOME_AGENT_KEYS, ['interface', 'address', 'served_prefixes']);
  if (!s) return undefined;
  const get = (k: (typeof HOME_AGENT_KEYS)[number]) => s.get(k);
  const iface = ifName(r, get('interface'));
  const address = opt(get('address'), (x) => r.ip6(x));
  const served = opt(get('served_prefixes'), (x) => prefixList(r, x, true));
  const lifetime = (x: Field) => r.seconds(x, LIFETIME_UNIT_SECONDS, MAX_WIRE_LIFETIME_SECONDS);
  const maxLifetime = opt(get('max_lifetime'), lifetime);
  const homeLifetime = opt(get('home_binding_lifetime'), lifetime);
  const mcoa = opt(get('mcoa'), (x) => r.section(x, ['allowed', 'bulk_registration']));
  const mcoaAllowed = opt(mcoa?.get('allowed'), (x) => r.boolean(x));
  const bulkAllowed = opt(mcoa?.get('bulk_registration'), (x) => r.boolean(x));
  const kmm = opt(get('key_management_mobility'), (x) => r.boolean(x));
  const mrSupport = opt(get('mobile_router_support'), (x) => r.boolean(x));
  const auth = opt(get('authorisation'), (x) => readAuthorisation(r, x, served ?? [], shared.ipsecSas, shared.ikeSignalling));
  const brr = opt(get('binding_refresh_request'), (x) => readBrr(r, x));
  const dataplane = opt(get('dataplane'), (x) => r.oneOf(x, ['per-binding', 'shared'] as const));
  if (dataplane !== undefined) shared.dataplane = dataplane;
  const proxyNd = opt(get('proxy_nd'), (x) => r.oneOf(x, ['kernel', 'daemon', 'none'] as const));
  if (proxyNd !== undefined) shared.proxyNd = proxyNd;
  const dhaad = opt(get('dhaad'), (x) => readDhaad(r, x));
  if (dhaad !== undefined) shared.dhaad = dhaad;
  const mpd = opt(get('prefix_discovery'), (x) => readPrefixDiscovery(r, x));
  if (mpd !== undefined) shared.prefixDiscovery = mpd;
  if (iface === undefined || address === undefined || served === undefined || r.problems.length > 0) return undefined;

  const c: Parameters<typeof homeAgentConfig>[0] = {
    homeLinkInterface: iface,
    homeAgentAddress: address,
    servedPrefixes: served.map((p) => p.text),
    ipsecRequired: shared.ipsecRequired,
  };
  // Only keys the file set, so homeAgentConfig's defaults (and its home binding lifetime
  // following max_lifetime) apply to the rest.
  if (maxLifetime !== undefined) c.maxLifetimeSeconds = maxLifetime;
  if (homeLifetime !== undefined) c.homeBindingLifetimeSeconds = homeLifetime;
  if (mcoaAllowed !== undefined) c.mcoaAllowed = mcoaAllowed;
  if (bulkAllowed !== undefined) c.bulkAllowed = bulkAllowed;
  if (kmm !== undefined) c.keyManagementMobility = kmm;
  if (mrSupport !== undefined) c.mobileRouterSupport = mrSupport;
  if (auth !== undefined) c.authorisation = auth;
  if (brr !== undefined) c.brrPolicy = brr;
  if (shared.profile !== undefined) c.profile = shared.profile;
  return homeAgentConfig(c);
}

function opt<T>(f: Field | undefined, read: (f: Field) => T | undefined): T | undefined {
  return f === undefined ? undefined : read(f);
}

/** Linux interface names: 1..15 octets, no '/', ':' or white space, not "." or "..". */
function ifName(r: ConfigReader, f: Field | undefined): string | undefined {
  const v = opt(f, (x) => r.string(x));
  if (v === undefined || !f) return undefined;
  if (Buffer.byteLength(v) > 15 || /[/:\s]/.test(v) || v === '.' || v === '..') {
    r.report(f.node, f.path, `not a Linux interface name: ${JSON.stringify(v)}`);
    return undefined;
  }
  return v;
}

function prefixList(r: ConfigReader, f: Field, nonEmpty: boolean): Prefix[] | undefined {
  const items = r.list(f);
  if (!items) return undefined;
  if (nonEmpty && items.length === 0) r.report(f.node, f.path, 'must list at least one prefix');
  const out: Prefix[] = [];
  for (const item of items) {
    const p = r.prefix(item);
    if (p) out.push(p);
  }
  return out.length === items.length && (out.length > 0 || !nonEmpty) ? out : undefined;
}

function readAuthorisation(
  r: ConfigReader,
  f: Field,
  served: readonly Prefix[],
  ipsecSas: Map<Ip6, HoaIpsecSas> | undefined,
  ikeSignalling: Map<Ip6, IkeSignalling> | undefined,
): HomeAgentConfig['authorisation'] | undefined {
  const s = r.section(f, ['default', 'home_addresses']);
  if (!s) return undefined;
  const defaultField = s.get('default');
  const def = defaultField ? readHoaAuth(r, defaultField) : { allowed: true };
  const homeAddresses: Record<Ip6, HoaAuthorisation> = {};
  const firstSeen = new Map<Ip6, string>();
  const spiInUsers = new Map<number, string>();
  const reqidUsers = new Map<number, string>();
  const hoasField = s.get('home_addresses');
  for (const [key, field, keyNode] of (hoasField && r.entries(hoasField)) ?? []) {
    const hoa = r.ip6({ node: keyNode, path: field.path });
    const where: { ipsec?: Field } = {};
    const auth = readHoaAuth(r, field, where);
    const ike = where.ipsec && isIkeIpsec(where.ipsec) ? readIkeIpsec(r, where.ipsec) : undefined;
    const sas = where.ipsec && !isIkeIpsec(where.ipsec) ? readHoaIpsec(r, where.ipsec) : undefined;
    if (hoa === undefined || auth === undefined) continue;
    const earlier = firstSeen.get(hoa);
    if (earlier !== undefined) {
      r.report(keyNode, field.path, `same home address as ${earlier}`);
      continue;
    }
    firstSeen.set(hoa, key);
    if (served.length > 0 && !served.some((p) => prefixContains(p, mustParseIp6(hoa)))) {
      r.report(keyNode, field.path, 'home address is outside every served prefix');
    }
    homeAddresses[hoa] = auth;
    if (sas && where.ipsec) {
      // Every inbound SA has the home agent's address as destination: the SPI alone tells them apart.
      // Payload SAs arrive at the same address, so their SPIs share the space.
      const inbound: [number, string, string][] = [[sas.spiIn, 'spi_in', key]];
      if (sas.payload) inbound.push([sas.payload.spiIn, 'payload.spi_in', `${key} payload`]);
      for (const [spi, at, owner] of inbound) {
        const clash = spiInUsers.get(spi);
        if (clash !== undefined) r.report(where.ipsec.node, `${where.ipsec.path}.${at}`, `same spi_in as ${clash}`);
        else spiInUsers.set(spi, owner);
      }
      // Transport-mode templates match SAs by reqid alone: a shared one would let one node's
      // SA protect BUs for another's home address.
      const sameReqid = sas.reqid === undefined ? undefined : reqidUsers.get(sas.reqid);
      if (sameReqid !== undefined) r.report(where.ipsec.node, `${where.ipsec.path}.reqid`, `same reqid as ${sameReqid}`);
      else if (sas.reqid !== undefined) reqidUsers.set(sas.reqid, key);
      ipsecSas?.set(hoa, sas);
    }
    if (ike && where.ipsec) {
      const sameReqid = reqidUsers.get(ike.reqid);
      if (sameReqid !== undefined) r.report(where.ipsec.node, `${where.ipsec.path}.reqid`, `same reqid as ${sameReqid}`);
      else reqidUsers.set(ike.reqid, key);
      ikeSignalling?.set(hoa, ike);
    }
  }
  return def === undefined ? undefined : { default: def, homeAddresses };
}

/** With `where`, the key `ipsec` is allowed (per home address only) and its field is put there. */
function readHoaAuth(r: ConfigReader, f: Field, where?: { ipsec?: Field }): HoaAuthorisation | undefined {
  const s = r.section(f, where ? HOA_AUTH_KEYS : AUTH_KEYS);
  if (!s) return undefined;
  const ipsecField = s.get('ipsec');
  if (where && ipsecField) where.ipsec = ipsecField;
  const before = r.problems.length;
  const allowed = opt(s.get('allowed'), (x) => r.boolean(x)) ?? true;
  const a: HoaAuthorisation = { allowed };
  const mcoa = opt(s.get('mcoa'), (x) => r.boolean(x));
  const mr = opt(s.get('mobile_router'), (x) => r.boolean(x));
  const mnps = opt(s.get('mobile_network_prefixes'), (x) => prefixList(r, x, false));
  if (mcoa !== undefined) a.mcoa = mcoa;
  if (mr !== undefined) a.mobileRouter = mr;
  if (mnps !== undefined) a.mobileNetworkPrefixes = mnps.map((p) => p.text);
  const mnpField = s.get('mobile_network_prefixes');
  if (mnpField && mnps && mnps.length > 0 && mr === false) {
    r.report(mnpField.node, mnpField.path, 'mobile network prefixes need mobile_router: true');
  }
  return r.problems.length === before ? a : undefined;
}

function readBrr(r: ConfigReader, f: Field): BrrPolicy | undefined {
  const s = r.section(f, ['enabled', 'lead_seconds', 'lead_fraction']);
  if (!s) return undefined;
  const before = r.problems.length;
  const b: BrrPolicy = { ...DEFAULT_BRR_POLICY };
  const enabled = opt(s.get('enabled'), (x) => r.boolean(x));
  const leadSeconds = opt(s.get('lead_seconds'), (x) => r.seconds(x, 0, MAX_WIRE_LIFETIME_SECONDS));
  const leadFraction = opt(s.get('lead_fraction'), (x) => r.number(x, 0, 1));
  if (enabled !== undefined) b.enabled = enabled;
  if (leadSeconds !== undefined) b.leadSeconds = leadSeconds;
  if (leadFraction !== undefined) b.leadFraction = leadFraction;
  return r.problems.length === before ? b : undefined;
}

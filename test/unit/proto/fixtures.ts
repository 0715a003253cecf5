// Shared builders for the core tests: addresses of Appendix A's example network, BUs,
// received-packet wrappers and compact views of caches and desired state.
import { ip6 } from '../../ip6.js';
import { mustParseIp6 } from '../../../lib/inet/ip6.js';
import { IPPROTO_NONE, type BidOption, type BindingUpdate, type MobilityOption } from '../../../lib/wire/types.js';
import { DRAFT04_PROFILE } from '../../../lib/wire/profiles.js';
import { homeAgentConfig, type HomeAgentConfig } from '../../../lib/proto/common/core-config.js';
import type { BindingCache } from '../../../lib/proto/common/cache.js';
import type { DesiredState } from '../../../lib/plan/ha/desired.js';
import type { ReceivedBu } from '../../../lib/proto/common/outcome.js';

export const ST = DRAFT04_PROFILE.status;
export const HA = ip6('2001:db8:1::1');
export const HOME_PREFIX = '2001:db8:1::/64';
/** Appendix A's a:b:c:d::EUI. */
export const HOA = ip6('2001:db8:1:0:200:ff:fe00:a2a2');
export const HOA2 = ip6('2001:db8:1:0:200:ff:fe00:b3b3');
export const COA1 = ip6('2001:db8:a::1');
export const COA2 = ip6('2001:db8:b::2');
export const COA3 = '2001:db8:c::3';
export const CN = '2001:db8:cccc::3';
export const IFACE = 'eth0';

export function haConfig(over: Partial<HomeAgentConfig> = {}): HomeAgentConfig {
  return homeAgentConfig({ homeAgentAddress: HA, servedPrefixes: [HOME_PREFIX], homeLinkInterface: IFACE, ...over });
}

export interface BuSpec {
  seq: number;
  lifetime?: number;
  a?: boolean;
  h?: boolean;
  r?: boolean;
  l?: boolean;
  k?: boolean;
  options?: MobilityOption[];
}

export function makeBu(s: BuSpec): BindingUpdate {
  return {
    kind: 'bu',
    payloadProto: IPPROTO_NONE,
    checksum: 0,
    sequence: s.seq,
    flags: { a: s.a ?? true, h: s.h ?? true, l: s.l ?? false, k: s.k ?? false, m: false, r: s.r ?? false, p: false },
    lifetimeSeconds: s.lifetime ?? 400,
    options: s.options ?? [],
  };
}

export function bid(id: number, f: { coa?: string; o?: boolean; h?: boolean; status?: number } = {}): BidOption {
  const opt: BidOption = { kind: 'bid', bid: id, status: f.status ?? 0, c: f.coa !== undefined, o: f.o ?? false, h: f.h ?? false };
  if (f.coa !== undefined) opt.coa = mustParseIp6(f.coa);
  return opt;
}

export function altCoa(addr: string): MobilityOption {
  return { kind: 'alternateCoa', address: mustParseIp6(addr) };
}

export function mnp(prefix: string, len: number): MobilityOption {
  return { kind: 'mobileNetworkPrefix', prefixLength: len, prefix: mustParseIp6(prefix) };
}

export interface PacketSpec {
  hoa?: string;
  src?: string;
  dst?: string;
  ipsec?: boolean;
  nowMs?: number;
}

export function received(bu: BindingUpdate, p: PacketSpec = {}): ReceivedBu {
  return {
    bu,
    hoa: ip6(p.hoa ?? HOA),
    careOfSource: ip6(p.src ?? COA1),
    dst: ip6(p.dst ?? HA),
    ipsecProtected: p.ipsec ?? true,
    nowMs: p.nowMs ?? 0,
  };
}

/** 'hoa coa BIDn' lines (BID0 = regular; '(home)' marks a home binding), sorted. */
export function cacheLines(cache: BindingCache): string[] {
  return [...cache].map((b) => `${b.hoa} ${b.coa} BID${b.bid}${b.homeBinding ? ' (home)' : ''}`).sort();
}

export function desiredSummary(d: DesiredState): { tunnels: string[]; routes: string[]; proxies: string[] } {
  return {
    tunnels: [...d.tunnels.keys()].sort(),
    routes: [...d.routes.values()]
      .map((r) => `${r.dst}/${r.dstLen} -> ${r.nexthops.map((n) => (n.kind === 'tunnel' ? n.tunnelKey : `${n.interface}${n.gateway ? ` via ${n.gateway}` : ''}`)).join(', ')}`)
      .sort(),
    proxies: [...d.proxies.keys()].sort(),
  };
}

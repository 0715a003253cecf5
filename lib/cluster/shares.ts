// Shares (several service addresses, docs/cluster.md): each home address registers with one
// service address, the destination of its Binding Updates, kept in its record; only the node
// active for that address serves it (signalling, proxy ND, refresh requests, writes). Pure:
// which node serves what, and where a drained address's mobile nodes should go.
import type { Ip6 } from '../inet/ip6.js';
import type { BindingRecord } from './binding-record.js';
import { preferred, type Member } from './membership.js';

/** The service address a stored record registers with; records written before shares have none: `fallback` (home_agent.address). */
export function recordService(record: Pick<BindingRecord, 'serviceAddress'> | null | undefined, fallback: Ip6): Ip6 {
  return record?.serviceAddress ?? fallback;
}

/**
 * The home addresses of `hoas` that register with `address` (their service address, by
 * `serviceOf`): those a node stops or starts serving when its election for `address` changes.
 */
export function homeAddressesOf(address: Ip6, hoas: Iterable<Ip6>, serviceOf: (hoa: Ip6) => Ip6): Ip6[] {
  const out: Ip6[] = [];
  for (const hoa of hoas) if (serviceOf(hoa) === address) out.push(hoa);
  return out;
}

/**
 * A draining node gives up `address`. When another live, undrained member lists it, a standby
 * takes it over (the mobile nodes notice nothing): null. Otherwise nobody will serve it, and its
 * mobile nodes must register elsewhere (RFC 5142 Home Agent Switch): the addresses other live,
 * undrained members list, best first: one whose known owner is another node (it is served now), then by the
 * best preference any other member has for it, then by address. Empty: nowhere to send them.
 */
export function switchTargets(address: Ip6, self: string, members: readonly Member[], owners: ReadonlyMap<Ip6, string | null>): Ip6[] | null {
  // A drained member campaigns for nothing: it would neither take `address` over nor win another.
  const others = members.filter((m) => m.node !== self && !m.drained);
  if (others.some((m) => m.preferences[address] !== undefined)) return null;
  const best = new Map<Ip6, { node: string; preference: number }>();
  for (const m of others) {
    for (const [a, p] of Object.entries(m.preferences) as [Ip6, number][]) {
      if (a === address) continue;
      const cand = { node: m.node, preference: p };
      const have = best.get(a);
      if (!have || preferred(cand, have)) best.set(a, cand);
    }
  }
  const served = (a: Ip6): boolean => {
    const o = owners.get(a);
    return o !== undefined && o !== null && o !== self;
  };
  return [...best.keys()].sort((a, b) => {
    if (served(a) !== served(b)) return served(a) ? -1 : 1;
    const pa = best.get(a)!;
    const pb = best.get(b)!;
    if (pa.preference !== pb.preference) return pb.preference - pa.preference;
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

// Which care-of addresses the mobile node's tunnels and nexthop group are built on (pure):
// those the home agent accepted that their interface still holds, and, while a restarted
// node adopts the tunnels of its previous run, the adopted ones still held. An address that
// leaves its interface drops out at once, before any new registration: the Binding Update
// List may still say "registered" for it, but a tunnel from an address the node no longer
// holds can only lose the datagrams hashed to it.
import type { Ip6 } from '../../inet/ip6.js';
import type { BulView } from '../../proto/mn/types.js';
import type { AcceptedCareOf } from './routes.js';

/** What the interfaces hold now (daemon/mn/interfaces.ts). */
export interface HeldAddresses {
  careOf(iface: string): Ip6 | undefined;
  ifindexOf(iface: string): number | undefined;
}

export interface Adoption {
  /** Candidate interfaces, in order. */
  interfaces: readonly string[];
  /** Care-of addresses whose tunnels a previous run left. */
  adopted: ReadonlySet<string>;
}

/** The care-of addresses to tunnel from; `adoption` only while adopting. */
export function liveCareOfs(bul: readonly BulView[], held: HeldAddresses, adoption: Adoption | null): AcceptedCareOf[] {
  const out: AcceptedCareOf[] = [];
  for (const e of bul) {
    if (e.role !== 'ha' || e.state !== 'registered' || e.homeBinding || e.careOf === null || e.iface === null) continue;
    const ifindex = held.ifindexOf(e.iface);
    if (ifindex === undefined || held.careOf(e.iface) !== e.careOf) continue;
    out.push({ coa: e.careOf, ifindex });
  }
  if (!adoption) return out;
  for (const iface of adoption.interfaces) {
    const coa = held.careOf(iface);
    const ifindex = held.ifindexOf(iface);
    if (coa !== undefined && ifindex !== undefined && adoption.adopted.has(coa) && !out.some((a) => a.coa === coa)) out.push({ coa, ifindex });
  }
  return out;
}

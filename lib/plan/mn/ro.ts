// The mobile node's route optimisation objects from its Binding Update List (pure): per
// correspondent with registered bindings, the Home Address option state for the care-of
// address of its lowest BID that its interface still holds (ro-xfrm.ts), and the inbound
// policies that let the correspondents' type 2 routing headers in.
import type { BulView } from '../../proto/mn/index.js';
import type { XfrmBands } from '../../reconcile/drivers/xfrm.js';
import type { Ip6Text } from '../../inet/ip6.js';
import { lowestBidCareOf, mergeRo, mobileNodeBindingXfrm, mobileNodeInboundXfrm, type RoBinding, type RoObjects } from '../common/ro-xfrm.js';

export function mobileNodeRoObjects(
  bul: readonly BulView[],
  /** Whether the interface holds this care-of address now. */
  holds: (iface: string, coa: Ip6Text) => boolean,
  homeAddress: Ip6Text,
  correspondents: readonly Ip6Text[],
  bands: XfrmBands,
): RoObjects {
  const byPeer = new Map<string, RoBinding[]>();
  for (const e of bul) {
    if (e.role !== 'cn' || e.state !== 'registered' || e.careOf === null || e.iface === null || !holds(e.iface, e.careOf)) continue;
    byPeer.set(e.peer, [...(byPeer.get(e.peer) ?? []), { bid: e.bid ?? 0, coa: e.careOf }]);
  }
  const parts = [mobileNodeInboundXfrm(homeAddress, correspondents, bands)];
  for (const [cn, list] of byPeer) {
    const coa = lowestBidCareOf(list);
    if (coa !== null) parts.push(mobileNodeBindingXfrm(homeAddress, cn, coa, bands));
  }
  return mergeRo(parts);
}

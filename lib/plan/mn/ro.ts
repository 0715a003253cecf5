// The mobile node's route optimisation objects from its Binding Update List (pure): per
// correspondent with registered bindings, the Home Address option state for the care-of
// address of its lowest BID that its interface still holds (ro-xfrm.ts), and the inbound
// policies that let the correspondents' type 2 routing headers in.
import type { BulView } from '../../proto/mn/index.js';
import type { Ip6 } from '../../inet/ip6.js';
import { lowestBidCareOf, mobileNodeBindingXfrm, mobileNodeInboundXfrm, type RoBinding } from '../common/ro-xfrm.js';
import { mergeXfrm, type XfrmBands, type XfrmObjects } from '../common/xfrm-objects.js';

/** Whether the interface holds this care-of address now. */
export type HoldsCareOf = (iface: string, coa: Ip6) => boolean;

/** A registered correspondent binding whose interface still holds its care-of address. */
export interface CorrespondentBinding extends RoBinding {
  iface: string;
}

/** Per correspondent, its registered bindings that are still in use, in list order. */
export function correspondentBindings(bul: readonly BulView[], holds: HoldsCareOf): Map<Ip6, CorrespondentBinding[]> {
  const byPeer = new Map<Ip6, CorrespondentBinding[]>();
  for (const e of bul) {
    if (e.role !== 'cn' || e.state !== 'registered' || e.careOf === null || e.iface === null || !holds(e.iface, e.careOf)) continue;
    byPeer.set(e.peer, [...(byPeer.get(e.peer) ?? []), { bid: e.bid ?? 0, coa: e.careOf, iface: e.iface }]);
  }
  return byPeer;
}

export function mobileNodeRoObjects(
  bul: readonly BulView[],
  holds: HoldsCareOf,
  homeAddress: Ip6,
  correspondents: readonly Ip6[],
  bands: XfrmBands,
): XfrmObjects {
  const parts = [mobileNodeInboundXfrm(homeAddress, correspondents, bands)];
  for (const [cn, list] of correspondentBindings(bul, holds)) {
    const coa = lowestBidCareOf(list);
    if (coa !== null) parts.push(mobileNodeBindingXfrm(homeAddress, cn, coa, bands));
  }
  return mergeXfrm(parts);
}

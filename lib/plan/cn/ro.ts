// The correspondent node's route optimisation objects from its binding cache (pure): the
// wildcard Home Address option state and inbound policy always, and per home address with
// bindings the route2 state for the care-of address of its lowest BID (plan/common/ro-xfrm.ts)
// and the inbound check of its Home Address options (hao-inbound.ts).
import type { BindingCache } from '../../proto/common/cache.js';
import type { Ip6 } from '../../inet/ip6.js';
import { correspondentBindingXfrm, correspondentStaticXfrm, lowestBidCareOf } from '../common/ro-xfrm.js';
import { correspondentHaoInbound } from './hao-inbound.js';
import { mergeXfrm, type XfrmBands, type XfrmObjects } from '../common/xfrm-objects.js';

/** Every XFRM object a correspondent at `cn` needs for these bindings. */
export function correspondentXfrm(cn: Ip6, cache: BindingCache, bands: XfrmBands): XfrmObjects {
  const parts = [correspondentStaticXfrm(cn, bands)];
  for (const hoa of cache.homeAddresses()) {
    const coa = lowestBidCareOf(cache.bindingsOf(hoa));
    if (coa !== null) parts.push(correspondentBindingXfrm(cn, hoa, coa, bands));
  }
  parts.push(correspondentHaoInbound(cn, cache, bands));
  return mergeXfrm(parts);
}

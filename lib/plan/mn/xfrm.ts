// The mobile node's whole XFRM set (pure): the wildcard route2 objects that let Binding
// Acknowledgements in, the ESP protecting its signalling when configured
// (signalling-ipsec.ts), route optimisation's objects (ro.ts) and the payload ESP objects
// (payload-ipsec.ts), in that order.
import type { HoaIpsecSas } from '../../config/daemon-config.js';
import type { Ip6 } from '../../inet/ip6.js';
import { ANY_SELECTOR, roInboundPolicy, wildcardRoState } from '../common/ro-xfrm.js';
import { NO_XFRM_OBJECTS, mergeXfrm, type XfrmBands, type XfrmObjects } from '../common/xfrm-objects.js';
import { MN_POLICY_PRIORITY_OFFSET, mobileNodeIpsecXfrm, mobilePrefixSolicitHaoState } from './signalling-ipsec.js';
import { IPPROTO_MH, IPPROTO_ROUTING } from '../../platform/xfrm/xfrm-constants.js';

/**
 * The kernel delivers a packet with a type 2 routing header only where a route2 state
 * matches and a policy lets it in (mipv6-reference.md):
 *   ip xfrm state add src :: dst :: proto route2 spi 0 mode ro coa :: flag wildrecv sel src ::/0 dst ::/0 reqid R
 *   ip xfrm policy add src ::/0 dst ::/0 proto 135 dir in priority P tmpl proto route2 mode ro level use
 */
export function routingHeaderXfrm(bands: XfrmBands): XfrmObjects {
  return {
    states: [wildcardRoState(IPPROTO_ROUTING, bands)],
    // Below the ESP-protected BA policy of signalling-ipsec.ts in precedence.
    policies: [roInboundPolicy({ ...ANY_SELECTOR, proto: IPPROTO_MH }, IPPROTO_ROUTING, bands.priorityBase + MN_POLICY_PRIORITY_OFFSET.routingHeader)],
  };
}

export interface MobileNodeXfrmParts {
  bands: XfrmBands;
  homeAddress: Ip6;
  homeAgent: Ip6;
  /** `mobile_node.ipsec`: ESP for BUs and BAs; none without. */
  sas?: HoaIpsecSas | undefined;
  /** Route optimisation's objects (ro.ts), when any. */
  ro?: XfrmObjects | undefined;
  /** The payload ESP objects (payload-ipsec.ts), when any. */
  payload?: XfrmObjects | undefined;
  /** With `sas`: the care-of address Mobile Prefix Solicitations leave from (signalling-ipsec.ts); none yet without. */
  solicitFrom?: Ip6 | undefined;
}

export function mobileNodeXfrm(p: MobileNodeXfrmParts): XfrmObjects {
  const esp = p.sas ? mobileNodeIpsecXfrm(p.sas, p.homeAddress, p.homeAgent, p.bands) : NO_XFRM_OBJECTS;
  if (p.sas && p.solicitFrom !== undefined) esp.states.push(mobilePrefixSolicitHaoState(p.homeAddress, p.homeAgent, p.solicitFrom, p.bands));
  return mergeXfrm([routingHeaderXfrm(p.bands), esp, p.ro ?? NO_XFRM_OBJECTS, p.payload ?? NO_XFRM_OBJECTS]);
}

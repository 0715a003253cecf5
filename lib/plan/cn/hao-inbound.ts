// RFC 6275 §9.3.1 at the correspondent, in the kernel: a packet with a Home Address option
// gets in only from the care-of address the correspondent holds for that home address.
// The kernel looks the `hao` state up by (correspondent, home address) and takes it only
// when its care-of address is the packet's source (mip6_destopt_input), else the wildcard
// state; so per home address with bindings there is one exact state, with the care-of
// address of its lowest BID (the one route optimisation uses both ways, plan/common/ro-xfrm.ts),
// and one inbound policy whose optional template asks for that state's reqid. A packet from
// any other care-of address carries the wildcard state, which the template does not match:
// the policy check drops it (XfrmInTmplMismatch) and reports it (mip6_destopt_reject), and
// the daemon answers with the Binding Error (daemon/xfrm-reports.ts). A home address
// without bindings has no policy here: XfrmInNoPols, reported the same way. Packets from the
// home address without the option (at home, or through the home agent) carry no state and
// pass, the template being optional.
//
// The kernel holds one such state per home address: with several BIDs, packets from a bound
// care-of address other than the lowest BID's are dropped too; the daemon finds it bound and
// sends no Binding Error (the mobile node sends from the lowest BID's, as the correspondent does).
import type { BindingCache } from '../../proto/common/cache.js';
import type { XfrmPolicy } from '../../platform/xfrm/policy.js';
import type { XfrmState } from '../../platform/xfrm/state.js';
import type { Ip6 } from '../../inet/ip6.js';
import { ANY_SELECTOR, RO_POLICY_PRIORITY_OFFSET, RO_REQID_OFFSET, lowestBidCareOf } from '../common/ro-xfrm.js';
import type { XfrmBands, XfrmObjects } from '../common/xfrm-objects.js';

const IPPROTO_DSTOPTS = 60;
const XFRM_MODE_ROUTEOPTIMIZATION = 2;
/** The exact inbound hao states' reqid, apart from the wildcard state's (the band's base) and the outbound RO states'. */
export const CN_HAO_IN_REQID_OFFSET = RO_REQID_OFFSET + 1;

/**
 * One home address's check.
 *   ip xfrm state add src HOA dst CN proto hao spi 0 mode ro coa COA reqid R sel src ::/0 dst ::/0
 *   ip xfrm policy add src HOA/128 dst CN/128 dir in priority P tmpl proto hao mode ro reqid R level use
 */
function homeAddressCheck(cn: Ip6, hoa: Ip6, coa: Ip6, bands: XfrmBands): XfrmObjects {
  const reqid = bands.reqidBase + CN_HAO_IN_REQID_OFFSET;
  const state: XfrmState = { src: hoa, dst: cn, proto: IPPROTO_DSTOPTS, spi: 0, mode: XFRM_MODE_ROUTEOPTIMIZATION, reqid, selector: { ...ANY_SELECTOR }, coaddr: coa };
  const policy: XfrmPolicy = {
    selector: { src: hoa, srcLen: 128, dst: cn, dstLen: 128, proto: 0 },
    dir: 'in',
    priority: bands.priorityBase + RO_POLICY_PRIORITY_OFFSET.homeAddressInbound,
    templates: [{ proto: IPPROTO_DSTOPTS, mode: XFRM_MODE_ROUTEOPTIMIZATION, reqid, optional: true }],
  };
  return { states: [state], policies: [policy] };
}

/** The inbound Home Address option check for every home address in the cache. */
export function correspondentHaoInbound(cn: Ip6, cache: BindingCache, bands: XfrmBands): XfrmObjects {
  const states: XfrmState[] = [];
  const policies: XfrmPolicy[] = [];
  for (const hoa of cache.homeAddresses()) {
    const coa = lowestBidCareOf(cache.bindingsOf(hoa));
    if (coa === null) continue;
    const o = homeAddressCheck(cn, hoa, coa, bands);
    states.push(...o.states);
    policies.push(...o.policies);
  }
  return { states, policies };
}

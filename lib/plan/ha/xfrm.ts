// The home agent's XFRM objects that follow from its configuration alone (pure): the
// wildcard ones that let its Mobility Header socket see Binding Updates carrying a Home
// Address option (RFC 6275 §6.3, §9.5.1), and the ESP protecting each mobile node's
// signalling (signalling-ipsec.ts). The payload SAs follow the bindings (payload-index.ts).
import type { HoaIpsecSas, IkeSignalling } from '../../config/daemon-config.js';
import type { Ip6 } from '../../inet/ip6.js';
import { ANY_SELECTOR, roInboundPolicy, wildcardRoState } from '../common/ro-xfrm.js';
import { mergeXfrm, type XfrmBands, type XfrmObjects } from '../common/xfrm-objects.js';
import { POLICY_PRIORITY_OFFSET, signallingIpsecXfrm, type IpsecObjects } from './signalling-ipsec.js';
import { IPPROTO_DSTOPTS, IPPROTO_MH } from '../../platform/xfrm/xfrm-constants.js';

/**
 * The kernel processes a Home Address option only where a route-optimisation state matches
 * and a policy lets it in (mipv6-reference.md): one wildcard state (any source, any
 * destination, `flag wildrecv`) and one inbound policy for the Mobility Header with an
 * optional (`level use`) hao template.
 *   ip xfrm state add src :: dst :: proto hao spi 0 mode ro coa :: flag wildrecv sel src ::/0 dst ::/0 reqid R
 *   ip xfrm policy add src ::/0 dst ::/0 proto 135 dir in priority P tmpl proto hao mode ro level use
 */
export function homeAddressOptionXfrm(bands: XfrmBands): XfrmObjects {
  return {
    states: [wildcardRoState(IPPROTO_DSTOPTS, bands)],
    // Below the per home address ESP policies, which carry this template too (signalling-ipsec.ts).
    policies: [roInboundPolicy({ ...ANY_SELECTOR, proto: IPPROTO_MH }, IPPROTO_DSTOPTS, bands.priorityBase + POLICY_PRIORITY_OFFSET.homeAddressOption)],
  };
}

export interface HomeAgentXfrmSettings {
  bands: XfrmBands;
  /** The home agent address. */
  ha: Ip6;
  sas: Readonly<Record<Ip6, HoaIpsecSas>>;
  /** Home addresses whose signalling SAs an IKE daemon installs. */
  ike?: Readonly<Record<Ip6, IkeSignalling>>;
}

/** The Home Address option objects, then the signalling ESP objects (and which BU policy and SA prove ESP per home address). */
export function homeAgentConfiguredXfrm(s: HomeAgentXfrmSettings): IpsecObjects {
  const hao = homeAddressOptionXfrm(s.bands);
  const esp = signallingIpsecXfrm(s.sas, s.ha, s.bands, s.ike);
  return { ...mergeXfrm([hao, esp]), inbound: esp.inbound };
}

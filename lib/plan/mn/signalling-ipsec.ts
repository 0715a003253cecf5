// The XFRM objects that protect the mobile node's Binding Updates (out) and the Binding
// Acknowledgements it receives (in) with ESP in transport mode (RFC 3776 §4-5, RFC 4877 §4):
// the mirror image of the home agent's (plan/ha/signalling-ipsec.ts); pure, from configuration to
// desired state. Home address HOA, home agent HA, reqid R:
//   ip xfrm state add src :: dst HA proto esp spi SPI_OUT reqid R mode transport aead NAME KEY ICV
//   ip xfrm state add src HA dst HOA proto esp spi SPI_IN reqid R mode transport aead NAME KEY ICV
//   ip xfrm policy update src ::/0 dst HA/128 proto 135 type 5 dir out priority P \
//       tmpl proto esp mode transport reqid R level required
//   ip xfrm policy update src HA/128 dst HOA/128 proto 135 type 6 dir in priority P \
//       tmpl proto esp mode transport reqid R level required tmpl proto route2 mode ro level use
//   ip xfrm policy update src HA/128 dst HOA/128 proto ipv6-icmp type 147 dir in priority P \
//       tmpl proto esp mode transport reqid R level required
//   ip xfrm policy update src HOA/128 dst HA/128 proto ipv6-icmp type 146 dir out priority P \
//       tmpl proto esp mode transport reqid R level required tmpl proto hao mode ro reqid RO
//   ip xfrm state add src HOA dst HA proto hao spi 0 mode ro coa COA reqid RO
//
// The last three are Mobile Prefix Discovery (RFC 6275 §5.4, §11.4.2; RFC 4877 §4.1). An
// advertisement in clear is dropped by the kernel, since the node acts on it. It arrives
// through the node's tunnel, decapsulated, so there is no routing header to list. The
// solicitation is sent from the home address to the home agent by the node's ICMPv6 socket;
// the kernel protects it with the BU's SA (ESP first, innermost), then the Home Address
// option state moves the home address into the option and sends it from the care-of
// address COA (RFC 6275 §11.4.2's layout: IPv6 CoA -> HA | Destination Options (HAO) | ESP
// | ICMPv6 146) with the route from COA, like a Binding Update. The checksum is the kernel's,
// over the home address, which is what the home agent checks after swapping the option back.
// No solicitation leaves in clear: without the option state (no care-of address yet) the
// policy's second template has no state and the send fails.
//
// Why these selectors and addresses (seen in user-mode Linux 6.1, test/kernel/ipsec.test.ts
// and e2e-ipsec.test.ts):
// - mcoad writes the Home Address option itself and sends each BU from one of its care-of
//   addresses, which come and go; the outbound lookup sees src = that care-of address. So
//   the BU policy takes any source, and the SA has the wildcard source `::`, which the
//   kernel's outbound SA lookup accepts for any source (its second, source-wildcard search).
//   A BU sent from the home address (at home) is covered the same way.
// - The BA arrives at the care-of address with a type 2 routing header; the kernel swaps the
//   destination to HOA before ESP, so the inbound SA is HA -> HOA, and the policy lists the
//   routing header's state after ESP (optional: a BA at home has no routing header).
// - This BA policy must take precedence over the wildcard route2 policy that accepts every
//   other Mobility Header message (lower priority number), or a BA without ESP would pass.
import type { HoaIpsecSas } from '../../config/daemon-config.js';
import type { XfrmBands, XfrmObjects } from '../common/xfrm-objects.js';
import { IP6_UNSPECIFIED, type Ip6 } from '../../inet/ip6.js';
import { POLICY_PRIORITY_OFFSET, ipsecReqids, mobilePrefixAdvertSelector, mobilePrefixSolicitSelector, replayWindowOf } from '../ha/signalling-ipsec.js';
import { RO_REQID_OFFSET } from '../common/ro-xfrm.js';
import type { XfrmState } from '../../platform/xfrm/state.js';
import { IPPROTO_DSTOPTS, IPPROTO_ESP, IPPROTO_MH, IPPROTO_ROUTING, XFRM_MODE_ROUTEOPTIMIZATION, XFRM_MODE_TRANSPORT } from '../../platform/xfrm/xfrm-constants.js';
import { MhType } from '../../wire/types.js';

/**
 * The mobile node's policy priorities inside the band: the ESP policies where the home
 * agent has its own, the wildcard route2 policy where the home agent has its wildcard Home
 * Address option policy (both below the ESP ones in precedence).
 */
export const MN_POLICY_PRIORITY_OFFSET = {
  ipsec: POLICY_PRIORITY_OFFSET.ipsec,
  routingHeader: POLICY_PRIORITY_OFFSET.homeAddressOption,
} as const;

/**
 * The two ESP states and two policies for `mobile_node.ipsec`: spiOut protects BUs
 * (mobile node -> home agent, the home agent's spi_in), spiIn the BAs (home agent -> mobile
 * node). The reqid follows the home agent's rule: the configured one, else reqidBase + 1.
 */
export function mobileNodeIpsecXfrm(sas: HoaIpsecSas, homeAddress: Ip6, homeAgent: Ip6, bands: XfrmBands): XfrmObjects {
  const reqid = ipsecReqids({ [homeAddress]: sas }, bands).get(homeAddress)!;
  const priority = bands.priorityBase + MN_POLICY_PRIORITY_OFFSET.ipsec;
  // No anti-replay window, as at the home agent: manually keyed SAs restart their sequence
  // numbers with either end; a replayed BA is refused by its sequence number.
  const esp = { proto: IPPROTO_ESP, mode: XFRM_MODE_TRANSPORT, reqid, aead: sas.aead };
  const espTemplate = { proto: IPPROTO_ESP, mode: XFRM_MODE_TRANSPORT, reqid };
  return {
    states: [
      { ...esp, src: IP6_UNSPECIFIED, dst: homeAgent, spi: sas.spiOut },
      { ...esp, src: homeAgent, dst: homeAddress, spi: sas.spiIn, ...replayWindowOf(sas) },
    ],
    policies: [
      {
        selector: { src: IP6_UNSPECIFIED, srcLen: 0, dst: homeAgent, dstLen: 128, proto: IPPROTO_MH, mhType: MhType.BU },
        dir: 'out',
        priority,
        templates: [espTemplate],
      },
      {
        selector: { src: homeAgent, srcLen: 128, dst: homeAddress, dstLen: 128, proto: IPPROTO_MH, mhType: MhType.BA },
        dir: 'in',
        priority,
        templates: [espTemplate, { proto: IPPROTO_ROUTING, mode: XFRM_MODE_ROUTEOPTIMIZATION, optional: true }],
      },
      { selector: mobilePrefixAdvertSelector(homeAgent, homeAddress), dir: 'in', priority, templates: [espTemplate] },
      {
        selector: mobilePrefixSolicitSelector(homeAddress, homeAgent),
        dir: 'out',
        priority,
        templates: [espTemplate, { proto: IPPROTO_DSTOPTS, mode: XFRM_MODE_ROUTEOPTIMIZATION, reqid: bands.reqidBase + RO_REQID_OFFSET }],
      },
    ],
  };
}

/**
 * The Home Address option state the solicitation policy names: HOA -> HA leaves from `coa`
 * (one care-of address: the kernel keys the state by src, dst and protocol).
 */
export function mobilePrefixSolicitHaoState(homeAddress: Ip6, homeAgent: Ip6, coa: Ip6, bands: XfrmBands): XfrmState {
  return { src: homeAddress, dst: homeAgent, proto: IPPROTO_DSTOPTS, spi: 0, mode: XFRM_MODE_ROUTEOPTIMIZATION, reqid: bands.reqidBase + RO_REQID_OFFSET, coaddr: coa };
}

// The XFRM objects of route optimisation (RFC 6275 §6.3, §6.4, §9.3, §11.3.1), as pure
// functions of the bindings, for the correspondent node and the mobile node. The kernel
// does the per-packet work: a route-optimisation (`mode ro`) state with a care-of address
// (XFRMA_COADDR) plus an outbound policy naming it puts a type 2 routing header (route2,
// IPPROTO_ROUTING) or a Home Address option (hao, IPPROTO_DSTOPTS) on every matching packet
// and sends it to / from the care-of address; an inbound policy with an optional template
// lets such packets in.
//
// One care-of address per (correspondent, home address): the kernel keys an RO state by
// (src, dst, proto) and holds one coaddr. With several BIDs for a home address the binding
// with the lowest BID is used: a choice that needs no flow information (draft-04 leaves
// flow binding to other work) and stays put while the other bindings come and go.
import type { XfrmPolicy } from '../../platform/xfrm/policy.js';
import type { XfrmState } from '../../platform/xfrm/state.js';
import type { XfrmSelector } from '../../platform/xfrm/structs.js';
import type { XfrmBands, XfrmObjects } from './xfrm-objects.js';
import { IP6_UNSPECIFIED, type Ip6 } from '../../inet/ip6.js';
import { IPPROTO_DSTOPTS, IPPROTO_MH, IPPROTO_ROUTING, XFRM_MODE_ROUTEOPTIMIZATION } from '../../platform/xfrm/xfrm-constants.js';

const XFRM_STATE_WILDRECV = 8;

/** Every source, every destination, every protocol. */
export const ANY_SELECTOR: Readonly<XfrmSelector> = Object.freeze({ src: IP6_UNSPECIFIED, srcLen: 0, dst: IP6_UNSPECIFIED, dstLen: 0, proto: 0 });

/**
 * The receive side of a route-optimisation header (hao or route2), shared by every role:
 * the kernel processes the header only where a state for its protocol matches, and this
 * one matches any packet (`flag wildrecv`, reqid at the band's base).
 *   ip xfrm state add src :: dst :: proto PROTO spi 0 mode ro coa :: flag wildrecv sel src ::/0 dst ::/0 reqid R
 */
export function wildcardRoState(proto: number, bands: XfrmBands): XfrmState {
  return { src: IP6_UNSPECIFIED, dst: IP6_UNSPECIFIED, proto, spi: 0, mode: XFRM_MODE_ROUTEOPTIMIZATION, reqid: bands.reqidBase, flags: XFRM_STATE_WILDRECV, selector: { ...ANY_SELECTOR }, coaddr: IP6_UNSPECIFIED };
}

/**
 * An inbound policy that lets packets matching `selector` in, with or without the header
 * (an optional template, `level use`).
 *   ip xfrm policy add SELECTOR dir in priority P tmpl proto PROTO mode ro level use
 */
export function roInboundPolicy(selector: XfrmSelector, proto: number, priority: number): XfrmPolicy {
  return { selector, dir: 'in', priority, templates: [{ proto, mode: XFRM_MODE_ROUTEOPTIMIZATION, optional: true }] };
}

/**
 * Priorities inside the band (lower wins). The Mobility Header bypass must win over the data
 * policy: HoT goes to the home address through the home agent, and a BA already carries its
 * routing header (or the BU its Home Address option) as ancillary data. Inbound, the
 * correspondent's Mobility Header policy must win over its per-home-address policy, so a BU
 * from a new care-of address gets in.
 */
export const RO_POLICY_PRIORITY_OFFSET = { signallingBypass: 0x40, data: 0x60, inbound: 0x90, homeAddressInbound: 0x98 } as const;
/** Outbound RO states and their templates share one reqid (the kernel matches template and state by it). */
export const RO_REQID_OFFSET = 0xff00;

/** A binding as far as route optimisation cares. */
export interface RoBinding {
  bid: number;
  coa: Ip6;
}

/** The care-of address the kernel uses for a home address: the lowest BID's; null without bindings. */
export function lowestBidCareOf(bindings: readonly RoBinding[]): Ip6 | null {
  let best: RoBinding | null = null;
  for (const b of bindings) if (best === null || b.bid < best.bid) best = b;
  return best?.coa ?? null;
}

const host = (src: Ip6, dst: Ip6, proto: number): XfrmSelector => ({ src, srcLen: 128, dst, dstLen: 128, proto });

/** Outbound state, data policy and MH bypass for one (local, remote) pair with `coa`. */
function outbound(local: Ip6, remote: Ip6, coa: Ip6, proto: number, bands: XfrmBands): XfrmObjects {
  const reqid = bands.reqidBase + RO_REQID_OFFSET;
  return {
    states: [{ src: local, dst: remote, proto, spi: 0, mode: XFRM_MODE_ROUTEOPTIMIZATION, reqid, coaddr: coa }],
    policies: [
      { selector: host(local, remote, IPPROTO_MH), dir: 'out', priority: bands.priorityBase + RO_POLICY_PRIORITY_OFFSET.signallingBypass, templates: [] },
      {
        selector: host(local, remote, 0),
        dir: 'out',
        priority: bands.priorityBase + RO_POLICY_PRIORITY_OFFSET.data,
        templates: [{ proto, mode: XFRM_MODE_ROUTEOPTIMIZATION, reqid }],
      },
    ],
  };
}

/**
 * Correspondent node, always: the wildcard Home Address option state (as the home agent's)
 * and an inbound policy for Mobility Header packets addressed to the correspondent, so a BU
 * from any care-of address with a Home Address option gets in (the daemon checks the other
 * MH types, RFC 6275 §9.3.1). Other packets with the option get in only from a bound
 * care-of address (plan/cn/hao-inbound.ts); the kernel reports the rest.
 *   ip xfrm state add src :: dst :: proto hao spi 0 mode ro coa :: flag wildrecv sel src ::/0 dst ::/0 reqid R
 *   ip xfrm policy add src ::/0 dst CN/128 proto 135 dir in priority P tmpl proto hao mode ro level use
 */
export function correspondentStaticXfrm(cn: Ip6, bands: XfrmBands): XfrmObjects {
  return {
    states: [wildcardRoState(IPPROTO_DSTOPTS, bands)],
    policies: [roInboundPolicy({ ...ANY_SELECTOR, dst: cn, dstLen: 128, proto: IPPROTO_MH }, IPPROTO_DSTOPTS, bands.priorityBase + RO_POLICY_PRIORITY_OFFSET.inbound)],
  };
}

/**
 * Correspondent node, per home address with bindings: traffic to the home address leaves
 * for the care-of address with a type 2 routing header; signalling keeps its own headers.
 *   ip xfrm state add src CN dst HOA proto route2 spi 0 mode ro coa COA reqid R
 *   ip xfrm policy add src CN/128 dst HOA/128 proto 135 dir out priority P1
 *   ip xfrm policy add src CN/128 dst HOA/128 dir out priority P2 tmpl proto route2 mode ro reqid R
 */
export function correspondentBindingXfrm(cn: Ip6, hoa: Ip6, coa: Ip6, bands: XfrmBands): XfrmObjects {
  return outbound(cn, hoa, coa, IPPROTO_ROUTING, bands);
}

/**
 * Mobile node, per configured correspondent: packets from it carrying a type 2 routing
 * header (to a care-of address, for the home address) get in, whatever their protocol.
 *   ip xfrm policy add src CN/128 dst HOA/128 dir in priority P tmpl proto route2 mode ro level use
 * (the route2 wildcard state is plan/mn/routing-header.ts's).
 */
export function mobileNodeInboundXfrm(hoa: Ip6, correspondents: readonly Ip6[], bands: XfrmBands): XfrmObjects {
  return {
    states: [],
    policies: correspondents.map((cn) => roInboundPolicy(host(cn, hoa, 0), IPPROTO_ROUTING, bands.priorityBase + RO_POLICY_PRIORITY_OFFSET.inbound)),
  };
}

/**
 * Mobile node, per correspondent with a registered binding: traffic from the home address
 * leaves from the care-of address with a Home Address option.
 *   ip xfrm state add src HOA dst CN proto hao spi 0 mode ro coa COA reqid R
 *   ip xfrm policy add src HOA/128 dst CN/128 proto 135 dir out priority P1
 *   ip xfrm policy add src HOA/128 dst CN/128 dir out priority P2 tmpl proto hao mode ro reqid R
 */
export function mobileNodeBindingXfrm(hoa: Ip6, cn: Ip6, coa: Ip6, bands: XfrmBands): XfrmObjects {
  return outbound(hoa, cn, coa, IPPROTO_DSTOPTS, bands);
}

// The XFRM objects that protect each mobile node's signalling with the home agent by ESP in
// transport mode (RFC 3776 §4-5, RFC 4877 §4): pure, from configuration to desired state.
//
// Per home address HOA with configured SAs, reqid R (home agent address HA):
//   ip xfrm state add src HOA dst HA proto esp spi SPI_IN reqid R mode transport aead NAME KEY ICV
//   ip xfrm state add src HA dst HOA proto esp spi SPI_OUT reqid R mode transport aead NAME KEY ICV
//   ip xfrm policy update src HOA/128 dst HA/128 proto 135 type 5 dir in priority P \
//       tmpl proto esp mode transport reqid R level required tmpl proto hao mode ro level use
//   ip xfrm policy update src HA/128 dst HOA/128 proto 135 type 6 dir out priority P \
//       tmpl proto esp mode transport reqid R level required
//   ip xfrm policy update src HA/128 dst HOA/128 proto ipv6-icmp type 147 dir out priority P \
//       tmpl proto esp mode transport reqid R level required
//   ip xfrm policy update src HOA/128 dst HA/128 proto ipv6-icmp type 146 dir in priority P \
//       tmpl proto esp mode transport reqid R level required tmpl proto hao mode ro level use
//
// The last two are Mobile Prefix Discovery (RFC 6275 §5.4, §10.6, §11.4.2; RFC 4877 §4.1):
// the advertisement the mobile node acts on (new prefixes, a deprecated or invalid home
// address, its registration lifetime) leaves under the BA's SA, and the node requires it so
// (plan/mn/signalling-ipsec.ts); the solicitation must arrive under the BU's SA, with a Home
// Address option as a BU does (the node sends it so), and one without ESP is dropped by the
// kernel, also one reverse-tunnelled in clear (decapsulation leaves no ESP on the inner
// packet). Home addresses without signalling SAs solicit in clear through their tunnel.
//
// Seen in user-mode Linux 6.1 (test/kernel/ipsec.test.ts):
// - A BU with a Home Address option is IPv6 | Destination Options (HAO) | ESP | MH. The
//   kernel processes the HAO first (swapping the source to the home address), then ESP, so
//   the inbound policy sees src = HOA and needs both templates, listed innermost first
//   (esp, then the optional hao); one policy cannot be combined with the wildcard RO
//   policy, so this one must take precedence over it (lower priority number).
// - Inbound ESP SAs are looked up by destination and SPI only: the SA's source address
//   does not take part, so src = HOA (the RFC 3776 layout, and what an IKE daemon
//   negotiates) works for a BU sent from the care-of address, and SPI_IN must be unique
//   among all home addresses (the config loader checks it).
// - The BA leaves to HOA with a type 2 routing header holding the care-of address; the
//   outbound lookup uses HA -> HOA, so that is the outbound SA.
// - A BU without ESP matches the inbound policy and is dropped by the kernel
//   (XfrmInTmplMismatch in /proc/net/xfrm_stat); the socket never sees it.
//
// Templates of transport-mode SAs carry no addresses: the kernel matches an SA to a template
// by protocol, mode and reqid, so each home address has a reqid of its own (the loader refuses
// a pinned one used twice), or one node's SA would pass another's BUs.
//
// IKEv2 later: the policies carry a fixed reqid per home address and `level required`, the
// layout strongSwan's `policies = no` CHILD_SA with `reqid = R` and `mode = transport`
// expects; it would then install the two ESP states with reqid R instead of this file.
// (The state driver would have to leave such states alone: they sit in our reqid band.)
import type { HoaIpsecSas, IkeSignalling } from '../../config/daemon-config.js';
import type { XfrmPolicy } from '../../platform/xfrm/policy.js';
import type { XfrmState } from '../../platform/xfrm/state.js';
import type { XfrmBands, XfrmObjects } from '../common/xfrm-objects.js';
import { ip6Entries, ip6Keys, type Ip6 } from '../../inet/ip6.js';
import { IPPROTO_DSTOPTS, IPPROTO_ESP, IPPROTO_MH, XFRM_MODE_ROUTEOPTIMIZATION, XFRM_MODE_TRANSPORT } from '../../platform/xfrm/xfrm-constants.js';
import type { XfrmSelector } from '../../platform/xfrm/structs.js';
import { IPPROTO_ICMPV6 } from '../../platform/sys/socket.js';
import { ICMP6_MOBILE_PREFIX_ADVERT, ICMP6_MOBILE_PREFIX_SOLICIT } from '../../wire/icmp/mobile-prefix.js';
import { MhType } from '../../wire/types.js';

/**
 * Priority offsets inside the policy band: lower numbers take precedence, so the per home
 * address ESP policies win over the wildcard Home Address option policy.
 */
export const POLICY_PRIORITY_OFFSET = { ipsec: 0x10, homeAddressOption: 0x80 } as const;

export interface IpsecObjects extends XfrmObjects {
  /** Home address -> its inbound (BU) policy and SA (none when an IKE daemon supplies it): installed means BUs are protected. */
  inbound: Map<Ip6, { policy: XfrmPolicy; state?: XfrmState }>;
}

/**
 * reqid per home address: the configured one, or reqidBase + 1 + its place among the home
 * addresses without one in address order (stable while the configured set is; pin it with
 * `reqid` when an IKE daemon must know it).
 */
export function ipsecReqids(sas: Readonly<Record<Ip6, HoaIpsecSas>>, bands: XfrmBands): Map<Ip6, number> {
  const out = new Map<Ip6, number>();
  const taken = new Set<number>();
  for (const [hoa, sa] of ip6Entries(sas)) {
    if (sa.reqid !== undefined) {
      out.set(hoa, sa.reqid);
      taken.add(sa.reqid);
    }
  }
  let next = bands.reqidBase + 1;
  for (const hoa of ip6Keys(sas).sort()) {
    if (out.has(hoa)) continue;
    while (taken.has(next)) next++;
    if (next >= bands.reqidBase + bands.reqidCount) throw new RangeError('xfrm reqid band exhausted');
    out.set(hoa, next);
    taken.add(next);
  }
  return out;
}

/** The ESP states and policies protecting BU (in) and BA (out) for every configured home address. */
export function signallingIpsecXfrm(
  sas: Readonly<Record<Ip6, HoaIpsecSas>>,
  ha: Ip6,
  bands: XfrmBands,
  ike: Readonly<Record<Ip6, IkeSignalling>> = {},
): IpsecObjects {
  const reqids = ipsecReqids(sas, bands);
  const priority = bands.priorityBase + POLICY_PRIORITY_OFFSET.ipsec;
  const states: XfrmState[] = [];
  const policies: XfrmPolicy[] = [];
  const inbound: IpsecObjects['inbound'] = new Map();
  // SAs from an IKE daemon: the same policies, with its reqid; the SAs are its own.
  for (const [hoa, { reqid }] of ip6Entries(ike)) {
    const [inPolicy, ...rest] = signallingPolicies(hoa, ha, reqid, priority);
    inbound.set(hoa, { policy: inPolicy });
    policies.push(inPolicy, ...rest);
  }
  for (const [hoa, sa] of ip6Entries(sas)) {
    const reqid = reqids.get(hoa)!;
    // No anti-replay window unless `replay_window` asks for one: manually keyed SAs restart
    // their sequence numbers when either end restarts (RFC 4303 §3.3.3); replayed BUs are
    // refused by their MH sequence number.
    const esp = { proto: IPPROTO_ESP, mode: XFRM_MODE_TRANSPORT, reqid, aead: sa.aead };
    const inState: XfrmState = { ...esp, src: hoa, dst: ha, spi: sa.spiIn, ...replayWindowOf(sa) };
    const [inPolicy, ...rest] = signallingPolicies(hoa, ha, reqid, priority);
    inbound.set(hoa, { policy: inPolicy, state: inState });
    states.push(inState, { ...esp, src: ha, dst: hoa, spi: sa.spiOut });
    policies.push(inPolicy, ...rest);
  }
  return { states, policies, inbound };
}

/** `ipsec.replay_window` for an inbound SA: the field only when set (so the default SA is unchanged). */
export function replayWindowOf(sa: { replayWindow?: number }): { replayWindow?: number } {
  return sa.replayWindow ? { replayWindow: sa.replayWindow } : {};
}

/** Mobile Prefix Advertisements, home agent -> home address (the kernel carries the ICMPv6 type in sport). */
export function mobilePrefixAdvertSelector(ha: Ip6, hoa: Ip6): XfrmSelector {
  return { src: ha, srcLen: 128, dst: hoa, dstLen: 128, proto: IPPROTO_ICMPV6, sport: ICMP6_MOBILE_PREFIX_ADVERT, sportMask: 0xffff };
}

/** Mobile Prefix Solicitations, home address -> home agent. */
export function mobilePrefixSolicitSelector(hoa: Ip6, ha: Ip6): XfrmSelector {
  return { src: hoa, srcLen: 128, dst: ha, dstLen: 128, proto: IPPROTO_ICMPV6, sport: ICMP6_MOBILE_PREFIX_SOLICIT, sportMask: 0xffff };
}

/**
 * BU in (esp, then the optional hao), BA out, Mobile Prefix Advertisement out and Mobile
 * Prefix Solicitation in (as the BU) for one home address.
 */
function signallingPolicies(hoa: Ip6, ha: Ip6, reqid: number, priority: number): [XfrmPolicy, ...XfrmPolicy[]] {
  const withHao = [
    { proto: IPPROTO_ESP, mode: XFRM_MODE_TRANSPORT, reqid },
    { proto: IPPROTO_DSTOPTS, mode: XFRM_MODE_ROUTEOPTIMIZATION, optional: true },
  ];
  return [
    { selector: { src: hoa, srcLen: 128, dst: ha, dstLen: 128, proto: IPPROTO_MH, mhType: MhType.BU }, dir: 'in', priority, templates: withHao },
    {
      selector: { src: ha, srcLen: 128, dst: hoa, dstLen: 128, proto: IPPROTO_MH, mhType: MhType.BA },
      dir: 'out',
      priority,
      templates: [{ proto: IPPROTO_ESP, mode: XFRM_MODE_TRANSPORT, reqid }],
    },
    { selector: mobilePrefixAdvertSelector(ha, hoa), dir: 'out', priority, templates: [{ proto: IPPROTO_ESP, mode: XFRM_MODE_TRANSPORT, reqid }] },
    { selector: mobilePrefixSolicitSelector(hoa, ha), dir: 'in', priority, templates: withHao.map((t) => ({ ...t })) },
    { selector: hao61SolicitSelector(hoa, ha), dir: 'in', priority, templates: withHao.map((t) => ({ ...t })) },
  ];
}

/** The Destination Options header of one Home Address option: 24 octets, Hdr Ext Len 2. */
const HAO_DSTOPTS_HDR_EXT_LEN = 2;

/**
 * The solicitation with its Home Address option as Linux 6.1 classifies it on input: its
 * _decode_session6 takes the ICMPv6 type and code from the first header after the fixed
 * one, which is the Destination Options header, so the flow says type 58 (that header's Next
 * Header, ICMPv6) and code 2 (its Hdr Ext Len), and the type 146 policy never matches (seen
 * in user-mode Linux 6.1: XfrmInNoPols). This policy takes such packets under the same
 * rule: only ICMPv6 carrying a Home Address option from the home address matches it, which
 * without it is refused anyway (no other policy lets a Home Address option in for ICMPv6).
 */
export function hao61SolicitSelector(hoa: Ip6, ha: Ip6): XfrmSelector {
  return { src: hoa, srcLen: 128, dst: ha, dstLen: 128, proto: IPPROTO_ICMPV6, sport: IPPROTO_ICMPV6, sportMask: 0xffff, dport: HAO_DSTOPTS_HDR_EXT_LEN, dportMask: 0xffff };
}


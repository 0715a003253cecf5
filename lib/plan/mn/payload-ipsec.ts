// ESP protection of the payload the mobile node tunnels to and from its home agent (MCoA
// §8.3.2, RFC 4877 §4.2): the mirror image of the home agent's (payload-ipsec.ts). Pure:
// from configuration and the accepted care-of addresses to XFRM objects, from Binding Update
// List changes to care-of address moves, and from a move to its XFRM_MSG_MIGRATE step.
//
// Each ip6ip6 tunnel CoA -> HA carries the payload; ESP in transport mode on its outer flow
// (proto 41) is, on the wire, ESP tunnel mode with the care-of address as endpoint. Home
// agent HA, payload reqid R; once, while any care-of address is accepted:
//   ip xfrm state add src :: dst HA proto esp spi SPI_OUT reqid R mode transport aead NAME KEY ICV
//   ip xfrm policy update src ::/0 dst HA/128 proto 41 dir out priority P \
//       tmpl proto esp mode transport reqid R level required
// and per accepted care-of address CoA:
//   ip xfrm state add src HA dst CoA proto esp spi SPI_IN reqid R mode transport aead NAME KEY ICV
//   ip xfrm policy update src HA/128 dst CoA/128 proto 41 dir in priority P \
//       tmpl proto esp mode transport reqid R level required
// One outbound SA and one outbound policy serve every care-of address (source ::, as for
// the Binding Updates): a tunnel moved to a new care-of address sends through ESP from its
// first packet, before the home agent's BA for that address arrives (a policy per care-of
// address left that first packet in clear). The SA has a reqid of its own, since the kernel
// picks an outbound SA by destination, protocol, mode and reqid, and the signalling SA to
// the same home agent must not be taken for it.
// The inbound SA per care-of address is what a K-bit move migrates (the home agent moves
// its outbound SA HA -> CoA the same way).
import type { HoaIpsecSas, PayloadIpsecSas } from '../../config/daemon-config.js';
import type { BulView } from '../../proto/mn/index.js';
import type { XfrmPolicy } from '../../platform/xfrm/policy.js';
import type { XfrmBands, XfrmObjects } from '../common/xfrm-objects.js';
import { IP6_UNSPECIFIED, type Ip6 } from '../../inet/ip6.js';
import { ipsecReqids, replayWindowOf } from '../ha/signalling-ipsec.js';
import { PAYLOAD_PRIORITY_OFFSET, type PayloadMigration } from '../ha/payload-ipsec.js';
import { IPPROTO_ESP, XFRM_MODE_TRANSPORT } from '../../platform/xfrm/xfrm-constants.js';

const IPPROTO_IPV6 = 41;

/** The payload reqid sits at this offset in the band (the next one up if the signalling reqid is there). */
export const MN_PAYLOAD_REQID_OFFSET = 0xfe00;

/** The payload SAs' reqid: apart from the signalling reqid of the same home address. */
export function mobileNodePayloadReqid(sas: HoaIpsecSas, homeAddress: Ip6, bands: XfrmBands): number {
  const signalling = ipsecReqids({ [homeAddress]: sas }, bands).get(homeAddress)!;
  const reqid = bands.reqidBase + MN_PAYLOAD_REQID_OFFSET;
  return reqid === signalling ? reqid + 1 : reqid;
}

const esp = (sa: PayloadIpsecSas, reqid: number) => ({ proto: IPPROTO_ESP, mode: XFRM_MODE_TRANSPORT, reqid, aead: sa.aead });
const template = (reqid: number): XfrmPolicy['templates'] => [{ proto: IPPROTO_ESP, mode: XFRM_MODE_TRANSPORT, reqid }];
const outerFlow = (src: Ip6, dst: Ip6): XfrmPolicy['selector'] => ({ src, srcLen: 128, dst, dstLen: 128, proto: IPPROTO_IPV6 });

/** The inbound policy of one care-of address's tunnel (home agent -> care-of address, proto 41). */
export function mobileNodePayloadInboundPolicy(homeAgent: Ip6, coa: Ip6, reqid: number, bands: XfrmBands): XfrmPolicy {
  return { selector: outerFlow(homeAgent, coa), dir: 'in', priority: bands.priorityBase + PAYLOAD_PRIORITY_OFFSET, templates: template(reqid) };
}

/**
 * `mobile_node.ipsec.payload` for these care-of addresses: nothing without one; else the
 * outbound SA and policy (any source), and per care-of address its inbound SA and policy.
 * No anti-replay window, as at the home agent (manual keys restart their sequence numbers
 * at either end).
 */
export function mobileNodePayloadXfrm(sa: PayloadIpsecSas, homeAgent: Ip6, coas: readonly Ip6[], reqid: number, bands: XfrmBands): XfrmObjects {
  const out: XfrmObjects = { states: [], policies: [] };
  if (coas.length === 0) return out;
  out.states.push({ ...esp(sa, reqid), src: IP6_UNSPECIFIED, dst: homeAgent, spi: sa.spiOut });
  out.policies.push({
    selector: { src: IP6_UNSPECIFIED, srcLen: 0, dst: homeAgent, dstLen: 128, proto: IPPROTO_IPV6 },
    dir: 'out',
    priority: bands.priorityBase + PAYLOAD_PRIORITY_OFFSET,
    templates: template(reqid),
  });
  for (const coa of coas) {
    out.states.push({ ...esp(sa, reqid), src: homeAgent, dst: coa, spi: sa.spiIn, ...replayWindowOf(sa) });
    out.policies.push(mobileNodePayloadInboundPolicy(homeAgent, coa, reqid, bands));
  }
  return out;
}

/** One home binding's care-of address change (keyed by interface; BID for the logs). */
export interface MnCoaMove {
  iface: string;
  bid: number | null;
  from: Ip6;
  to: Ip6;
}

export interface MnPayloadPlan {
  /** Interface -> the care-of address whose payload objects stay installed for it. */
  current: Map<string, Ip6>;
  /** The care-of addresses to protect, each once. */
  coas: Ip6[];
  moves: MnCoaMove[];
}

/**
 * From the Binding Update List's home bindings and the care-of addresses the home agent
 * accepted (and the interface still holds): which care-of addresses get payload objects.
 * A binding waiting for the BA of its new care-of address keeps its old one (`previous`),
 * so that the BA can still move its SA; once accepted at a new address, that is a move,
 * unless the old address is still used by another binding or the new one already was.
 */
export function planMobileNodePayload(previous: ReadonlyMap<string, Ip6>, bul: readonly BulView[], accepted: readonly Ip6[]): MnPayloadPlan {
  const current = new Map<string, Ip6>();
  const candidates: MnCoaMove[] = [];
  for (const e of bul) {
    if (e.role !== 'ha' || e.homeBinding || e.iface === null) continue;
    const before = previous.get(e.iface);
    if (e.state === 'registered' && e.careOf !== null && accepted.includes(e.careOf)) {
      current.set(e.iface, e.careOf);
      if (before !== undefined && before !== e.careOf) candidates.push({ iface: e.iface, bid: e.bid, from: before, to: e.careOf });
    } else if (e.state === 'pending' && before !== undefined) {
      current.set(e.iface, before);
    }
  }
  const now = new Set(current.values());
  const was = new Set(previous.values());
  const moves: MnCoaMove[] = [];
  for (const m of candidates) {
    if (now.has(m.from) || was.has(m.to)) continue;
    if (moves.some((x) => x.from === m.from || x.to === m.to)) continue;
    moves.push(m);
  }
  return { current, coas: [...now], moves };
}

/**
 * XFRM_MSG_MIGRATE for one move: through the old inbound policy (which must still exist),
 * the inbound SA from (HA, old) to (HA, new), keeping SPI, keys and counters.
 */
export function mobileNodePayloadMigration(homeAgent: Ip6, move: MnCoaMove, reqid: number, bands: XfrmBands): PayloadMigration {
  const old = mobileNodePayloadInboundPolicy(homeAgent, move.from, reqid, bands);
  return {
    policy: { selector: old.selector, dir: old.dir },
    entry: { oldSrc: homeAgent, oldDst: move.from, newSrc: homeAgent, newDst: move.to, proto: IPPROTO_ESP, mode: XFRM_MODE_TRANSPORT, reqid },
  };
}

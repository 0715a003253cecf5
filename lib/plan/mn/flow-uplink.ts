// RFC 6089 uplink steering on the mobile node (pure): its own packets that match a
// configured flow leave through the tunnel of the care-of address the flow is bound to.
// Routes spread the node's traffic over its tunnels (routes.ts); on every other tunnel's
// egress a flower filter per match of the flow redirects the packet to the bound tunnel
// (`mirred egress redirect`), where it is encapsulated from that care-of address.
// Selectors are written as seen on packets to the home address (mobile_node.flows), so the
// uplink match is the mirror: the correspondent is the destination, ports swap.
import type { Ip6 } from '../../inet/ip6.js';
import type { MnFlow } from '../../proto/mn/flows.js';
import { flowPrio, selectorMatches, type FlowMatch } from '../ha/flow-steering.js';
import { mnTunnelKey } from './routes.js';

/** A care-of address with a tunnel, with its interface and BID. */
export interface UplinkPath {
  iface: string;
  bid: number | null;
  coa: Ip6;
}

export interface UplinkPlan {
  homeAddress: Ip6;
  homeAgent: Ip6;
  flows: readonly MnFlow[];
  /** The care-of addresses the node has tunnels for. */
  paths: readonly UplinkPath[];
  /** `mobile_node.interfaces`: where a flow whose own interface is gone goes instead. */
  preferred: readonly string[];
}

/** `tc filter add dev TUN egress prio P handle FID<<8|I protocol ipv6 flower MATCH action mirred egress redirect dev TARGET`. */
export interface UplinkFilterWant {
  /** Tunnel key of the device whose egress holds it. */
  device: string;
  /** Tunnel key of the device the flow is bound to. */
  target: string;
  fid: number;
  index: number;
  prio: number;
  match: FlowMatch;
}

export const uplinkFilterKey = (device: string, fid: number, index: number): string => `${device}|${fid}|${index}`;

/** The mirror of a downlink match: the correspondent as destination, ports swapped. */
function mirror(m: FlowMatch): FlowMatch {
  const out: FlowMatch = {};
  if (m.ipProto !== undefined) out.ipProto = m.ipProto;
  if (m.src) out.dst = m.src;
  if (m.dstPort) out.srcPort = m.dstPort;
  if (m.srcPort) out.dstPort = m.srcPort;
  if (m.tos) out.tos = m.tos;
  return out;
}

/** The path a flow is bound to, as the registrations bind it (proto/mn/flows.ts): its own, else the first preferred one with a tunnel. */
function pathOf(f: MnFlow, p: UplinkPlan): UplinkPath | undefined {
  if (f.target.kind === 'discard') return undefined; // discard is the home agent's (downlink)
  const t = f.target;
  const own = t.kind === 'bid' ? p.paths.find((x) => x.bid === t.bid) : p.paths.find((x) => x.iface === t.name);
  if (own) return own;
  for (const i of p.preferred) {
    const x = p.paths.find((y) => y.iface === i);
    if (x) return x;
  }
  return [...p.paths].sort((a, b) => (a.bid ?? 0) - (b.bid ?? 0))[0];
}

/** Filters for every tunnel but the bound one, per flow and match; none with one tunnel. Flows flower cannot express are left out (as at the home agent). */
export function uplinkWants(p: UplinkPlan): Map<string, UplinkFilterWant> {
  const out = new Map<string, UplinkFilterWant>();
  if (p.paths.length < 2) return out;
  for (const f of p.flows) {
    const bound = pathOf(f, p);
    if (!bound) continue;
    const m = selectorMatches(f.selector, p.homeAddress);
    if (!m.ok) continue;
    const target = mnTunnelKey(bound.coa, p.homeAgent);
    for (const other of p.paths) {
      if (other.coa === bound.coa) continue;
      const device = mnTunnelKey(other.coa, p.homeAgent);
      m.matches.forEach((match, i) => out.set(uplinkFilterKey(device, f.fid, i + 1), { device, target, fid: f.fid, index: i + 1, prio: flowPrio(f.priority), match: mirror(match) }));
    }
  }
  return out;
}

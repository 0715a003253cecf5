// ESP protection of the payload a home agent tunnels to and from a mobile node's care-of
// addresses (MCoA §8.3.2, RFC 4877 §4.2): pure, from configuration and the home address's
// tunnels to XFRM objects, and from a BU's care-of address moves to XFRM_MSG_MIGRATE steps.
//
// The home agent already sends a binding's traffic through an ip6ip6 tunnel HA -> CoA, one
// per care-of address. ip6tnl looks the OUTER flow up in XFRM (proto 41, HA -> CoA) and its
// receive path checks the inbound policy on the outer header, so ESP in transport mode on
// the outer flow gives on the wire: IPv6 (HA <-> CoA) | ESP | inner IPv6, the bytes of ESP
// tunnel mode with the care-of address as the tunnel endpoint. Per home address HOA with
// payload SAs, reqid R (the signalling reqid), home agent address HA, and per care-of
// address CoA of its tunnels:
//   ip xfrm state add src :: dst HA proto esp spi P_IN reqid R mode transport aead NAME KEY ICV
//   ip xfrm state add src HA dst CoA proto esp spi P_OUT reqid R mode transport aead NAME KEY ICV
//   ip xfrm policy update src HA/128 dst CoA/128 proto 41 dir out priority P \
//       tmpl proto esp mode transport reqid R level required
//   ip xfrm policy update src CoA/128 dst HA/128 proto 41 dir in priority P \
//       tmpl proto esp mode transport reqid R level required
// Seen in user-mode Linux 6.1 (test/kernel/ipsec-payload.test.ts): a plain ip6ip6 packet
// from a registered care-of address is dropped (XfrmInTmplMismatch); inbound ESP SAs are
// found by destination and SPI, so one inbound SA (source ::) serves every care-of address;
// XFRM_MSG_MIGRATE moves an outbound SA to a new destination keeping its SPI, keys,
// output sequence number and lifetime counters (the policy's selector stays; transport
// templates carry no addresses, so the policy for the new address is simply created).
import type { HoaIpsecSas, PayloadIpsecSas } from '../../config/daemon-config.js';
import type { CacheEvent } from '../../proto/common/outcome.js';
import type { XfrmPolicy } from '../../platform/xfrm/policy.js';
import type { XfrmMigrateEntry } from '../../platform/xfrm/report.js';
import type { XfrmState } from '../../platform/xfrm/state.js';
import type { XfrmBands, XfrmObjects } from '../common/xfrm-objects.js';
import { IP6_UNSPECIFIED, ip6Entries, type Ip6 } from '../../inet/ip6.js';
import { IPPROTO_ESP, XFRM_MODE_TRANSPORT } from '../../platform/xfrm/xfrm-constants.js';
import { replayWindowOf } from './signalling-ipsec.js';

const IPPROTO_IPV6 = 41;

/** Inside the policy band: after the signalling policies (0x10), before the Home Address option's (0x80). */
export const PAYLOAD_PRIORITY_OFFSET = 0x20;

/** One tunnel of the home address (the core's TunnelSpec: local is the home agent address). */
export interface PayloadTunnel {
  local: Ip6;
  remote: Ip6;
}

const esp = (sa: PayloadIpsecSas, reqid: number) => ({ proto: IPPROTO_ESP, mode: XFRM_MODE_TRANSPORT, reqid, aead: sa.aead });
const template = (reqid: number): XfrmPolicy['templates'] => [{ proto: IPPROTO_ESP, mode: XFRM_MODE_TRANSPORT, reqid }];

/** The outbound SA of one tunnel (home agent address -> care-of address). */
export function payloadOutboundState(local: Ip6, coa: Ip6, sa: PayloadIpsecSas, reqid: number): XfrmState {
  return { ...esp(sa, reqid), src: local, dst: coa, spi: sa.spiOut };
}

/** The outbound policy of one tunnel: its outer flow, proto 41. */
export function payloadOutboundPolicy(local: Ip6, coa: Ip6, reqid: number, bands: XfrmBands): XfrmPolicy {
  return {
    selector: { src: local, srcLen: 128, dst: coa, dstLen: 128, proto: IPPROTO_IPV6 },
    dir: 'out',
    priority: bands.priorityBase + PAYLOAD_PRIORITY_OFFSET,
    templates: template(reqid),
  };
}

/**
 * What one home address needs for its tunnels: one inbound SA (no tunnels: nothing), and
 * per tunnel an outbound SA and the two policies. No anti-replay window: manually keyed
 * SAs restart their sequence numbers with either end (RFC 4303 §3.3.3).
 */
export function payloadIpsecXfrm(ha: Ip6, tunnels: readonly PayloadTunnel[], sa: PayloadIpsecSas, reqid: number, bands: XfrmBands): XfrmObjects {
  const out: XfrmObjects = { states: [], policies: [] };
  if (tunnels.length === 0) return out;
  out.states.push({ ...esp(sa, reqid), src: IP6_UNSPECIFIED, dst: ha, spi: sa.spiIn, ...replayWindowOf(sa) });
  for (const t of tunnels) {
    out.states.push(payloadOutboundState(t.local, t.remote, sa, reqid));
    out.policies.push(payloadOutboundPolicy(t.local, t.remote, reqid, bands), {
      selector: { src: t.remote, srcLen: 128, dst: t.local, dstLen: 128, proto: IPPROTO_IPV6 },
      dir: 'in',
      priority: bands.priorityBase + PAYLOAD_PRIORITY_OFFSET,
      templates: template(reqid),
    });
  }
  return out;
}

/**
 * Home addresses whose payload spi_in another home address also uses for an inbound SA
 * (signalling or payload): both would have destination HA and the same SPI. The loader
 * checks signalling SPIs only; these home addresses get no payload SAs.
 */
export function payloadSpiClashes(sas: Readonly<Record<Ip6, HoaIpsecSas>>): Map<Ip6, Ip6> {
  const users = new Map<number, Ip6[]>();
  const use = (spi: number, hoa: Ip6): void => {
    const u = users.get(spi) ?? [];
    if (!u.includes(hoa)) u.push(hoa);
    users.set(spi, u);
  };
  for (const [hoa, sa] of ip6Entries(sas)) use(sa.spiIn, hoa);
  for (const [hoa, sa] of ip6Entries(sas)) if (sa.payload) use(sa.payload.spiIn, hoa);
  const out = new Map<Ip6, Ip6>();
  for (const [hoa, sa] of ip6Entries(sas)) {
    const other = sa.payload && users.get(sa.payload.spiIn)?.find((h) => h !== hoa);
    if (other !== undefined) out.set(hoa, other);
  }
  return out;
}

/** A binding whose care-of address changed (BID, old and new address). */
export interface CoaMove {
  hoa: Ip6;
  bid: number;
  from: Ip6;
  to: Ip6;
}

/** The events that moved a binding to another care-of address. */
export function careOfChanges(events: readonly CacheEvent[]): Extract<CacheEvent, { type: 'updated' }>[] {
  return events.filter((e): e is Extract<CacheEvent, { type: 'updated' }> => e.type === 'updated' && e.previous.coa !== e.binding.coa);
}

/**
 * The care-of address changes of `events` whose outbound SA can move: the old address is
 * no longer a tunnel of the home address, and the new one was not one before (so no SA is
 * taken from a binding that still uses it, and none is made twice).
 */
export function payloadMoves(events: readonly CacheEvent[], before: ReadonlySet<Ip6>, after: ReadonlySet<Ip6>): CoaMove[] {
  const out: CoaMove[] = [];
  for (const e of careOfChanges(events)) {
    const from = e.previous.coa;
    const to = e.binding.coa;
    if (!before.has(from) || after.has(from) || !after.has(to) || before.has(to)) continue;
    if (out.some((m) => m.from === from || m.to === to)) continue;
    out.push({ hoa: e.binding.hoa, bid: e.binding.bid, from, to });
  }
  return out;
}

/** XFRM_MSG_MIGRATE for one move: the old outbound policy, and its SA from (HA, old) to (HA, new). */
export interface PayloadMigration {
  policy: Pick<XfrmPolicy, 'selector' | 'dir'>;
  entry: XfrmMigrateEntry;
}

export function payloadMigration(local: Ip6, move: CoaMove, reqid: number, bands: XfrmBands): PayloadMigration {
  const old = payloadOutboundPolicy(local, move.from, reqid, bands);
  return {
    policy: { selector: old.selector, dir: old.dir },
    entry: { oldSrc: local, oldDst: move.from, newSrc: local, newDst: move.to, proto: IPPROTO_ESP, mode: XFRM_MODE_TRANSPORT, reqid },
  };
}

// Starting return routability toward a correspondent (RFC 6275 §5.2.5, draft-04 §5.2):
// one HoTI per home address through the home agent (or from the home link), and a CoTI
// per care-of address carrying the BID sub-option without flags.
import type { Ip6Bytes } from '../../wire/types.js';
import { careOfTestInit, homeTestInit } from './compose.js';
import { haPeer, homeIfaces } from './registration-plan.js';
import { CorrespondentRr } from './rr-state.js';
import { addrKey, entriesOf, log, type MnState, type PeerState } from './state.js';
import type { SendAction } from './types.js';

/** Where a Binding Update (or CoTI) leaves from. */
export interface Source {
  iface: string;
  address: Ip6Bytes;
  /** Sent from a care-of address: the packet carries a Home Address option. */
  hao: boolean;
}

export function rrOf(st: MnState, peer: PeerState): CorrespondentRr {
  let rr = st.rr.get(peer.key);
  if (!rr) {
    rr = new CorrespondentRr();
    st.rr.set(peer.key, rr);
  }
  return rr;
}

/**
 * HoTI goes through the home agent's tunnel, or straight from the home link when the
 * mobile node is at home with no home binding; without either it cannot go yet.
 */
function homeTestPath(st: MnState): { iface: string | null; reverseTunnel: boolean } | null {
  const ha = haPeer(st);
  const haEntries = entriesOf(st, ha.key);
  const home = homeIfaces(st)[0];
  if (home && haEntries.length === 0) return { iface: home.name, reverseTunnel: false };
  if (haEntries.some((e) => e.registered && e.want === 'register')) return { iface: null, reverseTunnel: true };
  return null;
}

/** Sends the HoTI and/or CoTI a Binding Update from `src` still needs (once each). */
export function startReturnRoutability(st: MnState, peer: PeerState, rr: CorrespondentRr, src: Source, needCareOf: boolean, nowMs: number): void {
  const hoa = st.cfg.homeAddress;
  if (!rr.homeToken(nowMs) && !rr.homeInFlight()) {
    const path = homeTestPath(st);
    if (path) {
      const cookie = st.deps.randomBytes(8);
      const action: SendAction = { kind: 'send', message: homeTestInit(cookie), destination: peer.address, source: hoa, iface: path.iface, homeAddressOption: false, reverseTunnel: path.reverseTunnel, authorization: null };
      rr.startHome(action, cookie, nowMs);
      st.actions.push(action);
      log(st, 'debug', 'homeTestInit', { peer: peer.key });
    }
  }
  const coaKey = addrKey(src.address);
  if (needCareOf && !rr.careOfToken(coaKey, nowMs) && !rr.careOfInFlight(coaKey)) {
    const cookie = st.deps.randomBytes(8);
    const bid = peer.useBids ? (st.bids.peek(src.iface) ?? null) : null;
    const action: SendAction = { kind: 'send', message: careOfTestInit(cookie, bid), destination: peer.address, source: src.address, iface: src.iface, homeAddressOption: false, reverseTunnel: false, authorization: null };
    rr.startCareOf(coaKey, action, cookie, bid !== null, nowMs);
    st.actions.push(action);
    log(st, 'debug', 'careOfTestInit', { peer: peer.key, coa: coaKey, bid });
  }
}

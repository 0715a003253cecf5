// Binding Refresh Requests, Binding Errors and the HoT/CoT answers of return routability.
import { BindingErrorStatus, type BidOption, type BindingError, type BindingRefreshRequest, type CareOfTest, type HomeTest, type Ip6Bytes } from '../../wire/types.js';
import { stopBids } from './ba-handling.js';
import { addrKey, entriesOf, entryKey, log, markDirty, type MnState } from './state.js';

/**
 * §5.7: a BRR naming a BID refreshes only that binding (its BU carries the BID
 * sub-option, as every BU for a BID entry does); without one, every binding in the list.
 */
export function onBindingRefreshRequest(st: MnState, from: Ip6Bytes, brr: BindingRefreshRequest, nowMs: number): void {
  const peer = st.peers.get(addrKey(from));
  if (!peer) {
    log(st, 'info', 'refreshRequestFromUnknownPeer', { from: addrKey(from) });
    return;
  }
  const bid = brr.options.find((o): o is BidOption => o.kind === 'bid');
  const targets = bid
    ? [st.bul.get(entryKey(peer.key, bid.bid))].filter((e) => e !== undefined)
    : entriesOf(st, peer.key);
  let refreshed = 0;
  for (const e of targets) {
    if (e.want !== 'register' || e.failedStatus !== null || e.dirty) continue;
    markDirty(st, e, 'refresh', nowMs);
    refreshed++;
  }
  log(st, 'info', 'refreshRequested', { peer: peer.key, bid: bid?.bid ?? null, refreshed });
}

/** RFC 6275 §11.3.6: status 2 means the peer does not do Mobile IPv6; 1 that it lost our binding. */
export function onBindingError(st: MnState, from: Ip6Bytes, be: BindingError, nowMs: number): void {
  const peer = st.peers.get(addrKey(from));
  if (!peer) return;
  if (be.status === BindingErrorStatus.UNRECOGNIZED_MH_TYPE && peer.role === 'cn') {
    peer.unsupported = true;
    log(st, 'warn', 'correspondentWithoutMobility', { peer: peer.key });
  } else if (be.status === BindingErrorStatus.UNKNOWN_BINDING_FOR_HAO) {
    for (const e of entriesOf(st, peer.key)) {
      if (e.want !== 'register' || e.dirty) continue;
      e.registered = false;
      markDirty(st, e, 'retry', nowMs);
    }
    log(st, 'info', 'bindingUnknownAtPeer', { peer: peer.key });
  }
}

export function onHomeTest(st: MnState, from: Ip6Bytes, hot: HomeTest, nowMs: number): void {
  const rr = st.rr.get(addrKey(from));
  if (!rr || !rr.acceptHomeTest(hot, nowMs)) {
    log(st, 'debug', 'homeTestUnmatched', { from: addrKey(from) });
  }
}

/**
 * §5.2: a CoT without the BID sub-option our CoTI carried means the correspondent does
 * not do MCoA: no BIDs towards it from now on, but its token still serves a regular BU.
 * A non-zero status in the sub-option (MCOA INCOMPLIANT) means no token was computed.
 */
export function onCareOfTest(st: MnState, from: Ip6Bytes, cot: CareOfTest, nowMs: number): void {
  const key = addrKey(from);
  const peer = st.peers.get(key);
  const rr = st.rr.get(key);
  const match = rr?.acceptCareOfTest(cot, nowMs);
  if (!peer || !rr || !match) {
    log(st, 'debug', 'careOfTestUnmatched', { from: key });
    return;
  }
  const bid = cot.options.find((o): o is BidOption => o.kind === 'bid');
  if (match.bidSent && !bid) stopBids(st, peer, '§5.2 CoT without BID sub-option');
  if (bid && bid.status !== 0) {
    rr.dropCareOf(match.coaKey);
    stopBids(st, peer, `§5.2 CoT with BID status ${bid.status}`);
  }
}

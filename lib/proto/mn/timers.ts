// The one timer of the core: what a tick does (retransmissions, refreshes, expiries,
// HoTI/CoTI retransmissions) and when the next tick is due.
import type { Ip6 } from '../../inet/ip6.js';
import { MAX_BINDACK_TIMEOUT_MS } from './timing.js';
import { finishDeregistration } from './ba-handling.js';
import { addrKey, entriesOf, log, markDirty, type MnState } from './state.js';

export function onTick(st: MnState, nowMs: number): void {
  for (const e of [...st.bul.values()]) {
    const peer = st.peers.get(e.peerKey);
    if (!peer) continue;
    if (e.retransmitAtMs !== null && nowMs >= e.retransmitAtMs) {
      const timeout = e.retransmitAtMs - (e.sentAtMs ?? e.retransmitAtMs);
      e.retransmitAtMs = null;
      // A de-registration is given up once it went unanswered at the longest timeout,
      // or when the binding it removes has expired at the peer anyway.
      const expired = e.expiresAtMs !== null && nowMs >= e.expiresAtMs;
      if (e.want === 'deregister' && (timeout >= MAX_BINDACK_TIMEOUT_MS || expired)) {
        log(st, 'warn', 'deregistrationAbandoned', { peer: peer.key, bid: e.bid });
        finishDeregistration(st, peer, e);
        continue;
      }
      markDirty(st, e, 'retransmit', nowMs);
      log(st, 'debug', 'retransmit', { peer: peer.key, bid: e.bid, timeoutMs: e.backoffMs });
    }
    if (e.want === 'deregister' && e.expiresAtMs !== null && nowMs >= e.expiresAtMs && !e.flushAll) {
      finishDeregistration(st, peer, e);
      continue;
    }
    if (e.want !== 'register' || !e.registered) continue;
    if (e.expiresAtMs !== null && nowMs >= e.expiresAtMs) {
      e.registered = false;
      e.expiresAtMs = null;
      e.refreshAtMs = null;
      log(st, 'warn', 'bindingExpired', { peer: peer.key, bid: e.bid });
      if (!e.dirty) markDirty(st, e, 'refresh', nowMs);
    } else if (e.refreshAtMs !== null && nowMs >= e.refreshAtMs) {
      e.refreshAtMs = null;
      if (!e.dirty && e.retransmitAtMs === null) markDirty(st, e, 'refresh', nowMs);
    }
  }
  retransmitTestInits(st, nowMs);
}

/** HoTI/CoTI retransmissions, only while a Binding Update to that peer still waits for them. */
function retransmitTestInits(st: MnState, nowMs: number): void {
  const coas = new Set<Ip6>();
  for (const i of st.ifaces.values()) if (i.coa && !i.atHome) coas.add(addrKey(i.coa));
  for (const [key, rr] of st.rr) {
    const waiting = entriesOf(st, key).some((e) => e.dirty);
    if (!waiting) {
      rr.cancelAll();
      continue;
    }
    rr.cancelCareOfExcept(coas);
    for (const action of rr.dueRetransmits(nowMs)) st.actions.push(action);
  }
}

export function nextDeadline(st: MnState, nowMs: number): number | null {
  let next: number | null = null;
  const consider = (t: number | null): void => {
    if (t !== null && t > nowMs && (next === null || t < next)) next = t;
  };
  for (const e of st.bul.values()) {
    consider(e.retransmitAtMs);
    if (e.dirty) consider(e.notBeforeMs);
    if (e.registered || e.want === 'deregister') consider(e.expiresAtMs);
    if (e.registered) consider(e.refreshAtMs);
  }
  for (const p of st.peers.values()) if (entriesOf(st, p.key).some((e) => e.dirty)) consider(p.rateFreeAtMs);
  for (const rr of st.rr.values()) consider(rr.nextDeadline());
  return next;
}

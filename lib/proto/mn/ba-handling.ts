// Receiving Binding Acknowledgements (RFC 6275 §11.7.3, draft-04 §5.6): which entries a
// BA answers, the status that applies to each (the sub-option's when non-zero, else the
// BA's), and what each status makes the mobile node do next.
import { BaStatus, type BidOption, type BindingAck, type Ip6Bytes } from '../../wire/types.js';
import { MAX_BINDACK_TIMEOUT_MS, seqNewer } from './timing.js';
import { removePeer } from './registration-plan.js';
import { verifyBindingAck } from './auth.js';
import { addrKey, entriesOf, entryKey, log, markDirty, type BulEntry, type MnState, type PeerState, type SentBu } from './state.js';

const EXPIRED_NONCES = new Set<number>([
  BaStatus.EXPIRED_HOME_NONCE_INDEX,
  BaStatus.EXPIRED_CARE_OF_NONCE_INDEX,
  BaStatus.EXPIRED_NONCES,
]);

export function onBindingAck(st: MnState, from: Ip6Bytes, ba: BindingAck, raw: Uint8Array | undefined, nowMs: number): void {
  const peer = st.peers.get(addrKey(from));
  if (!peer) {
    log(st, 'debug', 'bindingAckFromUnknownPeer', { from: addrKey(from), seq: ba.sequence });
    return;
  }
  // A BA-level 135 carries the peer's last accepted number, not ours (RFC 6275 §6.1.8).
  const floor = ba.status === BaStatus.SEQUENCE_OUT_OF_WINDOW ? ba.sequence : null;
  const sent = floor === null ? (peer.sent.get(ba.sequence) ?? null) : null;
  if (peer.role === 'cn' && !authentic(peer, ba, raw, sent)) {
    log(st, 'warn', 'bindingAckNotAuthentic', { peer: peer.key, seq: ba.sequence, status: ba.status });
    return;
  }
  const bidOpts = ba.options.filter((o): o is BidOption => o.kind === 'bid');
  // Only entries still waiting for this very BU: a duplicate or late BA changes nothing.
  const awaiting = (e: BulEntry | undefined): e is BulEntry => e !== undefined && e.retransmitAtMs !== null && (sent === null || e.sentSeq === sent.seq);
  const pairs: { e: BulEntry; status: number }[] = [];
  if (bidOpts.length > 0) {
    for (const o of bidOpts) {
      const e = st.bul.get(entryKey(peer.key, o.bid));
      if (e) pairs.push({ e, status: o.status !== 0 ? o.status : ba.status });
    }
    for (const key of sent?.entryKeys ?? []) {
      const e = st.bul.get(key);
      if (e && !pairs.some((p) => p.e === e)) pairs.push({ e, status: ba.status });
    }
  } else if (sent && sent.mcoa && ba.status < 128) {
    // §5.6: an MCoA BU accepted without BID sub-options in the answer: the peer ignored
    // them. (A rejection may come before the peer looked at the options, so it proves nothing.)
    const waiting = sent.entryKeys.map((k) => st.bul.get(k)).filter(awaiting);
    if (waiting.length === 0) return;
    stopBids(st, peer, '§5.6 BA without BID sub-option');
    for (const e of waiting) {
      e.retransmitAtMs = null;
      e.unansweredSends = 0;
    }
    return;
  } else if (sent) {
    for (const key of sent.entryKeys) {
      const e = st.bul.get(key);
      if (e) pairs.push({ e, status: ba.status });
    }
  } else if (ba.status === BaStatus.SEQUENCE_OUT_OF_WINDOW) {
    for (const e of entriesOf(st, peer.key)) if (e.retransmitAtMs !== null) pairs.push({ e, status: ba.status });
  }
  if (pairs.length === 0) {
    log(st, 'debug', 'bindingAckUnmatched', { peer: peer.key, seq: ba.sequence, status: ba.status });
    return;
  }
  for (const { e, status } of pairs) {
    // A BA-level 135 names the peer's last accepted number, so it cannot be matched by
    // sequence number; any other BA must answer our BU.
    if (!awaiting(e) || (floor === null && sent === null)) continue;
    applyStatus(st, peer, e, status, ba, sent, floor, nowMs);
  }
}

function authentic(peer: PeerState, ba: BindingAck, raw: Uint8Array | undefined, sent: SentBu | null): boolean {
  const hasBad = ba.options.some((o) => o.kind === 'bindingAuthData');
  // RFC 6275 §9.5.4: a BA for expired nonces cannot carry a valid authenticator.
  if (!hasBad) return EXPIRED_NONCES.has(ba.status);
  if (!raw) return false;
  const candidates = sent ? [sent] : [...peer.sent.values()];
  return candidates.some((c) => c.auth !== null && verifyBindingAck(raw, c.auth));
}

export function stopBids(st: MnState, peer: PeerState, reason: string): void {
  if (!peer.useBids) return;
  peer.useBids = false;
  peer.useBulk = false;
  log(st, 'warn', 'multipleCoaStopped', { peer: peer.key, reason });
}

/** The entry is done with: a finished or abandoned de-registration. */
export function finishDeregistration(st: MnState, peer: PeerState, e: BulEntry): void {
  st.bul.delete(e.key);
  if (e.flushAll) {
    peer.flushNeeded = false;
    peer.hasAcceptedBinding = false;
  }
  if (peer.removing && entriesOf(st, peer.key).length === 0) removePeer(st, peer);
}

function applyStatus(
  st: MnState,
  peer: PeerState,
  e: BulEntry,
  status: number,
  ba: BindingAck,
  sent: SentBu | null,
  floor: number | null,
  nowMs: number,
): void {
  const s = st.cfg.status;
  const fields = { peer: peer.key, bid: e.bid, status, seq: ba.sequence };
  e.retransmitAtMs = null;
  e.unansweredSends = 0;
  if (status === BaStatus.SEQUENCE_OUT_OF_WINDOW) {
    // §5.9 / RFC 6275 §11.7.3: retry above the last accepted number the BA carries.
    // (A 135 in one sub-option of a BA answering our BU carries no number: just resend.)
    if (floor !== null) {
      e.seqFloor = floor;
      if (seqNewer(floor, peer.lastSeq)) peer.lastSeq = floor;
    }
    log(st, 'info', 'sequenceOutOfWindow', fields);
    markDirty(st, e, 'retry', nowMs);
    return;
  }
  if (e.want === 'deregister') {
    log(st, 'info', e.flushAll ? 'allBindingsDeregistered' : 'bindingDeregistered', fields);
    finishDeregistration(st, peer, e);
    return;
  }
  if (status < 128) {
    accepted(st, peer, e, ba, sent, nowMs);
    if (status === BaStatus.ACCEPTED_PREFIX_DISCOVERY) log(st, 'info', 'prefixDiscoveryNecessary', fields);
    return;
  }
  if (status === s.prohibited) {
    stopBids(st, peer, '§5.6 MCOA PROHIBITED');
  } else if (status === s.bulkNotSupported) {
    peer.useBulk = false;
    log(st, 'warn', 'bulkRegistrationStopped', fields);
    markDirty(st, e, 'retry', nowMs);
  } else if (status === s.flagConflicts) {
    // Our sub-options always share flags; if the peer still sees a conflict, send one per BU.
    peer.useBulk = false;
    log(st, 'warn', 'flagConflicts', fields);
    markDirty(st, e, 'retry', nowMs);
  } else if (status === s.bidConflict) {
    if (st.cfg.bidConflict === 'stop-bids') stopBids(st, peer, '§5.6 MCOA BID CONFLICT');
    else {
      if (peer.role === 'ha') peer.overwriteNeeded = true;
      else peer.flushNeeded = true;
      log(st, 'info', 'bidConflictOverwrite', fields);
      markDirty(st, e, 'retry', nowMs);
    }
  } else if (EXPIRED_NONCES.has(status) && peer.role === 'cn') {
    const rr = st.rr.get(peer.key);
    if (status !== BaStatus.EXPIRED_CARE_OF_NONCE_INDEX) rr?.dropHome();
    if (status !== BaStatus.EXPIRED_HOME_NONCE_INDEX) rr?.dropCareOf(sent?.auth ? addrKey(sent.auth.careOfAddress) : undefined);
    log(st, 'info', 'nonceExpired', fields);
    markDirty(st, e, 'retry', nowMs);
  } else if (status === BaStatus.REASON_UNSPECIFIED || status === BaStatus.INSUFFICIENT_RESOURCES) {
    // Transient: try again when the current timeout would have run out.
    e.retransmitAtMs = nowMs + Math.min(e.backoffMs, MAX_BINDACK_TIMEOUT_MS);
    log(st, 'warn', 'registrationDeferred', fields);
  } else {
    fail(st, peer, e, status, sent);
  }
}

function fail(st: MnState, peer: PeerState, e: BulEntry, status: number, sent: SentBu | null): void {
  e.failedStatus = status;
  e.dirty = false;
  if (sent?.overwrite) peer.overwriteNeeded = false;
  const event = status === BaStatus.DAD_FAILED ? 'duplicateHomeAddress' : 'registrationFailed';
  log(st, 'error', event, { peer: peer.key, bid: e.bid, status });
}

function accepted(st: MnState, peer: PeerState, e: BulEntry, ba: BindingAck, sent: SentBu | null, nowMs: number): void {
  e.failedStatus = null;
  e.seqFloor = null;
  if (peer.role === 'ha') peer.hasAcceptedBinding = true;
  if (sent?.overwrite) peer.overwriteNeeded = false;
  if (peer.role === 'cn' && e.bid === null) peer.flushNeeded = false;
  const granted = ba.lifetimeSeconds;
  if (granted === 0) {
    e.registered = false;
    e.expiresAtMs = null;
    e.refreshAtMs = null;
    e.retransmitAtMs = nowMs + e.backoffMs;
    log(st, 'warn', 'zeroLifetimeGranted', { peer: peer.key, bid: e.bid });
    return;
  }
  // Lifetimes count from when the BU was sent (RFC 6275 §11.7.3).
  const base = e.sentAtMs ?? nowMs;
  let refreshIn = granted * 1000 * st.cfg.refreshFraction;
  for (const o of ba.options) {
    if (o.kind === 'bindingRefreshAdvice' && o.intervalSeconds > 0) refreshIn = Math.min(refreshIn, o.intervalSeconds * 1000);
  }
  e.registered = true;
  e.grantedLifetimeS = granted;
  e.expiresAtMs = base + granted * 1000;
  e.refreshAtMs = base + refreshIn;
  log(st, 'info', 'bindingRegistered', { peer: peer.key, bid: e.bid, lifetime: granted, seq: ba.sequence });
}

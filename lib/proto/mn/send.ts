// The send stage: turns dirty Binding Update List entries into Binding Updates, grouping
// them for bulk registration to the home agent (§5.4), choosing source and sequence
// number, running return routability first for correspondents (§5.2) and respecting
// MAX_UPDATE_RATE. Entries that cannot go yet stay dirty.
import { ip6Equal } from '../../inet/ip6.js';
import type { BidOption, Ip6Bytes } from '../../wire/types.js';
import { bindingManagementKey } from '../common/rr-crypto.js';
import { bidSubOption, correspondentBindingUpdate, homeBindingUpdate } from './compose.js';
import { flowOptions } from './flows.js';
import { MAX_BINDACK_TIMEOUT_MS, MAX_UPDATE_RATE, seqAdd, seqNewer, UPDATE_RATE_WINDOW_MS } from './timing.js';
import { foreignIfaces, homeIfaces } from './registration-plan.js';
import { rrOf, startReturnRoutability, type Source } from './return-routability.js';
import { addrKey, entriesOf, markDirty, type BulEntry, type MnState, type PeerState } from './state.js';
import type { BindingAuthorization, SendAction } from './types.js';

const SENT_HISTORY = 64;

function ready(e: BulEntry, nowMs: number): boolean {
  return e.dirty && e.failedStatus === null && e.notBeforeMs <= nowMs;
}

export function sendDue(st: MnState, nowMs: number): void {
  for (const peer of [...st.peers.values()]) {
    for (const group of groupsFor(st, peer, nowMs)) {
      if (!sendGroup(st, peer, group, nowMs)) break;
    }
  }
}

/** The Binding Updates to send to `peer` now, as groups of entries sharing one BU. */
function groupsFor(st: MnState, peer: PeerState, nowMs: number): BulEntry[][] {
  const entries = entriesOf(st, peer.key);
  // A flush (regular de-registration) goes alone and holds everything else back.
  const flush = entries.find((e) => e.flushAll);
  if (flush) return ready(flush, nowMs) ? [[flush]] : [];
  const due = entries.filter((e) => ready(e, nowMs));
  if (due.length === 0) return [];
  const regs = due.filter((e) => e.want === 'register');
  const deregs = due.filter((e) => e.want === 'deregister');
  const overwrite = peer.role === 'ha' && peer.useBids && peer.overwriteNeeded && regs.length > 0;
  if (overwrite) {
    // The O flag replaces every binding at the home agent: pending de-registrations are
    // moot, and only one BU may carry it; the rest wait until it is accepted.
    for (const e of deregs) st.bul.delete(e.key);
    const inFlight = entries.some((e) => e.retransmitAtMs !== null && peer.sent.get(e.sentSeq ?? -1)?.overwrite);
    if (inFlight) return [];
    const all = entries.filter((e) => e.want === 'register' && e.failedStatus === null);
    const groups = peer.useBulk ? bulkGroups(st, peer, all).sort((a, b) => Number(a[0]!.homeBinding) - Number(b[0]!.homeBinding)) : all.map((e) => [e]);
    const first = groups[0]!;
    // Whatever the O-flag BU does not name is gone at the home agent: register it again after.
    for (const e of all) if (!first.includes(e) && !e.dirty) markDirty(st, e, 'retry', nowMs);
    return [first];
  }
  if (peer.role === 'ha' && peer.useBids && peer.useBulk) {
    // Once one entry is due, the other dirty ones (still coalescing) ride along. A home
    // binding (H) never shares a BU with foreign ones: all sub-options of one BU carry the
    // same flags (§5.4), which rules out §5.5's "in the same message".
    const pick = (want: BulEntry['want'], due: BulEntry[]): BulEntry[] =>
      due.length === 0 ? [] : entries.filter((e) => e.want === want && e.failedStatus === null && e.dirty);
    return [...bulkGroups(st, peer, pick('register', regs)), ...bulkGroups(st, peer, pick('deregister', deregs))];
  }
  return due.map((e) => [e]);
}

/**
 * Bulk groups: same flags per BU, at most maxBulkBindings each, and an entry whose
 * sequence number would be out of window at the peer goes alone (§5.4).
 */
function bulkGroups(st: MnState, peer: PeerState, list: BulEntry[]): BulEntry[][] {
  const next = seqAdd(peer.lastSeq, 1);
  const singles = list.filter((e) => e.seqFloor !== null && !seqNewer(next, e.seqFloor));
  const bySig = new Map<string, BulEntry[]>();
  for (const e of list) {
    if (singles.includes(e)) continue;
    const sig = `${e.want}/${e.homeBinding}`;
    bySig.set(sig, [...(bySig.get(sig) ?? []), e]);
  }
  const out: BulEntry[][] = [];
  for (const g of bySig.values()) {
    for (let i = 0; i < g.length; i += st.cfg.maxBulkBindings) out.push(g.slice(i, i + st.cfg.maxBulkBindings));
  }
  return [...out, ...singles.map((e) => [e])];
}

/** Sequence number for the group: the peer's next, or the peer's last accepted + 1 (§5.9). */
function chooseSeq(peer: PeerState, group: BulEntry[]): number {
  const next = seqAdd(peer.lastSeq, 1);
  for (const e of group) if (e.seqFloor !== null && !seqNewer(next, e.seqFloor)) return seqAdd(e.seqFloor, 1);
  return next;
}

function selectSource(st: MnState, group: BulEntry[]): Source | null {
  const home = homeIfaces(st)[0];
  const primary = foreignIfaces(st)[0];
  const fromHome: Source | null = home ? { iface: home.name, address: st.cfg.homeAddress, hao: false } : null;
  const fromPrimary: Source | null = primary ? { iface: primary.name, address: primary.coa, hao: true } : null;
  const e = group[0]!;
  if (e.flushAll) return fromHome ?? fromPrimary;
  if (group.length > 1) return fromPrimary ?? fromHome;
  if (e.want === 'register' && e.iface !== null && e.coa !== null) {
    return e.homeBinding ? { iface: e.iface, address: st.cfg.homeAddress, hao: false } : { iface: e.iface, address: e.coa, hao: true };
  }
  // De-registering one BID: from its own interface while it still has a foreign address,
  // else from another interface (Figure 8).
  const own = e.iface === null ? undefined : st.ifaces.get(e.iface);
  if (own && own.coa && !own.atHome && !own.disabled) return { iface: own.name, address: own.coa, hao: true };
  return fromPrimary ?? fromHome;
}

function rateLimited(peer: PeerState, nowMs: number): boolean {
  peer.sendTimesMs = peer.sendTimesMs.filter((t) => t > nowMs - UPDATE_RATE_WINDOW_MS);
  if (peer.sendTimesMs.length < MAX_UPDATE_RATE) return false;
  peer.rateFreeAtMs = peer.sendTimesMs[0]! + UPDATE_RATE_WINDOW_MS;
  return true;
}

/**
 * RFC 6275 §11.7.1: a registration's lifetime should not exceed the remaining valid
 * lifetime of the home address (known from Mobile Prefix Discovery). Never below 1 s: 0
 * would be a de-registration; an expired home address registers for the shortest time.
 */
export function registrationLifetimeS(st: Pick<MnState, 'cfg' | 'homeAddressValidUntilMs'>, role: 'ha' | 'cn', nowMs: number): number {
  const configured = role === 'ha' ? st.cfg.homeLifetimeS : st.cfg.correspondentLifetimeS;
  if (st.homeAddressValidUntilMs === null) return configured;
  return Math.max(1, Math.min(configured, Math.floor((st.homeAddressValidUntilMs - nowMs) / 1000)));
}

/** Sends one BU for `group`; false when nothing more may go to this peer now. */
function sendGroup(st: MnState, peer: PeerState, group: BulEntry[], nowMs: number): boolean {
  if (rateLimited(peer, nowMs)) return false;
  const src = selectSource(st, group);
  if (!src) return true;
  const first = group[0]!;
  const register = first.want === 'register';
  const seq = chooseSeq(peer, group);
  let action: SendAction;
  let overwrite = false;
  let auth: BindingAuthorization | null = null;
  const lifetimeS = register ? registrationLifetimeS(st, peer.role, nowMs) : 0;
  if (peer.role === 'ha') {
    overwrite = register && peer.useBids && peer.overwriteNeeded && first.bid !== null;
    const bulk = group.length > 1;
    const subOptions: BidOption[] = [];
    for (const e of group) {
      if (e.bid === null) continue;
      // The C flag carries the care-of address in bulk, under ESP, or when the packet's
      // source is another address (§4.2.1, §5.3); de-registrations omit it (§5.5).
      const c = register && (bulk || st.cfg.esp || !ip6Equal(src.address, e.coa ?? src.address));
      subOptions.push(bidSubOption(e.bid, { c, o: overwrite, h: register && e.homeBinding }, c ? e.coa : null));
    }
    const regular = first.bid === null;
    const message = homeBindingUpdate(st.cfg, {
      seq,
      lifetimeS,
      subOptions,
      alternateCoa: regular && st.cfg.esp ? (register ? first.coa : src.address) : null,
      flowOptions: peer.useBids ? flowOptions(st.cfg.flows, bidsAfter(st, peer, group, register), (i) => st.bids.peek(i), st.cfg.preferredInterfaces) : [],
    });
    action = sendAction(message, peer.address, src, null);
  } else {
    // RFC 6275 §5.2.5/§9.5.1: a de-registration (lifetime 0, or sent from home) is
    // authorised by the home keygen token alone; the care-of nonce index is ignored.
    const rr = rrOf(st, peer);
    const home = rr.homeToken(nowMs);
    const homeOnly = !src.hao || !register;
    const careOf = homeOnly ? null : rr.careOfToken(addrKey(src.address), nowMs);
    if (!home || (!homeOnly && !careOf)) {
      startReturnRoutability(st, peer, rr, src, !homeOnly, nowMs);
      return true;
    }
    auth = { kbm: bindingManagementKey(home.token, careOf?.token ?? null), careOfAddress: src.address, correspondent: peer.address };
    const message = correspondentBindingUpdate({
      seq,
      lifetimeS,
      bid: peer.useBids && !first.flushAll ? first.bid : null,
      homeNonceIndex: home.nonceIndex,
      careOfNonceIndex: careOf?.nonceIndex ?? 0,
    });
    action = sendAction(message, peer.address, src, auth);
  }
  st.actions.push(action);
  recordSent(peer, group, seq, overwrite, auth, nowMs);
  return true;
}

/** The BIDs the home agent holds for this node once `group` is processed: RFC 6089 flows may name only these. */
function bidsAfter(st: MnState, peer: PeerState, group: readonly BulEntry[], register: boolean): Set<number> {
  const out = new Set<number>();
  for (const e of st.bul.values()) if (e.peerKey === peer.key && e.bid !== null && e.want === 'register' && (e.registered || group.includes(e))) out.add(e.bid);
  if (!register) for (const e of group) if (e.bid !== null) out.delete(e.bid);
  return out;
}

function sendAction(message: SendAction['message'], destination: Ip6Bytes, src: Source, auth: BindingAuthorization | null): SendAction {
  return { kind: 'send', message, destination, source: src.address, iface: src.iface, homeAddressOption: src.hao, reverseTunnel: false, authorization: auth };
}

function recordSent(peer: PeerState, group: BulEntry[], seq: number, overwrite: boolean, auth: BindingAuthorization | null, nowMs: number): void {
  // Normally seq is lastSeq + 1; after a 135 it is the peer's number + 1, which the next
  // BUs must follow even when our own counter had run ahead of it.
  peer.lastSeq = seq;
  peer.sendTimesMs.push(nowMs);
  peer.sent.set(seq, { seq, entryKeys: group.map((e) => e.key), mcoa: group.some((e) => e.bid !== null && !e.flushAll) && (peer.role === 'ha' || peer.useBids), overwrite, auth });
  if (peer.sent.size > SENT_HISTORY) peer.sent.delete(peer.sent.keys().next().value!);
  // Bulked entries share one timer: the longest of their current timeouts.
  const timeout = Math.max(...group.map((e) => e.backoffMs));
  for (const e of group) {
    e.dirty = false;
    e.sentSeq = seq;
    e.sentAtMs = nowMs;
    e.seqFloor = null;
    e.retransmitAtMs = nowMs + timeout;
    e.unansweredSends++;
    e.backoffMs = Math.min(timeout * 2, MAX_BINDACK_TIMEOUT_MS);
  }
}

// What should be registered where, and the Binding Update List changes that get there.
// Desired state comes from the interfaces, the home-link policy and what each peer has
// shown it supports; reconcile() compares it with the list and marks entries to send.
import { ip6Equal } from '../../inet/ip6.js';
import type { Ip6Bytes } from '../../wire/types.js';
import type { HomeLinkPolicy } from './types.js';
import {
  entriesOf,
  entryKey,
  isLive,
  log,
  markDirty,
  newEntry,
  type IfaceState,
  type MnState,
  type PeerState,
} from './state.js';

interface DesiredBinding {
  bid: number | null;
  iface: string;
  coa: Ip6Bytes;
  home: boolean;
}

type Desired =
  /** One regular de-registration removes every binding at the peer (§5.5). */
  | { kind: 'flush' }
  /** Forget the peer's entries without sending (it does not speak Mobility Headers). */
  | { kind: 'drop' }
  | { kind: 'bindings'; regular: boolean; list: DesiredBinding[] };

/** Interfaces with a care-of address on a foreign link that may be registered, best first. */
export function foreignIfaces(st: MnState): (IfaceState & { coa: Ip6Bytes })[] {
  const out: (IfaceState & { coa: Ip6Bytes })[] = [];
  for (const i of st.ifaces.values()) {
    if (i.coa && !i.atHome && !i.disabled && !i.suppressed) out.push(i as IfaceState & { coa: Ip6Bytes });
  }
  return out.sort((a, b) => rank(st, a) - rank(st, b));
}

/** Interfaces attached to the home link and in use. */
export function homeIfaces(st: MnState): IfaceState[] {
  return [...st.ifaces.values()].filter((i) => i.atHome && !i.disabled).sort((a, b) => rank(st, a) - rank(st, b));
}

/** Preference order first, then BID (the order interfaces were first seen). */
function rank(st: MnState, i: IfaceState): number {
  const pref = st.cfg.preferredInterfaces.indexOf(i.name);
  return (pref < 0 ? 0x10000 : 0) + (pref < 0 ? (st.bids.peek(i.name) ?? 0xffff) : pref);
}

export function haPeer(st: MnState): PeerState {
  const ha = [...st.peers.values()].find((p) => p.role === 'ha');
  if (!ha) throw new Error('mobile node core has no home agent peer');
  return ha;
}

/**
 * The policy that applies now: staying away from home needs a foreign interface, and
 * the H flag needs BIDs; otherwise the mobile node returns home.
 */
export function effectivePolicy(st: MnState): HomeLinkPolicy {
  const p = st.cfg.homeLinkPolicy;
  if (p === 'return-home') return p;
  if (foreignIfaces(st).length === 0) return 'return-home';
  if (p === 'h-flag' && !haPeer(st).useBids) return 'return-home';
  return p;
}

function desiredFor(st: MnState, peer: PeerState): Desired {
  if (peer.role === 'cn' && peer.unsupported) return { kind: 'drop' };
  if (st.shutdown || peer.removing) return { kind: 'flush' };
  const foreign = foreignIfaces(st);
  const home = homeIfaces(st);
  const policy = effectivePolicy(st);
  // Figure 7/9 for the home agent; a correspondent keeps the foreign bindings and is
  // flushed only once no foreign interface is left.
  if (home.length > 0 && (peer.role === 'ha' ? policy === 'return-home' : foreign.length === 0)) {
    return { kind: 'flush' };
  }
  const list: DesiredBinding[] = foreign.map((i) => ({ bid: st.bids.bidFor(i.name), iface: i.name, coa: i.coa, home: false }));
  if (peer.role === 'ha' && policy === 'h-flag') {
    for (const i of home) list.push({ bid: st.bids.bidFor(i.name), iface: i.name, coa: st.cfg.homeAddress, home: true });
  }
  const single = list.length === 1 && !list[0]!.home && !st.cfg.bidForSingleCoa;
  if (!peer.useBids || single) {
    const primary = foreign[0];
    return { kind: 'bindings', regular: true, list: primary ? [{ bid: null, iface: primary.name, coa: primary.coa, home: false }] : [] };
  }
  return { kind: 'bindings', regular: false, list: list.sort((a, b) => (a.bid ?? 0) - (b.bid ?? 0)) };
}

function createFlush(st: MnState, peer: PeerState, nowMs: number): void {
  const e = newEntry(peer.key, null, 'deregister');
  e.flushAll = true;
  st.bul.set(e.key, e);
  markDirty(st, e, 'change', nowMs);
}

export function removePeer(st: MnState, peer: PeerState): void {
  for (const e of entriesOf(st, peer.key)) st.bul.delete(e.key);
  st.peers.delete(peer.key);
  st.rr.delete(peer.key);
  st.retired.set(peer.key, { lastSeq: peer.lastSeq, sendTimesMs: peer.sendTimesMs });
  log(st, 'info', 'correspondentRemoved', { peer: peer.key });
}

function applyDesired(st: MnState, peer: PeerState, d: Desired, nowMs: number): void {
  const existing = entriesOf(st, peer.key);
  const flush = existing.find((e) => e.flushAll);
  if (d.kind === 'drop') {
    for (const e of existing) st.bul.delete(e.key);
    return;
  }
  if (d.kind === 'flush') {
    const live = existing.some((e) => !e.flushAll && isLive(e));
    for (const e of existing) if (!e.flushAll) st.bul.delete(e.key);
    if (!flush && live) createFlush(st, peer, nowMs);
    else if (!flush && peer.removing) removePeer(st, peer);
    return;
  }
  for (const e of existing) {
    if (e.flushAll) continue;
    // §6.3: a regular BU replaces every BID binding, so BID entries just go.
    if (d.regular && e.bid !== null) st.bul.delete(e.key);
    // Regular -> BIDs: the home agent gets the O flag, a correspondent a flush first (§5.9).
    if (!d.regular && e.bid === null) {
      if (isLive(e)) {
        if (peer.role === 'ha') peer.overwriteNeeded = true;
        else peer.flushNeeded = true;
      }
      st.bul.delete(e.key);
    }
  }
  if (!d.regular && peer.role === 'cn' && peer.flushNeeded && d.list.length > 0 && !flush) {
    createFlush(st, peer, nowMs);
  }
  const wanted = new Set<string>();
  for (const b of d.list) {
    const key = entryKey(peer.key, b.bid);
    wanted.add(key);
    let e = st.bul.get(key);
    if (!e) {
      e = newEntry(peer.key, b.bid, 'register');
      st.bul.set(key, e);
    } else if (e.want === 'register' && e.iface === b.iface && e.homeBinding === b.home && e.coa && ip6Equal(e.coa, b.coa)) {
      continue;
    }
    e.iface = b.iface;
    e.coa = b.coa;
    e.homeBinding = b.home;
    e.want = 'register';
    e.failedStatus = null;
    markDirty(st, e, 'change', nowMs);
  }
  for (const e of existing) {
    if (e.flushAll || wanted.has(e.key) || !st.bul.has(e.key) || e.want === 'deregister') continue;
    if (isLive(e)) {
      e.want = 'deregister';
      e.failedStatus = null;
      markDirty(st, e, 'change', nowMs);
    } else {
      st.bul.delete(e.key);
    }
  }
}

/** Interface actions the policy implies: disable home interfaces (Figure 8), or enable them again. */
function applyInterfacePolicy(st: MnState): void {
  const policy = effectivePolicy(st);
  for (const i of st.ifaces.values()) {
    if (i.atHome && !i.disabled && policy === 'disable-home-interface' && !st.shutdown) {
      i.disabled = true;
      st.actions.push({ kind: 'interface', iface: i.name, op: 'disable' });
      log(st, 'info', 'homeInterfaceDisabled', { iface: i.name, bid: st.bids.peek(i.name) ?? null });
    } else if (i.disabled && (!i.atHome || policy !== 'disable-home-interface')) {
      i.disabled = false;
      st.actions.push({ kind: 'interface', iface: i.name, op: 'enable' });
      log(st, 'info', 'homeInterfaceEnabled', { iface: i.name });
    }
  }
}

export function reconcile(st: MnState, nowMs: number): void {
  applyInterfacePolicy(st);
  for (const peer of [...st.peers.values()]) applyDesired(st, peer, desiredFor(st, peer), nowMs);
}

/**
 * The home address may be used on a home-link interface once the home agent stops
 * defending it: all bindings gone (returning home), or a home binding registered (H flag).
 */
export function updateHomeAddressUse(st: MnState): void {
  const ha = haPeer(st);
  const policy = effectivePolicy(st);
  const haEmpty = entriesOf(st, ha.key).length === 0;
  for (const i of st.ifaces.values()) {
    let usable = false;
    if (i.atHome && !i.disabled && !st.shutdown) {
      if (policy === 'return-home') usable = haEmpty;
      else if (policy === 'h-flag') {
        const e = st.bul.get(entryKey(ha.key, st.bids.peek(i.name) ?? null));
        usable = e !== undefined && e.homeBinding && e.registered && e.want === 'register';
      }
    }
    if (usable && !st.homeAddressIn.has(i.name)) {
      st.homeAddressIn.add(i.name);
      st.actions.push({ kind: 'interface', iface: i.name, op: 'useHomeAddress' });
    } else if (!usable && st.homeAddressIn.has(i.name)) {
      st.homeAddressIn.delete(i.name);
      st.actions.push({ kind: 'interface', iface: i.name, op: 'releaseHomeAddress' });
    }
  }
}

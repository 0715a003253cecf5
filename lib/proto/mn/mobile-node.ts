// The mobile node's MCoA protocol core (draft-ietf-monami6-multiplecoa-04 §5 on RFC 6275
// §11): events in, actions out. It keeps the interfaces, the BIDs, the Binding Update
// List and return-routability state; it never touches sockets, the kernel or the clock.
// Each event runs the same pipeline: apply it, reconcile desired bindings with the list,
// send what is due, then report list changes and when to tick next.
import { formatIp6, type Ip6 } from '../../inet/ip6.js';
import { BidAllocator } from './bids.js';
import { onBindingAck } from './ba-handling.js';
import { onBindingError, onBindingRefreshRequest, onCareOfTest, onHomeTest } from './inbound.js';
import { reconcile, updateHomeAddressUse } from './registration-plan.js';
import { rrOf } from './return-routability.js';
import { sendDue } from './send.js';
import { resolveConfig } from './resolved-config.js';
import { addrKey, log, newPeer, viewOf, type IfaceState, type MnState } from './state.js';
import { nextDeadline, onTick } from './timers.js';
import type { BulView, MnConfig, MnDeps, MnEvent, MnOutput, OperatorCommand } from './types.js';

export interface PeerView {
  peer: Ip6;
  role: 'ha' | 'cn';
  useBids: boolean;
  useBulk: boolean;
  lastSequence: number;
}

export class MobileNodeCore {
  private readonly st: MnState;
  private lastViews = new Map<string, string>();

  constructor(config: MnConfig, deps: MnDeps) {
    const cfg = resolveConfig(config);
    this.st = {
      cfg,
      deps,
      ifaces: new Map(),
      bids: new BidAllocator(),
      peers: new Map(),
      bul: new Map(),
      rr: new Map(),
      started: false,
      shutdown: false,
      homeAddressIn: new Set(),
      retired: new Map(),
      homeAddressValidUntilMs: null,
      actions: [],
    };
    const ha = newPeer(cfg.homeAgent, 'ha', this.st);
    this.st.peers.set(ha.key, ha);
    for (const cn of config.correspondents ?? []) this.addCorrespondent(cn);
  }

  handle(event: MnEvent, nowMs: number): MnOutput {
    return this.handleAll([event], nowMs);
  }

  /** Several events at one instant: changes in them can share one bulk Binding Update. */
  handleAll(events: MnEvent[], nowMs: number): MnOutput {
    const st = this.st;
    for (const ev of events) this.apply(ev, nowMs);
    if (st.started) {
      reconcile(st, nowMs);
      sendDue(st, nowMs);
      updateHomeAddressUse(st);
    }
    this.reportListChanges();
    const actions = st.actions;
    st.actions = [];
    return { actions, nextTickMs: st.started ? nextDeadline(st, nowMs) : null };
  }

  bindingUpdateList(): BulView[] {
    return [...this.st.bul.values()].map((e) => viewOf(this.st, e));
  }

  /** The BID assigned to an interface, if it has one. */
  bidOf(iface: string): number | undefined {
    return this.st.bids.peek(iface);
  }

  peers(): PeerView[] {
    return [...this.st.peers.values()].map((p) => ({ peer: p.key, role: p.role, useBids: p.useBids, useBulk: p.useBulk, lastSequence: p.lastSeq }));
  }

  private apply(ev: MnEvent, nowMs: number): void {
    const st = this.st;
    switch (ev.kind) {
      case 'start':
        st.started = true;
        return;
      case 'careOfAddress': {
        const i = this.iface(ev.iface);
        i.coa = ev.address;
        if (ev.address) st.bids.bidFor(ev.iface);
        log(st, 'info', ev.address ? 'careOfAddress' : 'careOfAddressGone', { iface: ev.iface, coa: ev.address ? formatIp6(ev.address) : null });
        return;
      }
      case 'homeLink': {
        const i = this.iface(ev.iface);
        i.atHome = ev.attached;
        if (ev.attached) st.bids.bidFor(ev.iface);
        log(st, 'info', ev.attached ? 'homeLinkAttached' : 'homeLinkLeft', { iface: ev.iface });
        return;
      }
      case 'bindingAck':
        onBindingAck(st, ev.from, ev.message, ev.raw, nowMs);
        return;
      case 'bindingRefreshRequest':
        onBindingRefreshRequest(st, ev.from, ev.message, nowMs);
        return;
      case 'bindingError':
        onBindingError(st, ev.from, ev.message, nowMs);
        return;
      case 'homeTest':
        onHomeTest(st, ev.from, ev.message, nowMs);
        return;
      case 'careOfTest':
        onCareOfTest(st, ev.from, ev.message, nowMs);
        return;
      case 'tick':
        if (st.started) onTick(st, nowMs);
        return;
      case 'operator':
        this.operator(ev.command);
        return;
      case 'homeAddressLifetime':
        st.homeAddressValidUntilMs = ev.validUntilMs;
        return;
    }
  }

  private operator(c: OperatorCommand): void {
    const st = this.st;
    log(st, 'info', 'operator', { op: c.op });
    switch (c.op) {
      case 'deregister':
        this.iface(c.iface).suppressed = true;
        return;
      case 'register':
        this.iface(c.iface).suppressed = false;
        return;
      case 'deregisterAll':
        st.shutdown = true;
        return;
      case 'resume':
        st.shutdown = false;
        return;
      case 'setBulk':
        st.cfg.bulk = c.enabled;
        for (const p of st.peers.values()) if (p.role === 'ha') p.useBulk = c.enabled && p.useBids;
        return;
      case 'setHomeLinkPolicy':
        st.cfg.homeLinkPolicy = c.policy;
        return;
      case 'setFlows':
        st.cfg.flows = [...c.flows];
        // The home agent learns them from the next BU (flows it does not name are removed).
        for (const e of st.bul.values()) if (e.want === 'register' && st.peers.get(e.peerKey)?.role === 'ha') e.dirty = true;
        return;
      case 'addCorrespondent':
        this.addCorrespondent(c.address);
        return;
      case 'removeCorrespondent': {
        const p = st.peers.get(addrKey(c.address));
        if (p && p.role === 'cn') p.removing = true;
        return;
      }
      case 'forgetInterface':
        st.ifaces.delete(c.iface);
        st.bids.release(c.iface);
        return;
    }
  }

  private addCorrespondent(address: Uint8Array): void {
    const key = addrKey(address);
    const existing = this.st.peers.get(key);
    if (existing) {
      existing.removing = false;
      return;
    }
    const peer = newPeer(address, 'cn', this.st);
    const retired = this.st.retired.get(key);
    if (retired) Object.assign(peer, retired);
    this.st.peers.set(key, peer);
    rrOf(this.st, peer);
  }

  private iface(name: string): IfaceState {
    let i = this.st.ifaces.get(name);
    if (!i) {
      i = { name, coa: null, atHome: false, disabled: false, suppressed: false };
      this.st.ifaces.set(name, i);
    }
    return i;
  }

  /** Binding Update List changes since the last event, as add/update/remove actions. */
  private reportListChanges(): void {
    const now = new Map<string, string>();
    for (const e of this.st.bul.values()) {
      const view = viewOf(this.st, e);
      const json = JSON.stringify(view);
      now.set(e.key, json);
      const before = this.lastViews.get(e.key);
      if (before !== json) this.st.actions.push({ kind: 'bul', change: before === undefined ? 'add' : 'update', entry: view });
    }
    for (const [key, json] of this.lastViews) {
      if (!now.has(key)) this.st.actions.push({ kind: 'bul', change: 'remove', entry: JSON.parse(json) as BulView });
    }
    this.lastViews = now;
  }
}

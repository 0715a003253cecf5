// A mobile node's answer to `mcoactl show bindings`: its Binding Update List in the home
// agent's BindingView shape (so mcoactl renders it), plus the list entry's peer and state.
// The commands themselves are the shell's (daemon/service/control-commands.ts).
import type { Ip6 } from '../../inet/ip6.js';
import type { BindingView } from '../../control/protocol.js';
import type { BulView } from '../../proto/mn/index.js';

/** A Binding Update List entry as `show bindings` returns it on a mobile node. */
export interface MnBindingView extends BindingView {
  peer: Ip6;
  state: BulView['state'];
  iface: string | null;
}

export function mnBindingView(hoa: Ip6, e: BulView, nowMs: number): MnBindingView {
  return {
    hoa,
    bid: e.bid ?? 0,
    coa: e.careOf ?? '',
    flags: e.role === 'ha' ? ['H'] : [],
    lifetimeLeftSeconds: e.expiresAtMs === null ? 0 : Math.max(0, Math.floor((e.expiresAtMs - nowMs) / 1000)),
    lifetimeSeconds: e.lifetimeSeconds ?? 0,
    sequence: e.sequence ?? 0,
    homeBinding: e.homeBinding,
    mobileNetworkPrefixes: [],
    peer: e.peer,
    state: e.state,
    iface: e.iface,
  };
}

/** Binding Update List entries by state, for the `mcoa_bindings` gauge. */
export function bulStates(list: readonly BulView[]): [{ state: string }, number][] {
  const by = new Map<string, number>();
  for (const e of list) by.set(e.state, (by.get(e.state) ?? 0) + 1);
  return [...by].map(([state, n]) => [{ state }, n]);
}

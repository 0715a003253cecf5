// What every role's XFRM planner shares: the set of states and policies it wants, the bands
// that mark them as ours (so a restart adopts them and leaves everyone else's alone), and the
// kernel's own identity of each object, by which desired and observed sets are keyed.
import type { XfrmPolicy } from '../../platform/xfrm/policy.js';
import type { XfrmState } from '../../platform/xfrm/state.js';
import type { XfrmSelector } from '../../platform/xfrm/structs.js';

/** XFRM states and policies wanted, in creation order. */
export interface XfrmObjects {
  states: XfrmState[];
  policies: XfrmPolicy[];
}

export const NO_XFRM_OBJECTS: Readonly<XfrmObjects> = Object.freeze({ states: [], policies: [] });

/** The parts one after the other (states with states, policies with policies). */
export function mergeXfrm(parts: readonly XfrmObjects[]): XfrmObjects {
  return { states: parts.flatMap((p) => p.states), policies: parts.flatMap((p) => p.policies) };
}

export interface XfrmBands {
  /** Our policies have priority in [priorityBase, priorityBase + priorityCount). */
  priorityBase: number;
  priorityCount: number;
  /** Our states have reqid in [reqidBase, reqidBase + reqidCount). */
  reqidBase: number;
  reqidCount: number;
}

export const DEFAULT_XFRM_BANDS: XfrmBands = { priorityBase: 0x4d4300, priorityCount: 0x100, reqidBase: 0x4d430000, reqidCount: 0x10000 };

// Ports (for ICMPv6: type and code) as a dump reads them back: only when set.
const selectorKey = (s: XfrmSelector): string =>
  `${s.src}/${s.srcLen}>${s.dst}/${s.dstLen} p${s.proto}${s.mhType !== undefined ? ` mh${s.mhType}` : ''}${s.sport ? ` s${s.sport}` : ''}${s.dport ? ` d${s.dport}` : ''}${s.ifindex ? ` if${s.ifindex}` : ''}`;

/** The kernel's identity of a policy: selector, direction, type (and mark). */
export const policyKey = (p: Pick<XfrmPolicy, 'selector' | 'dir' | 'type'>): string => `${p.dir}|${p.type ?? 'main'}|${selectorKey(p.selector)}`;

/** The kernel's identity of a state: (dst, spi, proto), plus src for route-optimisation states. */
export const stateKey = (s: Pick<XfrmState, 'src' | 'dst' | 'spi' | 'proto'>): string => `${s.proto}|${s.src}>${s.dst}|${s.spi}`;

/** The objects keyed by the kernel's identity, as the reconciler's XFRM kinds hold them. */
export function keyedXfrm(o: { readonly states: readonly XfrmState[]; readonly policies: readonly XfrmPolicy[] }): { states: Map<string, XfrmState>; policies: Map<string, XfrmPolicy> } {
  return { states: new Map(o.states.map((s) => [stateKey(s), s])), policies: new Map(o.policies.map((p) => [policyKey(p), p])) };
}

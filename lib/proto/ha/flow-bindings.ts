// The home agent's flow binding list per home address (RFC 6089, flow bindings list and the home agent considerations): which flows
// (an RFC 6088 traffic selector) the mobile node has bound to which of its BIDs, with a
// priority, and the BU processing and BA flow statuses of the home agent's section. Pure:
// the caller hands it the Flow Identification and Flow Summary options of an accepted BU
// and the BIDs the binding cache holds after that BU, and sends the options it returns.
//
// Rules (README "Flow bindings" lists them with the ones not implemented):
// - add: a new FID with a Traffic Selector and a Binding Reference; modify: a known FID
//   with either or both (what is given replaces what was held, FID-PRI too); refresh: a
//   known FID without sub-options, or a FID in a Flow Summary option;
// - removal by omission: a flow of the home address named by no option of the BU is removed;
// - statuses: 130 malformed (add without selector, FID twice, a range with End but no Start
//   or End < Start), 131 a BID not in the binding cache, 132 an unknown FID without a
//   selector (and an unknown FID of a Flow Summary, answered in its own option), 133 a TS
//   Format other than IPv6 binary (no DSMIPv6: IPv4 selectors are refused), 129 a FID-PRI
//   another flow has, or the per-home-address cap;
// - a Binding Reference with no BID is this build's "discard" action (packets dropped);
// - a flow whose BIDs are all gone from the binding cache stays, inactive (not matched),
//   and is active again when one comes back.
import type { Ip6 } from '../../inet/ip6.js';
import type { MobilityOption } from '../../wire/types.js';
import {
  FlowStatus,
  type FlowIdentificationOption,
  type Ip6TrafficSelector,
  type TrafficSelector,
} from '../../wire/flow/flow-types.js';

export type FlowAction = 'forward' | 'discard';

export interface FlowBinding {
  readonly hoa: Ip6;
  readonly fid: number;
  /** FID-PRI: lower is matched first; unique per home address. */
  readonly priority: number;
  readonly action: FlowAction;
  readonly selector: Ip6TrafficSelector;
  /** The BIDs the mobile node bound the flow to (empty for discard). */
  readonly bids: readonly number[];
  /** False while none of `bids` is in the binding cache: the flow is not matched. */
  readonly active: boolean;
}

export type FlowChange =
  | { type: 'added' | 'modified'; flow: FlowBinding }
  | { type: 'removed'; flow: FlowBinding; reason: 'omitted' | 'home-address-removed' | 'administrative' }
  | { type: 'activity'; flow: FlowBinding };

export interface FlowBuResult {
  /** Flow Identification options for the BA, one per FI option of the BU and per unknown FID of a Flow Summary. */
  ackOptions: FlowIdentificationOption[];
  changes: FlowChange[];
  /** True when the home address's flow list changed (to be journalled). */
  changed: boolean;
}

/** Flow bindings one home address may hold; more is refused with 129. */
export const MAX_FLOWS_PER_HOME_ADDRESS = 256;

/** Numeric range fields of the IPv6 selector, by RFC 6088 §3.2 name stem. */
const RANGES = ['spi', 'flowLabel', 'sourcePort', 'destinationPort', 'trafficClass', 'nextHeader'] as const;
const ADDRESS_RANGES = ['sourceAddress', 'destinationAddress'] as const;

export class FlowBindingList {
  /**
   * Set when this home agent cannot steer flows (its per-binding data plane has no flow
   * classification): every Flow Identification option is answered 128 ADMINISTRATIVELY
   * PROHIBITED and none is held, so the mobile node knows its flows are not in force.
   */
  prohibited = false;
  private readonly byHoa = new Map<Ip6, Map<number, FlowBinding>>();
  /** Home addresses whose list changed since takeChanged(): what the journal must write. */
  private readonly changedHoas = new Set<Ip6>();

  /** The home addresses whose flow list changed since the last call (each once). */
  takeChanged(): Ip6[] {
    const out = [...this.changedHoas];
    this.changedHoas.clear();
    return out;
  }

  /** Takes every flow of `other` (a core replaced at reload), activity as it was. */
  adopt(other: FlowBindingList): void {
    for (const [hoa, m] of other.byHoa) this.byHoa.set(hoa, new Map(m));
    other.takeChanged();
  }

  /** Flows of one home address in priority order, or of every home address. */
  list(hoa?: Ip6): FlowBinding[] {
    const maps = hoa === undefined ? [...this.byHoa.values()] : [this.byHoa.get(hoa) ?? new Map<number, FlowBinding>()];
    return maps.flatMap((m) => [...m.values()].sort((a, b) => a.priority - b.priority));
  }

  homeAddresses(): Ip6[] {
    return [...this.byHoa.keys()];
  }

  get size(): number {
    let n = 0;
    for (const m of this.byHoa.values()) n += m.size;
    return n;
  }

  /**
   * The flow options of an accepted BU for `hoa` (RFC 6089 home agent considerations), processed after its BID
   * options: `registered` is the set of BIDs the binding cache holds for `hoa` now.
   */
  processBu(hoa: Ip6, options: readonly MobilityOption[], registered: ReadonlySet<number>): FlowBuResult {
    const before = this.byHoa.get(hoa) ?? new Map<number, FlowBinding>();
    const next = new Map<number, FlowBinding>();
    const named = new Set<number>();
    const ackOptions: FlowIdentificationOption[] = [];
    const changes: FlowChange[] = [];
    const ack = (o: { fid: number; fidPri: number }, status: number) => ackOptions.push({ kind: 'flowIdentification', fid: o.fid, fidPri: o.fidPri, status, subOptions: [] });

    for (const opt of options) {
      if (opt.kind === 'flowSummary') {
        for (const fid of opt.fids) {
          const held = this.prohibited ? undefined : before.get(fid);
          if (named.has(fid)) continue; // also named by another option: that one decides
          named.add(fid);
          if (held) next.set(fid, withActivity(held, registered));
          else ack({ fid, fidPri: 0 }, FlowStatus.FID_NOT_FOUND);
        }
        continue;
      }
      if (opt.kind !== 'flowIdentification') continue;
      if (this.prohibited) {
        ack(opt, FlowStatus.ADMINISTRATIVELY_PROHIBITED);
        continue;
      }
      if (named.has(opt.fid)) {
        ack(opt, FlowStatus.OPTION_MALFORMED);
        continue;
      }
      named.add(opt.fid);
      const held = before.get(opt.fid);
      const r = this.decide(hoa, opt, held, registered);
      if (r.flow === undefined) {
        // A refused change leaves a held flow as it was (it was named, so not removed).
        if (held) next.set(opt.fid, withActivity(held, registered));
        ack(opt, r.status);
        continue;
      }
      next.set(opt.fid, r.flow);
      ack(opt, FlowStatus.SUCCESS);
    }

    // FID-PRI is unique per mobile node: a flow added or moved onto a priority another flow
    // holds is refused (129); a held flow keeps what it had.
    const claimed = new Set<number>();
    for (const f of next.values()) if (!isNew(f, before)) claimed.add(f.priority);
    for (const f of [...next.values()]) {
      if (!isNew(f, before)) continue;
      if (!claimed.has(f.priority)) {
        claimed.add(f.priority);
        continue;
      }
      const held = before.get(f.fid);
      if (held) next.set(f.fid, withActivity(held, registered));
      else next.delete(f.fid);
      setStatus(ackOptions, f.fid, FlowStatus.REJECTED_UNSPECIFIED);
    }
    while (next.size > MAX_FLOWS_PER_HOME_ADDRESS) {
      const added = [...next.values()].filter((f) => !before.has(f.fid));
      const last = added[added.length - 1];
      if (!last) break;
      next.delete(last.fid);
      setStatus(ackOptions, last.fid, FlowStatus.REJECTED_UNSPECIFIED);
    }

    for (const [fid, f] of next) {
      const held = before.get(fid);
      if (!held) changes.push({ type: 'added', flow: f });
      else if (!sameFlow(held, f)) changes.push({ type: held.active !== f.active && sameBinding(held, f) ? 'activity' : 'modified', flow: f });
    }
    for (const [fid, f] of before) if (!next.has(fid)) changes.push({ type: 'removed', flow: f, reason: 'omitted' });
    this.put(hoa, next);
    if (changes.length > 0) this.changedHoas.add(hoa);
    return { ackOptions, changes, changed: changes.length > 0 };
  }

  /**
   * The binding cache of `hoa` changed outside a BU with flow options (a BID de-registered,
   * expired or removed by the operator, or registered again): flows become inactive or
   * active (RFC 6089, a flow bound to a BID that is removed). Every binding gone: the
   * home address's flows go too.
   */
  bindingsChanged(hoa: Ip6, registered: ReadonlySet<number>): FlowChange[] {
    const held = this.byHoa.get(hoa);
    if (!held) return [];
    if (registered.size === 0) return this.removeAll(hoa, 'home-address-removed');
    const changes: FlowChange[] = [];
    for (const [fid, f] of held) {
      const g = withActivity(f, registered);
      if (g !== f) {
        held.set(fid, g);
        this.changedHoas.add(hoa);
        changes.push({ type: 'activity', flow: g });
      }
    }
    return changes;
  }

  removeAll(hoa: Ip6, reason: 'home-address-removed' | 'administrative'): FlowChange[] {
    const held = this.byHoa.get(hoa);
    if (!held) return [];
    this.byHoa.delete(hoa);
    this.changedHoas.add(hoa);
    return [...held.values()].map((flow) => ({ type: 'removed', flow, reason }));
  }

  /**
   * Cluster mode: `hoa`'s whole flow list as another node stored it (the replicated record),
   * activity as of `registered`. True when the list changed.
   */
  replace(hoa: Ip6, flows: readonly Omit<FlowBinding, 'active'>[], registered: ReadonlySet<number>): boolean {
    const before = this.byHoa.get(hoa) ?? new Map<number, FlowBinding>();
    const next = new Map<number, FlowBinding>();
    for (const f of flows) if (f.hoa === hoa) next.set(f.fid, withActivity({ ...f, active: false }, registered, true));
    const same = before.size === next.size && [...next].every(([fid, f]) => {
      const held = before.get(fid);
      return held !== undefined && sameFlow(held, f);
    });
    if (same) return false;
    this.put(hoa, next);
    this.changedHoas.add(hoa);
    return true;
  }

  /** Puts back flows loaded from the journal, with their activity as of `registered`. */
  restore(flows: Iterable<Omit<FlowBinding, 'active'>>, registeredOf: (hoa: Ip6) => ReadonlySet<number>): number {
    let n = 0;
    for (const f of flows) {
      let m = this.byHoa.get(f.hoa);
      if (!m) this.byHoa.set(f.hoa, (m = new Map()));
      m.set(f.fid, withActivity({ ...f, active: false }, registeredOf(f.hoa), true));
      n++;
    }
    return n;
  }

  private put(hoa: Ip6, flows: Map<number, FlowBinding>): void {
    if (flows.size === 0) this.byHoa.delete(hoa);
    else this.byHoa.set(hoa, flows);
  }

  /** Add, modify or refresh for one Flow Identification option. */
  private decide(
    hoa: Ip6,
    opt: FlowIdentificationOption,
    held: FlowBinding | undefined,
    registered: ReadonlySet<number>,
  ): { status: 0; flow: FlowBinding } | { status: number; flow?: undefined } {
    let selector: TrafficSelector | undefined;
    let bids: number[] | undefined;
    for (const s of opt.subOptions) {
      // Unknown sub-options are skipped (RFC 6089 §4.2.1: a sub-option the receiver does not know).
      if (s.kind === 'trafficSelector') {
        if (selector) return { status: FlowStatus.OPTION_MALFORMED };
        selector = s.selector;
      } else if (s.kind === 'bindingReference') {
        if (bids) return { status: FlowStatus.OPTION_MALFORMED };
        bids = s.bids;
      }
    }
    if (!held && !selector) return { status: bids ? FlowStatus.OPTION_MALFORMED : FlowStatus.FID_NOT_FOUND };
    if (!held && !bids) return { status: FlowStatus.OPTION_MALFORMED };
    if (selector && selector.format !== 'ipv6') return { status: FlowStatus.TS_FORMAT_NOT_SUPPORTED };
    if (selector && !selectorWellFormed(selector)) return { status: FlowStatus.OPTION_MALFORMED };
    if (bids) {
      if (new Set(bids).size !== bids.length) return { status: FlowStatus.OPTION_MALFORMED };
      if (bids.some((b) => !registered.has(b))) return { status: FlowStatus.BID_NOT_FOUND };
    }
    const nextBids = bids ?? held!.bids;
    const flow: FlowBinding = {
      hoa,
      fid: opt.fid,
      priority: opt.fidPri,
      action: nextBids.length === 0 ? 'discard' : 'forward',
      selector: (selector as Ip6TrafficSelector | undefined) ?? held!.selector,
      bids: [...nextBids],
      active: true,
    };
    return { status: 0, flow: withActivity(flow, registered, true) };
  }
}

function isNew(f: FlowBinding, before: ReadonlyMap<number, FlowBinding>): boolean {
  const held = before.get(f.fid);
  return !held || held.priority !== f.priority;
}

function setStatus(acks: FlowIdentificationOption[], fid: number, status: number): void {
  for (let i = acks.length - 1; i >= 0; i--) {
    if (acks[i]!.fid === fid) {
      acks[i] = { ...acks[i]!, status };
      return;
    }
  }
}

/** The flow with `active` as the binding cache says; the same object when unchanged. */
function withActivity(f: FlowBinding, registered: ReadonlySet<number>, force = false): FlowBinding {
  const active = f.action === 'discard' || f.bids.some((b) => registered.has(b));
  return active === f.active && !force ? f : { ...f, active };
}

function sameBinding(a: FlowBinding, b: FlowBinding): boolean {
  return a.priority === b.priority && a.action === b.action && a.bids.join() === b.bids.join() && sameSelector(a.selector, b.selector);
}

function sameFlow(a: FlowBinding, b: FlowBinding): boolean {
  return sameBinding(a, b) && a.active === b.active;
}

export function sameSelector(a: Ip6TrafficSelector, b: Ip6TrafficSelector): boolean {
  const ka = Object.keys(a).filter((k) => (a as unknown as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as unknown as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    const x = (a as unknown as Record<string, unknown>)[k];
    const y = (b as unknown as Record<string, unknown>)[k];
    if (x instanceof Uint8Array && y instanceof Uint8Array) {
      if (x.length !== y.length || x.some((v, i) => v !== y[i])) return false;
    } else if (x !== y) return false;
  }
  return true;
}

/** RFC 6088 ranges: an End needs its Start, and Start <= End. */
export function selectorWellFormed(ts: Ip6TrafficSelector): boolean {
  const v = ts as unknown as Record<string, number | Uint8Array | undefined>;
  for (const stem of RANGES) {
    const s = v[`${stem}Start`] as number | undefined;
    const e = v[`${stem}End`] as number | undefined;
    if (e !== undefined && (s === undefined || s > e)) return false;
  }
  for (const stem of ADDRESS_RANGES) {
    const s = v[`${stem}Start`] as Uint8Array | undefined;
    const e = v[`${stem}End`] as Uint8Array | undefined;
    if (e !== undefined && (s === undefined || compareBytes(s, e) > 0)) return false;
  }
  return true;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

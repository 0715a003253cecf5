// The mobile node's RFC 6089 flow bindings: the Flow Identification options its Binding
// Updates to the home agent carry. Every registration carries every flow with its selector
// and Binding Reference (a known FID with sub-options is a modify at the home agent, so a
// repeat is harmless), because the home agent removes a flow a BU does not name (removal by
// omission). A flow bound to an interface goes with that interface's BID; while the
// interface has no BID registered by this BU the flow is re-bound (a modify: same FID, a
// Binding Reference to another BID) to the most preferred interface that has one, so the
// home agent moves it instead of leaving it on a BID that is gone (RFC 6089: a flow binding
// whose BID is removed becomes inactive at the home agent; the mobile node updates it), and
// back when the interface returns. With no registered BID at all it is left out.
import type { FlowIdentificationOption, Ip6TrafficSelector } from '../../wire/flow/flow-types.js';

export type MnFlowTarget = { kind: 'interface'; name: string } | { kind: 'bid'; bid: number } | { kind: 'discard' };

export interface MnFlow {
  /** FID, 1..65535, unique. */
  fid: number;
  /** FID-PRI: lower is matched first; unique. */
  priority: number;
  selector: Ip6TrafficSelector;
  target: MnFlowTarget;
}

/**
 * The options for a registration that leaves `registered` BIDs at the home agent;
 * `bidOf(iface)` is the interface's BID, if it has one; `preferred` lists interfaces in the
 * order a flow whose own BID is not registered falls back to (then the lowest registered BID).
 */
export function flowOptions(
  flows: readonly MnFlow[],
  registered: ReadonlySet<number>,
  bidOf: (iface: string) => number | undefined,
  preferred: readonly string[] = [],
): FlowIdentificationOption[] {
  const out: FlowIdentificationOption[] = [];
  const fallback = (): number | undefined => {
    for (const i of preferred) {
      const b = bidOf(i);
      if (b !== undefined && registered.has(b)) return b;
    }
    return [...registered].sort((a, b) => a - b)[0];
  };
  for (const f of flows) {
    let bids: number[];
    if (f.target.kind === 'discard') bids = [];
    else {
      const own = f.target.kind === 'bid' ? f.target.bid : bidOf(f.target.name);
      const bid = own !== undefined && registered.has(own) ? own : fallback();
      if (bid === undefined) continue;
      bids = [bid];
    }
    out.push({
      kind: 'flowIdentification',
      fid: f.fid,
      fidPri: f.priority,
      status: 0,
      subOptions: [
        { kind: 'trafficSelector', selector: f.selector },
        { kind: 'bindingReference', bids },
      ],
    });
  }
  return out;
}

// The mobile node's RFC 6089 flow bindings: the Flow Identification options its Binding
// Updates to the home agent carry. Every registration carries every flow with its selector
// and Binding Reference (a known FID with sub-options is a modify at the home agent, so a
// repeat is harmless), because the home agent removes a flow a BU does not name (removal by
// omission). A flow bound to an interface goes with that interface's BID; while the
// interface has no BID registered by this BU it is left out, so its traffic falls back to
// the home address's default spreading over the remaining bindings (RFC 6089's mobile node
// considerations let the node move it; this build moves it to the default).
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
 * `bidOf(iface)` is the interface's BID, if it has one.
 */
export function flowOptions(flows: readonly MnFlow[], registered: ReadonlySet<number>, bidOf: (iface: string) => number | undefined): FlowIdentificationOption[] {
  const out: FlowIdentificationOption[] = [];
  for (const f of flows) {
    let bids: number[];
    if (f.target.kind === 'discard') bids = [];
    else {
      const bid = f.target.kind === 'bid' ? f.target.bid : bidOf(f.target.name);
      if (bid === undefined || !registered.has(bid)) continue;
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

// `mcoactl show flows [HOA]`: the home agent's RFC 6089 flow bindings as the control
// socket returns them. The selector is the RFC 6088 IPv6 selector's fields that are set
// (addresses as text), so scripts read it as `mcoactl decode --json` shows a selector.
import type { Ip6 } from '../inet/ip6.js';
import type { FlowBinding } from '../proto/ha/flow-bindings.js';
import { storedFromFlow } from '../store/flow-records.js';

export interface FlowView {
  hoa: Ip6;
  fid: number;
  priority: number;
  action: 'forward' | 'discard';
  bids: number[];
  /** False while none of its BIDs is registered: the flow is not matched. */
  active: boolean;
  selector: Record<string, number | string>;
}

export function flowView(f: FlowBinding): FlowView {
  const s = storedFromFlow(f);
  return { hoa: f.hoa, fid: f.fid, priority: f.priority, action: f.action, bids: [...f.bids], active: f.active, selector: { ...s.selector } };
}

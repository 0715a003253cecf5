// `mcoactl show flows` as a table: one row per flow binding, by home address then priority.
import type { FlowView } from '../../control/flow-view.js';
import { renderTrafficSelector } from '../decode/describe-flow.js';
import { table } from './format.js';

export function flowsTable(flows: readonly FlowView[]): string[] {
  if (flows.length === 0) return ['no flow bindings'];
  const sorted = [...flows].sort((a, b) => (a.hoa < b.hoa ? -1 : a.hoa > b.hoa ? 1 : a.priority - b.priority));
  const rows = sorted.map((f) => [
    f.hoa,
    String(f.fid),
    String(f.priority),
    f.action === 'discard' ? 'discard' : `BID ${f.bids.join(',')}`,
    f.active ? 'active' : 'inactive',
    renderTrafficSelector({ format: 'ipv6', ...f.selector }),
  ]);
  return table(['HOME ADDRESS', 'FID', 'PRI', 'TO', 'STATE', 'SELECTOR'], rows, new Set([1, 2]));
}

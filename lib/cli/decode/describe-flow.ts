// RFC 6089's Flow Summary and Flow Identification options (with RFC 6088 traffic selectors)
// as JSON and as text for `mcoactl decode`. Addresses in RFC 5952 / dotted text, ranges as
// "start-end" when both are given.
import type { FlowIdentificationOption, FlowSubOption, FlowSummaryOption, TrafficSelector } from '../../wire/flow/flow-types.js';
import { FLOW_STATUS_NAMES } from '../../wire/flow/flow-types.js';
import { formatIp6 } from '../../inet/ip6.js';
import { toHex } from './hex.js';
import type { Json, JsonObject } from './describe.js';

export function describeTrafficSelector(ts: TrafficSelector): JsonObject {
  if (ts.format === 'unknown') return { format: 'unknown', tsFormat: ts.tsFormat, data: toHex(ts.data) };
  const out: JsonObject = { format: ts.format };
  for (const [k, v] of Object.entries(ts)) {
    if (k === 'format' || v === undefined) continue;
    out[k] = v instanceof Uint8Array ? (v.length === 16 ? formatIp6(v) : [...v].join('.')) : (v as number);
  }
  return out;
}

function describeSubOption(s: FlowSubOption): JsonObject {
  switch (s.kind) {
    case 'bindingReference':
      return { kind: s.kind, bids: s.bids };
    case 'trafficSelector':
      return { kind: s.kind, selector: describeTrafficSelector(s.selector) };
    case 'unknownSubOption':
      return { kind: s.kind, subType: s.subType, data: toHex(s.data) };
  }
}

export function describeFlowOption(opt: FlowIdentificationOption | FlowSummaryOption): JsonObject {
  if (opt.kind === 'flowSummary') return { kind: opt.kind, fids: opt.fids };
  const out: JsonObject = { kind: opt.kind, fid: opt.fid, fidPri: opt.fidPri, status: opt.status };
  if (opt.status !== 0) out.statusName = FLOW_STATUS_NAMES.get(opt.status) ?? (opt.status < 128 ? 'SUCCESS (unknown)' : 'REJECTED (unknown)');
  out.subOptions = opt.subOptions.map(describeSubOption);
  return out;
}

/** "2001:db8::1-2001:db8::9" for a range, the value alone when only the start is given. */
function range(sel: JsonObject, key: string): string | null {
  const a = sel[`${key}Start`];
  const b = sel[`${key}End`];
  if (a === undefined && b === undefined) return null;
  if (b === undefined || b === a) return String(a);
  return `${a === undefined ? '*' : String(a)}-${String(b)}`;
}

const SELECTOR_TEXT: readonly [string, string][] = [
  ['sourceAddress', 'src'],
  ['destinationAddress', 'dst'],
  ['spi', 'spi'],
  ['flowLabel', 'flowlabel'],
  ['sourcePort', 'sport'],
  ['destinationPort', 'dport'],
  ['trafficClass', 'tc'],
  ['ds', 'ds'],
  ['nextHeader', 'nexthdr'],
  ['protocol', 'proto'],
];

export function renderTrafficSelector(sel: JsonObject): string {
  if (sel.format === 'unknown') return `format ${String(sel.tsFormat)} (unknown) ${String(sel.data) || '(empty)'}`;
  const parts = [String(sel.format)];
  for (const [key, word] of SELECTOR_TEXT) {
    const r = range(sel, key);
    if (r !== null) parts.push(`${word} ${r}`);
  }
  return parts.length === 1 ? `${parts[0]} any` : parts.join(' ');
}

/** Lines for a Flow Summary or Flow Identification option described above. */
export function renderFlowOption(o: JsonObject, indent: string, line: (indent: string, key: string, value: string) => string): string[] {
  if (o.kind === 'flowSummary') return [line(indent, 'flow summary', `FIDs ${(o.fids as Json[]).join(' ')}`)];
  const status = `status ${String(o.status)}` + (o.statusName ? ` (${String(o.statusName)})` : '');
  const lines = [line(indent, 'flow', `FID ${String(o.fid)}  FID-PRI ${String(o.fidPri)}  ${status}`)];
  const inner = indent + '  ';
  for (const s of (o.subOptions as JsonObject[] | undefined) ?? []) {
    if (s.kind === 'bindingReference') {
      const bids = s.bids as Json[];
      lines.push(line(inner, 'binding reference', bids.length ? `BIDs ${bids.join(' ')}` : '(no BID)'));
    } else if (s.kind === 'trafficSelector') {
      lines.push(line(inner, 'traffic selector', renderTrafficSelector(s.selector as JsonObject)));
    } else lines.push(line(inner, `sub-option ${String(s.subType)}`, `(unknown) ${String(s.data) || '(empty)'}`));
  }
  return lines;
}

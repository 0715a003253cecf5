// RFC 6089 flow bindings in the journal: one record per home address holding its whole
// flow list (an empty list removes it), so a record is safe to replay and a snapshot is the
// last one per home address. Selector addresses are RFC 5952 text; records read back are
// checked field by field like the binding records.
import { canonicalIp6, formatIp6, mustParseIp6, type Ip6 } from '../inet/ip6.js';
import type { FlowAction, FlowBinding } from '../proto/ha/flow-bindings.js';
import type { Ip6TrafficSelector } from '../wire/flow/flow-types.js';
import { IP6_TS_FIELDS } from '../wire/flow/traffic-selector.js';

export interface StoredFlow {
  readonly fid: number;
  readonly priority: number;
  readonly action: FlowAction;
  readonly bids: readonly number[];
  /** RFC 6088 IPv6 selector fields present, addresses as text. */
  readonly selector: Readonly<Record<string, number | string>>;
}

export interface FlowsRecord {
  readonly op: 'flows';
  readonly hoa: Ip6;
  readonly flows: readonly StoredFlow[];
}

export const flowsRecord = (hoa: Ip6, flows: readonly FlowBinding[]): FlowsRecord => ({ op: 'flows', hoa, flows: flows.map(storedFromFlow) });

export function storedFromFlow(f: FlowBinding): StoredFlow {
  const selector: Record<string, number | string> = {};
  const v = f.selector as unknown as Record<string, unknown>;
  for (const field of IP6_TS_FIELDS) {
    const x = v[field.key];
    if (x instanceof Uint8Array) selector[field.key] = formatIp6(x);
    else if (typeof x === 'number') selector[field.key] = x;
  }
  return { fid: f.fid, priority: f.priority, action: f.action, bids: [...f.bids], selector };
}

/** The core's flow from a stored one (activity is the core's to compute). */
export function flowFromStored(hoa: Ip6, s: StoredFlow): Omit<FlowBinding, 'active'> {
  const selector: Record<string, unknown> = { format: 'ipv6' };
  for (const field of IP6_TS_FIELDS) {
    const x = s.selector[field.key];
    if (x !== undefined) selector[field.key] = field.kind === 'bytes' ? mustParseIp6(String(x)) : x;
  }
  return { hoa, fid: s.fid, priority: s.priority, action: s.action, bids: [...s.bids], selector: selector as unknown as Ip6TrafficSelector };
}

const isU16 = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffff;
const FIELDS = new Map(IP6_TS_FIELDS.map((f) => [f.key, f]));

/** Null when `v` is a well-formed flows record, else what is wrong with it. */
export function checkFlowsRecord(v: Record<string, unknown>): string | null {
  if (typeof v.hoa !== 'string' || canonicalIp6(v.hoa) !== v.hoa) return 'flows record address is not canonical IPv6 text';
  if (!Array.isArray(v.flows)) return 'flows record without a flow list';
  for (const f of v.flows as unknown[]) {
    if (typeof f !== 'object' || f === null || Array.isArray(f)) return 'flow is not an object';
    const o = f as Record<string, unknown>;
    if (!isU16(o.fid) || !isU16(o.priority)) return 'flow fid or priority out of range';
    if (o.action !== 'forward' && o.action !== 'discard') return 'flow action is neither forward nor discard';
    if (!Array.isArray(o.bids) || !o.bids.every((b) => isU16(b) && b !== 0)) return 'flow bids are not BIDs';
    if (typeof o.selector !== 'object' || o.selector === null || Array.isArray(o.selector)) return 'flow selector is not an object';
    for (const [k, x] of Object.entries(o.selector)) {
      const field = FIELDS.get(k);
      if (!field) return `flow selector has an unknown field ${JSON.stringify(k)}`;
      const ok = field.kind === 'bytes' ? typeof x === 'string' && canonicalIp6(x) === x : Number.isInteger(x) && (x as number) >= 0 && (x as number) <= field.max;
      if (!ok) return `flow selector field ${k} is out of range`;
    }
  }
  return null;
}

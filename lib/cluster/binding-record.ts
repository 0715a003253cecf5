// The value stored under one home address's key: its bindings, its last accepted sequence
// number, and the staleness bounds the writer used (a reader needs them to know how long the
// bindings may really live: staleness.ts), and its RFC 6089 flow bindings when it has any.
// JSON; read back field by field, never trusted.
import { checkRecord, type StoredBinding } from '../store/records.js';
import { checkFlowsRecord, type StoredFlow } from '../store/flow-records.js';
import { canonicalIp6, type Ip6 } from '../inet/ip6.js';

export const RECORD_VERSION = 1;

export interface BindingRecord {
  readonly hoa: Ip6;
  /** The last sequence number accepted for the home address (RFC 6275 §9.5.1), as written. */
  readonly sequence: number;
  readonly bindings: readonly StoredBinding[];
  /** The node that wrote it. */
  readonly writer: string;
  /** The true expiry of each binding is at most this much after the stored one. */
  readonly expiryLagMs: number;
  /** The true last sequence number is at most this much ahead of the stored one (mod 2^16). */
  readonly sequenceLag: number;
  /** The home address's flow bindings (RFC 6089); absent or empty: none. */
  readonly flows?: readonly StoredFlow[];
  /**
   * The service (home agent) address the home address registers with: its BUs' destination
   * (shares, docs/cluster.md). Absent in records written before shares: home_agent.address.
   */
  readonly serviceAddress?: Ip6;
}

export function encodeRecord(r: BindingRecord): string {
  // No flows: no field, so a record without flows reads the same as before flows were replicated.
  const { flows, ...rest } = r;
  return JSON.stringify(flows && flows.length > 0 ? { v: RECORD_VERSION, ...rest, flows } : { v: RECORD_VERSION, ...rest });
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isU16 = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffff;
const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;

/** The record under `hoa`'s key, or a sentence saying what is wrong with the value. */
export function decodeRecord(hoa: Ip6, text: string): { ok: true; record: BindingRecord } | { ok: false; error: string } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  if (!isObj(v)) return { ok: false, error: 'not an object' };
  if (v.v !== RECORD_VERSION) return { ok: false, error: `record version ${JSON.stringify(v.v)}, this node reads ${RECORD_VERSION}` };
  if (v.hoa !== hoa || canonicalIp6(hoa) !== hoa) return { ok: false, error: `record of ${JSON.stringify(v.hoa)} under the key of ${hoa}` };
  if (!isU16(v.sequence)) return { ok: false, error: 'sequence out of range' };
  if (typeof v.writer !== 'string' || v.writer === '') return { ok: false, error: 'no writer' };
  if (!isCount(v.expiryLagMs) || !isCount(v.sequenceLag)) return { ok: false, error: 'bad staleness bounds' };
  if (v.serviceAddress !== undefined && (typeof v.serviceAddress !== 'string' || canonicalIp6(v.serviceAddress) !== v.serviceAddress)) {
    return { ok: false, error: `service address ${JSON.stringify(v.serviceAddress)} is not a canonical IPv6 address` };
  }
  if (!Array.isArray(v.bindings)) return { ok: false, error: 'bindings is not a list' };
  const bids = new Set<number>();
  for (const b of v.bindings as unknown[]) {
    const c = checkRecord({ op: 'put', binding: b });
    if (!c.ok) return c;
    const sb = (c.record as { binding: StoredBinding }).binding;
    if (sb.hoa !== hoa) return { ok: false, error: `binding of ${sb.hoa} in the record of ${hoa}` };
    if (bids.has(sb.bid)) return { ok: false, error: `BID ${sb.bid} twice` };
    bids.add(sb.bid);
  }
  const { sequence, writer, expiryLagMs, sequenceLag } = v;
  const record: BindingRecord = { hoa, sequence, bindings: v.bindings as StoredBinding[], writer, expiryLagMs, sequenceLag };
  const withService = v.serviceAddress === undefined ? record : { ...record, serviceAddress: v.serviceAddress as Ip6 };
  if (v.flows === undefined) return { ok: true, record: withService };
  const flowError = checkFlowsRecord({ hoa, flows: v.flows });
  if (flowError) return { ok: false, error: flowError };
  const flows = v.flows as StoredFlow[];
  if (new Set(flows.map((f) => f.fid)).size !== flows.length) return { ok: false, error: 'a flow FID twice' };
  return { ok: true, record: { ...withService, flows } };
}

// What the binding store persists: the fields of the core's Binding, with wall-clock times
// (the core's clock may be monotonic and restarts with the process), and four operations.
// Records read back are checked field by field: a checksum proves the bytes are the ones
// written, not that they were written by this version.
import { bindingFlags, type Binding } from '../proto/common/binding.js';
import { parsePrefix } from '../inet/prefix.js';
import { canonicalIp6, type Ip6 } from '../inet/ip6.js';
import { checkFlowsRecord, type FlowsRecord } from './flow-records.js';
import { checkReplicatedRecord, type ReplicatedRecord } from './replicated-records.js';

export interface StoredBinding {
  readonly hoa: Ip6;
  readonly bid: number;
  readonly coa: Ip6;
  /** Wall clock (ms since the epoch) of the BU that set the current lifetime. */
  readonly registeredAtWallMs: number;
  readonly expiresAtWallMs: number;
  readonly lifetimeSeconds: number;
  readonly lastSequence: number;
  readonly flags: { readonly homeRegistration: boolean; readonly r: boolean; readonly l: boolean; readonly k: boolean };
  readonly mobileNetworkPrefixes: readonly string[];
  readonly homeBinding: boolean;
}

export type StoreRecord =
  /** Adds or replaces the binding (hoa, bid), as BindingCache.put does. */
  | { readonly op: 'put'; readonly binding: StoredBinding }
  | { readonly op: 'del'; readonly hoa: Ip6; readonly bid: number }
  /** Every binding of the home address, and its sequence number. */
  | { readonly op: 'del-hoa'; readonly hoa: Ip6 }
  /** Last accepted sequence number of a home address (kept only while it has bindings). */
  | { readonly op: 'seq'; readonly hoa: Ip6; readonly sequence: number }
  /** RFC 6089: the whole flow list of a home address (flow-records.ts). */
  | FlowsRecord
  /** Cluster mode: a home address's replicated record and the store revision applied (replicated-records.ts). */
  | ReplicatedRecord;

export const putRecord = (binding: StoredBinding): StoreRecord => ({ op: 'put', binding });
export const delRecord = (hoa: Ip6, bid: number): StoreRecord => ({ op: 'del', hoa, bid });
export const delHoaRecord = (hoa: Ip6): StoreRecord => ({ op: 'del-hoa', hoa });
export const seqRecord = (hoa: Ip6, sequence: number): StoreRecord => ({ op: 'seq', hoa, sequence });

/**
 * The core's binding as stored. `wallOffsetMs` is wall clock minus the clock the core was
 * handed (0 when the daemon gives the core Date.now()).
 */
export function storedFromBinding(b: Binding, wallOffsetMs: number): StoredBinding {
  return {
    hoa: b.hoa,
    bid: b.bid,
    coa: b.coa,
    registeredAtWallMs: b.registeredAtMs + wallOffsetMs,
    expiresAtWallMs: b.expiresAtMs + wallOffsetMs,
    lifetimeSeconds: b.lifetimeSeconds,
    lastSequence: b.lastSequence,
    flags: { homeRegistration: b.flags.homeRegistration, r: b.flags.r, l: b.flags.l, k: b.flags.k },
    mobileNetworkPrefixes: [...b.mobileNetworkPrefixes],
    homeBinding: b.homeBinding,
  };
}

/** The core's binding from a stored one, on the core's clock (see storedFromBinding). */
export function bindingFromStored(s: StoredBinding, wallOffsetMs: number): Binding {
  const f = s.flags;
  return {
    hoa: s.hoa,
    bid: s.bid,
    coa: s.coa,
    registeredAtMs: s.registeredAtWallMs - wallOffsetMs,
    expiresAtMs: s.expiresAtWallMs - wallOffsetMs,
    lifetimeSeconds: s.lifetimeSeconds,
    lastSequence: s.lastSequence,
    flags: bindingFlags(f.homeRegistration, f.r, f.l, f.k),
    mobileNetworkPrefixes: Object.freeze([...s.mobileNetworkPrefixes]),
    homeBinding: s.homeBinding,
  };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isU16 = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffff;
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isIp = (v: unknown): v is Ip6 => typeof v === 'string' && canonicalIp6(v) === v;

/** A record from parsed JSON, or a sentence saying what is wrong with it. */
export function checkRecord(v: unknown): { ok: true; record: StoreRecord } | { ok: false; error: string } {
  if (!isObj(v)) return { ok: false, error: 'record is not an object' };
  switch (v.op) {
    case 'put': {
      const error = checkBinding(v.binding);
      return error ? { ok: false, error } : { ok: true, record: v as StoreRecord };
    }
    case 'del':
      return isIp(v.hoa) && isU16(v.bid) ? { ok: true, record: v as StoreRecord } : { ok: false, error: 'bad del record' };
    case 'del-hoa':
      return isIp(v.hoa) ? { ok: true, record: v as StoreRecord } : { ok: false, error: 'bad del-hoa record' };
    case 'seq':
      return isIp(v.hoa) && isU16(v.sequence) ? { ok: true, record: v as StoreRecord } : { ok: false, error: 'bad seq record' };
    case 'flows': {
      const error = checkFlowsRecord(v);
      return error ? { ok: false, error } : { ok: true, record: v as unknown as StoreRecord };
    }
    case 'replicated': {
      const error = checkReplicatedRecord(v);
      return error ? { ok: false, error } : { ok: true, record: v as unknown as StoreRecord };
    }
    default:
      return { ok: false, error: `unknown record op ${JSON.stringify(v.op)}` };
  }
}

function checkBinding(b: unknown): string | null {
  if (!isObj(b)) return 'put record without a binding';
  if (!isIp(b.hoa) || !isIp(b.coa)) return 'binding address is not canonical IPv6 text';
  if (!isU16(b.bid) || !isU16(b.lastSequence)) return 'binding bid or sequence out of range';
  if (!isTime(b.registeredAtWallMs) || !isTime(b.expiresAtWallMs)) return 'binding times are not numbers';
  if (!Number.isInteger(b.lifetimeSeconds) || (b.lifetimeSeconds as number) < 0) return 'binding lifetime is not a count of seconds';
  const f = b.flags;
  if (!isObj(f) || ![f.homeRegistration, f.r, f.l, f.k].every((x) => typeof x === 'boolean')) return 'binding flags are not booleans';
  const p = b.mobileNetworkPrefixes;
  if (!Array.isArray(p) || !p.every((x) => typeof x === 'string' && parsePrefix(x) !== null)) return 'bad mobile network prefixes';
  if (typeof b.homeBinding !== 'boolean') return 'homeBinding is not a boolean';
  return null;
}

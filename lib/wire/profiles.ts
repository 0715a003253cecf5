// Wire profiles: the numbers draft-04 left TBD and the BID sub-option layout, chosen once
// at start-up. The codec reads only `bidOptionType` and `bid` from a profile, so an
// RFC 5648 layout can be added as another profile without touching the message codecs.
import type { BidCodec, McoaStatusNumbers, WireProfile } from './profile.js';
import { BaStatus, OptType } from './types.js';
import { draft04BidCodec } from './bid-draft04.js';

/** The MCoA status values as RFC 5648 assigned them, plus this project's FLAG CONFLICTS. */
export const DRAFT04_STATUS: Readonly<McoaStatusNumbers> = Object.freeze({
  incompliant: 164, // RFC 5648 MCOA MALFORMED
  bidConflict: 165, // RFC 5648 MCOA NON-MCOA BINDING EXISTS
  prohibited: 166, // RFC 5648 MCOA PROHIBITED
  bulkNotSupported: 168, // RFC 5648 MCOA BULK REGISTRATION PROHIBITED
  // FLAG CONFLICTS has no RFC 5648 counterpart (RFC 5648 dropped the per-option flags);
  // 170 is this project's choice: the first value after RFC 5648's block (164..169).
  flagConflicts: 170,
});

/** draft-04 layout of the BID sub-option under RFC 5648's option type number 35. */
export const DRAFT04_PROFILE: WireProfile = Object.freeze({
  name: 'draft-04',
  bidOptionType: 35,
  status: DRAFT04_STATUS,
  bid: draft04BidCodec,
});

export interface ProfileOverrides {
  name?: string;
  bidOptionType?: number;
  status?: Partial<McoaStatusNumbers>;
  bid?: BidCodec;
}

export type ProfileResult = { ok: true; value: WireProfile } | { ok: false; error: string };

const STATUS_KEYS: readonly (keyof McoaStatusNumbers)[] = [
  'incompliant',
  'bidConflict',
  'prohibited',
  'bulkNotSupported',
  'flagConflicts',
];

const BASE_OPTION_TYPES = new Set<number>(Object.values(OptType));
const BASE_REJECTIONS = new Map<number, string>(
  Object.entries(BaStatus)
    .filter(([, v]) => v >= 128)
    .map(([k, v]) => [v, k]),
);

function isByte(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 255;
}

/**
 * A profile derived from draft-04's with the given numbers replaced. Checks that the option
 * type is an octet not used by the base protocol (0..6), and that each status is a distinct
 * rejection value (128..255) not already meaning something in RFC 6275 / RFC 3963.
 */
export function makeProfile(overrides: ProfileOverrides = {}, base: WireProfile = DRAFT04_PROFILE): ProfileResult {
  const name = overrides.name ?? base.name;
  if (typeof name !== 'string' || name === '') return bad('profile name must be a non-empty string');
  const bidOptionType = overrides.bidOptionType ?? base.bidOptionType;
  if (!isByte(bidOptionType)) {
    return bad(`BID option type must be an integer 0..255, got ${String(bidOptionType)}`);
  }
  if (BASE_OPTION_TYPES.has(bidOptionType)) {
    return bad(`BID option type ${bidOptionType} collides with a base mobility option (0..6)`);
  }
  const status: McoaStatusNumbers = { ...base.status, ...overrides.status };
  const seen = new Map<number, string>();
  for (const key of STATUS_KEYS) {
    const v = status[key];
    if (!isByte(v) || v < 128) return bad(`status ${key} must be an integer 128..255, got ${String(v)}`);
    const meaning = BASE_REJECTIONS.get(v);
    if (meaning) return bad(`status ${key} = ${v} already means ${meaning} (RFC 6275/3963)`);
    const other = seen.get(v);
    if (other) return bad(`status ${key} = ${v} is also used for ${other}`);
    seen.set(v, key);
  }
  const bid = overrides.bid ?? base.bid;
  return { ok: true, value: Object.freeze({ name, bidOptionType, status: Object.freeze(status), bid }) };
}

function bad(error: string): ProfileResult {
  return { ok: false, error: `wire profile: ${error}` };
}

/** The MCoA status name for a BA/BID status value under this profile, if it is one. */
export function mcoaStatusName(profile: WireProfile, status: number): string | undefined {
  const s = profile.status;
  if (status === s.incompliant) return 'MCOA INCOMPLIANT';
  if (status === s.bidConflict) return 'MCOA BID CONFLICT';
  if (status === s.prohibited) return 'MCOA PROHIBITED';
  if (status === s.bulkNotSupported) return 'MCOA BULK REGISTRATION NOT SUPPORTED';
  if (status === s.flagConflicts) return 'MCOA FLAG CONFLICTS';
  return undefined;
}

// Wire profiles: the numbers draft-04 left TBD and the BID sub-option layout, chosen once
// at start-up. The codec reads only `bidOptionType` and `bid` from a profile, so an
// RFC 5648 layout can be added as another profile without touching the message codecs.
import type { BidCodec, McoaRules, McoaStatusNumbers, WireProfile } from './profile.js';
import { BaStatus, OptType } from './types.js';
import { draft04BidCodec } from './bid-draft04.js';
import { rfc5648BidCodec } from './bid-rfc5648.js';
import { FLOW_IDENTIFICATION_OPTION_TYPE, FLOW_SUMMARY_OPTION_TYPE } from './flow/flow-types.js';

/** RFC 6089's option types (IANA): the same under both profiles, RFC 6089 builds on RFC 5648's BIDs. */
export const RFC6089_OPTION_TYPES = Object.freeze({ summary: FLOW_SUMMARY_OPTION_TYPE, identification: FLOW_IDENTIFICATION_OPTION_TYPE });

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

/** draft-04's behaviour where RFC 5648 differs (see McoaRules for the sections). */
export const DRAFT04_RULES: Readonly<McoaRules> = Object.freeze({
  partialStatus: null,
  nonRoutableCoaAlwaysMalformed: false,
  nonMcoaBindingRejects: false,
  flagConflicts: true,
  ipv4CoaStatus: null,
  coaAtCorrespondent: false,
});

/** draft-04 layout of the BID sub-option under RFC 5648's option type number 35. */
export const DRAFT04_PROFILE: WireProfile = Object.freeze({
  name: 'draft-04',
  bidOptionType: 35,
  status: DRAFT04_STATUS,
  bid: draft04BidCodec,
  buOverwriteFlag: null,
  rules: DRAFT04_RULES,
  flowOptionTypes: RFC6089_OPTION_TYPES,
});

/** RFC 5648 §4.4's successful MCoA statuses (below 128: the BA still accepts). */
export const RFC5648_ACCEPTED = Object.freeze({ notComplete: 4, returnHomeWithoutNdp: 5 });
/** RFC 5648 §4.4's MCOA UNKNOWN COA and SIMULTANEOUS HOME AND FOREIGN PROHIBITED. */
export const RFC5648_UNKNOWN_COA = 167;
export const RFC5648_SIMULTANEOUS_PROHIBITED = 169;

/**
 * The BU flag carrying O (RFC 5648 §4.2): the bit after A H L K M R P F. IANA's Binding
 * Update Flags registry does not list O (T of RFC 5845 was later given 0x0080 too), and
 * Wireshark 4.0 does not dissect it; see the README's "Wire details".
 */
export const RFC5648_BU_FLAG_O = 0x0080;

export const RFC5648_STATUS: Readonly<McoaStatusNumbers> = Object.freeze({
  incompliant: 164, // MCOA MALFORMED
  bidConflict: 165, // MCOA NON-MCOA BINDING EXISTS
  prohibited: 166, // MCOA PROHIBITED
  bulkNotSupported: 168, // MCOA BULK REGISTRATION PROHIBITED
  // RFC 5648 has no per-option flags to conflict (rules.flagConflicts is false); kept
  // distinct so a configured number cannot collide with it.
  flagConflicts: 170,
});

export const RFC5648_RULES: Readonly<McoaRules> = Object.freeze({
  partialStatus: RFC5648_ACCEPTED.notComplete,
  nonRoutableCoaAlwaysMalformed: true,
  nonMcoaBindingRejects: true,
  flagConflicts: false,
  ipv4CoaStatus: RFC5648_UNKNOWN_COA,
  coaAtCorrespondent: true,
});

/** RFC 5648 as published: Binding Identifier option type 35, O in the BU, IANA's statuses. */
export const RFC5648_PROFILE: WireProfile = Object.freeze({
  name: 'rfc5648',
  bidOptionType: 35,
  status: RFC5648_STATUS,
  bid: rfc5648BidCodec,
  buOverwriteFlag: RFC5648_BU_FLAG_O,
  rules: RFC5648_RULES,
  flowOptionTypes: RFC6089_OPTION_TYPES,
});

/** The profiles `wire_profile` and `mcoactl decode --profile` name. */
export const NAMED_PROFILES: ReadonlyMap<string, WireProfile> = new Map([
  ['draft-04', DRAFT04_PROFILE],
  ['rfc5648', RFC5648_PROFILE],
]);

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
  if (bidOptionType === base.flowOptionTypes.summary || bidOptionType === base.flowOptionTypes.identification) {
    return bad(`BID option type ${bidOptionType} collides with an RFC 6089 flow option (44, 45)`);
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
  const value: WireProfile = { name, bidOptionType, status: Object.freeze(status), bid, buOverwriteFlag: base.buOverwriteFlag, rules: base.rules, flowOptionTypes: base.flowOptionTypes };
  return { ok: true, value: Object.freeze(value) };
}

function bad(error: string): ProfileResult {
  return { ok: false, error: `wire profile: ${error}` };
}

/** The MCoA status name for a BA/BID status value under this profile, if it is one. */
export function mcoaStatusName(profile: WireProfile, status: number): string | undefined {
  if (profile.bid === rfc5648BidCodec) return RFC5648_NAMES.get(status);
  const s = profile.status;
  if (status === s.incompliant) return 'MCOA INCOMPLIANT';
  if (status === s.bidConflict) return 'MCOA BID CONFLICT';
  if (status === s.prohibited) return 'MCOA PROHIBITED';
  if (status === s.bulkNotSupported) return 'MCOA BULK REGISTRATION NOT SUPPORTED';
  if (status === s.flagConflicts) return 'MCOA FLAG CONFLICTS';
  return undefined;
}

/** RFC 5648 §4.4's names, as IANA lists them. */
const RFC5648_NAMES: ReadonlyMap<number, string> = new Map([
  [4, 'MCOA NOTCOMPLETE'],
  [5, 'MCOA RETURNHOME WO/NDP'],
  [164, 'MCOA MALFORMED'],
  [165, 'MCOA NON-MCOA BINDING EXISTS'],
  [166, 'MCOA PROHIBITED'],
  [167, 'MCOA UNKNOWN COA'],
  [168, 'MCOA BULK REGISTRATION PROHIBITED'],
  [169, 'MCOA SIMULTANEOUS HOME AND FOREIGN PROHIBITED'],
]);

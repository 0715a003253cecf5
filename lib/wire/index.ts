// Public surface of the Mobility Header wire codec.
export * from './types.js';
export type { BidCodec, McoaRules, McoaStatusNumbers, WireProfile } from './profile.js';
export {
  DRAFT04_PROFILE,
  DRAFT04_STATUS,
  NAMED_PROFILES,
  RFC5648_PROFILE,
  RFC5648_BU_FLAG_O,
  makeProfile,
  mcoaStatusName,
  type ProfileOverrides,
  type ProfileResult,
} from './profiles.js';
export { decodeMessage, encodeMessage, encodedLength, mhTypeOf, partialOf } from './mh.js';
export { mhChecksum, writeMhChecksum, verifyMhChecksum, ip6UpperLayerChecksum } from './checksum.js';
export { secondsToUnits, unitsToSeconds, MAX_LIFETIME_UNITS } from './lifetime.js';
export { BID_FLAG_C, BID_FLAG_O, BID_FLAG_H } from './bid-draft04.js';

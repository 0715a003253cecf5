// Mobility Header codec entry points: decodeMessage never throws and returns typed errors;
// encodeMessage/encodedLength throw TypeError/RangeError on invalid values (a programmer
// error). Each message type lives in messages/, each option type in options/.
import type { WireProfile } from './profile.js';
import { IPPROTO_NONE, type DecodeResult, type MobilityMessage, type MobilityOption, type WireError } from './types.js';
import { checkHeader, MH_MAX_LENGTH, readChecksum, readMhType, writeHeader } from './messages/header.js';
import { BRR_FIXED_LENGTH, BRR_TYPE, decodeBrr, encodeBrrFixed } from './messages/brr.js';
import { COTI_TYPE, decodeTestInit, encodeTestInitFixed, HOTI_TYPE, TEST_INIT_FIXED_LENGTH } from './messages/hoti-coti.js';
import { COT_TYPE, decodeTest, encodeTestFixed, HOT_TYPE, TEST_FIXED_LENGTH } from './messages/hot-cot.js';
import { BU_FIXED_LENGTH, BU_TYPE, decodeBu, encodeBuFixed } from './messages/bu.js';
import { BA_FIXED_LENGTH, BA_TYPE, decodeBa, encodeBaFixed } from './messages/ba.js';
import { BE_FIXED_LENGTH, BE_TYPE, decodeBe, encodeBeFixed } from './messages/be.js';
import { checkHasAddresses, decodeHas, encodeHasFixed, HAS_TYPE, hasFixedLengthIn } from './messages/has.js';
import { decodeUnknownMessage, encodeUnknownBody, unknownMessageLength } from './messages/unknown-message.js';
import { decodeOptions, layoutOptions } from './options/option-list.js';
import { paddingFor, writePadding } from './options/padding.js';
import { readBuOverwrite, writeBuOverwrite } from './bu-overwrite.js';

/** Octets up to the options for each fixed-size MH Type (index = MH Type; HAS varies). */
const FIXED_LENGTH: readonly number[] = [
  BRR_FIXED_LENGTH,
  TEST_INIT_FIXED_LENGTH,
  TEST_INIT_FIXED_LENGTH,
  TEST_FIXED_LENGTH,
  TEST_FIXED_LENGTH,
  BU_FIXED_LENGTH,
  BA_FIXED_LENGTH,
  BE_FIXED_LENGTH,
];

const MH_TYPE_OF_KIND = {
  brr: BRR_TYPE,
  hoti: HOTI_TYPE,
  coti: COTI_TYPE,
  hot: HOT_TYPE,
  cot: COT_TYPE,
  bu: BU_TYPE,
  ba: BA_TYPE,
  be: BE_TYPE,
  has: HAS_TYPE,
} as const;

/**
 * Decodes one Mobility Header occupying all of `buf` (offsets in errors count from buf[0]).
 * Never throws: every malformed input gives { ok: false, error: { code, offset, ... } }.
 */
export function decodeMessage(buf: Uint8Array, profile: WireProfile): DecodeResult<MobilityMessage> {
  const headerError = checkHeader(buf);
  if (headerError) return { ok: false, error: headerError };
  const mhType = readMhType(buf);
  const checksum = readChecksum(buf);
  const hasFixed = mhType === HAS_TYPE ? hasFixedLengthIn(buf) : undefined;
  if (typeof hasFixed === 'object') return { ok: false, error: hasFixed };
  const fixed = hasFixed ?? FIXED_LENGTH[mhType];
  if (fixed === undefined) return { ok: true, value: decodeUnknownMessage(buf, mhType, checksum) };
  if (buf.length < fixed) {
    return {
      ok: false,
      error: {
        code: 'MESSAGE_TOO_SHORT',
        offset: 1,
        message: `MH type ${mhType} needs ${fixed} octets before its options, the message has ${buf.length}`,
      },
    };
  }
  const options = decodeOptions(buf, fixed, buf.length, profile);
  if (!options.ok) {
    // The fixed part is sound: hand it back so a home agent can still answer with the right
    // sequence number (e.g. MCOA INCOMPLIANT for a bad BID sub-option).
    const { options: _none, ...partial } = withOverwrite(decodeKnown(mhType, buf, checksum, []), buf, profile);
    return { ok: false, error: { ...options.error, partial } };
  }
  return { ok: true, value: withOverwrite(decodeKnown(mhType, buf, checksum, options.value), buf, profile) };
}

function withOverwrite(msg: MobilityMessage, buf: Uint8Array, profile: WireProfile): MobilityMessage {
  return msg.kind === 'bu' ? readBuOverwrite(msg, buf, profile) : msg;
}

function decodeKnown(mhType: number, buf: Uint8Array, checksum: number, options: MobilityOption[]): MobilityMessage {
  switch (mhType) {
    case BRR_TYPE:
      return decodeBrr(buf, checksum, options);
    case HOTI_TYPE:
      return decodeTestInit('hoti', buf, checksum, options);
    case COTI_TYPE:
      return decodeTestInit('coti', buf, checksum, options);
    case HOT_TYPE:
      return decodeTest('hot', buf, checksum, options);
    case COT_TYPE:
      return decodeTest('cot', buf, checksum, options);
    case BU_TYPE:
      return decodeBu(buf, checksum, options);
    case BA_TYPE:
      return decodeBa(buf, checksum, options);
    case HAS_TYPE:
      return decodeHas(buf, checksum, options);
    default:
      return decodeBe(buf, checksum, options);
  }
}

/** The MH Type number of a message. */
export function mhTypeOf(msg: MobilityMessage): number {
  return msg.kind === 'unknown' ? msg.mhType : MH_TYPE_OF_KIND[msg.kind];
}

/** Octets `msg` takes on the wire, padding included. Throws on invalid values. */
export function encodedLength(msg: MobilityMessage, profile: WireProfile): number {
  checkCommon(msg);
  if (msg.kind === 'unknown') return unknownMessageLength(msg);
  const fixed = fixedLengthOf(msg);
  const end = layoutOptions(msg.options, profile, fixed, null, 0);
  const total = end + paddingFor(end, 8, 0);
  if (total > MH_MAX_LENGTH) {
    throw new RangeError(`${msg.kind}: ${total} octets exceed the Mobility Header maximum of ${MH_MAX_LENGTH}`);
  }
  return total;
}

/**
 * Encodes `msg` into `buf` at `offset` (a new buffer when none is given) and returns the
 * encoded octets as a view. Option alignment counts from the MH's first octet. The Checksum
 * field gets `msg.checksum`; use writeMhChecksum (checksum.ts) once addresses are known.
 */
export function encodeMessage(msg: MobilityMessage, profile: WireProfile, buf?: Uint8Array, offset = 0): Uint8Array {
  const total = encodedLength(msg, profile);
  const out = buf ?? new Uint8Array(total);
  if (!Number.isInteger(offset) || offset < 0 || offset + total > out.length) {
    throw new RangeError(`encodeMessage: ${total} octets do not fit at offset ${offset} of a ${out.length}-octet buffer`);
  }
  writeHeader(out, offset, total, mhTypeOf(msg), msg.checksum);
  if (msg.kind === 'unknown') {
    encodeUnknownBody(msg, out, offset);
    return out.subarray(offset, offset + total);
  }
  writeFixed(msg, out, offset);
  if (msg.kind === 'bu') writeBuOverwrite(msg, out, offset, profile);
  const fixed = fixedLengthOf(msg);
  const end = layoutOptions(msg.options, profile, fixed, out, offset);
  writePadding(out, offset + end, total - end);
  return out.subarray(offset, offset + total);
}

/** Octets before the options of a known message (checks a HAS's address list). */
function fixedLengthOf(msg: Exclude<MobilityMessage, { kind: 'unknown' }>): number {
  return msg.kind === 'has' ? checkHasAddresses(msg) : FIXED_LENGTH[MH_TYPE_OF_KIND[msg.kind]]!;
}

function checkCommon(msg: MobilityMessage): void {
  if (msg === null || typeof msg !== 'object') throw new TypeError('encodeMessage: expected a message object');
  if (msg.kind !== 'unknown' && !Object.hasOwn(MH_TYPE_OF_KIND, msg.kind)) {
    throw new TypeError(`encodeMessage: unknown message kind ${JSON.stringify(msg.kind)}`);
  }
  if (msg.payloadProto !== IPPROTO_NONE) {
    throw new RangeError(`${msg.kind}: Payload Proto ${msg.payloadProto}, must be ${IPPROTO_NONE}`);
  }
  if (!Array.isArray(msg.options)) throw new TypeError(`${msg.kind}: options must be an array`);
}

function writeFixed(msg: Exclude<MobilityMessage, { kind: 'unknown' }>, buf: Uint8Array, base: number): void {
  switch (msg.kind) {
    case 'brr':
      return encodeBrrFixed(msg, buf, base);
    case 'hoti':
    case 'coti':
      return encodeTestInitFixed(msg, buf, base);
    case 'hot':
    case 'cot':
      return encodeTestFixed(msg, buf, base);
    case 'bu':
      return encodeBuFixed(msg, buf, base);
    case 'ba':
      return encodeBaFixed(msg, buf, base);
    case 'be':
      return encodeBeFixed(msg, buf, base);
    case 'has':
      return encodeHasFixed(msg, buf, base);
  }
}

/** Fixed fields of a message handed back with a decoding error, narrowed by kind. */
export function partialOf<K extends MobilityMessage['kind']>(
  error: WireError,
  kind: K,
): Omit<Extract<MobilityMessage, { kind: K }>, 'options'> | undefined {
  const p = error.partial;
  return p && p.kind === kind ? (p as Omit<Extract<MobilityMessage, { kind: K }>, 'options'>) : undefined;
}

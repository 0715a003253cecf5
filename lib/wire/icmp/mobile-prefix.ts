// Mobile Prefix Discovery messages (RFC 6275 §6.7, §6.8) with the Prefix Information option
// of RFC 4861 §4.6.2 as RFC 6275 §7.2 modifies it (the R bit: Prefix holds the sender's
// whole address). Pure functions; every multi-octet field is in network byte order. The
// Checksum is left zero: the kernel fills it on a raw ICMPv6 socket (tests compute it).
//
//   Mobile Prefix Solicitation (146):
//   | Type 146 (8) | Code 0 (8) | Checksum (16) |
//   | Identifier (16)            | Reserved (16) |
//   | Options ...
//
//   Mobile Prefix Advertisement (147):
//   | Type 147 (8) | Code 0 (8) | Checksum (16) |
//   | Identifier (16)            |M|O| Reserved (14) |
//   | Options ...
//
//   Prefix Information (type 3, length 4 = 32 octets):
//   | Type 3 (8) | Length 4 (8) | Prefix Length (8) |L|A|R| Reserved1 (5) |
//   | Valid Lifetime (32)                                             |
//   | Preferred Lifetime (32)                                         |
//   | Reserved2 (32)                                                  |
//   | Prefix (128)                                                    |
//
//   option: Type (8) | Length (8, in 8-octet units including these two, never 0) | data
import { checkBytes, checkUint, flag, readU16, writeU16 } from '../fields.js';

export const ICMP6_MOBILE_PREFIX_SOLICIT = 146;
export const ICMP6_MOBILE_PREFIX_ADVERT = 147;
export const ND_OPT_PREFIX_INFORMATION = 3;

const FIXED_LENGTH = 8;
const PREFIX_OPTION_LENGTH = 32;
const MPA_FLAG_MANAGED = 0x80;
const MPA_FLAG_OTHER = 0x40;
const PI_FLAG_ON_LINK = 0x80;
const PI_FLAG_AUTONOMOUS = 0x40;
const PI_FLAG_ROUTER_ADDRESS = 0x20;
/** RFC 4861 §4.6.2: all ones is infinity. */
export const INFINITE_LIFETIME = 0xffffffff;

/** An option this codec does not interpret, kept as it came (type and data after the two header octets). */
export interface RawIcmpOption {
  type: number;
  data: Uint8Array;
}

export interface MobilePrefixSolicitation {
  kind: 'mps';
  identifier: number;
  options: RawIcmpOption[];
}

export interface PrefixInformation {
  prefixLength: number;
  onLink: boolean;
  autonomous: boolean;
  /** RFC 6275 §7.2: Prefix is the home agent's full address, not only the prefix. */
  routerAddress: boolean;
  validLifetime: number;
  preferredLifetime: number;
  prefix: Uint8Array;
}

export interface MobilePrefixAdvertisement {
  kind: 'mpa';
  identifier: number;
  managed: boolean;
  other: boolean;
  prefixes: PrefixInformation[];
  /** Options other than Prefix Information, in the order received. */
  options: RawIcmpOption[];
}

export type MobilePrefixMessage = MobilePrefixSolicitation | MobilePrefixAdvertisement;

export type MobilePrefixErrorCode =
  | 'MPD_TRUNCATED'
  | 'MPD_NOT_MOBILE_PREFIX'
  | 'MPD_BAD_CODE'
  | 'MPD_BAD_OPTION_LENGTH'
  | 'MPD_BAD_PREFIX_OPTION'
  | 'MPD_BAD_PREFIX_LENGTH';

export interface MobilePrefixError {
  code: MobilePrefixErrorCode;
  offset: number;
  message: string;
}

export type MobilePrefixDecode = { ok: true; value: MobilePrefixMessage; consumed: number } | { ok: false; error: MobilePrefixError };

const bad = (code: MobilePrefixErrorCode, offset: number, message: string): MobilePrefixDecode => ({ ok: false, error: { code, offset, message } });

export function writeU32(b: Uint8Array, off: number, v: number): void {
  writeU16(b, off, v >>> 16);
  writeU16(b, off + 2, v & 0xffff);
}

export const readU32 = (b: Uint8Array, off: number): number => readU16(b, off) * 0x10000 + readU16(b, off + 2);

function optionLength(o: RawIcmpOption): number {
  return Math.ceil((o.data.length + 2) / 8) * 8;
}

/** Octets `m` encodes to. */
export function mobilePrefixEncodedLength(m: MobilePrefixMessage): number {
  const raw = m.options.reduce((n, o) => n + optionLength(o), 0);
  return FIXED_LENGTH + raw + (m.kind === 'mpa' ? m.prefixes.length * PREFIX_OPTION_LENGTH : 0);
}

/** A Prefix Information option (RFC 4861 §4.6.2, R bit of RFC 6275 §7.2) at `off`; also the router advertisement codec's. */
export function encodePrefix(p: PrefixInformation, b: Uint8Array, off: number): void {
  b[off] = ND_OPT_PREFIX_INFORMATION;
  b[off + 1] = PREFIX_OPTION_LENGTH / 8;
  b[off + 2] = checkUint(p.prefixLength, 128, 'prefix length');
  b[off + 3] = flag(p.onLink, PI_FLAG_ON_LINK) | flag(p.autonomous, PI_FLAG_AUTONOMOUS) | flag(p.routerAddress, PI_FLAG_ROUTER_ADDRESS);
  writeU32(b, off + 4, checkUint(p.validLifetime, INFINITE_LIFETIME, 'valid lifetime'));
  writeU32(b, off + 8, checkUint(p.preferredLifetime, INFINITE_LIFETIME, 'preferred lifetime'));
  b.set(checkBytes(p.prefix, 16, 'prefix'), off + 16);
}

/** The ICMPv6 message, checksum zero; at `offset` into `out` when given (else a new buffer). */
export function encodeMobilePrefix(m: MobilePrefixMessage, out?: Uint8Array, offset = 0): Uint8Array {
  const length = mobilePrefixEncodedLength(m);
  const b = out ? out.subarray(offset, offset + length) : new Uint8Array(length);
  if (b.length < length) throw new RangeError(`mobile prefix message of ${length} octets does not fit`);
  b.fill(0);
  b[0] = m.kind === 'mps' ? ICMP6_MOBILE_PREFIX_SOLICIT : ICMP6_MOBILE_PREFIX_ADVERT;
  writeU16(b, 4, checkUint(m.identifier, 0xffff, 'identifier'));
  let p = FIXED_LENGTH;
  if (m.kind === 'mpa') {
    b[6] = flag(m.managed, MPA_FLAG_MANAGED) | flag(m.other, MPA_FLAG_OTHER);
    for (const pi of m.prefixes) {
      encodePrefix(pi, b, p);
      p += PREFIX_OPTION_LENGTH;
    }
  }
  for (const o of m.options) {
    const len = optionLength(o);
    if (len > 255 * 8) throw new RangeError(`option ${o.type}: ${o.data.length} octets of data do not fit`);
    b[p] = checkUint(o.type, 255, 'option type');
    b[p + 1] = len / 8;
    b.set(o.data, p + 2);
    p += len;
  }
  return b;
}

function decodePrefix(b: Uint8Array, off: number, len: number): PrefixInformation | MobilePrefixError {
  if (len !== PREFIX_OPTION_LENGTH) return { code: 'MPD_BAD_PREFIX_OPTION', offset: off + 1, message: `Prefix Information of ${len} octets, 32 expected` };
  const prefixLength = b[off + 2]!;
  if (prefixLength > 128) return { code: 'MPD_BAD_PREFIX_LENGTH', offset: off + 2, message: `prefix length ${prefixLength}` };
  return readPrefixFields(b, off);
}

/** The fields of the 32-octet Prefix Information option at `off` (its length already checked). */
export function readPrefixFields(b: Uint8Array, off: number): PrefixInformation {
  const flags = b[off + 3]!;
  return {
    prefixLength: b[off + 2]!,
    onLink: (flags & PI_FLAG_ON_LINK) !== 0,
    autonomous: (flags & PI_FLAG_AUTONOMOUS) !== 0,
    routerAddress: (flags & PI_FLAG_ROUTER_ADDRESS) !== 0,
    validLifetime: readU32(b, off + 4),
    preferredLifetime: readU32(b, off + 8),
    prefix: b.slice(off + 16, off + 32),
  };
}

/**
 * Decodes an MPS or MPA (the ICMPv6 message only, as a raw ICMPv6 socket gives it): the
 * whole of `b` is the message; option lengths are checked against it, never trusted.
 * Prefix Information options are kept only in an advertisement (a solicitation has none
 * defined; any there are kept raw, RFC 6275 §6.7 says to ignore them).
 */
export function decodeMobilePrefix(b: Uint8Array): MobilePrefixDecode {
  if (b.length < FIXED_LENGTH) return bad('MPD_TRUNCATED', 0, `message of ${b.length} octets, at least 8 needed`);
  const type = b[0]!;
  if (type !== ICMP6_MOBILE_PREFIX_SOLICIT && type !== ICMP6_MOBILE_PREFIX_ADVERT) return bad('MPD_NOT_MOBILE_PREFIX', 0, `ICMPv6 type ${type}`);
  if (b[1] !== 0) return bad('MPD_BAD_CODE', 1, `ICMPv6 code ${b[1]!}`);
  const identifier = readU16(b, 4);
  const options: RawIcmpOption[] = [];
  const prefixes: PrefixInformation[] = [];
  for (let p = FIXED_LENGTH; p < b.length; ) {
    if (p + 2 > b.length) return bad('MPD_TRUNCATED', p, 'option header cut short');
    const len = b[p + 1]! * 8;
    if (len === 0) return bad('MPD_BAD_OPTION_LENGTH', p + 1, `option ${b[p]!} has length 0`);
    if (p + len > b.length) return bad('MPD_TRUNCATED', p + 1, `option ${b[p]!} of ${len} octets runs past the message`);
    if (type === ICMP6_MOBILE_PREFIX_ADVERT && b[p] === ND_OPT_PREFIX_INFORMATION) {
      const pi = decodePrefix(b, p, len);
      if ('code' in pi) return { ok: false, error: pi };
      prefixes.push(pi);
    } else {
      options.push({ type: b[p]!, data: b.slice(p + 2, p + len) });
    }
    p += len;
  }
  if (type === ICMP6_MOBILE_PREFIX_SOLICIT) return { ok: true, value: { kind: 'mps', identifier, options }, consumed: b.length };
  const flags = b[6]!;
  return {
    ok: true,
    value: { kind: 'mpa', identifier, managed: (flags & MPA_FLAG_MANAGED) !== 0, other: (flags & MPA_FLAG_OTHER) !== 0, prefixes, options },
    consumed: b.length,
  };
}

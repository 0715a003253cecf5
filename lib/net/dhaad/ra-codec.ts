// Router Advertisement (RFC 4861 §4.2) with the parts Mobile IPv6 adds (RFC 6275 §7.1, §7.2,
// §7.4): the H bit, the R bit of the Prefix Information option and the Home Agent Information
// option. A home agent reads other home agents' advertisements with this (§10.5.1); radvd
// sends its own. Pure functions; multi-octet fields are in network byte order; the Checksum
// is left zero on encode. Options this build does not interpret are kept as raw octets.
//
//   RA: Type 134 (8) | Code 0 (8) | Checksum (16) | Cur Hop Limit (8) | M O H Reserved (3+5)
//       | Router Lifetime (16, s) | Reachable Time (32, ms) | Retrans Timer (32, ms) | options
//   Prefix Information (type 3, length 4): Prefix Length (8) | L A R Reserved1 (3+5)
//       | Valid Lifetime (32) | Preferred Lifetime (32) | Reserved2 (32) | Prefix (128)
//   Home Agent Information (type 8, length 1): R Reserved (1+15; R from RFC 3963) | Home
//       Agent Preference (16, signed) | Home Agent Lifetime (16, s)
import { checkUint, readU16, writeU16 } from '../../wire/fields.js';
import { ND_OPT_PREFIX_INFORMATION, encodePrefix, readPrefixFields, readU32, writeU32 } from '../../wire/icmp/mobile-prefix.js';

export { ND_OPT_PREFIX_INFORMATION };
export const ND_ROUTER_ADVERT = 134;
export const ND_OPT_HOME_AGENT_INFO = 8;

const RA_FIXED_LENGTH = 16;
const RA_FLAG_MANAGED = 0x80;
const RA_FLAG_OTHER = 0x40;
const RA_FLAG_HOME_AGENT = 0x20;
const PI_LENGTH = 32;
const HAI_LENGTH = 8;
/** Home Agent Information: Type (8) | Length (8) | R Reserved (1+15) | Preference (16) | Lifetime (16). */
const HAI_FLAG_MOBILE_ROUTER = 0x80;

export interface PrefixInformation {
  kind: 'prefixInformation';
  prefixLength: number;
  onLink: boolean;
  autonomous: boolean;
  /** R: `prefix` is the whole address of the sending router (RFC 6275 §7.2). */
  routerAddress: boolean;
  validLifetime: number;
  preferredLifetime: number;
  prefix: Uint8Array;
}

export interface HomeAgentInformation {
  kind: 'homeAgentInformation';
  /** RFC 3963's R flag (top bit after the Length): this home agent supports mobile routers. */
  mobileRouterSupport: boolean;
  /** -32768..32767; higher is more preferred. */
  preference: number;
  /** Seconds, 1..65535 on the wire from a home agent; 0 is refused by receivers. */
  lifetime: number;
}

export type RaOption = PrefixInformation | HomeAgentInformation | { kind: 'unknown'; optionType: number; data: Uint8Array };

export interface RouterAdvertisement {
  curHopLimit: number;
  managed: boolean;
  other: boolean;
  /** H: the sender is also a home agent on this link (RFC 6275 §7.1). */
  homeAgent: boolean;
  routerLifetime: number;
  reachableTime: number;
  retransTimer: number;
  options: RaOption[];
}

export type RaErrorCode = 'RA_TRUNCATED' | 'RA_NOT_RA' | 'RA_BAD_CODE' | 'RA_BAD_OPTION_LENGTH';
export interface RaError {
  code: RaErrorCode;
  offset: number;
  message: string;
}
export type RaDecode = { ok: true; value: RouterAdvertisement } | { ok: false; error: RaError };

const bad = (code: RaErrorCode, offset: number, message: string): RaDecode => ({ ok: false, error: { code, offset, message } });


function optionLength(o: RaOption): number {
  if (o.kind === 'prefixInformation') return PI_LENGTH;
  if (o.kind === 'homeAgentInformation') return HAI_LENGTH;
  return Math.ceil((o.data.length + 2) / 8) * 8;
}

export function raEncodedLength(ra: RouterAdvertisement): number {
  return ra.options.reduce((n, o) => n + optionLength(o), RA_FIXED_LENGTH);
}

function encodeOption(o: RaOption, b: Uint8Array, p: number): void {
  const len = optionLength(o);
  b[p + 1] = len / 8;
  if (o.kind === 'prefixInformation') {
    encodePrefix(o, b, p);
  } else if (o.kind === 'homeAgentInformation') {
    b[p] = ND_OPT_HOME_AGENT_INFO;
    b[p + 2] = o.mobileRouterSupport ? HAI_FLAG_MOBILE_ROUTER : 0;
    if (!Number.isInteger(o.preference) || o.preference < -0x8000 || o.preference > 0x7fff) {
      throw new RangeError(`home agent preference: ${o.preference} is outside -32768..32767`);
    }
    writeU16(b, p + 4, o.preference & 0xffff);
    writeU16(b, p + 6, checkUint(o.lifetime, 0xffff, 'home agent lifetime'));
  } else {
    b[p] = checkUint(o.optionType, 0xff, 'option type');
    b.set(o.data, p + 2);
  }
}

export function encodeRa(ra: RouterAdvertisement): Uint8Array {
  const b = new Uint8Array(raEncodedLength(ra));
  b[0] = ND_ROUTER_ADVERT;
  b[4] = checkUint(ra.curHopLimit, 0xff, 'cur hop limit');
  b[5] = (ra.managed ? RA_FLAG_MANAGED : 0) | (ra.other ? RA_FLAG_OTHER : 0) | (ra.homeAgent ? RA_FLAG_HOME_AGENT : 0);
  writeU16(b, 6, checkUint(ra.routerLifetime, 0xffff, 'router lifetime'));
  writeU32(b, 8, checkUint(ra.reachableTime, 0xffffffff, 'reachable time'));
  writeU32(b, 12, checkUint(ra.retransTimer, 0xffffffff, 'retrans timer'));
  let p = RA_FIXED_LENGTH;
  for (const o of ra.options) {
    encodeOption(o, b, p);
    p += optionLength(o);
  }
  return b;
}

function decodeOption(b: Uint8Array, p: number, len: number): RaOption | RaError {
  const type = b[p]!;
  if (type === ND_OPT_PREFIX_INFORMATION || type === ND_OPT_HOME_AGENT_INFO) {
    const want = type === ND_OPT_PREFIX_INFORMATION ? PI_LENGTH : HAI_LENGTH;
    // RFC 4861 §4.6.2 and RFC 6275 §7.4 fix these lengths; another is malformed, not longer.
    if (len !== want) return { code: 'RA_BAD_OPTION_LENGTH', offset: p + 1, message: `option ${type} of ${len} octets, ${want} expected` };
  }
  if (type === ND_OPT_PREFIX_INFORMATION) return { kind: 'prefixInformation', ...readPrefixFields(b, p) };
  if (type === ND_OPT_HOME_AGENT_INFO) {
    const raw = readU16(b, p + 4);
    return {
      kind: 'homeAgentInformation',
      mobileRouterSupport: (b[p + 2]! & HAI_FLAG_MOBILE_ROUTER) !== 0,
      preference: raw >= 0x8000 ? raw - 0x10000 : raw,
      lifetime: readU16(b, p + 6),
    };
  }
  return { kind: 'unknown', optionType: type, data: b.slice(p + 2, p + len) };
}

/**
 * Decodes an ICMPv6 Router Advertisement (the ICMPv6 message only) with the content checks of
 * RFC 4861 §6.1.2 that need no IPv6 header: code 0, length, option lengths. The hop limit
 * (255) and link-local source checks are the caller's.
 */
export function decodeRa(b: Uint8Array): RaDecode {
  if (b.length < RA_FIXED_LENGTH) return bad('RA_TRUNCATED', 0, `RA of ${b.length} octets, at least 16 needed`);
  if (b[0] !== ND_ROUTER_ADVERT) return bad('RA_NOT_RA', 0, `ICMPv6 type ${b[0]!}`);
  if (b[1] !== 0) return bad('RA_BAD_CODE', 1, `ICMPv6 code ${b[1]!}`);
  const options: RaOption[] = [];
  for (let p = RA_FIXED_LENGTH; p < b.length; ) {
    if (p + 2 > b.length) return bad('RA_TRUNCATED', p, 'option header cut short');
    const len = b[p + 1]! * 8;
    if (len === 0) return bad('RA_BAD_OPTION_LENGTH', p + 1, `option ${b[p]!} has length 0`);
    if (p + len > b.length) return bad('RA_TRUNCATED', p + 1, `option ${b[p]!} of ${len} octets runs past the message`);
    const o = decodeOption(b, p, len);
    if ('code' in o) return { ok: false, error: o };
    options.push(o);
    p += len;
  }
  const flags = b[5]!;
  return {
    ok: true,
    value: {
      curHopLimit: b[4]!,
      managed: (flags & RA_FLAG_MANAGED) !== 0,
      other: (flags & RA_FLAG_OTHER) !== 0,
      homeAgent: (flags & RA_FLAG_HOME_AGENT) !== 0,
      routerLifetime: readU16(b, 6),
      reachableTime: readU32(b, 8),
      retransTimer: readU32(b, 12),
      options,
    },
  };
}

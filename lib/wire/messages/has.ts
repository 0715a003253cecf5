// Home Agent Switch, MH Type 12 (RFC 5142 §4). A home agent tells a mobile node to register
// with another home agent: the addresses are in order of preference; none at all means
// "find one yourself" (DHAAD, RFC 6275 §10.5). RFC 5142 defines no mobility option for it.
//
//                                   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//                                   |# of Addresses |   Reserved    |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                                                               |
//   .              Home Agent Addresses (16 octets each)            .
//   |                                                               |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   .                        Mobility Options                       .
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
import { IPPROTO_NONE, MhType, type HomeAgentSwitch, type MobilityOption, type WireError } from '../types.js';
import { checkBytes, checkUint, copyBytes } from '../fields.js';

export const HAS_TYPE = MhType.HAS;
/** Octets before the first address: the common header (6) + # of Addresses + Reserved. */
export const HAS_ADDRESSES_OFFSET = 8;
const ADDRESS_LENGTH = 16;

/** Octets before the options for `count` addresses. */
export function hasFixedLength(count: number): number {
  return HAS_ADDRESSES_OFFSET + count * ADDRESS_LENGTH;
}

/**
 * Octets before the options of the message in `buf` (which holds at least the common header
 * and the count octet), or an error when the declared addresses do not fit in the message.
 */
export function hasFixedLengthIn(buf: Uint8Array): number | WireError {
  if (buf.length < HAS_ADDRESSES_OFFSET) {
    return {
      code: 'MESSAGE_TOO_SHORT',
      offset: 1,
      message: `MH type ${HAS_TYPE} needs ${HAS_ADDRESSES_OFFSET} octets before its addresses, the message has ${buf.length}`,
    };
  }
  const count = buf[6]!;
  const fixed = hasFixedLength(count);
  if (fixed > buf.length) {
    return {
      code: 'MESSAGE_TOO_SHORT',
      offset: 6,
      message: `Home Agent Switch declares ${count} addresses (${fixed} octets), the message has ${buf.length}`,
    };
  }
  return fixed;
}

/** The caller has checked hasFixedLengthIn(buf). */
export function decodeHas(buf: Uint8Array, checksum: number, options: MobilityOption[]): HomeAgentSwitch {
  const count = buf[6]!;
  const homeAgents: Uint8Array[] = [];
  for (let i = 0; i < count; i++) homeAgents.push(copyBytes(buf, HAS_ADDRESSES_OFFSET + i * ADDRESS_LENGTH, ADDRESS_LENGTH));
  return { kind: 'has', payloadProto: IPPROTO_NONE, checksum, homeAgents, options };
}

/** Throws on a list the count octet cannot carry or on an address that is not 16 octets. */
export function checkHasAddresses(msg: HomeAgentSwitch): number {
  if (!Array.isArray(msg.homeAgents)) throw new TypeError('has: homeAgents must be an array');
  checkUint(msg.homeAgents.length, 0xff, 'HAS # of Addresses');
  msg.homeAgents.forEach((a, i) => checkBytes(a, ADDRESS_LENGTH, `HAS home agent address ${i}`));
  return hasFixedLength(msg.homeAgents.length);
}

export function encodeHasFixed(msg: HomeAgentSwitch, buf: Uint8Array, base: number): void {
  buf[base + 6] = msg.homeAgents.length;
  buf[base + 7] = 0; // Reserved
  msg.homeAgents.forEach((a, i) => buf.set(a, base + HAS_ADDRESSES_OFFSET + i * ADDRESS_LENGTH));
}

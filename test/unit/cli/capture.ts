// Building captures for the CLI tests: link-layer framing, pcap variants, sample packets.
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2 } from '../../../lib/cli/decode/pcap.js';
import { buildIp6Packet, homeAddressHeader } from '../../../lib/wire/ip6-packet.js';
import { writeMhChecksum } from '../../../lib/wire/checksum.js';
import { encodeMessage } from '../../../lib/wire/mh.js';
import { DRAFT04_PROFILE } from '../../../lib/wire/profiles.js';
import { IPPROTO_MH, type MobilityMessage } from '../../../lib/wire/types.js';
import { bulkBu, ip } from '../wire/fixtures.js';

export const HA = ip('2001:db8::1');
export const HOA = ip('2001:db8::100');
export const COA = ip('2001:db8:1::2');

/** A BU from COA to HA with a Home Address option and a correct checksum. */
export function samplePacket(msg: MobilityMessage = bulkBu()): Uint8Array {
  const mh = encodeMessage(msg, DRAFT04_PROFILE);
  writeMhChecksum(mh, HOA, HA);
  return buildIp6Packet({ src: COA, dst: HA, headers: [homeAddressHeader(HOA)], nextHeader: IPPROTO_MH, payload: mh });
}

/** `pkt` framed for link type `lt` (raw types: the packet itself). */
export function frameFor(lt: number, pkt: Uint8Array): Uint8Array {
  switch (lt) {
    case LINKTYPE_ETHERNET:
      return Uint8Array.from([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x86, 0xdd, ...pkt]);
    case LINKTYPE_LINUX_SLL:
      return Uint8Array.from([0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 2, 0, 0, 0x86, 0xdd, ...pkt]);
    case LINKTYPE_LINUX_SLL2:
      return Uint8Array.from([0x86, 0xdd, 0, 0, 0, 0, 0, 3, 0, 1, 0, 6, 2, 0, 0, 0, 0, 2, 0, 0, ...pkt]);
    default:
      return pkt;
  }
}

/**
 * Rewrites a writePcap file (little-endian, microseconds) into another byte order and/or
 * nanosecond resolution, setting every record's fraction field to `fraction`.
 */
export function pcapVariant(file: Uint8Array, o: { bigEndian: boolean; nano: boolean; fraction: number }): Uint8Array {
  const out = Uint8Array.from(file);
  const src = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const dst = new DataView(out.buffer);
  const le = !o.bigEndian;
  dst.setUint32(0, o.nano ? 0xa1b23c4d : 0xa1b2c3d4, le);
  dst.setUint16(4, src.getUint16(4, true), le);
  dst.setUint16(6, src.getUint16(6, true), le);
  for (const at of [8, 12, 16, 20]) dst.setUint32(at, src.getUint32(at, true), le);
  let p = 24;
  while (p + 16 <= file.length) {
    const incl = src.getUint32(p + 8, true);
    dst.setUint32(p, src.getUint32(p, true), le);
    dst.setUint32(p + 4, o.fraction, le);
    dst.setUint32(p + 8, incl, le);
    dst.setUint32(p + 12, src.getUint32(p + 12, true), le);
    p += 16 + incl;
  }
  return out;
}

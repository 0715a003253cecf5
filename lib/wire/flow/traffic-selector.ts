// RFC 6088's binary traffic selectors, the body of RFC 6089's Traffic Selector sub-option
// after its TS Format and Reserved octets. Multi-octet fields in network byte order.
//
// IPv6 (RFC 6088 §3.2, TS Format 2):
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |A|B|C|D|E|F|G|H|I|J|K|L|M|N|O|P|          Reserved-2           |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  (A) Start Source Address, (B) End Source Address,            |
//   |  (C) Start Destination Address, (D) End Destination Address:  |
//   |  128 bits each                                                |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  (E) Start IPsec SPI, (F) End IPsec SPI: 32 bits each         |
//   |  (G) Start Flow Label, (H) End Flow Label: 32 bits each, the  |
//   |      20-bit label in the low bits                             |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   | (I) Start Source Port         | (J) End Source Port           |
//   | (K) Start Destination Port    | (L) End Destination Port      |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   | (M) Start TC  | (N) End TC    | (O) Start NH  | (P) End NH    |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// IPv4 (RFC 6088 §3.1, TS Format 1): flags A..N then 18 reserved bits; addresses of 32 bits,
// SPIs of 32, ports (G..J) of 16, DS (K, L) and protocol (M, N) of 8.
//
// A field is on the wire exactly when its flag is set, in flag order, so the body's length
// is fixed by the flags: any other length is BAD_OPTION_LENGTH. Reserved bits are sent as 0
// and ignored on receipt.
import type { WireError } from '../types.js';
import { checkBytes, checkUint, copyBytes, readU16, writeU16 } from '../fields.js';
import type { Ip4TrafficSelector, Ip6TrafficSelector, TrafficSelector } from './flow-types.js';
import { TsFormat } from './flow-types.js';

type FieldKind = 'bytes' | 'u32' | 'u16' | 'u8';
interface Field {
  key: string;
  kind: FieldKind;
  size: number;
  /** Largest value of a numeric field (flow label: 20 bits in 32). */
  max: number;
}

const addr = (key: string, size: number): Field => ({ key, kind: 'bytes', size, max: 0 });
const u32 = (key: string, max = 0xffffffff): Field => ({ key, kind: 'u32', size: 4, max });
const u16 = (key: string): Field => ({ key, kind: 'u16', size: 2, max: 0xffff });
const u8 = (key: string): Field => ({ key, kind: 'u8', size: 1, max: 0xff });

/** RFC 6088 §3.2 fields in flag order A..P. */
export const IP6_TS_FIELDS: readonly Field[] = [
  addr('sourceAddressStart', 16),
  addr('sourceAddressEnd', 16),
  addr('destinationAddressStart', 16),
  addr('destinationAddressEnd', 16),
  u32('spiStart'),
  u32('spiEnd'),
  u32('flowLabelStart', 0xfffff),
  u32('flowLabelEnd', 0xfffff),
  u16('sourcePortStart'),
  u16('sourcePortEnd'),
  u16('destinationPortStart'),
  u16('destinationPortEnd'),
  u8('trafficClassStart'),
  u8('trafficClassEnd'),
  u8('nextHeaderStart'),
  u8('nextHeaderEnd'),
];

/** RFC 6088 §3.1 fields in flag order A..N. */
export const IP4_TS_FIELDS: readonly Field[] = [
  addr('sourceAddressStart', 4),
  addr('sourceAddressEnd', 4),
  addr('destinationAddressStart', 4),
  addr('destinationAddressEnd', 4),
  u32('spiStart'),
  u32('spiEnd'),
  u16('sourcePortStart'),
  u16('sourcePortEnd'),
  u16('destinationPortStart'),
  u16('destinationPortEnd'),
  u8('dsStart'),
  u8('dsEnd'),
  u8('protocolStart'),
  u8('protocolEnd'),
];

/** Octets of the flags word (flags and Reserved-1/Reserved-2) in both formats. */
export const TS_FLAGS_LENGTH = 4;

function fieldsOf(format: 'ipv4' | 'ipv6'): readonly Field[] {
  return format === 'ipv6' ? IP6_TS_FIELDS : IP4_TS_FIELDS;
}

/** Bit of field i in the 32-bit flags word: A is the most significant bit. */
const flagBit = (i: number): number => 2 ** (31 - i);

type Values = Record<string, Uint8Array | number | string | undefined>;

/** Octets of a known-format selector after TS Format and Reserved. */
export function selectorLength(ts: Ip6TrafficSelector | Ip4TrafficSelector): number {
  const values = ts as unknown as Values;
  let n = TS_FLAGS_LENGTH;
  for (const f of fieldsOf(ts.format)) if (values[f.key] !== undefined) n += f.size;
  return n;
}

/** Writes a known-format selector at `offset`; returns the octets written. Throws on invalid values. */
export function encodeSelector(ts: Ip6TrafficSelector | Ip4TrafficSelector, buf: Uint8Array, offset: number): number {
  const values = ts as unknown as Values;
  let flags = 0;
  let p = offset + TS_FLAGS_LENGTH;
  const fields = fieldsOf(ts.format);
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    const v = values[f.key];
    if (v === undefined) continue;
    flags += flagBit(i);
    const name = `traffic selector ${f.key}`;
    if (f.kind === 'bytes') buf.set(checkBytes(v, f.size, name), p);
    else writeUint(buf, p, f.size, checkUint(v, f.max, name));
    p += f.size;
  }
  writeUint(buf, offset, 4, flags);
  return p - offset;
}

export type SelectorResult = { ok: true; value: TrafficSelector } | { ok: false; error: WireError };

/**
 * Decodes the selector of TS Format `tsFormat` in buf[offset, offset + length); `at` is the
 * sub-option's offset in the MH for errors. Unknown formats are kept raw.
 */
export function decodeSelector(buf: Uint8Array, offset: number, length: number, tsFormat: number, at: number): SelectorResult {
  if (tsFormat !== TsFormat.IPv6Binary && tsFormat !== TsFormat.IPv4Binary) {
    return { ok: true, value: { format: 'unknown', tsFormat, data: copyBytes(buf, offset, length) } };
  }
  const format = tsFormat === TsFormat.IPv6Binary ? 'ipv6' : 'ipv4';
  if (length < TS_FLAGS_LENGTH) return fail('BAD_OPTION_LENGTH', at + 1, `${format} traffic selector of ${length} octets has no flags`);
  const fields = fieldsOf(format);
  const flags = readUint(buf, offset, 4);
  let expected = TS_FLAGS_LENGTH;
  for (let i = 0; i < fields.length; i++) if (flags & flagBit(i)) expected += fields[i]!.size;
  if (expected !== length) {
    return fail('BAD_OPTION_LENGTH', at + 1, `${format} traffic selector: its flags need ${expected} octets, the sub-option holds ${length}`);
  }
  const out: Values = { format };
  let p = offset + TS_FLAGS_LENGTH;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    if (!(flags & flagBit(i))) continue;
    if (f.kind === 'bytes') out[f.key] = copyBytes(buf, p, f.size);
    else {
      const v = readUint(buf, p, f.size);
      if (v > f.max) return fail('BAD_OPTION_VALUE', p, `traffic selector ${f.key} ${v} exceeds ${f.max}`);
      out[f.key] = v;
    }
    p += f.size;
  }
  return { ok: true, value: out as unknown as TrafficSelector };
}

function fail(code: WireError['code'], offset: number, message: string): SelectorResult {
  return { ok: false, error: { code, offset, message } };
}

function readUint(buf: Uint8Array, offset: number, size: number): number {
  if (size === 1) return buf[offset]!;
  if (size === 2) return readU16(buf, offset);
  return readU16(buf, offset) * 0x10000 + readU16(buf, offset + 2);
}

function writeUint(buf: Uint8Array, offset: number, size: number, v: number): void {
  if (size === 1) buf[offset] = v;
  else if (size === 2) writeU16(buf, offset, v);
  else {
    writeU16(buf, offset, Math.floor(v / 0x10000));
    writeU16(buf, offset + 2, v % 0x10000);
  }
}

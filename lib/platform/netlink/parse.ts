// Reading netlink: message headers, attributes and fixed structs out of a
// datagram without trusting any length in it. Every read is preceded by a bounds
// check; a malformed message becomes a NetlinkParseError (code + offset), never a
// RangeError, an out-of-range read or a silently wrong number.
import { formatIp6, type Ip6 } from '../../inet/ip6.js';
import { NLA_HDRLEN, NLA_TYPE_MASK, NLMSG_HDRLEN, nlAlign } from './netlink-constants.js';

export type NetlinkParseCode =
  | 'MSG_TRUNCATED' // fewer octets than a header needs
  | 'MSG_BAD_LENGTH' // nlmsg_len below the header size or past the datagram
  | 'ATTR_TRUNCATED' // fewer octets than an attribute header needs
  | 'ATTR_BAD_LENGTH' // nla_len below 4 or past its container
  | 'ATTR_BAD_SIZE' // payload too short for the attribute's type
  | 'STRUCT_TRUNCATED' // payload shorter than the fixed struct it must hold
  | 'BAD_VALUE'; // a field holds a value the decoder cannot accept

export class NetlinkParseError extends Error {
  constructor(
    readonly code: NetlinkParseCode,
    /** Offset of the offending item inside the buffer handed to the decoder. */
    readonly offset: number,
    readonly what: string,
  ) {
    super(`netlink parse: ${code} at ${offset} (${what})`);
    this.name = 'NetlinkParseError';
  }
}

/** One netlink message; `payload` is a view into the receive buffer (copy what you keep). */
export interface NlMsg {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  payload: Uint8Array;
}

// Little-endian (host order on x86_64) and big-endian readers. Callers bound-check first.
export const rdU16 = (b: Uint8Array, o: number): number => b[o]! | (b[o + 1]! << 8);
export const rdU32 = (b: Uint8Array, o: number): number =>
  (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + b[o + 3]! * 0x1000000;
export const rdI32 = (b: Uint8Array, o: number): number =>
  b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24);
/** u64 as a number: exact below 2^53, which packet and byte counters stay under. */
export const rdU64 = (b: Uint8Array, o: number): number => rdU32(b, o) + rdU32(b, o + 4) * 0x100000000;
export const rdBe16 = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;
export const rdBe32 = (b: Uint8Array, o: number): number =>
  b[o]! * 0x1000000 + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!);

/** Throws STRUCT_TRUNCATED unless `b` holds `n` octets from `off`. */
export function need(b: Uint8Array, off: number, n: number, what: string): void {
  if (off < 0 || off + n > b.length) throw new NetlinkParseError('STRUCT_TRUNCATED', off, what);
}

/** Splits a datagram into its netlink messages. */
export function parseMessages(buf: Uint8Array): NlMsg[] {
  const out: NlMsg[] = [];
  let off = 0;
  while (off < buf.length) {
    if (buf.length - off < NLMSG_HDRLEN) throw new NetlinkParseError('MSG_TRUNCATED', off, 'nlmsghdr');
    const len = rdU32(buf, off);
    if (len < NLMSG_HDRLEN || len > buf.length - off) throw new NetlinkParseError('MSG_BAD_LENGTH', off, 'nlmsg_len');
    out.push({
      type: rdU16(buf, off + 4),
      flags: rdU16(buf, off + 6),
      seq: rdU32(buf, off + 8),
      pid: rdU32(buf, off + 12),
      payload: buf.subarray(off + NLMSG_HDRLEN, off + len),
    });
    off += nlAlign(len);
  }
  return out;
}

/** Attributes of one container, by type (flag bits stripped; a repeated type keeps the last). */
export class AttrSet {
  private readonly map = new Map<number, Uint8Array>();
  private readonly offsets = new Map<number, number>();

  /** Parses the attributes in `buf[start, end)`. */
  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    const stop = Math.min(end, buf.length);
    let off = start;
    while (off < stop) {
      if (stop - off < NLA_HDRLEN) throw new NetlinkParseError('ATTR_TRUNCATED', off, 'nlattr');
      const len = rdU16(buf, off);
      if (len < NLA_HDRLEN || len > stop - off) throw new NetlinkParseError('ATTR_BAD_LENGTH', off, 'nla_len');
      const type = rdU16(buf, off + 2) & NLA_TYPE_MASK;
      this.map.set(type, buf.subarray(off + NLA_HDRLEN, off + len));
      this.offsets.set(type, off);
      off += nlAlign(len);
    }
  }

  has(type: number): boolean {
    return this.map.has(type);
  }

  get types(): number[] {
    return [...this.map.keys()];
  }

  /** The payload view, or undefined when absent. */
  bytes(type: number): Uint8Array | undefined {
    return this.map.get(type);
  }

  private sized(type: number, n: number, what: string): Uint8Array | undefined {
    const v = this.map.get(type);
    if (v !== undefined && v.length < n) {
      throw new NetlinkParseError('ATTR_BAD_SIZE', this.offsets.get(type) ?? 0, `${what} attr ${type}: ${v.length} < ${n}`);
    }
    return v;
  }

  u8(type: number): number | undefined {
    const v = this.sized(type, 1, 'u8');
    return v && v[0]!;
  }
  u16(type: number): number | undefined {
    const v = this.sized(type, 2, 'u16');
    return v && rdU16(v, 0);
  }
  u32(type: number): number | undefined {
    const v = this.sized(type, 4, 'u32');
    return v && rdU32(v, 0);
  }
  i32(type: number): number | undefined {
    const v = this.sized(type, 4, 'i32');
    return v && rdI32(v, 0);
  }
  u64(type: number): number | undefined {
    const v = this.sized(type, 8, 'u64');
    return v && rdU64(v, 0);
  }
  /** A NUL-terminated (or unterminated) string. */
  string(type: number): string | undefined {
    const v = this.map.get(type);
    if (v === undefined) return undefined;
    const nul = v.indexOf(0);
    return Buffer.from(v.buffer, v.byteOffset, nul < 0 ? v.length : nul).toString('utf8');
  }
  /** A 16-octet IPv6 address as RFC 5952 text. */
  ip6(type: number): Ip6 | undefined {
    const v = this.sized(type, 16, 'in6_addr');
    return v && formatIp6(v, 0);
  }
  /** The attributes nested inside `type`. */
  nested(type: number): AttrSet | undefined {
    const v = this.map.get(type);
    return v && new AttrSet(v);
  }
}

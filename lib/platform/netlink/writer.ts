// Building netlink messages in one reusable buffer. A message is begun with its
// nlmsghdr, gets its fixed family header and attributes appended, and finish()
// patches nlmsg_len and returns an exact-size copy. seq and pid are left zero:
// the socket fills them in when it sends.
import type { Ip6 } from '../../inet/ip6.js';
import { writeIp6 } from '../../inet/ip6-write.js';
import { NLA_F_NESTED, NLA_HDRLEN, NLMSG_HDRLEN, NLM_F_REQUEST, nlAlign } from './netlink-constants.js';

export class NlWriter {
  private buf: Buffer;
  private len = 0;

  constructor(initialSize = 1024) {
    this.buf = Buffer.alloc(initialSize);
  }

  /** Reserves n octets and returns their offset. It may replace this.buf, so callers
      take the offset first and only then touch this.buf. */
  private room(n: number): number {
    if (this.len + n > this.buf.length) {
      const bigger = Buffer.alloc(Math.max(this.buf.length * 2, this.len + n));
      this.buf.copy(bigger, 0, 0, this.len);
      this.buf = bigger;
    }
    const at = this.len;
    this.len += n;
    return at;
  }

  /** Starts a message: NLM_F_REQUEST is always set; add CREATE/EXCL/REPLACE as needed. */
  begin(type: number, flags = 0): this {
    this.len = 0;
    const at = this.room(NLMSG_HDRLEN);
    this.buf.fill(0, at, at + NLMSG_HDRLEN);
    this.buf.writeUInt16LE(type, at + 4);
    this.buf.writeUInt16LE(flags | NLM_F_REQUEST, at + 6);
    return this;
  }

  // Fixed struct fields, host byte order unless the name says be.
  u8(v: number): this {
    const at = this.room(1);
    this.buf[at] = v & 0xff;
    return this;
  }
  u16(v: number): this {
    const at = this.room(2);
    this.buf.writeUInt16LE(v & 0xffff, at);
    return this;
  }
  u32(v: number): this {
    const at = this.room(4);
    this.buf.writeUInt32LE(v >>> 0, at);
    return this;
  }
  i32(v: number): this {
    const at = this.room(4);
    this.buf.writeInt32LE(v | 0, at);
    return this;
  }
  /** u64; `v` up to 2^53, or -1 / 'inf' for all ones (XFRM_INF). */
  u64(v: number | 'inf'): this {
    const at = this.room(8);
    if (v === 'inf' || v < 0) this.buf.fill(0xff, at, at + 8);
    else this.buf.writeBigUInt64LE(BigInt(v), at);
    return this;
  }
  be16(v: number): this {
    const at = this.room(2);
    this.buf.writeUInt16BE(v & 0xffff, at);
    return this;
  }
  be32(v: number): this {
    const at = this.room(4);
    this.buf.writeUInt32BE(v >>> 0, at);
    return this;
  }
  zeros(n: number): this {
    const at = this.room(n);
    this.buf.fill(0, at, at + n);
    return this;
  }
  bytes(b: Uint8Array): this {
    const at = this.room(b.length);
    this.buf.set(b, at);
    return this;
  }
  /** 16 octets of IPv6 address from text (or bytes). */
  ip6(a: Ip6 | Uint8Array): this {
    if (typeof a !== 'string') {
      if (a.length !== 16) throw new TypeError(`IPv6 address of ${a.length} octets`);
      return this.bytes(a);
    }
    const at = this.room(16);
    try {
      writeIp6(a, this.buf, at);
    } catch (err) {
      this.len -= 16;
      throw err;
    }
    return this;
  }
  /** Pads the message to 4 octets. */
  align(): this {
    const pad = nlAlign(this.len) - this.len;
    return pad ? this.zeros(pad) : this;
  }

  /** Current length of the message so far (for offsets of fixed structs). */
  get length(): number {
    return this.len;
  }

  // Attributes.
  private attrHeader(type: number, payloadLen: number): number {
    this.align();
    const at = this.room(NLA_HDRLEN);
    this.buf.writeUInt16LE(NLA_HDRLEN + payloadLen, at);
    this.buf.writeUInt16LE(type, at + 2);
    return at;
  }
  attrBytes(type: number, b: Uint8Array): this {
    this.attrHeader(type, b.length);
    return this.bytes(b).align();
  }
  attrU8(type: number, v: number): this {
    this.attrHeader(type, 1);
    return this.u8(v).align();
  }
  attrU16(type: number, v: number): this {
    this.attrHeader(type, 2);
    return this.u16(v).align();
  }
  attrU32(type: number, v: number): this {
    this.attrHeader(type, 4);
    return this.u32(v);
  }
  attrFlag(type: number): this {
    this.attrHeader(type, 0);
    return this;
  }
  /** NUL-terminated string attribute. */
  attrString(type: number, s: string): this {
    const b = Buffer.from(`${s}\0`, 'utf8');
    return this.attrBytes(type, b);
  }
  attrIp6(type: number, a: Ip6 | Uint8Array): this {
    this.attrHeader(type, 16);
    return this.ip6(a);
  }
  /** Opens a nested attribute (NLA_F_NESTED set unless `flagged` is false); returns its offset. */
  beginNest(type: number, flagged = true): number {
    return this.attrHeader(flagged ? type | NLA_F_NESTED : type, 0);
  }
  endNest(at: number): this {
    this.align();
    this.buf.writeUInt16LE(this.len - at, at);
    return this;
  }

  /** Patches nlmsg_len and returns a copy of the finished message. */
  finish(): Uint8Array {
    this.align();
    this.buf.writeUInt32LE(this.len, 0);
    return copyOut(this.buf, this.len);
  }
}

// Finished messages are carved out of shared slabs: one ArrayBuffer per 64 KiB of
// messages instead of one per message keeps allocation and GC off the hot path.
const SLAB_SIZE = 64 * 1024;
let slab = new Uint8Array(SLAB_SIZE);
let slabUsed = 0;

function copyOut(src: Uint8Array, len: number): Uint8Array {
  if (len > SLAB_SIZE / 8) return new Uint8Array(src.subarray(0, len)); // a copy
  if (slabUsed + len > SLAB_SIZE) {
    slab = new Uint8Array(SLAB_SIZE);
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + len);
  out.set(src.subarray(0, len));
  slabUsed += (len + 7) & ~7;
  return out;
}

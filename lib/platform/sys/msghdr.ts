// sendmsg/recvmsg with iovecs, a peer address and control messages (ancillary
// data), laid out for Linux x86_64:
//   struct msghdr  (56): name ptr @0, namelen u32 @8, iov ptr @16, iovlen u64 @24,
//                        control ptr @32, controllen u64 @40, flags i32 @48
//   struct iovec   (16): base ptr @0, len u64 @8
//   struct cmsghdr (16): len u64 @0, level i32 @8, type i32 @12, data @16,
//                        each cmsg padded to 8 octets (CMSG_ALIGN)
// Pointers refer to typed arrays this module keeps referenced for the call.
import { addressOf, sys } from './libc.js';

const MSGHDR_SIZE = 56;
const IOVEC_SIZE = 16;
const CMSGHDR_SIZE = 16;

const cmsgAlign = (n: number): number => (n + 7) & ~7;
/** CMSG_SPACE: octets one control message of `dataLen` octets takes in the buffer. */
export const cmsgSpace = (dataLen: number): number => CMSGHDR_SIZE + cmsgAlign(dataLen);

export interface Cmsg {
  level: number;
  type: number;
  data: Uint8Array;
}

/** Lays out control messages as the kernel expects them in msg_control. */
export function encodeCmsgs(list: readonly Cmsg[]): Uint8Array {
  let size = 0;
  for (const c of list) size += cmsgSpace(c.data.length);
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  let off = 0;
  for (const c of list) {
    v.setBigUint64(off, BigInt(CMSGHDR_SIZE + c.data.length), true);
    v.setInt32(off + 8, c.level, true);
    v.setInt32(off + 12, c.type, true);
    b.set(c.data, off + CMSGHDR_SIZE);
    off += cmsgSpace(c.data.length);
  }
  return b;
}

export interface CmsgDecodeError {
  code: 'CMSG_TRUNCATED' | 'CMSG_BAD_LENGTH';
  offset: number;
}
export interface CmsgDecode {
  /** Copies of each control message's data. */
  cmsgs: Cmsg[];
  /** Set when a header was malformed; the messages before it are still returned. */
  error?: CmsgDecodeError;
}

/** Reads control messages from the first `len` octets of `b`; never reads past them. */
export function decodeCmsgs(b: Uint8Array, len = b.length): CmsgDecode {
  const end = Math.min(len, b.length);
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  const cmsgs: Cmsg[] = [];
  let off = 0;
  while (off < end) {
    if (end - off < CMSGHDR_SIZE) return { cmsgs, error: { code: 'CMSG_TRUNCATED', offset: off } };
    const clen = v.getBigUint64(off, true);
    if (clen < BigInt(CMSGHDR_SIZE) || clen > BigInt(end - off)) {
      return { cmsgs, error: { code: 'CMSG_BAD_LENGTH', offset: off } };
    }
    const n = Number(clen);
    cmsgs.push({ level: v.getInt32(off + 8, true), type: v.getInt32(off + 12, true), data: b.slice(off + CMSGHDR_SIZE, off + n) });
    off += cmsgAlign(n);
  }
  return { cmsgs };
}

export interface RecvResult {
  /** Datagram length as returned (with MSG_TRUNC in flags: the real length). */
  length: number;
  /** View of the received octets inside the reusable buffer: valid until the next recv. */
  data: Uint8Array;
  /** View of the peer address (msg_name, msg_namelen octets). */
  name: Uint8Array;
  /** View of the raw control data (decode with decodeCmsgs). */
  control: Uint8Array;
  /** msg_flags: MSG_TRUNC, MSG_CTRUNC, ... */
  flags: number;
}

export interface MsgIoOptions {
  /** Receive buffer size in octets. */
  bufferSize: number;
  /** Room for the peer address; 28 fits sockaddr_in6, 12 sockaddr_nl. */
  nameSize?: number;
  /** Room for received control messages. */
  controlSize?: number;
}

/** Preallocated msghdr state for one socket's recvmsg and sendmsg calls. */
export class MsgIo {
  readonly buffer: Uint8Array;
  private readonly rxName: Uint8Array;
  private readonly rxControl: Uint8Array;
  private readonly controlCap: number;
  private readonly rxHdr = new Uint8Array(MSGHDR_SIZE);
  private readonly rxHdrView: DataView;
  private readonly rxIov = new Uint8Array(IOVEC_SIZE);
  private readonly txHdr = new Uint8Array(MSGHDR_SIZE);
  private txIov = new Uint8Array(IOVEC_SIZE * 4);

  constructor(opts: MsgIoOptions) {
    this.buffer = new Uint8Array(opts.bufferSize);
    this.rxName = new Uint8Array(Math.max(opts.nameSize ?? 28, 1));
    this.controlCap = opts.controlSize ?? 0;
    this.rxControl = new Uint8Array(Math.max(this.controlCap, 1));
    const iov = new DataView(this.rxIov.buffer);
    iov.setBigUint64(0, addressOf(this.buffer), true);
    iov.setBigUint64(8, BigInt(this.buffer.length), true);
    this.rxHdrView = new DataView(this.rxHdr.buffer);
    this.rxHdrView.setBigUint64(0, addressOf(this.rxName), true);
    this.rxHdrView.setBigUint64(16, addressOf(this.rxIov), true);
    this.rxHdrView.setBigUint64(24, 1n, true);
    this.rxHdrView.setBigUint64(32, addressOf(this.rxControl), true);
  }

  /** recvmsg into the reusable buffer; returns -errno on failure (EAGAIN when drained). */
  recvmsg(fd: number, flags = 0): RecvResult | number {
    const h = this.rxHdrView;
    h.setUint32(8, this.rxName.length, true);
    h.setBigUint64(40, BigInt(this.controlCap), true);
    h.setInt32(48, 0, true);
    const n = sys.recvmsg(fd, this.rxHdr, flags);
    if (n < 0) return n;
    const nameLen = Math.min(h.getUint32(8, true), this.rxName.length);
    const controlLen = Math.min(Number(h.getBigUint64(40, true)), this.controlCap);
    return {
      length: n,
      data: this.buffer.subarray(0, Math.min(n, this.buffer.length)),
      name: this.rxName.subarray(0, nameLen),
      control: this.rxControl.subarray(0, controlLen),
      flags: h.getInt32(48, true),
    };
  }

  /** sendmsg of the concatenation of `iov`; returns octets sent or -errno. */
  sendmsg(fd: number, iov: readonly Uint8Array[], opts: { name?: Uint8Array; control?: Uint8Array } = {}, flags = 0): number {
    if (this.txIov.length < iov.length * IOVEC_SIZE) this.txIov = new Uint8Array(iov.length * IOVEC_SIZE);
    const iv = new DataView(this.txIov.buffer);
    iov.forEach((b, i) => {
      iv.setBigUint64(i * IOVEC_SIZE, b.length ? addressOf(b) : 0n, true);
      iv.setBigUint64(i * IOVEC_SIZE + 8, BigInt(b.length), true);
    });
    const h = new DataView(this.txHdr.buffer);
    const { name, control } = opts;
    h.setBigUint64(0, name?.length ? addressOf(name) : 0n, true);
    h.setUint32(8, name?.length ?? 0, true);
    h.setBigUint64(16, addressOf(this.txIov), true);
    h.setBigUint64(24, BigInt(iov.length), true);
    h.setBigUint64(32, control?.length ? addressOf(control) : 0n, true);
    h.setBigUint64(40, BigInt(control?.length ?? 0), true);
    h.setInt32(48, 0, true);
    // iov, name and control stay referenced by this frame for the synchronous call.
    return sys.sendmsg(fd, this.txHdr, flags);
  }
}

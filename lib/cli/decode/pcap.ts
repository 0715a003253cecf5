// Classic libpcap capture files (https://www.tcpdump.org/manpages/pcap-savefile.5.html).
// The magic number's byte order gives the file's byte order for every header field;
// 0xa1b2c3d4 means microsecond and 0xa1b23c4d nanosecond timestamps.
//
//   File header (24 octets): magic(32) | version major(16) minor(16) | thiszone(32)
//                            | sigfigs(32) | snaplen(32) | link type(32)
//   Record header (16 octets): ts_sec(32) | ts_usec or ts_nsec(32) | incl_len(32) | orig_len(32)
//
// pcapng files (magic 0x0a0d0d0a) are recognised and refused with a hint.

export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

const MAGIC_MICRO = 0xa1b2c3d4;
const MAGIC_NANO = 0xa1b23c4d;
const MAGIC_PCAPNG = 0x0a0d0d0a;
const FILE_HEADER_LENGTH = 24;
const RECORD_HEADER_LENGTH = 16;

export interface PcapRecord {
  /** 1-based, as Wireshark numbers frames. */
  frame: number;
  seconds: number;
  /** Fraction of the second in nanoseconds, whatever the file's resolution. */
  nanoseconds: number;
  /** The captured octets (a view into the file). */
  data: Uint8Array;
  /** Length of the packet on the wire; more than data.length when the capture was cut. */
  originalLength: number;
}

export interface PcapFile {
  linkType: number;
  nanosecond: boolean;
  records: PcapRecord[];
  /** Set when the file ends inside a record (a capture that was interrupted). */
  trailingGarbage?: string;
}

export type PcapResult = { ok: true; value: PcapFile } | { ok: false; error: string };

export function readPcap(file: Uint8Array): PcapResult {
  if (file.length < FILE_HEADER_LENGTH) return { ok: false, error: `not a pcap file (${file.length} octets, header needs 24)` };
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const big = view.getUint32(0, false);
  const little = view.getUint32(0, true);
  let le: boolean;
  let nanosecond: boolean;
  if (big === MAGIC_MICRO || big === MAGIC_NANO) {
    le = false;
    nanosecond = big === MAGIC_NANO;
  } else if (little === MAGIC_MICRO || little === MAGIC_NANO) {
    le = true;
    nanosecond = little === MAGIC_NANO;
  } else if (big === MAGIC_PCAPNG) {
    return { ok: false, error: 'pcapng files are not supported; convert with: editcap -F pcap IN OUT' };
  } else {
    return { ok: false, error: `not a pcap file (magic 0x${big.toString(16).padStart(8, '0')})` };
  }
  const linkType = view.getUint32(20, le) & 0x0fffffff; // upper bits: FCS length flags
  const records: PcapRecord[] = [];
  let p = FILE_HEADER_LENGTH;
  const cut = (trailingGarbage: string): PcapResult => ({ ok: true, value: { linkType, nanosecond, records, trailingGarbage } });
  while (p < file.length) {
    if (file.length - p < RECORD_HEADER_LENGTH) return cut(`file ends inside record header ${records.length + 1}`);
    const inclLen = view.getUint32(p + 8, le);
    if (inclLen > file.length - p - RECORD_HEADER_LENGTH) return cut(`record ${records.length + 1} runs past the end of the file`);
    const frac = view.getUint32(p + 4, le);
    records.push({
      frame: records.length + 1,
      seconds: view.getUint32(p, le),
      nanoseconds: nanosecond ? frac : frac * 1000,
      data: file.subarray(p + RECORD_HEADER_LENGTH, p + RECORD_HEADER_LENGTH + inclLen),
      originalLength: view.getUint32(p + 12, le),
    });
    p += RECORD_HEADER_LENGTH + inclLen;
  }
  return { ok: true, value: { linkType, nanosecond, records } };
}

/** A little-endian, microsecond pcap file holding `packets` (for tests and tools). */
export function writePcap(linkType: number, packets: Uint8Array[], snaplen = 262144): Uint8Array {
  const total = FILE_HEADER_LENGTH + packets.reduce((n, p) => n + RECORD_HEADER_LENGTH + p.length, 0);
  const file = new Uint8Array(total);
  const view = new DataView(file.buffer);
  view.setUint32(0, MAGIC_MICRO, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  view.setUint32(16, snaplen, true);
  view.setUint32(20, linkType, true);
  let p = FILE_HEADER_LENGTH;
  packets.forEach((pkt, i) => {
    view.setUint32(p, 1_700_000_000 + i, true);
    view.setUint32(p + 8, pkt.length, true);
    view.setUint32(p + 12, pkt.length, true);
    file.set(pkt, p + RECORD_HEADER_LENGTH);
    p += RECORD_HEADER_LENGTH + pkt.length;
  });
  return file;
}

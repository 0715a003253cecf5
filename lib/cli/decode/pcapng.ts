// pcapng capture files, the default of dumpcap and tshark (draft-ietf-opsawg-pcapng).
// Every block: type(32) | total length(32) | body | total length(32), the length counting
// all of it and a multiple of 4. Fields are in the byte order of the section, which the
// Section Header Block's byte-order magic gives; the SHB's type reads the same either way.
//
//   Section Header (0x0A0D0D0A): byte-order magic 0x1A2B3C4D(32) | major(16) minor(16)
//                                | section length(64) | options
//   Interface Description (1):   link type(16) | reserved(16) | snaplen(32) | options
//                                (if_tsresol = 9: 1 octet; if_tsoffset = 14: 8 octets)
//   Enhanced Packet (6):         interface id(32) | timestamp high(32) low(32)
//                                | captured length(32) | original length(32) | data, padded to 4 | options
//   Simple Packet (3):           original length(32) | data, padded to 4 (interface 0, no timestamp)
//   Option:                      code(16) | length(16) | value, padded to 4; code 0 ends the list
//
// Unknown blocks are skipped by their length. A block whose framing is broken ends the
// reading (what came before is kept); a well-framed block whose content is wrong is
// skipped and reported. No length from the file is used before it is checked.
import type { PcapRecord } from './pcap.js';

export const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_IDB = 1;
const PCAPNG_SPB = 3;
const PCAPNG_EPB = 6;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_ENDOFOPT = 0;
const IF_TSRESOL = 9;
const IF_TSOFFSET = 14;
const BLOCK_OVERHEAD = 12;

export type PcapngErrorCode =
  | 'not-pcapng'
  | 'bad-byte-order'
  | 'unsupported-version'
  | 'bad-block-length'
  | 'block-length-mismatch'
  | 'truncated-block'
  | 'short-block'
  | 'unknown-interface'
  | 'bad-captured-length'
  | 'bad-option';

export interface PcapngError {
  code: PcapngErrorCode;
  /** Offset in the file of the block (or field) at fault. */
  offset: number;
  message: string;
}

export interface PcapngInterface {
  linkType: number;
  snaplen: number;
  /** Timestamp units per second as (base, exponent): 10^6 by default, 2^k with if_tsresol. */
  tsBase: 10 | 2;
  tsExponent: number;
  /** if_tsoffset: seconds added to every timestamp. */
  tsOffsetSeconds: bigint;
}

export interface PcapngRecord extends PcapRecord {
  /** Link type of the interface the packet was captured on. */
  linkType: number;
  interfaceId: number;
}

export interface PcapngFile {
  /** Interfaces of every section, in order. */
  interfaces: PcapngInterface[];
  records: PcapngRecord[];
  /** Blocks skipped because their content was wrong. */
  skipped: PcapngError[];
  /** Why reading stopped before the end of the file, if it did. */
  stopped?: PcapngError;
}

export type PcapngResult = { ok: true; value: PcapngFile } | { ok: false; error: PcapngError };

export function isPcapng(file: Uint8Array): boolean {
  return file.length >= 4 && new DataView(file.buffer, file.byteOffset, 4).getUint32(0) === PCAPNG_SHB;
}

const fail = (code: PcapngErrorCode, offset: number, message: string): PcapngError => ({ code, offset, message });

/** The byte order of the section starting at `p`, or an error (not a pcapng, bad magic, short). */
function sectionOrder(view: DataView, p: number): { le: boolean } | PcapngError {
  if (view.byteLength - p < 28) return fail(p === 0 ? 'not-pcapng' : 'truncated-block', p, `section header needs 28 octets, ${view.byteLength - p} left`);
  if (view.getUint32(p) !== PCAPNG_SHB) return fail('not-pcapng', p, `not a pcapng section header (type 0x${view.getUint32(p).toString(16)})`);
  const le = view.getUint32(p + 8, true) === BYTE_ORDER_MAGIC;
  if (!le && view.getUint32(p + 8, false) !== BYTE_ORDER_MAGIC) return fail('bad-byte-order', p + 8, `byte-order magic 0x${view.getUint32(p + 8).toString(16)} is neither order of 0x1a2b3c4d`);
  const major = view.getUint16(p + 12, le);
  if (major !== 1) return fail('unsupported-version', p + 12, `pcapng version ${major}.${view.getUint16(p + 14, le)} (1.x is read)`);
  return { le };
}

/** The options from `start` to `end`, each as (code, value view); an error if one runs past `end`. */
function readOptions(file: Uint8Array, view: DataView, start: number, end: number, le: boolean): { code: number; value: Uint8Array }[] | PcapngError {
  const out: { code: number; value: Uint8Array }[] = [];
  let p = start;
  while (end - p >= 4) {
    const code = view.getUint16(p, le);
    const len = view.getUint16(p + 2, le);
    if (code === OPT_ENDOFOPT) break;
    const padded = (len + 3) & ~3;
    if (padded > end - p - 4) return fail('bad-option', p, `option ${code} of ${len} octets runs past its block`);
    out.push({ code, value: file.subarray(p + 4, p + 4 + len) });
    p += 4 + padded;
  }
  return out;
}

function readInterface(file: Uint8Array, view: DataView, p: number, end: number, le: boolean): PcapngInterface | PcapngError {
  if (end - p < 8) return fail('short-block', p, 'interface description shorter than its fixed part');
  const iface: PcapngInterface = { linkType: view.getUint16(p, le), snaplen: view.getUint32(p + 4, le), tsBase: 10, tsExponent: 6, tsOffsetSeconds: 0n };
  const opts = readOptions(file, view, p + 8, end, le);
  if (!Array.isArray(opts)) return opts;
  for (const o of opts) {
    if (o.code === IF_TSRESOL) {
      if (o.value.length !== 1) return fail('bad-option', p, `if_tsresol of ${o.value.length} octets (1 expected)`);
      const v = o.value[0]!;
      iface.tsBase = v & 0x80 ? 2 : 10;
      iface.tsExponent = v & 0x7f;
      // 2^-63 or 10^-19 and finer cannot be told apart in 64 bits of units anyway.
      if ((iface.tsBase === 10 && iface.tsExponent > 19) || iface.tsExponent > 63) return fail('bad-option', p, `if_tsresol ${v} finer than 64-bit timestamps can hold`);
    } else if (o.code === IF_TSOFFSET) {
      if (o.value.length !== 8) return fail('bad-option', p, `if_tsoffset of ${o.value.length} octets (8 expected)`);
      iface.tsOffsetSeconds = new DataView(o.value.buffer, o.value.byteOffset, 8).getBigInt64(0, le);
    }
  }
  return iface;
}

/** Timestamp units to seconds and nanoseconds. */
function timestamp(iface: PcapngInterface, units: bigint): { seconds: number; nanoseconds: number } {
  const perSecond = BigInt(iface.tsBase) ** BigInt(iface.tsExponent);
  const seconds = units / perSecond + iface.tsOffsetSeconds;
  const nanoseconds = ((units % perSecond) * 1_000_000_000n) / perSecond;
  return { seconds: Number(seconds), nanoseconds: Number(nanoseconds) };
}

export function readPcapng(file: Uint8Array): PcapngResult {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const first = sectionOrder(view, 0);
  if ('code' in first) return { ok: false, error: first };
  let le = first.le;
  const out: PcapngFile = { interfaces: [], records: [], skipped: [] };
  let section: PcapngInterface[] = [];
  let p = 0;
  while (p < file.length) {
    if (file.length - p < BLOCK_OVERHEAD) return stop(out, fail('truncated-block', p, `file ends inside a block header (${file.length - p} octets left)`));
    const isShb = view.getUint32(p) === PCAPNG_SHB;
    if (isShb) {
      const order = sectionOrder(view, p);
      if ('code' in order) return stop(out, order);
      le = order.le;
    }
    const type = view.getUint32(p, le);
    const total = view.getUint32(p + 4, le);
    if (total < BLOCK_OVERHEAD || total % 4 !== 0) return stop(out, fail('bad-block-length', p, `block type ${type} has length ${total} (at least 12, a multiple of 4)`));
    if (total > file.length - p) return stop(out, fail('truncated-block', p, `block type ${type} of ${total} octets runs past the end of the file`));
    if (view.getUint32(p + total - 4, le) !== total) return stop(out, fail('block-length-mismatch', p, `block type ${type}: trailing length ${view.getUint32(p + total - 4, le)} differs from ${total}`));
    const body = p + 8;
    const end = p + total - 4;
    if (isShb) {
      section = [];
    } else if (type === PCAPNG_IDB) {
      const iface = readInterface(file, view, body, end, le);
      if ('code' in iface) out.skipped.push(iface);
      // A skipped description still takes its interface id, so later ids keep their meaning.
      section.push('code' in iface ? { linkType: -1, snaplen: 0, tsBase: 10, tsExponent: 6, tsOffsetSeconds: 0n } : iface);
      if (!('code' in iface)) out.interfaces.push(iface);
    } else if (type === PCAPNG_EPB) {
      const r = enhancedPacket(file, view, body, end, le, section, out.records.length + 1, p);
      if ('code' in r) out.skipped.push(r);
      else out.records.push(r);
    } else if (type === PCAPNG_SPB) {
      const r = simplePacket(file, view, body, end, le, section, out.records.length + 1, p);
      if ('code' in r) out.skipped.push(r);
      else out.records.push(r);
    }
    p += total;
  }
  return { ok: true, value: out };
}

function stop(out: PcapngFile, e: PcapngError): PcapngResult {
  return { ok: true, value: { ...out, stopped: e } };
}

function interfaceOf(section: PcapngInterface[], id: number, at: number): PcapngInterface | PcapngError {
  const iface = section[id];
  if (!iface || iface.linkType < 0) return fail('unknown-interface', at, `packet on interface ${id}, but the section describes ${section.length}`);
  return iface;
}

function enhancedPacket(file: Uint8Array, view: DataView, p: number, end: number, le: boolean, section: PcapngInterface[], frame: number, at: number): PcapngRecord | PcapngError {
  if (end - p < 20) return fail('short-block', at, 'enhanced packet block shorter than its fixed part');
  const interfaceId = view.getUint32(p, le);
  const iface = interfaceOf(section, interfaceId, at);
  if ('code' in iface) return iface;
  const captured = view.getUint32(p + 12, le);
  if (captured > end - p - 20) return fail('bad-captured-length', at, `captured length ${captured} exceeds the block's ${end - p - 20} octets of data`);
  const units = (BigInt(view.getUint32(p + 4, le)) << 32n) | BigInt(view.getUint32(p + 8, le));
  return {
    frame,
    ...timestamp(iface, units),
    data: file.subarray(p + 20, p + 20 + captured),
    originalLength: view.getUint32(p + 16, le),
    linkType: iface.linkType,
    interfaceId,
  };
}

function simplePacket(file: Uint8Array, view: DataView, p: number, end: number, le: boolean, section: PcapngInterface[], frame: number, at: number): PcapngRecord | PcapngError {
  if (end - p < 4) return fail('short-block', at, 'simple packet block shorter than its fixed part');
  const iface = interfaceOf(section, 0, at);
  if ('code' in iface) return iface;
  const originalLength = view.getUint32(p, le);
  // The block holds min(original length, snaplen) octets; its own length bounds them too.
  const limit = iface.snaplen === 0 ? originalLength : Math.min(originalLength, iface.snaplen);
  if (limit > end - p - 4) return fail('bad-captured-length', at, `simple packet of ${limit} octets exceeds the block's ${end - p - 4} octets of data`);
  return { frame, seconds: 0, nanoseconds: 0, data: file.subarray(p + 4, p + 4 + limit), originalLength, linkType: iface.linkType, interfaceId: 0 };
}

// The store's files are lines of `CCCCCCCC JSON\n`, where CCCCCCCC is the CRC-32 of the
// JSON's UTF-8 bytes in hex. One journal line is one commit (every record of one group
// write), so a crash leaves either the whole commit or a torn last line, never half of one.
//
// Telling a torn tail from corruption: a commit is written (on a journal opened O_DSYNC,
// each write durable on return) before the next commit starts, so only the last commit can be torn.
// Bad bytes after the last good line are that torn commit (its records were never
// acknowledged) and are cut away; a bad line followed by a good one is corruption.
import { crc32 } from './crc32.js';

const NL = 0x0a;
const SP = 0x20;
const HEX_LEN = 8;

export class StoreError extends Error {
  constructor(
    readonly code: 'STORE_CORRUPT' | 'STORE_FAILED' | 'STORE_CLOSED',
    message: string,
    readonly file?: string,
    readonly offset?: number,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export function encodeLine(value: unknown): Buffer {
  // The JSON is encoded straight into the line (no intermediate buffer to copy: a commit of a storm holds thousands of records).
  const text = JSON.stringify(value);
  const length = Buffer.byteLength(text, 'utf8');
  const line = Buffer.allocUnsafe(HEX_LEN + 1 + length + 1);
  line.write(text, HEX_LEN + 1, 'utf8');
  line.write(crc32(line.subarray(HEX_LEN + 1, HEX_LEN + 1 + length)).toString(16).padStart(HEX_LEN, '0'), 0, 'latin1');
  line[HEX_LEN] = SP;
  line[line.length - 1] = NL;
  return line;
}

export interface Line {
  /** Byte offset of the line in its file. */
  offset: number;
  value: unknown;
}

export interface Scan {
  lines: Line[];
  /** End of the last good line: the length to truncate a torn file to. */
  goodEnd: number;
  /** The first bad bytes after goodEnd, when there are any. */
  torn: { offset: number; reason: string } | null;
}

/** Checks every line of a file; throws STORE_CORRUPT when a bad line precedes a good one. */
export function scanLines(buf: Uint8Array, file: string): Scan {
  const lines: Line[] = [];
  let goodEnd = 0;
  let torn: Scan['torn'] = null;
  let at = 0;
  while (at < buf.length) {
    const nl = buf.indexOf(NL, at);
    const end = nl < 0 ? buf.length : nl;
    const reason = nl < 0 ? 'partial line' : checkLine(buf, at, end);
    if (reason === null) {
      if (torn) throw new StoreError('STORE_CORRUPT', `${file}: corrupt record at offset ${torn.offset}: ${torn.reason}`, file, torn.offset);
      const json = Buffer.from(buf.buffer, buf.byteOffset + at + HEX_LEN + 1, end - at - HEX_LEN - 1).toString('utf8');
      let value: unknown;
      try {
        value = JSON.parse(json);
      } catch {
        // The checksum matched, so these are the bytes that were written: not a torn write.
        throw new StoreError('STORE_CORRUPT', `${file}: record at offset ${at} is not JSON`, file, at);
      }
      lines.push({ offset: at, value });
      goodEnd = end + 1;
    } else if (!torn) {
      torn = { offset: at, reason };
    }
    at = end + 1;
  }
  return { lines, goodEnd, torn };
}

function checkLine(buf: Uint8Array, start: number, end: number): string | null {
  if (end - start < HEX_LEN + 2 || buf[start + HEX_LEN] !== SP) return 'malformed line';
  const text = Buffer.from(buf.buffer, buf.byteOffset + start, HEX_LEN).toString('latin1');
  if (!/^[0-9a-f]{8}$/.test(text)) return 'malformed checksum';
  return parseInt(text, 16) === crc32(buf, start + HEX_LEN + 1, end) ? null : 'checksum mismatch';
}

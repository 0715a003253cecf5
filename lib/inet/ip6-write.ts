// IPv6 text to 16 octets written in place, without allocating: the writers
// convert tens of thousands of addresses per second. Plain hex forms (with one
// "::") are parsed here; anything else (an embedded IPv4 part, a zone) goes to
// the general parser in lib/inet/ip6.ts, which also reports invalid text.
import { mustParseIp6, type Ip6 } from './ip6.js';

const groups = new Uint16Array(8);

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 97 && c <= 102) return c - 87; // a-f
  if (c >= 65 && c <= 70) return c - 55; // A-F
  return -1;
}

/** Parses the plain hex form; false when the text is not of that form. */
function parsePlain(text: string, out: Uint8Array, off: number): boolean {
  const n = text.length;
  if (n < 2 || n > 39) return false;
  let count = 0; // groups seen
  let gap = -1; // group index where "::" stands
  let i = 0;
  if (text.charCodeAt(0) === 58) {
    if (text.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
    if (i === n) {
      out.fill(0, off, off + 16);
      return true;
    }
  }
  for (;;) {
    let v = 0;
    let digits = 0;
    while (i < n) {
      const d = hexDigit(text.charCodeAt(i));
      if (d < 0) break;
      v = (v << 4) | d;
      i++;
      if (++digits > 4) return false;
    }
    if (digits === 0 || count === 8) return false;
    groups[count++] = v;
    if (i === n) break;
    if (text.charCodeAt(i) !== 58) return false; // '.', '%' or junk: not the plain form
    i++;
    if (i < n && text.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = count;
      i++;
      if (i === n) break;
    } else if (i === n) {
      return false; // trailing single ':'
    }
  }
  if (gap < 0 ? count !== 8 : count > 7) return false;
  const tail = gap < 0 ? 0 : count - gap;
  const head = gap < 0 ? 8 : gap;
  let o = off;
  for (let g = 0; g < head; g++, o += 2) {
    out[o] = groups[g]! >> 8;
    out[o + 1] = groups[g]! & 0xff;
  }
  for (let g = head; g < 8 - tail; g++, o += 2) out[o] = out[o + 1] = 0;
  for (let g = count - tail; g < count; g++, o += 2) {
    out[o] = groups[g]! >> 8;
    out[o + 1] = groups[g]! & 0xff;
  }
  return true;
}

/** Writes the 16 octets of `text` at out[off]; throws TypeError for invalid text. */
export function writeIp6(text: string, out: Uint8Array, off: number): void {
  if (!parsePlain(text, out, off)) out.set(mustParseIp6(text), off);
}

/** The 16 octets of an address (a new array). */
export function ip6Octets(a: Ip6): Uint8Array {
  const out = new Uint8Array(16);
  writeIp6(a, out, 0);
  return out;
}

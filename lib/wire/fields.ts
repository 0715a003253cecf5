// Byte-level helpers shared by the Mobility Header codecs. Every multi-octet field of the
// Mobility Header is in network byte order (big-endian); these helpers read and write it
// with direct byte math, which is faster than a DataView for the short fields used here.
// The `check*` functions guard the encoders: an out-of-range value is a programmer error
// and throws a TypeError or RangeError that names the field.

/** Reads a 16-bit big-endian field. The caller has checked that both octets exist. */
export function readU16(buf: Uint8Array, offset: number): number {
  return (buf[offset]! << 8) | buf[offset + 1]!;
}

/** Writes a 16-bit big-endian field. */
export function writeU16(buf: Uint8Array, offset: number, value: number): void {
  buf[offset] = value >>> 8;
  buf[offset + 1] = value & 0xff;
}

/** Copies `length` octets out of a receive buffer, so decoded values never alias it. */
export function copyBytes(buf: Uint8Array, offset: number, length: number): Uint8Array {
  return buf.slice(offset, offset + length);
}

export function checkUint(value: unknown, max: number, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`${field}: expected an integer, got ${String(value)}`);
  }
  if (value < 0 || value > max) {
    throw new RangeError(`${field}: ${value} is outside 0..${max}`);
  }
  return value;
}

export function checkBytes(value: unknown, length: number, field: string): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`${field}: expected a Uint8Array of ${length} octets`);
  }
  if (value.length !== length) {
    throw new RangeError(`${field}: expected ${length} octets, got ${value.length}`);
  }
  return value;
}

export function flag(value: unknown, bit: number): number {
  return value === true ? bit : 0;
}

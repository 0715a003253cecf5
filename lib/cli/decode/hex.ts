// Hex text <-> octets for the command line. Input may contain spaces, colons, dashes,
// newlines and a leading 0x; anything else is an error naming the offending character.

export type HexResult = { ok: true; value: Uint8Array } | { ok: false; error: string };

export function parseHex(text: string): HexResult {
  const digits = text.trim().replace(/^0x/i, '').replace(/[\s:.-]/g, '');
  const bad = /[^0-9a-fA-F]/.exec(digits);
  if (bad) return { ok: false, error: `not a hex digit: ${JSON.stringify(bad[0])}` };
  if (digits.length === 0) return { ok: false, error: 'no hex digits given' };
  if (digits.length % 2 !== 0) return { ok: false, error: `odd number of hex digits (${digits.length})` };
  return { ok: true, value: Uint8Array.from(Buffer.from(digits, 'hex')) };
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

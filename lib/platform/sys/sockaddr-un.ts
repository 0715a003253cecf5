// struct sockaddr_un (AF_UNIX): family u16 host order @0, sun_path 108 octets @2.
// A path is NUL-terminated; an abstract name (written '@name', as systemd and ss do)
// starts with a NUL octet and runs to the address length, without a terminator.
export const AF_UNIX = 1;
export const SUN_PATH_SIZE = 108;
const SUN_PATH_OFFSET = 2;

/** A sockaddr_un exactly as long as the address needs (the length bind/connect take). */
export function encodeSockaddrUn(name: string): Uint8Array {
  const abstract = name.startsWith('@');
  const text = new TextEncoder().encode(abstract ? name.slice(1) : name);
  if (text.length === 0) throw new TypeError('sockaddr_un: empty name');
  if (!abstract && text.includes(0)) throw new TypeError('sockaddr_un: NUL inside a path');
  // Paths need room for the terminating NUL; abstract names for the leading one.
  if (text.length + 1 > SUN_PATH_SIZE) throw new RangeError(`sockaddr_un: ${JSON.stringify(name)} is longer than ${SUN_PATH_SIZE - 1} octets`);
  const b = new Uint8Array(SUN_PATH_OFFSET + 1 + text.length);
  new DataView(b.buffer).setUint16(0, AF_UNIX, true);
  b.set(text, SUN_PATH_OFFSET + (abstract ? 1 : 0)); // the other end stays 0: the NUL
  return b;
}

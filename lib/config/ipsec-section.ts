// `home_agent.authorisation.home_addresses.<HOA>.ipsec`: the static ESP security
// associations that protect one mobile node's Binding Updates and Acknowledgements
// (RFC 3776 §4, RFC 4877), as an operator would set them by hand with `ip xfrm state`.
// Keys are secrets: no message here ever repeats a key's value.
import { isMap, isScalar } from 'yaml';
import { DEFAULT_XFRM_BANDS } from '../reconcile/drivers/xfrm.js';
import type { HoaIpsecSas, IkeSignalling, PayloadIpsecSas } from './daemon-config.js';
import type { ConfigReader, Field } from './reader.js';

const IPSEC_KEYS = ['spi_in', 'spi_out', 'reqid', 'aead', 'payload', 'replay_window'] as const;
const PAYLOAD_KEYS = ['spi_in', 'spi_out', 'aead'] as const;
const AEAD_KEYS = ['name', 'key', 'icv_bits'] as const;

/** AEAD algorithms (kernel crypto names): key octets (cipher key + salt) and ICV sizes allowed. */
const AEADS: Readonly<Record<string, { keyOctets: readonly number[]; icvBits: readonly number[] }>> = {
  'rfc4106(gcm(aes))': { keyOctets: [20, 28, 36], icvBits: [64, 96, 128] },
  'rfc7539esp(chacha20,poly1305)': { keyOctets: [36], icvBits: [128] },
};

/** SPIs 1..255 are reserved by IANA (RFC 4303 §2.1); 0 means "no SA". */
const MIN_SPI = 0x100;
/** The kernel's legacy (non-ESN) replay window is one 32-bit word. */
export const MAX_REPLAY_WINDOW = 32;
const MAX_SPI = 0xffffffff;
/** reqid band: base + 0 is the Home Address option state's; the rest may be chosen per home address. */
export const MIN_IPSEC_REQID = DEFAULT_XFRM_BANDS.reqidBase + 1;
export const MAX_IPSEC_REQID = DEFAULT_XFRM_BANDS.reqidBase + DEFAULT_XFRM_BANDS.reqidCount - 1;

/**
 * `role`: on the home agent both inbound SAs (signalling and payload) arrive at its own
 * address, so their SPIs must differ; on the mobile node they arrive at different addresses
 * (home address, care-of address) and its own checks apply.
 */
export function readHoaIpsec(r: ConfigReader, f: Field, role: 'home-agent' | 'mobile-node' = 'home-agent'): HoaIpsecSas | undefined {
  const s = r.section(f, IPSEC_KEYS, ['spi_in', 'spi_out', 'aead']);
  if (!s) return undefined;
  const before = r.problems.length;
  const spiIn = opt(s.get('spi_in'), (x) => r.integer(x, MIN_SPI, MAX_SPI));
  const spiOut = opt(s.get('spi_out'), (x) => r.integer(x, MIN_SPI, MAX_SPI));
  const reqid = opt(s.get('reqid'), (x) => r.integer(x, MIN_IPSEC_REQID, MAX_IPSEC_REQID));
  const aeadField = s.get('aead');
  const aead = aeadField && readAead(r, aeadField);
  const spiOutField = s.get('spi_out');
  if (spiIn !== undefined && spiIn === spiOut && spiOutField) {
    r.report(spiOutField.node, spiOutField.path, 'must differ from spi_in (one SA per direction)');
  }
  const payloadField = s.get('payload');
  const payload = payloadField && readPayload(r, payloadField, role === 'home-agent' ? spiIn : undefined);
  // Anti-replay on this end's inbound SAs (signalling and payload); 0, the default, none.
  const replayWindow = opt(s.get('replay_window'), (x) => r.integer(x, 0, MAX_REPLAY_WINDOW)) ?? 0;
  if (r.problems.length > before || spiIn === undefined || spiOut === undefined || !aead) return undefined;
  const sas: HoaIpsecSas = reqid === undefined ? { spiIn, spiOut, aead } : { spiIn, spiOut, reqid, aead };
  if (replayWindow > 0) sas.replayWindow = replayWindow;
  if (payload) sas.payload = replayWindow > 0 ? { ...payload, replayWindow } : payload;
  return sas;
}

/**
 * `ipsec.payload`: the SAs of the tunnelled payload. Its spi_in shares the home agent
 * address with the signalling spi_in (inbound SAs are found by destination and SPI), so
 * the two must differ.
 */
function readPayload(r: ConfigReader, f: Field, signallingSpiIn: number | undefined): PayloadIpsecSas | undefined {
  const s = r.section(f, PAYLOAD_KEYS, ['spi_in', 'spi_out', 'aead']);
  if (!s) return undefined;
  const before = r.problems.length;
  const spiInField = s.get('spi_in');
  const spiOutField = s.get('spi_out');
  const spiIn = opt(spiInField, (x) => r.integer(x, MIN_SPI, MAX_SPI));
  const spiOut = opt(spiOutField, (x) => r.integer(x, MIN_SPI, MAX_SPI));
  const aeadField = s.get('aead');
  const aead = aeadField && readAead(r, aeadField);
  if (spiIn !== undefined && spiIn === spiOut && spiOutField) {
    r.report(spiOutField.node, spiOutField.path, 'must differ from spi_in (one SA per direction)');
  }
  if (spiIn !== undefined && spiIn === signallingSpiIn && spiInField) {
    r.report(spiInField.node, spiInField.path, 'must differ from the signalling spi_in (both arrive at the home agent address)');
  }
  if (r.problems.length > before || spiIn === undefined || spiOut === undefined || !aead) return undefined;
  return { spiIn, spiOut, aead };
}

/** `ipsec: { sas: ike, reqid: R }` rather than static SAs: written with the key `sas`. */
export function isIkeIpsec(f: Field): boolean {
  return isMap(f.node) && f.node.has('sas');
}

/**
 * Signalling SAs from an IKE daemon: mcoad installs the two policies with reqid R and no SA.
 * R lies outside mcoad's reqid band, so the state reconciler never touches the IKE daemon's SAs.
 */
export function readIkeIpsec(r: ConfigReader, f: Field): IkeSignalling | undefined {
  const s = r.section(f, ['sas', 'reqid'], ['sas', 'reqid']);
  if (!s) return undefined;
  const before = r.problems.length;
  const sasField = s.get('sas');
  if (sasField) r.oneOf(sasField, ['ike'] as const);
  const reqidField = s.get('reqid');
  const reqid = reqidField && r.integer(reqidField, 1, 0xffffffff);
  const band = DEFAULT_XFRM_BANDS;
  if (reqidField && reqid !== undefined && reqid >= band.reqidBase && reqid < band.reqidBase + band.reqidCount) {
    const hex = (n: number): string => `0x${n.toString(16)}`;
    r.report(reqidField.node, reqidField.path, `must lie outside mcoad's reqid band ${hex(band.reqidBase)}..${hex(band.reqidBase + band.reqidCount - 1)}: the IKE daemon's SAs are not mcoad's to reconcile`);
  }
  return r.problems.length === before && reqid !== undefined ? { reqid } : undefined;
}

function readAead(r: ConfigReader, f: Field): HoaIpsecSas['aead'] | undefined {
  const s = r.section(f, AEAD_KEYS, ['name', 'key', 'icv_bits']);
  if (!s) return undefined;
  const nameField = s.get('name');
  const name = nameField && r.oneOf(nameField, Object.keys(AEADS));
  const alg = name === undefined ? undefined : AEADS[name];
  const icvField = s.get('icv_bits');
  const icvBits = icvField && r.integer(icvField, 32, 256);
  if (icvField && alg && icvBits !== undefined && !alg.icvBits.includes(icvBits)) {
    r.report(icvField.node, icvField.path, `${name} takes an ICV of ${alg.icvBits.join(', ')} bits, not ${icvBits}`);
  }
  const keyField = s.get('key');
  const key = keyField && readKey(r, keyField, name, alg?.keyOctets);
  if (name === undefined || icvBits === undefined || !key || !alg?.icvBits.includes(icvBits)) return undefined;
  return { name, key, icvBits };
}

/** A quoted hex string `0x...`; its length is checked against the algorithm, its value never shown. */
function readKey(r: ConfigReader, f: Field, name: string | undefined, octets: readonly number[] | undefined): Uint8Array | undefined {
  const v = isScalar(f.node) ? f.node.value : undefined;
  if (typeof v !== 'string' || !/^0x(?:[0-9a-fA-F]{2})+$/.test(v)) {
    r.report(f.node, f.path, "must be a quoted hex string '0x...' with an even number of digits (value not shown)");
    return undefined;
  }
  const key = Uint8Array.from(Buffer.from(v.slice(2), 'hex'));
  if (octets && !octets.includes(key.length)) {
    r.report(f.node, f.path, `${name} takes a key of ${octets.join(', ')} octets (cipher key and 4-octet salt), not ${key.length}`);
    return undefined;
  }
  return key;
}

function opt<T>(f: Field | undefined, read: (f: Field) => T | undefined): T | undefined {
  return f === undefined ? undefined : read(f);
}

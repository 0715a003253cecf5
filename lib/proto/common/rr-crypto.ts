// Return routability cryptography (RFC 6275 §5.2.5), shared by the correspondent node and
// the mobile node. All inputs and outputs are octet strings; "|" below is concatenation.
//
//   home keygen token    = First(64, HMAC_SHA1(Kcn, home address | nonce | 0))
//   care-of keygen token = First(64, HMAC_SHA1(Kcn, care-of address | nonce | 1))
//   Kbm                  = SHA1(home keygen token | care-of keygen token)
//                          SHA1(home keygen token) for a de-registration (§5.2.5, §9.5.1)
//   Authenticator        = First(96, HMAC_SHA1(Kbm, care-of address | correspondent | MH data))
//
// MH data is the Mobility Header with its checksum zero, up to and including the Type and
// Length octets of the Binding Authorization Data option, without the authenticator. That
// option is the last one and has no trailing padding (§6.2.7), so the authenticator is
// always the last 12 octets of the MH.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { OptType } from '../../wire/types.js';

export const KEYGEN_TOKEN_LENGTH = 8;
export const KBM_LENGTH = 20;
export const AUTHENTICATOR_LENGTH = 12;
/** Kcn is 20 octets (RFC 6275 §5.2.3). */
export const KCN_LENGTH = 20;

/** RFC 6275 §12 protocol constants, seconds. */
export const MAX_NONCE_LIFETIME = 240;
export const MAX_TOKEN_LIFETIME = 210;
export const MAX_RR_BINDING_LIFETIME = 420;

function keygenToken(kcn: Uint8Array, address: Uint8Array, nonce: Uint8Array, which: 0 | 1): Uint8Array {
  const h = createHmac('sha1', kcn);
  h.update(address);
  h.update(nonce);
  h.update(Uint8Array.of(which));
  return new Uint8Array(h.digest().subarray(0, KEYGEN_TOKEN_LENGTH));
}

export function homeKeygenToken(kcn: Uint8Array, hoa: Uint8Array, nonce: Uint8Array): Uint8Array {
  return keygenToken(kcn, hoa, nonce, 0);
}

export function careOfKeygenToken(kcn: Uint8Array, coa: Uint8Array, nonce: Uint8Array): Uint8Array {
  return keygenToken(kcn, coa, nonce, 1);
}

/** Kbm; pass null for the care-of token when de-registering (home token alone). */
export function bindingManagementKey(homeToken: Uint8Array, careOfToken: Uint8Array | null): Uint8Array {
  const h = createHash('sha1');
  h.update(homeToken);
  if (careOfToken) h.update(careOfToken);
  return new Uint8Array(h.digest());
}

export function bindingAuthenticator(kbm: Uint8Array, coa: Uint8Array, cnAddress: Uint8Array, mhData: Uint8Array): Uint8Array {
  const h = createHmac('sha1', kbm);
  h.update(coa);
  h.update(cnAddress);
  h.update(mhData);
  return new Uint8Array(h.digest().subarray(0, AUTHENTICATOR_LENGTH));
}

/**
 * The MH data an authenticator covers, taken from an encoded MH whose last option is Binding
 * Authorization Data: everything but the last 12 octets, with the checksum zeroed. Null when
 * the MH does not end with that option (wrong type/length octets in front of it).
 */
export function authenticatedMhData(mh: Uint8Array): Uint8Array | null {
  const n = mh.length - AUTHENTICATOR_LENGTH;
  if (n < 8 || mh[n - 2] !== OptType.BindingAuthData || mh[n - 1] !== AUTHENTICATOR_LENGTH) return null;
  const data = mh.slice(0, n);
  data[4] = 0;
  data[5] = 0;
  return data;
}

/** Checks the authenticator of a received MH (the raw bytes as they arrived). */
export function verifyBindingAuthorization(mh: Uint8Array, kbm: Uint8Array, coa: Uint8Array, cnAddress: Uint8Array): boolean {
  const data = authenticatedMhData(mh);
  if (!data) return false;
  const expected = bindingAuthenticator(kbm, coa, cnAddress, data);
  return timingSafeEqual(expected, mh.subarray(mh.length - AUTHENTICATOR_LENGTH));
}

/**
 * Fills in the authenticator of an encoded MH whose last option is Binding Authorization
 * Data (in place). Compute the MH checksum afterwards: the authenticator covers the MH with
 * a zero checksum. Returns false when the MH does not end with that option.
 */
export function sealBindingAuthorization(mh: Uint8Array, kbm: Uint8Array, coa: Uint8Array, cnAddress: Uint8Array): boolean {
  const data = authenticatedMhData(mh);
  if (!data) return false;
  mh.set(bindingAuthenticator(kbm, coa, cnAddress, data), mh.length - AUTHENTICATOR_LENGTH);
  return true;
}

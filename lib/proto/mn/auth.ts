// The Binding Authorization Data authenticator of the messages the mobile node exchanges
// with correspondents (RFC 6275 §5.2.6, §6.2.7), applied to encoded bytes: the core hands
// out messages as values, the daemon encodes them, then seals them before the checksum.
import { sealBindingAuthorization, verifyBindingAuthorization } from '../common/rr-crypto.js';
import type { BindingAuthorization } from './types.js';

/**
 * A copy of the encoded Binding Update with its authenticator filled in. Throws when the
 * message does not end with a Binding Authorization Data option (a caller's mistake).
 */
export function sealBindingUpdate(mh: Uint8Array, auth: BindingAuthorization): Uint8Array {
  const out = mh.slice();
  if (!sealBindingAuthorization(out, auth.kbm, auth.careOfAddress, auth.correspondent)) {
    throw new TypeError('Binding Update does not end with a Binding Authorization Data option');
  }
  return out;
}

/** True when the received BA (raw MH bytes) carries the authenticator `auth` produces. */
export function verifyBindingAck(mh: Uint8Array, auth: BindingAuthorization): boolean {
  return verifyBindingAuthorization(mh, auth.kbm, auth.careOfAddress, auth.correspondent);
}

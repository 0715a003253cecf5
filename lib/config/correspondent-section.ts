// The `correspondent:` section (role correspondent): the address this node answers return
// routability and Binding Updates on, the longest binding it grants (RFC 6275 §5.2.6:
// MAX_RR_BINDING_LIFETIME, 420 s), MCoA on or off, and how often nonces and Kcn change.
import { correspondentConfig, type CorrespondentConfig } from '../proto/common/core-config.js';
import { MAX_NONCE_LIFETIME, MAX_RR_BINDING_LIFETIME, MAX_TOKEN_LIFETIME } from '../proto/common/rr-crypto.js';
import type { Ip6 } from '../inet/ip6.js';
import type { WireProfile } from '../wire/profile.js';
import { DRAFT04_PROFILE } from '../wire/profiles.js';
import type { DaemonCommon } from './daemon-config.js';
import type { ConfigReader, Field } from './reader.js';

const CORRESPONDENT_KEYS = ['address', 'max_lifetime', 'mcoa', 'nonce_regenerate', 'kcn_rotate'] as const;

export interface CorrespondentSettings {
  /** The correspondent's own address: Binding Updates and data to a home address leave from it. */
  address: Ip6;
  /** The protocol core's configuration (lifetime, MCoA, nonce and Kcn schedule, wire profile). */
  core: CorrespondentConfig;
}

export interface CorrespondentDaemonConfig extends DaemonCommon {
  role: 'correspondent';
  correspondent: CorrespondentSettings;
}

export function readCorrespondent(r: ConfigReader, f: Field, profile: WireProfile | undefined): CorrespondentSettings | undefined {
  const s = r.section(f, CORRESPONDENT_KEYS, ['address']);
  if (!s) return undefined;
  const before = r.problems.length;
  const get = (k: (typeof CORRESPONDENT_KEYS)[number]): Field | undefined => s.get(k);
  const addressField = get('address');
  const address = addressField && r.ip6(addressField);
  const lifetimeField = get('max_lifetime');
  const maxLifetimeSeconds = (lifetimeField && r.seconds(lifetimeField, 4, MAX_RR_BINDING_LIFETIME)) ?? MAX_RR_BINDING_LIFETIME;
  const mcoaField = get('mcoa');
  const mcoaAllowed = (mcoaField && r.boolean(mcoaField)) ?? true;
  const regenField = get('nonce_regenerate');
  // A token handed out just before a new nonce must still find its nonce valid (nonce.ts).
  const nonceRegenerateSeconds = (regenField && r.seconds(regenField, 1, MAX_NONCE_LIFETIME - MAX_TOKEN_LIFETIME)) ?? 30;
  const kcnField = get('kcn_rotate');
  const kcnRotateSeconds = (kcnField && r.seconds(kcnField, 60, 365 * 86400)) ?? null;
  if (r.problems.length > before || !address) return undefined;
  return {
    address,
    core: correspondentConfig({ maxLifetimeSeconds, mcoaAllowed, nonceRegenerateSeconds, kcnRotateSeconds, profile: profile ?? DRAFT04_PROFILE }),
  };
}

// RFC 6275 §9.3.1 (correspondent) and §10.3.1 with MCoA §6.5 (home agent): a packet other
// than a Binding Update that carries a Home Address option is accepted only when the
// binding cache holds a binding of that home address for the packet's source, the care-of
// address; otherwise it is dropped and answered with a Binding Error, status 1, sent to the
// care-of address (RFC 6275 §9.3.3). Pure: both roles give their cache and own address.
import type { BindingError, Ip6Bytes } from '../../wire/types.js';
import { formatIp6, type Ip6 } from '../../inet/ip6.js';
import type { BindingCache } from './cache.js';
import type { Outgoing } from './outcome.js';

/** RFC 6275 §6.1.9: Binding Error status 1, unknown binding for Home Address destination option. */
export const BE_UNKNOWN_BINDING_FOR_HAO = 1;

/** The verdict for a packet (not a BU) carrying a Home Address option. */
export type HomeAddressCheck = { accept: true } | { accept: false; bindingError: Outgoing<BindingError> };

/** Accepts when `srcCoa` is a care-of address bound for `hoaBytes`; else the Binding Error from `local`. */
export function checkHomeAddressOption(cache: BindingCache, local: Ip6, hoaBytes: Ip6Bytes, srcCoa: Ip6Bytes): HomeAddressCheck {
  const hoa = formatIp6(hoaBytes);
  const coa = formatIp6(srcCoa);
  if (cache.bindingsOf(hoa).some((b) => b.coa === coa)) return { accept: true };
  const be: BindingError = { kind: 'be', payloadProto: 59, checksum: 0, status: BE_UNKNOWN_BINDING_FOR_HAO, homeAddress: Uint8Array.from(hoaBytes), options: [] };
  return { accept: false, bindingError: { message: be, src: local, dst: coa, homeAddress: null } };
}

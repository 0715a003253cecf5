// RFC 6275 §9.3.1 (correspondent) and §10.3.1 with MCoA §6.5 (home agent): a packet other
// than a Binding Update that carries a Home Address option is accepted only when the
// binding cache holds a binding of that home address for the packet's source, the care-of
// address; otherwise it is dropped and answered with a Binding Error, status 1, sent to the
// care-of address (RFC 6275 §9.3.3). Pure: both roles give their cache and own address.
import type { BindingError } from '../../wire/types.js';
import type { Ip6 } from '../../inet/ip6.js';
import { ip6Octets } from '../../inet/ip6-write.js';
import type { BindingCache } from './cache.js';
import type { Outgoing } from './outcome.js';

/** RFC 6275 §6.1.9: Binding Error status 1, unknown binding for Home Address destination option. */
export const BE_UNKNOWN_BINDING_FOR_HAO = 1;

/** The verdict for a packet (not a BU) carrying a Home Address option. */
export type HomeAddressCheck = { accept: true } | { accept: false; bindingError: Outgoing<BindingError> };

/** Accepts when `coa` is a care-of address bound for `hoa`; else the Binding Error from `local`. */
export function checkHomeAddressOption(cache: BindingCache, local: Ip6, hoa: Ip6, coa: Ip6): HomeAddressCheck {
  if (cache.bindingsOf(hoa).some((b) => b.coa === coa)) return { accept: true };
  const be: BindingError = { kind: 'be', payloadProto: 59, checksum: 0, status: BE_UNKNOWN_BINDING_FOR_HAO, homeAddress: ip6Octets(hoa), options: [] };
  return { accept: false, bindingError: { message: be, src: local, dst: coa, homeAddress: null } };
}

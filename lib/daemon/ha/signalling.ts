// Encoding and sending what the core hands back.
import type { Outgoing } from '../../proto/common/outcome.js';
import { encodeMessage } from '../../wire/mh.js';
import type { WireProfile } from '../../wire/profile.js';
import type { MobilityMessage } from '../../wire/types.js';
import type { MhPort } from '../service/host.js';

/** Encodes and sends one message; the type 2 routing header goes on when the core asks for it. */
export function sendOutgoing(sock: MhPort, profile: WireProfile, out: Outgoing<MobilityMessage>, buf: Uint8Array): number {
  const data = encodeMessage(out.message, profile, buf, 0);
  // The kernel wants the home address as destination and the care-of address in the header.
  if (out.homeAddress !== null) return sock.send({ data, src: out.src, dst: out.homeAddress, routingHeader: out.dst });
  return sock.send({ data, src: out.src, dst: out.dst });
}

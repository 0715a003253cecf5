// Encoding and sending what the core hands back.
import type { KernelError } from '../../platform/kernel-errors.js';
import type { Outgoing } from '../../proto/common/outcome.js';
import { encodeMessage } from '../../wire/mh.js';
import type { WireProfile } from '../../wire/profile.js';
import type { MobilityMessage } from '../../wire/types.js';
import type { MhPort } from '../service/host.js';

/**
 * Encodes one message into `buf` and queues it for this turn's sendmmsg (the socket copies
 * it); the type 2 routing header goes on when the core asks for it. `done` hears the result.
 */
export function queueOutgoing(sock: MhPort, profile: WireProfile, out: Outgoing<MobilityMessage>, buf: Uint8Array, done: (err?: KernelError) => void): void {
  const data = encodeMessage(out.message, profile, buf, 0);
  // The kernel wants the home address as destination and the care-of address in the header.
  if (out.homeAddress !== null) return sock.queue({ data, src: out.src, dst: out.homeAddress, routingHeader: out.dst }, done);
  sock.queue({ data, src: out.src, dst: out.dst }, done);
}

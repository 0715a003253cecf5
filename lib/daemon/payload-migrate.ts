// The one kernel step of a K-bit move (MCoA §8.1) shared by the home agent and the mobile
// node: the payload SA planned by plan/ha/payload-index.ts or plan/mn/payload-ipsec.ts moved
// to the new care-of address, keeping SPI, keys and counters.
import type { NetlinkSocket } from '../platform/netlink/socket.js';
import { xfrmMigrate } from '../platform/xfrm/report.js';
import type { PayloadMigration } from '../plan/ha/payload-ipsec.js';

/** XFRM_MSG_MIGRATE on the old policy (which must still exist). No `ip` equivalent. */
export function migratePayload(sock: NetlinkSocket, m: PayloadMigration): Promise<void> {
  return xfrmMigrate(sock, m.policy, [m.entry]);
}

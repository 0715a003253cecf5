// Cluster mode, at start: a daemon killed while active (SIGKILL, a crash) never removed its
// service addresses, and the kernel keeps them on the home link. Until this node wins an
// election again, another node may be active for them: two nodes would answer for one
// address. So before joining the cluster the daemon removes every configured service
// address still on its home link interface, as `ip -6 addr del ADDR/128 dev HOME`. Only the
// /128 it adds itself (service-address.ts) is removed; the same address with another prefix
// length was put there by hand and is left alone, with a warning.
import type { Logger } from 'pino';
import type { Ip6 } from '../../inet/ip6.js';
import { classifyError } from '../../platform/kernel-errors.js';
import type { NetlinkSocket } from '../../platform/netlink/socket.js';
import { addrDelete, addrDump, type Addr6 } from '../../platform/rtnl/addr.js';
import { linkGet } from '../../platform/rtnl/link.js';
import type { Metrics } from '../metrics/metrics.js';

/** The prefix length the active node gives a service address (service-address.ts). */
const SERVICE_PREFIX_LEN = 128;

/** Of the addresses on the home link, the service addresses to remove, and those that are not ours (another prefix length). */
export function leftoverServiceAddresses(onLink: readonly Addr6[], service: readonly Ip6[]): { remove: Addr6[]; foreign: Addr6[] } {
  const wanted = new Set(service);
  const mine = onLink.filter((a) => wanted.has(a.address));
  return { remove: mine.filter((a) => a.prefixLen === SERVICE_PREFIX_LEN), foreign: mine.filter((a) => a.prefixLen !== SERVICE_PREFIX_LEN) };
}

/** Removes the service addresses an earlier run left on `iface`; the ones removed. A missing interface is left to the rest of the start. */
export async function removeLeftoverServiceAddresses(rtnl: NetlinkSocket, iface: string, service: readonly Ip6[], counters: Metrics, log: Logger): Promise<Ip6[]> {
  const link = await linkGet(rtnl, { name: iface });
  if (!link) return [];
  const { remove, foreign } = leftoverServiceAddresses(await addrDump(rtnl, { ifindex: link.ifindex }), service);
  for (const a of foreign) log.warn({ address: a.address, prefixLen: a.prefixLen, interface: iface }, 'cluster: a service address is configured by hand on the home link; not removed, but the node holding it answers for it even while standby');
  const removed: Ip6[] = [];
  for (const a of remove) {
    try {
      await addrDelete(rtnl, { ifindex: link.ifindex, address: a.address, prefixLen: SERVICE_PREFIX_LEN });
    } catch (err) {
      if (classifyError(err, 'delete') !== 'gone') throw err;
      continue;
    }
    removed.push(a.address);
    counters.inc('cluster', { event: 'leftover-removed' });
    log.warn({ address: a.address, interface: iface }, 'cluster: removed a service address left on the home link by an earlier run (stopped while active); not active until elected');
  }
  return removed;
}

// Cluster mode: the service (home agent) address on the home link, held by the active node
// only. Taking it: `ip -6 addr replace ADDR/128 dev HOME nodad` (no DAD: the old active is
// known to have stopped, and a tentative address would not carry the BAs), then an
// unsolicited Neighbour Advertisement with the override flag, so the router and the other
// nodes on the link send to this node from now on. Dropping it: `ip -6 addr del`. Operations
// run one after another in the order asked (a quick step-down after a take leaves no address).
import type { Logger } from 'pino';
import type { Ip6 } from '../../inet/ip6.js';
import { classifyError } from '../../platform/kernel-errors.js';
import type { NetlinkSocket } from '../../platform/netlink/socket.js';
import { addrAdd, addrDelete } from '../../platform/rtnl/addr.js';
import { linkGet } from '../../platform/rtnl/link.js';
import { IFA_F_NODAD } from '../../platform/rtnl/rtnl-constants.js';
import type { Metrics } from '../metrics/metrics.js';
import type { NdPort } from '../service/host.js';

export class ServiceAddresses {
  private queue: Promise<void> = Promise.resolve();
  /** Where each held address was added (ifindex). */
  private readonly held = new Map<Ip6, number>();

  constructor(
    private readonly rtnl: NetlinkSocket,
    private readonly nd: NdPort,
    private readonly iface: string,
    private readonly counters: Metrics,
    private readonly log: Logger,
  ) {}

  take(address: Ip6): Promise<void> {
    return this.enqueue(async () => {
      const link = await linkGet(this.rtnl, { name: this.iface });
      if (!link) throw new Error(`home link ${this.iface} not found`);
      await addrAdd(this.rtnl, { ifindex: link.ifindex, address, prefixLen: 128, flags: IFA_F_NODAD }, { replace: true });
      this.held.set(address, link.ifindex);
      this.nd.unsolicitedNa(this.iface, address);
      this.counters.inc('cluster', { event: 'address-taken' });
      this.log.info({ address, interface: this.iface }, 'cluster: service address added (nodad) and announced');
    }, address);
  }

  drop(address: Ip6): Promise<void> {
    return this.enqueue(async () => {
      const ifindex = this.held.get(address);
      this.held.delete(address);
      if (ifindex === undefined) return;
      try {
        await addrDelete(this.rtnl, { ifindex, address, prefixLen: 128 });
      } catch (err) {
        if (classifyError(err, 'delete') !== 'gone') throw err;
      }
      this.counters.inc('cluster', { event: 'address-dropped' });
      this.log.info({ address, interface: this.iface }, 'cluster: service address removed');
    }, address);
  }

  /** Resolves when every queued operation has run. */
  settled(): Promise<void> {
    return this.queue;
  }

  private enqueue(op: () => Promise<void>, address: Ip6): Promise<void> {
    const run = this.queue.then(op).catch((err: unknown) => {
      this.counters.inc('cluster', { event: 'address-failed' });
      this.log.error({ address, interface: this.iface, err: String(err) }, 'cluster: service address change failed');
    });
    this.queue = run;
    return run;
  }
}

// What the mobile node does to its own interfaces on the home link (draft-04 §5.5,
// Appendix A Figures 7-9), in the order asked, one interface at a time:
// - disable (Figure 8): the interface goes down, its addresses kept (keep_addr_on_down),
//   so the home agent's proxy Neighbor Discovery and the node never both claim the home address;
// - enable: back up (no foreign interface left, or the policy changed);
// - the home address on the interface (nodad: RFC 6275 §11.5.4, the home agent may still be
//   defending it), so the node answers Neighbor Solicitations for it and receives the
//   Binding Acknowledgement of its de-registration or home binding sent over the home link;
// - announce: an unsolicited Neighbor Advertisement (override) once the home agent has
//   stopped defending it, so neighbours' caches move from the home agent to the node.
import { writeFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { classifyError } from '../../platform/kernel-errors.js';
import type { NetlinkSocket } from '../../platform/netlink/socket.js';
import { addrAdd, addrDelete } from '../../platform/rtnl/addr.js';
import { IFA_F_NODAD } from '../../platform/rtnl/rtnl-constants.js';
import { linkSetUp } from '../../platform/rtnl/link.js';
import type { Ip6 } from '../../inet/ip6.js';
import type { InterfaceAction } from '../../proto/mn/index.js';
import type { Metrics } from '../metrics/metrics.js';
import type { NdPort } from '../service/host.js';

export class HomeLinkActions {
  /** Interfaces that hold the home address because of us. */
  private readonly homeAddressOn = new Map<string, number>();
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly rtnl: NetlinkSocket,
    private readonly nd: NdPort | undefined,
    private readonly homeAddress: Ip6,
    private readonly prefixLength: number,
    private readonly counters: Metrics,
    private readonly log: Logger,
  ) {}

  has(iface: string): boolean {
    return this.homeAddressOn.has(iface);
  }

  /** Runs `op` after every earlier one; failures are logged and counted, never thrown. */
  private enqueue(what: string, iface: string, op: () => Promise<void>): Promise<void> {
    const run = async (): Promise<void> => {
      try {
        await op();
        this.counters.inc('home_link_steps', { step: what });
        this.log.info({ iface }, `home link: ${what}`);
      } catch (err) {
        this.counters.inc('home_link_failures', { step: what });
        this.log.error({ iface, err: String(err) }, `home link: ${what} failed`);
      }
    };
    this.queue = this.queue.then(run);
    return this.queue;
  }

  disable(iface: string): Promise<void> {
    return this.enqueue('disable', iface, async () => {
      await this.removeHomeAddressNow(iface);
      // Without this the kernel drops the interface's IPv6 addresses with the link.
      await writeFile(`/proc/sys/net/ipv6/conf/${safeName(iface)}/keep_addr_on_down`, '1');
      await linkSetUp(this.rtnl, { name: iface }, false);
    });
  }

  enable(iface: string): Promise<void> {
    return this.enqueue('enable', iface, () => linkSetUp(this.rtnl, { name: iface }, true));
  }

  useHomeAddress(iface: string, ifindex: number): Promise<void> {
    if (this.homeAddressOn.get(iface) === ifindex) return this.queue;
    this.homeAddressOn.set(iface, ifindex);
    return this.enqueue('home-address-added', iface, () =>
      addrAdd(this.rtnl, { ifindex, address: this.homeAddress, prefixLen: this.prefixLength, flags: IFA_F_NODAD }, { replace: true }),
    );
  }

  removeHomeAddress(iface: string): Promise<void> {
    if (!this.homeAddressOn.has(iface)) return this.queue;
    return this.enqueue('home-address-removed', iface, () => this.removeHomeAddressNow(iface));
  }

  private async removeHomeAddressNow(iface: string): Promise<void> {
    const ifindex = this.homeAddressOn.get(iface);
    if (ifindex === undefined) return;
    this.homeAddressOn.delete(iface);
    try {
      await addrDelete(this.rtnl, { ifindex, address: this.homeAddress, prefixLen: this.prefixLength });
    } catch (err) {
      if (classifyError(err, 'delete') !== 'gone') throw err;
    }
  }

  announce(iface: string): Promise<void> {
    return this.enqueue('home-address-announced', iface, async () => {
      if (!this.nd) throw new Error('no neighbour discovery socket');
      this.nd.unsolicitedNa(iface, this.homeAddress);
    });
  }

  /** Resolves when every queued operation has run. */
  settled(): Promise<void> {
    return this.queue;
  }
}

function safeName(iface: string): string {
  if (!/^[^\s/:]{1,15}$/.test(iface) || iface === '.' || iface === '..') throw new Error(`bad interface name ${JSON.stringify(iface)}`);
  return iface;
}

/** What the home-link actions need to know about the interfaces (daemon/mn/interfaces.ts). */
export interface HomeLinkInterfaces {
  atHome(iface: string): boolean;
  ifindexOf(iface: string): number | undefined;
  hold(iface: string): void;
  unhold(iface: string): void;
}

/**
 * The core's interface actions (types.ts InterfaceAction) and the home address on the
 * home-link interfaces in use, over HomeLinkActions.
 */
export class HomeLinkController {
  /** Interfaces the core had disabled (Figure 8). */
  private readonly disabled = new Set<string>();

  constructor(
    readonly actions: HomeLinkActions,
    private readonly interfaces: HomeLinkInterfaces,
    private readonly counters: Metrics,
  ) {}

  handle(a: InterfaceAction): void {
    this.counters.inc('interface_actions', { op: a.op });
    switch (a.op) {
      case 'disable':
        this.disabled.add(a.iface);
        // Its link going down must not read as "left the home link".
        this.interfaces.hold(a.iface);
        void this.actions.disable(a.iface);
        return;
      case 'enable':
        this.disabled.delete(a.iface);
        void this.actions.enable(a.iface).then(() => this.interfaces.unhold(a.iface));
        return;
      case 'useHomeAddress':
        // The home agent no longer defends it: neighbours learn it is ours now.
        void this.actions.announce(a.iface);
        return;
      case 'releaseHomeAddress':
        // Still on the home link, the address stays: Binding Acknowledgements come to it.
        if (!this.interfaces.atHome(a.iface)) void this.actions.removeHomeAddress(a.iface);
        return;
    }
  }

  /** The home address on each home-link interface in use, and off the others; null when nothing to wait for. */
  prepare(candidates: readonly string[]): Promise<void> | null {
    const waits: Promise<void>[] = [];
    for (const iface of candidates) {
      const wanted = this.interfaces.atHome(iface) && !this.disabled.has(iface);
      const ifindex = this.interfaces.ifindexOf(iface);
      if (wanted && ifindex !== undefined && !this.actions.has(iface)) waits.push(this.actions.useHomeAddress(iface, ifindex));
      else if (!wanted && this.actions.has(iface)) void this.actions.removeHomeAddress(iface);
    }
    return waits.length > 0 ? Promise.all(waits).then(() => undefined) : null;
  }
}

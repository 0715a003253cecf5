// The kernel object driver only the mobile node needs: its home address on lo with the
// IFA_F_HOMEADDRESS flag. Its tunnels use the shared tunnel driver, bound to the interface
// that holds the care-of address (outer packets leave where the care-of address lives).
import type { NetlinkSocket } from '../../platform/netlink/socket.js';
import { addrAdd, addrDelete, addrDump } from '../../platform/rtnl/addr.js';
import { IFA_F_HOMEADDRESS, IFA_F_NODAD } from '../../platform/rtnl/rtnl-constants.js';
import type { ObjectDriver } from '../engine.js';
import type { Ip6 } from '../../inet/ip6.js';
import { deleted } from './idempotent.js';

/** The loopback device's ifindex is fixed in every namespace (LOOPBACK_IFINDEX). */
export const LOOPBACK_IFINDEX = 1;

export interface HomeAddressWant {
  address: Ip6;
}

export interface HomeAddressSeen {
  address: Ip6;
  flags: number;
}

/** The home address on lo; the driver owns that one address and nothing else on the device. */
export class HomeAddressDriver implements ObjectDriver<HomeAddressWant, HomeAddressSeen> {
  readonly kind = 'home-address';

  constructor(
    private readonly sock: NetlinkSocket,
    private readonly homeAddress: Ip6,
  ) {}

  /** `ip -6 addr show dev lo` */
  async list(): Promise<Map<string, HomeAddressSeen>> {
    const out = new Map<string, HomeAddressSeen>();
    for (const a of await addrDump(this.sock, { ifindex: LOOPBACK_IFINDEX })) {
      if (a.address === this.homeAddress && a.prefixLen === 128) out.set(a.address, { address: a.address, flags: a.flags ?? 0 });
    }
    return out;
  }

  same(_d: HomeAddressWant, o: HomeAddressSeen): boolean {
    return (o.flags & IFA_F_HOMEADDRESS) !== 0;
  }

  /** `ip -6 addr replace HOA/128 dev lo home nodad` */
  async create(_key: string, d: HomeAddressWant): Promise<HomeAddressSeen> {
    const flags = IFA_F_HOMEADDRESS | IFA_F_NODAD;
    await addrAdd(this.sock, { ifindex: LOOPBACK_IFINDEX, address: d.address, prefixLen: 128, flags }, { replace: true });
    return { address: d.address, flags };
  }

  update(key: string, d: HomeAddressWant): Promise<HomeAddressSeen> {
    return this.create(key, d);
  }

  /** `ip -6 addr del HOA/128 dev lo`; already gone is success. */
  async remove(_key: string, o: HomeAddressSeen): Promise<void> {
    await deleted(addrDelete(this.sock, { ifindex: LOOPBACK_IFINDEX, address: o.address, prefixLen: 128 }));
  }
}

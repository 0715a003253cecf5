// Kernel object drivers only the mobile node needs: its home address on lo with the
// IFA_F_HOMEADDRESS flag, and ip6ip6 tunnels to the home agent bound to the interface
// that holds the care-of address (outer packets leave where the care-of address lives).
import { classifyError } from '../kernel/errors.js';
import type { NetlinkSocket } from '../kernel/netlink/socket.js';
import { addrAdd, addrDelete, addrDump } from '../kernel/rtnl/addr.js';
import { IFA_F_HOMEADDRESS, IFA_F_NODAD } from '../kernel/rtnl/constants.js';
import { ip6tnlChange, ip6tnlCreate, type Ip6TnlConfig } from '../kernel/rtnl/ip6tnl.js';
import { linkDelete, linkDump, linkGet } from '../kernel/rtnl/link.js';
import type { ObjectDriver } from '../reconcile/engine.js';
import { MIP6_TUNNEL_FLAGS, type TunnelSeen } from '../reconcile/drivers/tunnel.js';
import { Allocator, type OwnershipMarks } from '../reconcile/marks.js';
import type { Ip6Text } from '../wire/ip6.js';

/** The loopback device's ifindex is fixed in every namespace (LOOPBACK_IFINDEX). */
export const LOOPBACK_IFINDEX = 1;
const IPPROTO_IPV6 = 41;
const HOP_LIMIT = 64;

export interface HomeAddressWant {
  address: Ip6Text;
}

export interface HomeAddressSeen {
  address: Ip6Text;
  flags: number;
}

/** The home address on lo; the driver owns that one address and nothing else on the device. */
export class HomeAddressDriver implements ObjectDriver<HomeAddressWant, HomeAddressSeen> {
  readonly kind = 'home-address';

  constructor(
    private readonly sock: NetlinkSocket,
    private readonly homeAddress: Ip6Text,
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
    try {
      await addrDelete(this.sock, { ifindex: LOOPBACK_IFINDEX, address: o.address, prefixLen: 128 });
    } catch (err) {
      if (classifyError(err, 'delete') !== 'gone') throw err;
    }
  }
}

export interface MnTunnelWant {
  /** The care-of address. */
  local: Ip6Text;
  /** The home agent. */
  remote: Ip6Text;
  /** ifindex of the interface holding the care-of address (IFLA_IPTUN_LINK). */
  link: number;
}

export interface MnTunnelSeen extends TunnelSeen {
  link: number;
}

/** Tunnel key as the kernel identifies it: `local|remote`. */
export const mnTunnelKey = (coa: Ip6Text, ha: Ip6Text): string => `${coa}|${ha}`;

export class MnTunnelDriver implements ObjectDriver<MnTunnelWant, MnTunnelSeen> {
  readonly kind = 'tunnel';
  private readonly names: Allocator<string>;

  constructor(
    private readonly sock: NetlinkSocket,
    private readonly marks: OwnershipMarks,
  ) {
    this.names = new Allocator((n) => `${marks.tunnelPrefix}${n.toString(36)}`, 36 ** (15 - marks.tunnelPrefix.length));
  }

  private config(name: string, d: MnTunnelWant): Ip6TnlConfig {
    return { name, local: d.local, remote: d.remote, link: d.link, flags: MIP6_TUNNEL_FLAGS, proto: IPPROTO_IPV6, hopLimit: HOP_LIMIT, encapLimit: 0, up: true };
  }

  /** `ip -d link show type ip6tnl`, keeping links named with our prefix. */
  async list(): Promise<Map<string, MnTunnelSeen>> {
    const out = new Map<string, MnTunnelSeen>();
    for (const l of await linkDump(this.sock, { kind: 'ip6tnl' })) {
      if (!l.name.startsWith(this.marks.tunnelPrefix) || !l.ip6tnl) continue;
      this.names.claim(l.name);
      const t = l.ip6tnl;
      const seen: MnTunnelSeen = { name: l.name, ifindex: l.ifindex, local: t.local, remote: t.remote, flags: t.flags, proto: t.proto, up: l.up, link: t.link };
      const key = mnTunnelKey(t.local, t.remote);
      out.set(out.has(key) ? `dup|${l.name}` : key, seen);
    }
    return out;
  }

  same(d: MnTunnelWant, o: MnTunnelSeen): boolean {
    return o.local === d.local && o.remote === d.remote && o.link === d.link && o.up && o.proto === IPPROTO_IPV6 && (o.flags & MIP6_TUNNEL_FLAGS) === MIP6_TUNNEL_FLAGS;
  }

  /** `ip -6 link add NAME type ip6tnl mode ip6ip6 local COA remote HA dev IF encaplimit none` + up */
  async create(_key: string, d: MnTunnelWant): Promise<MnTunnelSeen> {
    const name = this.names.take();
    try {
      await ip6tnlCreate(this.sock, this.config(name, d));
    } catch (err) {
      if (classifyError(err, 'create') !== 'exists') this.names.release(name);
      throw err;
    }
    const l = await linkGet(this.sock, { name });
    if (!l) throw new Error(`tunnel ${name} vanished right after it was created`);
    return { name, ifindex: l.ifindex, local: d.local, remote: d.remote, flags: MIP6_TUNNEL_FLAGS, proto: IPPROTO_IPV6, up: true, link: d.link };
  }

  /** `ip -6 tunnel change NAME local COA remote HA dev IF ...` + up */
  async update(_key: string, d: MnTunnelWant, o: MnTunnelSeen): Promise<MnTunnelSeen> {
    await ip6tnlChange(this.sock, o.ifindex, this.config(o.name, d));
    return { ...o, local: d.local, remote: d.remote, link: d.link, flags: MIP6_TUNNEL_FLAGS, proto: IPPROTO_IPV6, up: true };
  }

  /** `ip link del NAME`; already gone is success. */
  async remove(_key: string, o: MnTunnelSeen): Promise<void> {
    try {
      await linkDelete(this.sock, { ifindex: o.ifindex });
    } catch (err) {
      if (classifyError(err, 'delete') !== 'gone') throw err;
    }
    this.names.release(o.name);
  }
}

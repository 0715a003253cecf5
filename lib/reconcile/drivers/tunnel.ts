// ip6ip6 tunnels to care-of addresses: one per (home agent address, care-of address).
// Identity is the endpoint pair; the name is ours to choose and is adopted from the kernel.
import type { Ip6 } from '../../inet/ip6.js';
import { classifyError } from '../../platform/kernel-errors.js';
import type { NetlinkSocket } from '../../platform/netlink/socket.js';
import { ip6tnlChange, ip6tnlCreate, type Ip6TnlConfig } from '../../platform/rtnl/ip6tnl.js';
import { linkDelete, linkDump, linkGet } from '../../platform/rtnl/link.js';
import type { ObjectDriver } from '../engine.js';
import type { TunnelWant } from '../../plan/common/kernel-objects.js';
import { Allocator, sharedDeviceName, type OwnershipMarks } from '../marks.js';
import { deleted } from './idempotent.js';

/** IP6_TNL_F_IGN_ENCAP_LIMIT | IP6_TNL_F_MIP6_DEV (linux/ip6_tunnel.h). */
export const MIP6_TUNNEL_FLAGS = 0x1 | 0x8;
const IPPROTO_IPV6 = 41;
const HOP_LIMIT = 64;

export interface TunnelSeen {
  name: string;
  ifindex: number;
  local: Ip6;
  remote: Ip6;
  flags: number;
  proto: number;
  up: boolean;
  link: number;
}

export class TunnelDriver implements ObjectDriver<TunnelWant, TunnelSeen> {
  readonly kind = 'tunnel';
  private readonly names: Allocator<string>;

  constructor(
    private readonly sock: NetlinkSocket,
    private readonly marks: OwnershipMarks,
  ) {
    this.names = new Allocator((n) => `${marks.tunnelPrefix}${n.toString(36)}`, 36 ** (15 - marks.tunnelPrefix.length));
  }

  private config(name: string, d: TunnelWant): Ip6TnlConfig {
    return { name, local: d.local, remote: d.remote, link: d.link ?? 0, flags: MIP6_TUNNEL_FLAGS, proto: IPPROTO_IPV6, hopLimit: HOP_LIMIT, encapLimit: 0, up: true };
  }

  /** `ip -d link show type ip6tnl`, keeping links named with our prefix. */
  async list(): Promise<Map<string, TunnelSeen>> {
    const out = new Map<string, TunnelSeen>();
    for (const l of await linkDump(this.sock, { kind: 'ip6tnl' })) {
      if (!l.name.startsWith(this.marks.tunnelPrefix) || !l.ip6tnl || l.name === sharedDeviceName(this.marks)) continue;
      this.names.claim(l.name);
      const seen: TunnelSeen = { name: l.name, ifindex: l.ifindex, local: l.ip6tnl.local, remote: l.ip6tnl.remote, flags: l.ip6tnl.flags, proto: l.ip6tnl.proto, up: l.up, link: l.ip6tnl.link };
      const key = `${seen.local}|${seen.remote}`;
      // Two of ours with one endpoint pair cannot both be adopted: the second is removed.
      out.set(out.has(key) ? `dup|${l.name}` : key, seen);
    }
    return out;
  }

  same(d: TunnelWant, o: TunnelSeen): boolean {
    return o.local === d.local && o.remote === d.remote && o.link === (d.link ?? 0) && o.up && o.proto === IPPROTO_IPV6 && (o.flags & MIP6_TUNNEL_FLAGS) === MIP6_TUNNEL_FLAGS;
  }

  /** `ip -6 tunnel add NAME mode ip6ip6 local HA remote COA encaplimit none` + `ip link set NAME up` */
  async create(_key: string, d: TunnelWant): Promise<TunnelSeen> {
    const name = this.names.take();
    try {
      await ip6tnlCreate(this.sock, this.config(name, d));
    } catch (err) {
      // The name was taken behind our back: leave it claimed, and let the retry pick another.
      if (classifyError(err, 'create') !== 'exists') this.names.release(name);
      throw err;
    }
    const l = await linkGet(this.sock, { name });
    if (!l) throw new Error(`tunnel ${name} vanished right after it was created`);
    return { name, ifindex: l.ifindex, local: d.local, remote: d.remote, link: d.link ?? 0, flags: MIP6_TUNNEL_FLAGS, proto: IPPROTO_IPV6, up: true };
  }

  /** `ip -6 tunnel change NAME local HA remote COA ...` + up */
  async update(_key: string, d: TunnelWant, o: TunnelSeen): Promise<TunnelSeen> {
    await ip6tnlChange(this.sock, o.ifindex, this.config(o.name, d));
    return { ...o, local: d.local, remote: d.remote, link: d.link ?? 0, flags: MIP6_TUNNEL_FLAGS, proto: IPPROTO_IPV6, up: true };
  }

  /** `ip link del NAME`; already gone is success. */
  async remove(_key: string, o: TunnelSeen): Promise<void> {
    await deleted(linkDelete(this.sock, { ifindex: o.ifindex }));
    this.names.release(o.name);
  }
}

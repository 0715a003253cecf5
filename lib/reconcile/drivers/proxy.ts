// Proxy neighbour entries on the home link: the home agent defends each home address that
// has bindings and no home binding (§5.5). NDA_PROTOCOL marks the entries as ours.
import type { Ip6 } from '../../inet/ip6.js';
import type { NetlinkSocket } from '../../platform/netlink/socket.js';
import { linkGet } from '../../platform/rtnl/link.js';
import { proxyAdd, proxyDelete, proxyDump } from '../../platform/rtnl/neigh.js';
import type { ObjectDriver } from '../engine.js';
import type { ProxyWant } from '../../plan/common/kernel-objects.js';
import type { OwnershipMarks } from '../marks.js';
import { deleted } from './idempotent.js';

export interface ProxySeen {
  dst: Ip6;
  ifindex: number;
}

export class ProxyDriver implements ObjectDriver<ProxyWant, ProxySeen> {
  readonly kind = 'proxy';
  private readonly ifindexByName = new Map<string, number>();
  private readonly nameByIfindex = new Map<number, string>();

  constructor(
    private readonly sock: NetlinkSocket,
    private readonly marks: OwnershipMarks,
  ) {}

  private async ifindexOf(name: string): Promise<number> {
    const known = this.ifindexByName.get(name);
    if (known !== undefined) return known;
    const l = await linkGet(this.sock, { name });
    if (!l) throw new Error(`proxy neighbour: no interface ${name}`);
    this.ifindexByName.set(name, l.ifindex);
    this.nameByIfindex.set(l.ifindex, name);
    return l.ifindex;
  }

  private async nameOf(ifindex: number): Promise<string | undefined> {
    const known = this.nameByIfindex.get(ifindex);
    if (known !== undefined) return known;
    const l = await linkGet(this.sock, { ifindex });
    if (l) {
      this.ifindexByName.set(l.name, ifindex);
      this.nameByIfindex.set(ifindex, l.name);
    }
    return l?.name;
  }

  /** `ip -6 neigh show proxy`, keeping entries with our protocol. */
  async list(): Promise<Map<string, ProxySeen>> {
    const out = new Map<string, ProxySeen>();
    for (const p of await proxyDump(this.sock)) {
      if (p.protocol !== this.marks.protocol) continue;
      const name = await this.nameOf(p.ifindex);
      out.set(`${name ?? `#${p.ifindex}`}|${p.dst}`, { dst: p.dst, ifindex: p.ifindex });
    }
    return out;
  }

  same(d: ProxyWant, o: ProxySeen): boolean {
    return o.dst === d.dst && this.ifindexByName.get(d.interface) === o.ifindex;
  }

  /** `ip -6 neigh replace proxy HOA dev HOMELINK protocol P` */
  async create(_key: string, d: ProxyWant): Promise<ProxySeen> {
    const ifindex = await this.ifindexOf(d.interface);
    await proxyAdd(this.sock, { dst: d.dst, ifindex, protocol: this.marks.protocol });
    return { dst: d.dst, ifindex };
  }

  update(key: string, d: ProxyWant): Promise<ProxySeen> {
    return this.create(key, d);
  }

  /** `ip -6 neigh del proxy HOA dev HOMELINK`; already gone is success. */
  async remove(_key: string, o: ProxySeen): Promise<void> {
    await deleted(proxyDelete(this.sock, { dst: o.dst, ifindex: o.ifindex }));
  }
}

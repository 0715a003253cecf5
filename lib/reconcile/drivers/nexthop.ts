// Nexthop objects (one per tunnel, or per home-link interface for home bindings) and the
// groups that spread one home address over several tunnels. IPv6 refuses device-only next
// hops in RTA_MULTIPATH, and tunnels are device-only, hence nexthop objects.
import type { Ip6 } from '../../inet/ip6.js';
import { classifyError } from '../../platform/kernel-errors.js';
import { NLM_F_CREATE, NLM_F_EXCL } from '../../platform/netlink/netlink-constants.js';
import type { NetlinkSocket } from '../../platform/netlink/socket.js';
import { linkGet } from '../../platform/rtnl/link.js';
import { encodeNexthopNew, nexthopDelete, nexthopDump, nexthopReplace, type Nexthop } from '../../platform/rtnl/nexthop.js';
import type { ObjectDriver } from '../engine.js';
import type { GroupWant, NexthopWant } from '../../plan/common/kernel-objects.js';
import { Allocator, type OwnershipMarks } from '../marks.js';
import type { TunnelSeen } from './tunnel.js';
import { deleted } from './idempotent.js';

export interface NexthopSeen {
  id: number;
  oif: number;
  gateway?: Ip6;
}

export interface GroupSeen {
  id: number;
  members: { id: number; weight: number }[];
}

/** What the nexthop and group drivers share: the socket, the id band, the views of other kinds. */
/**
 * Creates a nexthop under a fresh id from `ids` (the encoder must ask for NLM_F_EXCL): an id
 * someone else holds is skipped, never replaced. Shared by the per-binding and shared bands.
 */
export async function createNexthopWithFreshId(sock: NetlinkSocket, ids: Allocator<number>, encode: (id: number) => Uint8Array, band: string, what: string): Promise<number> {
  for (let tries = 0; tries < 8; tries++) {
    const id = ids.take();
    try {
      await sock.request(encode(id), { op: () => `RTM_NEWNEXTHOP id ${id}${what === '' ? '' : ` ${what}`}` });
      return id;
    } catch (err) {
      if (classifyError(err, 'create') !== 'exists') {
        ids.release(id);
        throw err;
      }
    }
  }
  throw new Error(`no free nexthop id found in 8 tries in the ${band}; is it shared with another program?`);
}

/** `ip nexthop del id N` (already gone is success); the id goes back to `ids`. */
export async function removeNexthopId(sock: NetlinkSocket, ids: Allocator<number>, id: number): Promise<void> {
  await deleted(nexthopDelete(sock, id));
  ids.release(id);
}

export class NexthopContext {
  readonly ids: Allocator<number>;
  private readonly ifindexByName = new Map<string, number>();

  constructor(
    readonly sock: NetlinkSocket,
    readonly marks: OwnershipMarks,
    readonly tunnels: () => ReadonlyMap<string, TunnelSeen>,
    readonly nexthops: () => ReadonlyMap<string, NexthopSeen>,
  ) {
    this.ids = new Allocator((n) => marks.nexthopIdBase + n, marks.nexthopIdCount);
  }

  /** The interface a next hop leaves through, or undefined when it does not exist (yet). */
  async oifOf(d: NexthopWant): Promise<number | undefined> {
    if (d.kind === 'tunnel') return this.tunnels().get(d.tunnelKey)?.ifindex;
    const cached = this.ifindexByName.get(d.interface);
    if (cached !== undefined) return cached;
    const l = await linkGet(this.sock, { name: d.interface });
    if (l) this.ifindexByName.set(d.interface, l.ifindex);
    return l?.ifindex;
  }

  oifOfKnown(d: NexthopWant): number | undefined {
    return d.kind === 'tunnel' ? this.tunnels().get(d.tunnelKey)?.ifindex : this.ifindexByName.get(d.interface);
  }

  /** Creates with a fresh id from our band; an id someone else holds is skipped, never replaced. */
  createWithFreshId(build: (id: number) => Nexthop): Promise<number> {
    return createNexthopWithFreshId(this.sock, this.ids, (id) => encodeNexthopNew(build(id), NLM_F_CREATE | NLM_F_EXCL), 'id band', '');
  }

  remove(id: number): Promise<void> {
    return removeNexthopId(this.sock, this.ids, id);
  }

  /** One dump serves both kinds at a resync; ours carry our protocol and an id in our band. */
  async dumpOurs(): Promise<Nexthop[]> {
    const band = (id: number) => id >= this.marks.nexthopIdBase && id < this.marks.nexthopIdBase + this.marks.nexthopIdCount;
    const ours = (await nexthopDump(this.sock, { protocol: this.marks.protocol })).filter((n) => band(n.id));
    for (const n of ours) this.ids.claim(n.id);
    return ours;
  }
}

export class NexthopDriver implements ObjectDriver<NexthopWant, NexthopSeen> {
  readonly kind = 'nexthop';
  constructor(private readonly ctx: NexthopContext) {}

  /** `ip nexthop show proto P`, single next hops keyed by the tunnel or link they use. */
  async list(): Promise<Map<string, NexthopSeen>> {
    const keyByIfindex = new Map<number, string>();
    for (const [key, t] of this.ctx.tunnels()) keyByIfindex.set(t.ifindex, `t|${key}`);
    const out = new Map<string, NexthopSeen>();
    for (const n of await this.ctx.dumpOurs()) {
      if (n.group || n.oif === undefined) continue;
      let key = keyByIfindex.get(n.oif);
      if (key === undefined) {
        const l = await linkGet(this.ctx.sock, { ifindex: n.oif });
        key = l && !l.name.startsWith(this.ctx.marks.tunnelPrefix) ? `h|${l.name}|${n.gateway ?? ''}` : `stale|${n.id}`;
      }
      const seen: NexthopSeen = { id: n.id, oif: n.oif };
      if (n.gateway !== undefined) seen.gateway = n.gateway;
      out.set(out.has(key) ? `dup|${n.id}` : key, seen);
    }
    return out;
  }

  same(d: NexthopWant, o: NexthopSeen): boolean {
    const gateway = d.kind === 'link' ? (d.gateway ?? undefined) : undefined;
    return this.ctx.oifOfKnown(d) === o.oif && o.gateway === gateway;
  }

  private async build(d: NexthopWant): Promise<{ oif: number; gateway?: Ip6 }> {
    const oif = await this.ctx.oifOf(d);
    if (oif === undefined) throw new Error(`nexthop: no interface for ${d.kind === 'tunnel' ? `tunnel ${d.tunnelKey}` : d.interface}`);
    return d.kind === 'link' && d.gateway ? { oif, gateway: d.gateway } : { oif };
  }

  /** `ip -6 nexthop add id N dev TUNNEL proto P` */
  async create(_key: string, d: NexthopWant): Promise<NexthopSeen> {
    const b = await this.build(d);
    const id = await this.ctx.createWithFreshId((id) => ({ id, protocol: this.ctx.marks.protocol, ...b }));
    return { id, ...b };
  }

  /** `ip -6 nexthop replace id N dev TUNNEL proto P` (routes using it follow at once) */
  async update(_key: string, d: NexthopWant, o: NexthopSeen): Promise<NexthopSeen> {
    const b = await this.build(d);
    await nexthopReplace(this.ctx.sock, { id: o.id, protocol: this.ctx.marks.protocol, ...b });
    return { id: o.id, ...b };
  }

  /** `ip nexthop del id N` */
  remove(_key: string, o: NexthopSeen): Promise<void> {
    return this.ctx.remove(o.id);
  }
}

export class GroupDriver implements ObjectDriver<GroupWant, GroupSeen> {
  readonly kind = 'group';
  constructor(private readonly ctx: NexthopContext) {}

  private memberIds(d: GroupWant): { id: number; weight: number }[] | undefined {
    const nh = this.ctx.nexthops();
    const out: { id: number; weight: number }[] = [];
    for (const m of d.members) {
      const seen = nh.get(m.nexthopKey);
      if (!seen) return undefined;
      out.push({ id: seen.id, weight: m.weight });
    }
    return out;
  }

  /** `ip nexthop show proto P`, groups keyed by their members' keys and weights. */
  async list(): Promise<Map<string, GroupSeen>> {
    const keyById = new Map<number, string>();
    for (const [key, n] of this.ctx.nexthops()) keyById.set(n.id, key);
    const out = new Map<string, GroupSeen>();
    for (const n of await this.ctx.dumpOurs()) {
      if (!n.group) continue;
      const parts = n.group.map((m) => ({ key: keyById.get(m.id), weight: m.weight }));
      const known = parts.every((p) => p.key !== undefined);
      const key = known
        ? parts
            .map((p) => `${p.key}*${p.weight}`)
            .sort()
            .join(';')
        : `stale|${n.id}`;
      out.set(out.has(key) ? `dup|${n.id}` : key, { id: n.id, members: n.group });
    }
    return out;
  }

  same(d: GroupWant, o: GroupSeen): boolean {
    const want = this.memberIds(d);
    if (!want || want.length !== o.members.length) return false;
    const have = new Set(o.members.map((m) => `${m.id}*${m.weight}`));
    return want.every((m) => have.has(`${m.id}*${m.weight}`));
  }

  private members(d: GroupWant): { id: number; weight: number }[] {
    const m = this.memberIds(d);
    if (!m) throw new Error('nexthop group: a member next hop does not exist yet');
    return m;
  }

  /** `ip nexthop add id N group A,W/B,W proto P` */
  async create(_key: string, d: GroupWant): Promise<GroupSeen> {
    const members = this.members(d);
    const id = await this.ctx.createWithFreshId((id) => ({ id, protocol: this.ctx.marks.protocol, group: members }));
    return { id, members };
  }

  /** `ip nexthop replace id N group ...` */
  async update(_key: string, d: GroupWant, o: GroupSeen): Promise<GroupSeen> {
    const members = this.members(d);
    await nexthopReplace(this.ctx.sock, { id: o.id, protocol: this.ctx.marks.protocol, group: members });
    return { id: o.id, members };
  }

  remove(_key: string, o: GroupSeen): Promise<void> {
    return this.ctx.remove(o.id);
  }
}

// The shared data plane's next hops: one encapsulating nexthop per care-of address (outer
// dst CoA, src HA, out of the external device) and one resilient group per home address.
// Ours by nexthop protocol and the shared id band. An encap nexthop is keyed by what it
// encapsulates (HA|CoA); a group by the home address whose route points at it (a group's
// members alone cannot tell two home addresses with the same care-of addresses apart).
import { NLM_F_CREATE, NLM_F_EXCL } from '../../platform/netlink/netlink-constants.js';
import type { NetlinkSocket } from '../../platform/netlink/socket.js';
import { NEXTHOP_GRP_TYPE_RES } from '../../platform/rtnl/dataplane-constants.js';
import { encapNexthopDump, encapNexthopReplace, encodeEncapNexthopNew, encodeResilientGroupNew, resilientGroupReplace, type EncapNexthopInfo } from '../../platform/rtnl/nexthop-encap.js';
import { routeDump } from '../../platform/rtnl/route.js';
import type { EncapNexthopWant, ResGroupWant } from '../../plan/ha/shared-dataplane.js';
import type { ObjectDriver } from '../engine.js';
import { Allocator, type OwnershipMarks } from '../marks.js';
import { createNexthopWithFreshId, removeNexthopId, type NexthopSeen } from './nexthop.js';
import type { DeviceIfindex } from './shared-device.js';

/** Seconds a bucket must be idle before it moves to another member, and after which an
    unbalanced group moves busy buckets too: a new care-of address gets its share of flows
    within half a minute even under steady traffic, and idle flows move at once. */
const GROUP_IDLE_TIMER_S = 1;
const GROUP_UNBALANCED_TIMER_S = 30;

export interface EncapNexthopSeen {
  id: number;
  oif: number;
  dst: string;
  src: string;
}

export interface ResGroupSeen {
  id: number;
  members: { id: number; weight: number }[];
  resilient: boolean;
  buckets: number;
}

export class SharedNexthopContext {
  readonly ids: Allocator<number>;
  constructor(
    readonly sock: NetlinkSocket,
    readonly marks: OwnershipMarks,
    readonly device: DeviceIfindex,
  ) {
    this.ids = new Allocator((n) => marks.sharedNexthopIdBase + n, marks.sharedNexthopIdCount);
  }

  /** `ip nexthop show proto P`, ours in the shared band. */
  async dumpOurs(): Promise<EncapNexthopInfo[]> {
    const { sharedNexthopIdBase: base, sharedNexthopIdCount: count } = this.marks;
    const ours = (await encapNexthopDump(this.sock, { protocol: this.marks.protocol })).filter((n) => n.id >= base && n.id < base + count);
    for (const n of ours) this.ids.claim(n.id);
    return ours;
  }

  /** Creates with a fresh id from the shared band; an id someone else holds is skipped. */
  createWithFreshId(encode: (id: number) => Uint8Array, what: string): Promise<number> {
    return createNexthopWithFreshId(this.sock, this.ids, encode, 'shared band', what);
  }

  /** `ip nexthop del id N` */
  remove(id: number): Promise<void> {
    return removeNexthopId(this.sock, this.ids, id);
  }
}

export class EncapNexthopDriver implements ObjectDriver<EncapNexthopWant, EncapNexthopSeen> {
  readonly kind = 'encap-nexthop';
  constructor(private readonly ctx: SharedNexthopContext) {}

  async list(): Promise<Map<string, EncapNexthopSeen>> {
    const out = new Map<string, EncapNexthopSeen>();
    for (const n of await this.ctx.dumpOurs()) {
      if (n.group || n.oif === undefined) continue;
      // An encap nexthop without its source (or without encap) is not one we wrote: replaced.
      const key = n.encap?.src !== undefined ? `${n.encap.src}|${n.encap.dst}` : `stale|${n.id}`;
      out.set(out.has(key) ? `dup|${n.id}` : key, { id: n.id, oif: n.oif, dst: n.encap?.dst ?? '', src: n.encap?.src ?? '' });
    }
    return out;
  }

  same(d: EncapNexthopWant, o: EncapNexthopSeen): boolean {
    return o.oif === this.ctx.device() && o.dst === d.dst && o.src === d.src;
  }

  private oif(d: EncapNexthopWant): number {
    const oif = this.ctx.device();
    if (oif === undefined) throw new Error(`encap nexthop: device ${d.device} does not exist yet`);
    return oif;
  }

  /** `ip -6 nexthop add id N encap ip6 dst COA src HA dev DEV proto P` */
  async create(_key: string, d: EncapNexthopWant): Promise<EncapNexthopSeen> {
    const oif = this.oif(d);
    const id = await this.ctx.createWithFreshId(
      (id) => encodeEncapNexthopNew({ id, protocol: this.ctx.marks.protocol, oif, encap: { dst: d.dst, src: d.src } }, NLM_F_CREATE | NLM_F_EXCL),
      `encap ip6 dst ${d.dst}`,
    );
    return { id, oif, dst: d.dst, src: d.src };
  }

  /** `ip -6 nexthop replace id N encap ip6 dst COA src HA dev DEV proto P` (groups keep it) */
  async update(_key: string, d: EncapNexthopWant, o: EncapNexthopSeen): Promise<EncapNexthopSeen> {
    const oif = this.oif(d);
    await encapNexthopReplace(this.ctx.sock, { id: o.id, protocol: this.ctx.marks.protocol, oif, encap: { dst: d.dst, src: d.src } });
    return { id: o.id, oif, dst: d.dst, src: d.src };
  }

  remove(_key: string, o: EncapNexthopSeen): Promise<void> {
    return this.ctx.remove(o.id);
  }
}

export class ResGroupDriver implements ObjectDriver<ResGroupWant, ResGroupSeen> {
  readonly kind = 'res-group';
  constructor(
    private readonly ctx: SharedNexthopContext,
    /** The observed encap nexthop and home-link nexthop by key. */
    private readonly encap: (key: string) => EncapNexthopSeen | undefined,
    private readonly nexthop: (key: string) => NexthopSeen | undefined,
  ) {}

  /** Groups in the shared band, keyed by the route that uses them (`ip -6 route show proto P`). */
  async list(): Promise<Map<string, ResGroupSeen>> {
    const keyById = new Map<number, string>();
    for (const r of await routeDump(this.ctx.sock, { table: this.ctx.marks.table, protocol: this.ctx.marks.protocol })) {
      if (r.nhid === undefined) continue;
      // A home address's own route names its group; a prefix route only a group of its own.
      if (r.dstLen === 128) keyById.set(r.nhid, r.dst);
      else if (!keyById.has(r.nhid)) keyById.set(r.nhid, `mnp|${r.dst}/${r.dstLen}`);
    }
    const out = new Map<string, ResGroupSeen>();
    for (const n of await this.ctx.dumpOurs()) {
      if (!n.group) continue;
      // A group no route uses (a crash between the two writes) is removed and made again.
      const key = keyById.get(n.id) ?? `stale|${n.id}`;
      out.set(out.has(key) ? `dup|${n.id}` : key, {
        id: n.id,
        members: n.group,
        resilient: n.groupType === NEXTHOP_GRP_TYPE_RES,
        buckets: n.resilient?.buckets ?? 0,
      });
    }
    return out;
  }

  private memberIds(d: ResGroupWant): { id: number; weight: number }[] | undefined {
    const out: { id: number; weight: number }[] = [];
    for (const m of d.members) {
      const id = m.kind === 'encap' ? this.encap(m.key)?.id : this.nexthop(m.key)?.id;
      if (id === undefined) return undefined;
      out.push({ id, weight: m.weight });
    }
    return out;
  }

  same(d: ResGroupWant, o: ResGroupSeen): boolean {
    if (!o.resilient || o.buckets !== d.buckets) return false;
    const want = this.memberIds(d);
    if (!want || want.length !== o.members.length) return false;
    const have = new Set(o.members.map((m) => `${m.id}*${m.weight}`));
    return want.every((m) => have.has(`${m.id}*${m.weight}`));
  }

  private members(d: ResGroupWant): { id: number; weight: number }[] {
    const m = this.memberIds(d);
    if (!m) throw new Error('resilient group: a member nexthop does not exist yet');
    return m;
  }

  private group(id: number, d: ResGroupWant) {
    return { id, protocol: this.ctx.marks.protocol, members: this.members(d), buckets: d.buckets, idleTimerS: GROUP_IDLE_TIMER_S, unbalancedTimerS: GROUP_UNBALANCED_TIMER_S };
  }

  /** `ip nexthop add id G group A/B type resilient buckets 16 idle_timer 1 unbalanced_timer 30 proto P` */
  async create(_key: string, d: ResGroupWant): Promise<ResGroupSeen> {
    const members = this.members(d);
    const id = await this.ctx.createWithFreshId((id) => encodeResilientGroupNew(this.group(id, d), NLM_F_CREATE | NLM_F_EXCL), 'group type resilient');
    return { id, members, resilient: true, buckets: d.buckets };
  }

  /**
   * `ip nexthop replace id G group A/B/C type resilient buckets 16 ...`: members change in
   * place. The kernel refuses to change a group's type or bucket count, so such a group is
   * deleted and made again under a new id (its route goes with it; the route driver, later
   * in the same pass, finds the id changed and writes the route again).
   */
  async update(key: string, d: ResGroupWant, o: ResGroupSeen): Promise<ResGroupSeen> {
    if (o.resilient && o.buckets === d.buckets) {
      const members = this.members(d);
      await resilientGroupReplace(this.ctx.sock, this.group(o.id, d));
      return { id: o.id, members, resilient: true, buckets: d.buckets };
    }
    await this.ctx.remove(o.id);
    return this.create(key, d);
  }

  remove(_key: string, o: ResGroupSeen): Promise<void> {
    return this.ctx.remove(o.id);
  }
}

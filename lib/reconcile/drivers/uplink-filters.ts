// The mobile node's uplink flow filters (plan/mn/flow-uplink.ts) on the egress of its own
// tunnels: ours because the tunnels are (their name prefix); keyed by the tunnel (its key
// in the reconciler), the FID and the match index (the handle is FID << 8 | index). The
// clsact hook is added with the first filter and goes with its tunnel.
import { classifyError } from '../../platform/kernel-errors.js';
import type { NetlinkSocket } from '../../platform/netlink/socket.js';
import { filterDelete, filterDump } from '../../platform/tc/filter.js';
import type { FlowerFilterInfo } from '../../platform/tc/flower.js';
import { flowerActionText, flowerFlowReplace, flowerMatchText } from '../../platform/tc/flower-flow.js';
import { clsactAdd } from '../../platform/tc/qdisc.js';
import { ETH_P_IPV6, TC_PARENT_EGRESS } from '../../platform/tc/tc-constants.js';
import { uplinkFilterKey, type UplinkFilterWant } from '../../plan/mn/flow-uplink.js';
import type { ObjectDriver } from '../engine.js';
import type { TunnelSeen } from './tunnel.js';
import { deleted } from './idempotent.js';
import { flowFilterHandle } from './flow-filters.js';

export interface UplinkFilterSeen {
  ifindex: number;
  prio: number;
  handle: number;
  match: string;
  action: string;
  packets: number;
}

/** The tunnels as last observed, by key. */
export type ObservedTunnels = () => ReadonlyMap<string, TunnelSeen>;

export class UplinkFilterDriver implements ObjectDriver<UplinkFilterWant, UplinkFilterSeen> {
  readonly kind = 'uplink-filter';
  constructor(
    private readonly sock: NetlinkSocket,
    private readonly tunnels: ObservedTunnels,
  ) {}

  private ifindexOf(key: string): number {
    const t = this.tunnels().get(key);
    if (!t) throw new Error(`uplink filter: tunnel ${key} does not exist yet`);
    return t.ifindex;
  }

  /** `tc -s filter show dev TUN egress` for each of our tunnels. */
  async list(): Promise<Map<string, UplinkFilterSeen>> {
    const out = new Map<string, UplinkFilterSeen>();
    for (const [key, t] of this.tunnels()) {
      let filters: FlowerFilterInfo[];
      try {
        filters = (await filterDump(this.sock, t.ifindex, TC_PARENT_EGRESS)).filter((f): f is FlowerFilterInfo => f.kind === 'flower');
      } catch (err) {
        if (classifyError(err, 'delete') === 'gone') continue; // the tunnel went meanwhile
        throw err;
      }
      for (const f of filters) {
        const h = f.header.handle;
        const a = f.actions[0];
        const action = a?.kind === 'mirred' && a.redirectIfindex !== undefined ? flowerActionText({ kind: 'redirect', ifindex: a.redirectIfindex }) : (a?.kind ?? 'none');
        const k = uplinkFilterKey(key, h >>> 8, h & 0xff);
        out.set(out.has(k) ? `dup|${t.ifindex}|${f.header.prio}|${h}` : k, { ifindex: t.ifindex, prio: f.header.prio, handle: h, match: flowerMatchText(f.match), action, packets: f.actions.reduce((n, x) => n + x.packets, 0) });
      }
    }
    return out;
  }

  same(d: UplinkFilterWant, o: UplinkFilterSeen): boolean {
    const dev = this.tunnels().get(d.device);
    const target = this.tunnels().get(d.target);
    return (
      dev !== undefined && target !== undefined && o.ifindex === dev.ifindex && o.prio === d.prio && o.handle === flowFilterHandle(d.fid, d.index) &&
      o.match === flowerMatchText(d.match) && o.action === flowerActionText({ kind: 'redirect', ifindex: target.ifindex })
    );
  }

  /** `tc qdisc add dev TUN clsact` (there already is fine), then `tc filter replace dev TUN egress prio P handle H protocol ipv6 flower skip_hw MATCH action mirred egress redirect dev TARGET` */
  async create(_key: string, d: UplinkFilterWant): Promise<UplinkFilterSeen> {
    const ifindex = this.ifindexOf(d.device);
    const target = this.ifindexOf(d.target);
    try {
      await clsactAdd(this.sock, ifindex);
    } catch (err) {
      if (classifyError(err, 'create') !== 'exists') throw err;
    }
    const handle = flowFilterHandle(d.fid, d.index);
    const action = { kind: 'redirect', ifindex: target } as const;
    await flowerFlowReplace(this.sock, { ifindex, chain: 0, prio: d.prio, handle, match: d.match, action });
    return { ifindex, prio: d.prio, handle, match: flowerMatchText(d.match), action: flowerActionText(action), packets: 0 };
  }

  /** Replaced in place; another priority is another classifier: the old filter goes first. */
  async update(key: string, d: UplinkFilterWant, o: UplinkFilterSeen): Promise<UplinkFilterSeen> {
    if (o.prio !== d.prio || o.ifindex !== this.ifindexOf(d.device)) await this.remove(key, o);
    return this.create(key, d);
  }

  /** `tc filter del dev TUN egress prio P handle H protocol ipv6 flower` */
  async remove(_key: string, o: UplinkFilterSeen): Promise<void> {
    await deleted(filterDelete(this.sock, { ifindex: o.ifindex, parent: TC_PARENT_EGRESS, prio: o.prio, protocol: ETH_P_IPV6, kind: 'flower', handle: o.handle }));
  }
}

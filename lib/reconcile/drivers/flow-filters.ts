// RFC 6089 flow classification on the shared device's egress (plan/ha/flow-steering.ts):
// per home address with flows a dispatch filter in chain 0 (`dst_ip HOA action goto chain
// C`) and, in chain C, one flower filter per match of each flow at the flow's priority,
// whose tunnel_key action sends the packet to the bound care-of address (or drops it).
// Ours by band: dispatch handles in FILTER_HANDLE_BASE.. (the egress hook has no other
// filters of ours), chains in FLOW_CHAIN_BASE..; a flow filter's handle is FID << 8 | index,
// so a restart rebuilds every key from a dump (the home address from its chain's dispatch).
import type { Ip6 } from '../../inet/ip6.js';
import { classifyError } from '../../platform/kernel-errors.js';
import type { NetlinkSocket } from '../../platform/netlink/socket.js';
import { filterDelete, filterDump } from '../../platform/tc/filter.js';
import type { FlowerFilterInfo } from '../../platform/tc/flower.js';
import { encodeFlowerFlowNew, flowerActionText, flowerFlowReplace, flowerMatchText, type FlowerAction } from '../../platform/tc/flower-flow.js';
import type { ActionStats } from '../../platform/tc/gact.js';
import { ETH_P_IPV6, TC_PARENT_EGRESS } from '../../platform/tc/tc-constants.js';
import { NLM_F_CREATE, NLM_F_EXCL } from '../../platform/netlink/netlink-constants.js';
import { FLOW_DISPATCH_PRIO, flowFilterKey, type FlowDispatchWant, type FlowFilterWant } from '../../plan/ha/shared-dataplane.js';
import type { FlowTarget } from '../../plan/ha/flow-steering.js';
import type { ObjectDriver } from '../engine.js';
import { Allocator, FILTER_HANDLE_BASE, FILTER_HANDLE_COUNT, FLOW_CHAIN_BASE, FLOW_CHAIN_COUNT } from '../marks.js';
import { deleted } from './idempotent.js';
import type { DeviceIfindex } from './shared-device.js';

const inChainBand = (c: number): boolean => c >= FLOW_CHAIN_BASE && c < FLOW_CHAIN_BASE + FLOW_CHAIN_COUNT;
const inHandleBand = (h: number): boolean => h >= FILTER_HANDLE_BASE && h < FILTER_HANDLE_BASE + FILTER_HANDLE_COUNT;
/** A flow filter's handle: the FID and which of its matches (1..255). */
export const flowFilterHandle = (fid: number, index: number): number => ((fid << 8) | index) >>> 0;

const actionOf = (t: FlowTarget): FlowerAction => (t.kind === 'drop' ? { kind: 'drop' } : { kind: 'tunnel-key', src: t.src, dst: t.dst });

/** The action a dumped filter holds, in flowerActionText's words. */
function dumpedActionText(actions: readonly ActionStats[]): string {
  const a = actions[0];
  if (!a || actions.length !== 1) return `${actions.length} actions`;
  if (a.kind === 'tunnel_key' && a.tunnelSrc !== undefined && a.tunnelDst !== undefined) return flowerActionText({ kind: 'tunnel-key', src: a.tunnelSrc, dst: a.tunnelDst });
  if (a.kind === 'gact' && a.gotoChain !== undefined) return flowerActionText({ kind: 'goto', chain: a.gotoChain });
  if (a.kind === 'gact' && a.verdict === 'drop') return 'drop';
  return a.kind;
}

const packetsOf = (f: FlowerFilterInfo): number => f.actions.reduce((n, a) => n + a.packets, 0);

/** Which chain each home address's flows are on: allocated on first use, adopted from dispatch filters. */
export class FlowChains {
  private readonly byHoa = new Map<string, number>();
  private readonly byChain = new Map<number, string>();
  private readonly chains = new Allocator((n) => FLOW_CHAIN_BASE + n, FLOW_CHAIN_COUNT);

  constructor(
    readonly sock: NetlinkSocket,
    readonly device: DeviceIfindex,
  ) {}

  peek(hoa: string): number | undefined {
    return this.byHoa.get(hoa);
  }

  hoaOf(chain: number): string | undefined {
    return this.byChain.get(chain);
  }

  chainOf(hoa: string): number {
    const have = this.byHoa.get(hoa);
    if (have !== undefined) return have;
    const chain = this.chains.take();
    this.byHoa.set(hoa, chain);
    this.byChain.set(chain, hoa);
    return chain;
  }

  adopt(hoa: string, chain: number): void {
    const before = this.byHoa.get(hoa);
    if (before === chain) return;
    if (before !== undefined) this.byChain.delete(before);
    this.chains.claim(chain);
    this.byHoa.set(hoa, chain);
    this.byChain.set(chain, hoa);
  }

  release(hoa: string): void {
    const chain = this.byHoa.get(hoa);
    if (chain === undefined) return;
    this.byHoa.delete(hoa);
    this.byChain.delete(chain);
    this.chains.release(chain);
  }

  /** `tc -s filter show dev DEV egress`: every filter of the hook, our dispatch filters adopted first. */
  async dump(chain?: number): Promise<{ ifindex: number; filters: FlowerFilterInfo[] } | undefined> {
    const ifindex = this.device();
    if (ifindex === undefined) return undefined;
    const filters = (await filterDump(this.sock, ifindex, TC_PARENT_EGRESS, 0, chain)).filter((f): f is FlowerFilterInfo => f.kind === 'flower');
    for (const f of filters) {
      const d = dispatchOf(f);
      if (d) this.adopt(d.hoa, d.chain);
    }
    return { ifindex, filters };
  }
}

/** A dispatch filter of ours: chain 0, its priority, a handle in our band, dst_ip HOA/128, goto one of our chains. */
function dispatchOf(f: FlowerFilterInfo): { hoa: Ip6; chain: number } | undefined {
  if (f.chain !== 0 || f.header.prio !== FLOW_DISPATCH_PRIO || !inHandleBand(f.header.handle)) return undefined;
  const chain = f.actions.length === 1 ? f.actions[0]!.gotoChain : undefined;
  if (chain === undefined || !inChainBand(chain) || f.match.dst?.len !== 128) return undefined;
  return { hoa: f.match.dst.addr, chain };
}

export interface FlowDispatchSeen {
  ifindex: number;
  handle: number;
  hoa: Ip6;
  chain: number;
  /** Packets to the home address that went to its chain (at the last dump). */
  packets: number;
}

export class FlowDispatchDriver implements ObjectDriver<FlowDispatchWant, FlowDispatchSeen> {
  readonly kind = 'flow-dispatch';
  private readonly handles = new Allocator((n) => FILTER_HANDLE_BASE + 1 + n, FILTER_HANDLE_COUNT - 1);

  constructor(private readonly ctx: FlowChains) {}

  /** `tc -s filter show dev DEV egress chain 0` */
  async list(): Promise<Map<string, FlowDispatchSeen>> {
    const out = new Map<string, FlowDispatchSeen>();
    const seen = await this.ctx.dump(0);
    if (!seen) return out;
    for (const f of seen.filters) {
      const d = dispatchOf(f);
      if (!d) continue;
      this.handles.claim(f.header.handle);
      out.set(out.has(d.hoa) ? `dup|${f.header.handle}` : d.hoa, { ifindex: seen.ifindex, handle: f.header.handle, hoa: d.hoa, chain: d.chain, packets: packetsOf(f) });
    }
    return out;
  }

  same(d: FlowDispatchWant, o: FlowDispatchSeen): boolean {
    return o.ifindex === this.ctx.device() && o.hoa === d.hoa && o.chain === this.ctx.peek(d.hoa);
  }

  /** `tc filter add dev DEV egress prio 1 handle H protocol ipv6 flower skip_hw dst_ip HOA action goto chain C` */
  async create(_key: string, d: FlowDispatchWant): Promise<FlowDispatchSeen> {
    const ifindex = this.ctx.device();
    if (ifindex === undefined) throw new Error(`flow dispatch: device ${d.device} does not exist yet`);
    const chain = this.ctx.chainOf(d.hoa);
    const handle = this.handles.take();
    const f = { ifindex, chain: 0, prio: FLOW_DISPATCH_PRIO, handle, match: { dst: { addr: d.hoa, len: 128 } }, action: { kind: 'goto', chain } as const };
    try {
      await this.ctx.sock.request(encodeFlowerFlowNew(f, NLM_F_CREATE | NLM_F_EXCL), { op: () => `RTM_NEWTFILTER flower egress handle ${handle} dst_ip ${d.hoa} goto chain ${chain}` });
    } catch (err) {
      // EEXIST: the same dst_ip under another handle; the resync after this failure adopts it.
      if (classifyError(err, 'create') !== 'exists') this.handles.release(handle);
      throw err;
    }
    return { ifindex, handle, hoa: d.hoa, chain, packets: 0 };
  }

  /** `tc filter replace dev DEV egress prio 1 handle H ... goto chain C` */
  async update(_key: string, d: FlowDispatchWant, o: FlowDispatchSeen): Promise<FlowDispatchSeen> {
    const ifindex = this.ctx.device();
    if (ifindex === undefined) throw new Error(`flow dispatch: device ${d.device} does not exist yet`);
    const chain = this.ctx.chainOf(d.hoa);
    await flowerFlowReplace(this.ctx.sock, { ifindex, chain: 0, prio: FLOW_DISPATCH_PRIO, handle: o.handle, match: { dst: { addr: d.hoa, len: 128 } }, action: { kind: 'goto', chain } });
    return { ...o, ifindex, hoa: d.hoa, chain };
  }

  /** `tc filter del dev DEV egress prio 1 handle H protocol ipv6 flower`; the chain is free once its filters go too. */
  async remove(_key: string, o: FlowDispatchSeen): Promise<void> {
    await deleted(filterDelete(this.ctx.sock, { ifindex: o.ifindex, parent: TC_PARENT_EGRESS, prio: FLOW_DISPATCH_PRIO, protocol: ETH_P_IPV6, kind: 'flower', handle: o.handle }));
    this.handles.release(o.handle);
    if (this.ctx.peek(o.hoa) === o.chain) this.ctx.release(o.hoa);
  }
}

export interface FlowFilterSeen {
  ifindex: number;
  chain: number;
  prio: number;
  handle: number;
  match: string;
  action: string;
  /** Packets its action took (at the last dump): the flow's packets. */
  packets: number;
}

export class FlowFilterDriver implements ObjectDriver<FlowFilterWant, FlowFilterSeen> {
  readonly kind = 'flow-filter';
  constructor(private readonly ctx: FlowChains) {}

  /** `tc -s filter show dev DEV egress`: flower filters on our chains, keyed by home address (the chain's), FID and index (the handle). */
  async list(): Promise<Map<string, FlowFilterSeen>> {
    const out = new Map<string, FlowFilterSeen>();
    const seen = await this.ctx.dump();
    if (!seen) return out;
    for (const f of seen.filters) {
      if (!inChainBand(f.chain)) continue;
      const hoa = this.ctx.hoaOf(f.chain);
      const h = f.header.handle;
      const o: FlowFilterSeen = { ifindex: seen.ifindex, chain: f.chain, prio: f.header.prio, handle: h, match: flowerMatchText(f.match), action: dumpedActionText(f.actions), packets: packetsOf(f) };
      // A chain no dispatch filter names is left over: its filters are removed under their own keys.
      const key = hoa === undefined ? `orphan|${f.chain}|${o.prio}|${h}` : flowFilterKey(hoa as Ip6, h >>> 8, h & 0xff);
      out.set(out.has(key) ? `dup|${f.chain}|${o.prio}|${h}` : key, o);
    }
    return out;
  }

  same(d: FlowFilterWant, o: FlowFilterSeen): boolean {
    return (
      o.ifindex === this.ctx.device() &&
      o.chain === this.ctx.peek(d.hoa) &&
      o.prio === d.prio &&
      o.handle === flowFilterHandle(d.fid, d.index) &&
      o.match === flowerMatchText(d.match) &&
      o.action === flowerActionText(actionOf(d.target))
    );
  }

  /** `tc filter replace dev DEV egress chain C prio P handle H protocol ipv6 flower skip_hw MATCH action tunnel_key set src_ip HA dst_ip COA pass` (or `action drop`) */
  async create(_key: string, d: FlowFilterWant): Promise<FlowFilterSeen> {
    const ifindex = this.ctx.device();
    if (ifindex === undefined) throw new Error(`flow filter: device ${d.device} does not exist yet`);
    const chain = this.ctx.chainOf(d.hoa);
    const handle = flowFilterHandle(d.fid, d.index);
    const action = actionOf(d.target);
    await flowerFlowReplace(this.ctx.sock, { ifindex, chain, prio: d.prio, handle, match: d.match, action });
    return { ifindex, chain, prio: d.prio, handle, match: flowerMatchText(d.match), action: flowerActionText(action), packets: 0 };
  }

  /** Replaced in place; another priority or chain is another classifier: the old one is deleted first. */
  async update(key: string, d: FlowFilterWant, o: FlowFilterSeen): Promise<FlowFilterSeen> {
    if (o.chain !== this.ctx.peek(d.hoa) || o.prio !== d.prio || o.handle !== flowFilterHandle(d.fid, d.index)) await this.remove(key, o);
    return this.create(key, d);
  }

  /** `tc filter del dev DEV egress chain C prio P handle H protocol ipv6 flower` */
  async remove(_key: string, o: FlowFilterSeen): Promise<void> {
    await deleted(filterDelete(this.ctx.sock, { ifindex: o.ifindex, parent: TC_PARENT_EGRESS, chain: o.chain, prio: o.prio, protocol: ETH_P_IPV6, kind: 'flower', handle: o.handle }));
  }
}

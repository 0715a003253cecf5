// The shared data plane's device side: the one external ip6tnl device, its clsact hook,
// the pair filters (one flower filter per care-of address and home address) and the
// matchall drop after them. The device and everything on it are ours by its name; filters
// are ours by their handle band (tc filters carry no protocol mark), keyed by what they
// match, so a restart adopts them with their handles and counters.
import { classifyError } from '../../platform/kernel-errors.js';
import type { NetlinkSocket } from '../../platform/netlink/socket.js';
import { ip6tnlExternalCreate, ip6tnlExternalGet } from '../../platform/rtnl/ip6tnl-external.js';
import { linkDelete, linkGet, linkSetUp } from '../../platform/rtnl/link.js';
import { clsactAdd, clsactDelete, qdiscDump } from '../../platform/tc/qdisc.js';
import { encodeFlowerPairCreate, flowerPairReplace } from '../../platform/tc/flower.js';
import { matchallReplace } from '../../platform/tc/matchall.js';
import { filterDelete, filterDump } from '../../platform/tc/filter.js';
import { ETH_P_ALL, ETH_P_IPV6, TC_PARENT_INGRESS } from '../../platform/tc/tc-constants.js';
import { DROP_FILTER_PRIO, PAIR_FILTER_PRIO, pairKey, prefixPairKey, type ClsactWant, type DropFilterWant, type PairFilterWant, type SharedDeviceWant } from '../../plan/ha/shared-dataplane.js';
import type { ObjectDriver } from '../engine.js';
import { Allocator, FILTER_HANDLE_BASE, FILTER_HANDLE_COUNT } from '../marks.js';
import { createdOrThere, deleted, oneOnDevice } from './idempotent.js';

export interface SharedDeviceSeen {
  name: string;
  ifindex: number;
  up: boolean;
}

/** The device's ifindex as last observed, or undefined when it does not exist (yet). */
export type DeviceIfindex = () => number | undefined;

export class SharedDeviceDriver implements ObjectDriver<SharedDeviceWant, SharedDeviceSeen> {
  readonly kind = 'shared-device';
  constructor(
    private readonly sock: NetlinkSocket,
    private readonly name: string,
  ) {}

  /** `ip -d link show NAME`: ours when it is an external ip6tnl link. */
  async list(): Promise<Map<string, SharedDeviceSeen>> {
    const out = new Map<string, SharedDeviceSeen>();
    const t = await ip6tnlExternalGet(this.sock, this.name);
    if (!t?.external) return out;
    const l = await linkGet(this.sock, { ifindex: t.ifindex });
    if (l) out.set(this.name, { name: this.name, ifindex: l.ifindex, up: l.up });
    return out;
  }

  same(_d: SharedDeviceWant, o: SharedDeviceSeen): boolean {
    return o.up;
  }

  /** `ip link add NAME type ip6tnl external && ip link set NAME up` */
  async create(_key: string, d: SharedDeviceWant): Promise<SharedDeviceSeen> {
    await createdOrThere(ip6tnlExternalCreate(this.sock, { name: d.name, up: true }));
    const l = await linkGet(this.sock, { name: d.name });
    if (!l) throw new Error(`device ${d.name} vanished right after it was created`);
    if (!l.up) await linkSetUp(this.sock, { ifindex: l.ifindex }, true);
    return { name: d.name, ifindex: l.ifindex, up: true };
  }

  /** `ip link set NAME up` */
  async update(_key: string, _d: SharedDeviceWant, o: SharedDeviceSeen): Promise<SharedDeviceSeen> {
    await linkSetUp(this.sock, { ifindex: o.ifindex }, true);
    return { ...o, up: true };
  }

  /** `ip link del NAME` (its nexthops, routes, qdisc and filters go with it). */
  async remove(_key: string, o: SharedDeviceSeen): Promise<void> {
    await deleted(linkDelete(this.sock, { ifindex: o.ifindex }));
  }
}

export interface ClsactSeen {
  ifindex: number;
}

export class ClsactDriver implements ObjectDriver<ClsactWant, ClsactSeen> {
  readonly kind = 'clsact';
  constructor(
    private readonly sock: NetlinkSocket,
    private readonly name: string,
    private readonly device: DeviceIfindex,
  ) {}

  /** `tc qdisc show dev NAME` */
  list(): Promise<Map<string, ClsactSeen>> {
    return oneOnDevice(this.name, this.device(), async (ifindex) => ((await qdiscDump(this.sock, { ifindex })).some((q) => q.kind === 'clsact') ? { ifindex } : undefined));
  }

  same(_d: ClsactWant, o: ClsactSeen): boolean {
    return o.ifindex === this.device();
  }

  /** `tc qdisc add dev NAME clsact` (there already is success) */
  async create(): Promise<ClsactSeen> {
    const ifindex = this.device();
    if (ifindex === undefined) throw new Error(`clsact: device ${this.name} does not exist yet`);
    await createdOrThere(clsactAdd(this.sock, ifindex));
    return { ifindex };
  }

  update(): Promise<ClsactSeen> {
    return this.create();
  }

  /** `tc qdisc del dev NAME clsact` */
  async remove(_key: string, o: ClsactSeen): Promise<void> {
    await deleted(clsactDelete(this.sock, o.ifindex));
  }
}

export interface PairFilterSeen {
  ifindex: number;
  handle: number;
  coa: string;
  hoa: string;
  /** The inner source's prefix length: 128 for a home address, less for a mobile network prefix. */
  srcLen: number;
  /** Packets the pass action counted (at the last dump). */
  packets: number;
}

const DROP_HANDLE = FILTER_HANDLE_BASE;
const inHandleBand = (h: number): boolean => h > DROP_HANDLE && h < FILTER_HANDLE_BASE + FILTER_HANDLE_COUNT;

export class PairFilterDriver implements ObjectDriver<PairFilterWant, PairFilterSeen> {
  readonly kind = 'pair-filter';
  private readonly handles = new Allocator((n) => FILTER_HANDLE_BASE + 1 + n, FILTER_HANDLE_COUNT - 1);

  constructor(
    private readonly sock: NetlinkSocket,
    private readonly device: DeviceIfindex,
  ) {}

  /** `tc -s filter show dev NAME ingress`: flower filters at the pair priority with a handle in our band, keyed by the pair they pass. */
  async list(): Promise<Map<string, PairFilterSeen>> {
    const out = new Map<string, PairFilterSeen>();
    const ifindex = this.device();
    if (ifindex === undefined) return out;
    for (const f of await filterDump(this.sock, ifindex)) {
      if (f.kind !== 'flower' || f.header.prio !== PAIR_FILTER_PRIO || !inHandleBand(f.header.handle)) continue;
      if (!('encSrc' in f) || f.encSrc === undefined || f.src === undefined) continue;
      this.handles.claim(f.header.handle);
      const srcLen = f.srcMaskLen ?? 128;
      const key = srcLen === 128 ? pairKey(f.encSrc, f.src) : prefixPairKey(f.encSrc, f.src, srcLen);
      const packets = f.actions.reduce((n, a) => n + a.packets, 0);
      out.set(out.has(key) ? `dup|${f.header.handle}` : key, { ifindex, handle: f.header.handle, coa: f.encSrc, hoa: f.src, srcLen, packets });
    }
    return out;
  }

  same(d: PairFilterWant, o: PairFilterSeen): boolean {
    return o.ifindex === this.device() && o.coa === d.coa && o.hoa === d.hoa && o.srcLen === (d.srcLen ?? 128);
  }

  /** `tc filter add dev NAME ingress prio 1 handle H protocol ipv6 flower skip_hw enc_src_ip COA src_ip HOA action pass` */
  async create(_key: string, d: PairFilterWant): Promise<PairFilterSeen> {
    const ifindex = this.device();
    if (ifindex === undefined) throw new Error(`pair filter: device ${d.device} does not exist yet`);
    const handle = this.handles.take();
    try {
      await this.sock.request(encodeFlowerPairCreate({ ifindex, prio: PAIR_FILTER_PRIO, handle, encSrc: d.coa, src: d.hoa, srcLen: d.srcLen ?? 128, verdict: 'pass' }), {
        op: () => `RTM_NEWTFILTER flower handle ${handle} enc_src_ip ${d.coa} src_ip ${d.hoa}/${d.srcLen ?? 128}`,
      });
    } catch (err) {
      // EEXIST: the handle, or (flower) the same pair under another handle, is taken; the
      // handle stays claimed and the resync that follows a failure adopts what is there.
      if (classifyError(err, 'create') !== 'exists') this.handles.release(handle);
      throw err;
    }
    return { ifindex, handle, coa: d.coa, hoa: d.hoa, srcLen: d.srcLen ?? 128, packets: 0 };
  }

  /** `tc filter replace dev NAME ingress prio 1 handle H ... flower ...` */
  async update(_key: string, d: PairFilterWant, o: PairFilterSeen): Promise<PairFilterSeen> {
    const ifindex = this.device();
    if (ifindex === undefined) throw new Error(`pair filter: device ${d.device} does not exist yet`);
    await flowerPairReplace(this.sock, { ifindex, prio: PAIR_FILTER_PRIO, handle: o.handle, encSrc: d.coa, src: d.hoa, srcLen: d.srcLen ?? 128, verdict: 'pass' });
    return { ...o, ifindex, coa: d.coa, hoa: d.hoa, srcLen: d.srcLen ?? 128 };
  }

  /** `tc filter del dev NAME ingress prio 1 handle H protocol ipv6 flower` */
  async remove(_key: string, o: PairFilterSeen): Promise<void> {
    await deleted(filterDelete(this.sock, { ifindex: o.ifindex, prio: PAIR_FILTER_PRIO, protocol: ETH_P_IPV6, kind: 'flower', handle: o.handle }));
    this.handles.release(o.handle);
  }
}

export interface DropFilterSeen {
  ifindex: number;
  /** Packets dropped: reverse-tunnelled from no registered (care-of address, home address) pair. */
  drops: number;
}

export class DropFilterDriver implements ObjectDriver<DropFilterWant, DropFilterSeen> {
  readonly kind = 'drop-filter';
  constructor(
    private readonly sock: NetlinkSocket,
    private readonly name: string,
    private readonly device: DeviceIfindex,
  ) {}

  list(): Promise<Map<string, DropFilterSeen>> {
    return oneOnDevice(this.name, this.device(), async (ifindex) => {
      const drops = await this.read(ifindex);
      return drops === undefined ? undefined : { ifindex, drops };
    });
  }

  /**
   * `tc -s filter show dev NAME ingress prio 2`: our matchall's drop count, undefined when it
   * is absent. Only its priority is dumped: the whole hook holds a pair filter per binding,
   * and `show stats` and every metrics scrape read this (O(1), not O(N)).
   */
  async read(ifindex = this.device()): Promise<number | undefined> {
    if (ifindex === undefined) return undefined;
    for (const f of await filterDump(this.sock, ifindex, TC_PARENT_INGRESS, DROP_FILTER_PRIO)) {
      if (f.kind === 'matchall' && f.header.prio === DROP_FILTER_PRIO && f.header.handle === DROP_HANDLE && 'actions' in f) return f.actions.reduce((n, a) => n + a.drops, 0);
    }
    return undefined;
  }

  same(_d: DropFilterWant, o: DropFilterSeen): boolean {
    return o.ifindex === this.device();
  }

  /** `tc filter replace dev NAME ingress prio 2 handle 0x4d000000 protocol all matchall skip_hw action drop` */
  async create(_key: string, d: DropFilterWant): Promise<DropFilterSeen> {
    const ifindex = this.device();
    if (ifindex === undefined) throw new Error(`drop filter: device ${d.device} does not exist yet`);
    await matchallReplace(this.sock, { ifindex, prio: DROP_FILTER_PRIO, handle: DROP_HANDLE, verdict: 'drop' });
    return { ifindex, drops: 0 };
  }

  update(key: string, d: DropFilterWant): Promise<DropFilterSeen> {
    return this.create(key, d);
  }

  /** `tc filter del dev NAME ingress prio 2 handle 0x4d000000 protocol all matchall` */
  async remove(_key: string, o: DropFilterSeen): Promise<void> {
    await deleted(filterDelete(this.sock, { ifindex: o.ifindex, prio: DROP_FILTER_PRIO, protocol: ETH_P_ALL, kind: 'matchall', handle: DROP_HANDLE }));
  }
}

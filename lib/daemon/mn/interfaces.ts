// Which care-of address each candidate interface has, and whether it is on the home link,
// from the kernel: a dump at start, and a fresh dump whenever a link or IPv6 address
// notification arrives (or the monitor lost messages). A handful of interfaces makes a
// re-dump cheaper to get right than applying deltas in order. An interface that is up with
// carrier has a care-of address when it holds a global address outside the home prefix that
// is neither tentative, failed, deprecated nor a home address; it is on the home link when
// it holds such an address inside the home prefix (configured by hand or by SLAAC from the
// home link's router advertisements), other than the home address itself.
import type { NetlinkSocket } from '../../platform/netlink/socket.js';
import { addrDump, type Addr6 } from '../../platform/rtnl/addr.js';
import { RT_SCOPE_UNIVERSE } from '../../platform/rtnl/rtnl-constants.js';
import { linkDump } from '../../platform/rtnl/link.js';
import { ip6InPrefix, mustParseIp6, type Ip6 } from '../../inet/ip6.js';

/** linux/if_addr.h */
const IFA_F_DADFAILED = 0x08;
const IFA_F_HOMEADDRESS = 0x10;
const IFA_F_DEPRECATED = 0x20;
const IFA_F_TENTATIVE = 0x40;
const UNUSABLE = IFA_F_DADFAILED | IFA_F_HOMEADDRESS | IFA_F_DEPRECATED | IFA_F_TENTATIVE;
/** Notifications come in bursts (a link going down removes its addresses): one dump after them. */
const SETTLE_MS = 20;

export interface CareOfChange {
  iface: string;
  address: Ip6 | null;
  /** Attached to the home link. */
  atHome: boolean;
}

interface Seen {
  coa: Ip6 | undefined;
  atHome: boolean;
}

export class InterfaceWatcher {
  private readonly seen = new Map<string, Seen>();
  private readonly ifindex = new Map<string, number>();
  /** Interfaces the daemon took down on purpose (Figure 8): their last state stands. */
  private readonly held = new Set<string>();
  private readonly homePrefix: Uint8Array;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** Told about every change after start(); errors of a refresh go to onError. */
  onChange: ((changes: CareOfChange[]) => void) | undefined;
  onError: ((err: unknown) => void) | undefined;

  constructor(
    private readonly rtnl: NetlinkSocket,
    private candidates: readonly string[],
    private readonly homeAddress: Ip6,
    private readonly homePrefixLength: number,
  ) {
    this.homePrefix = mustParseIp6(homeAddress);
  }

  /** Dumps once and returns the care-of addresses found; then follows `monitor` (RTNLGRP_LINK, RTNLGRP_IPV6_IFADDR). */
  async start(monitor: NetlinkSocket): Promise<CareOfChange[]> {
    monitor.on('notification', () => this.soon());
    monitor.on('resync', () => this.soon());
    return this.refresh();
  }

  /** The care-of address of an interface now, if it has one. */
  careOf(iface: string): Ip6 | undefined {
    return this.seen.get(iface)?.coa;
  }

  atHome(iface: string): boolean {
    return this.seen.get(iface)?.atHome ?? false;
  }

  /** A new candidate list (reload): interfaces no longer listed are forgotten, new ones read soon. */
  setCandidates(list: readonly string[]): void {
    this.candidates = [...list];
    for (const name of [...this.seen.keys()]) if (!list.includes(name)) this.seen.delete(name);
    this.soon();
  }

  /** Freezes an interface's state (the daemon is taking it down) until unhold(). */
  hold(iface: string): void {
    this.held.add(iface);
  }

  unhold(iface: string): void {
    if (this.held.delete(iface)) this.soon();
  }

  ifindexOf(iface: string): number | undefined {
    return this.ifindex.get(iface);
  }

  private soon(): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.run();
    }, SETTLE_MS);
  }

  private run(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.refresh().then(
      (changes) => {
        if (changes.length > 0 && !this.stopped) this.onChange?.(changes);
      },
      (err: unknown) => {
        this.onError?.(err);
        this.soon();
      },
    ).finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.run();
      }
    });
  }

  /** `ip -6 addr show` + `ip link show`, compared with what was known. */
  private async refresh(): Promise<CareOfChange[]> {
    const links = await linkDump(this.rtnl);
    const addrs = await addrDump(this.rtnl);
    const changes: CareOfChange[] = [];
    for (const name of this.candidates) {
      const link = links.find((l) => l.name === name);
      if (link) this.ifindex.set(name, link.ifindex);
      else this.ifindex.delete(name);
      if (this.held.has(name)) continue;
      const usable = link && link.up && link.lowerUp ? addrs.filter((a) => a.ifindex === link.ifindex && isUsable(a, this.homeAddress)) : [];
      const home = (a: Addr6): boolean => ip6InPrefix(mustParseIp6(a.address), this.homePrefix, this.homePrefixLength);
      const foreign = usable.filter((a) => !home(a)).map((a) => a.address);
      const before = this.seen.get(name) ?? { coa: undefined, atHome: false };
      // Keep the current care-of address while it lasts; otherwise the lowest, for determinism.
      const coa = before.coa !== undefined && foreign.includes(before.coa) ? before.coa : foreign.sort()[0];
      const atHome = usable.some(home);
      if (coa === before.coa && atHome === before.atHome) continue;
      this.seen.set(name, { coa, atHome });
      changes.push({ iface: name, address: coa ?? null, atHome });
    }
    return changes;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}

function isUsable(a: Addr6, homeAddress: Ip6): boolean {
  return (a.scope ?? RT_SCOPE_UNIVERSE) === RT_SCOPE_UNIVERSE && ((a.flags ?? 0) & UNUSABLE) === 0 && a.address !== homeAddress && !a.address.startsWith('fe80:');
}

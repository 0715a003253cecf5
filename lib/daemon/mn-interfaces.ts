// Which care-of address each candidate interface has, from the kernel: a dump at start,
// and a fresh dump whenever a link or IPv6 address notification arrives (or the monitor
// lost messages). A handful of interfaces makes a re-dump cheaper to get right than
// applying deltas in order. An interface has a care-of address when it is up with carrier
// and holds a global address that is neither tentative, failed, deprecated nor a home address.
import type { NetlinkSocket } from '../kernel/netlink/socket.js';
import { addrDump, type Addr6 } from '../kernel/rtnl/addr.js';
import { RT_SCOPE_UNIVERSE } from '../kernel/rtnl/constants.js';
import { linkDump } from '../kernel/rtnl/link.js';
import type { Ip6Text } from '../wire/ip6.js';

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
  address: Ip6Text | null;
}

export class InterfaceWatcher {
  private readonly coa = new Map<string, Ip6Text>();
  private readonly ifindex = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** Told about every change after start(); errors of a refresh go to onError. */
  onChange: ((changes: CareOfChange[]) => void) | undefined;
  onError: ((err: unknown) => void) | undefined;

  constructor(
    private readonly rtnl: NetlinkSocket,
    private readonly candidates: readonly string[],
    private readonly homeAddress: Ip6Text,
  ) {}

  /** Dumps once and returns the care-of addresses found; then follows `monitor` (RTNLGRP_LINK, RTNLGRP_IPV6_IFADDR). */
  async start(monitor: NetlinkSocket): Promise<CareOfChange[]> {
    monitor.on('notification', () => this.soon());
    monitor.on('resync', () => this.soon());
    return this.refresh();
  }

  /** The care-of address of an interface now, if it has one. */
  careOf(iface: string): Ip6Text | undefined {
    return this.coa.get(iface);
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
      const usable = link && link.up && link.lowerUp ? addrs.filter((a) => a.ifindex === link.ifindex && isCareOf(a, this.homeAddress)) : [];
      const now = this.coa.get(name);
      // Keep the current care-of address while it lasts; otherwise the lowest, for determinism.
      const next = now !== undefined && usable.some((a) => a.address === now) ? now : usable.map((a) => a.address).sort()[0];
      if (next === now) continue;
      if (next === undefined) this.coa.delete(name);
      else this.coa.set(name, next);
      changes.push({ iface: name, address: next ?? null });
    }
    return changes;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}

function isCareOf(a: Addr6, homeAddress: Ip6Text): boolean {
  return (a.scope ?? RT_SCOPE_UNIVERSE) === RT_SCOPE_UNIVERSE && ((a.flags ?? 0) & UNUSABLE) === 0 && a.address !== homeAddress && !a.address.startsWith('fe80:');
}

// Drives the reconciler for the daemon: coalesced passes after changes, a full resync on a
// timer, after a failed pass, after ENOBUFS on the monitor socket, and when someone deletes
// an object we still want; and tells the daemon when a proxy entry appears (unsolicited NA).
import type { Ip6 } from '../../inet/ip6.js';
import type { Logger } from 'pino';
import type { NlMsg } from '../../platform/netlink/parse.js';
import type { NetlinkSocket } from '../../platform/netlink/socket.js';
import { RTM_DELLINK, RTM_DELNEIGH, RTM_DELROUTE } from '../../platform/rtnl/rtnl-constants.js';
import { decodeLink } from '../../platform/rtnl/link.js';
import { decodeProxy } from '../../platform/rtnl/neigh.js';
import { decodeRoute } from '../../platform/rtnl/route.js';
import type { ProxySeen } from '../../reconcile/drivers/proxy.js';
import type { TunnelSeen } from '../../reconcile/drivers/tunnel.js';
import type { SharedDeviceSeen } from '../../reconcile/drivers/shared-device.js';
import type { HomeAgentKernel } from './kernel.js';
import { DesiredIndex } from '../../plan/ha/desired-index.js';
import { PassScheduler, type ResyncCause } from '../../reconcile/pass-scheduler.js';
import { ObservedIndex } from '../../reconcile/observed-index.js';

const REPAIR_DEBOUNCE_MS = 50;

const proxyEntry = (ifindex: number, dst: string): string => `${ifindex}|${dst}`;

export class KernelSync {
  readonly index: DesiredIndex;
  readonly scheduler: PassScheduler;
  onProxyAdded: ((iface: string, addr: Ip6) => void) | undefined;
  private repairTimer: NodeJS.Timeout | undefined;
  /** Proxy entries that appeared since the current pass began (key -> entry). */
  private readonly proxiesAdded = new Map<string, ProxySeen>();
  /** Observed objects by what a delete notification names: no scan per notification. */
  private readonly tunnelsByName = new ObservedIndex<TunnelSeen>((t) => t.name);
  private readonly devicesByName = new ObservedIndex<SharedDeviceSeen>((d) => d.name);
  private readonly proxiesByEntry = new ObservedIndex<ProxySeen>((p) => proxyEntry(p.ifindex, p.dst));
  /** Kernel steps that must not overlap a pass (XFRM_MSG_MIGRATE), run at the start of the next one. */
  private readonly prePass: { run: () => Promise<void>; cancel: () => void }[] = [];
  private stopped = false;

  constructor(
    readonly kernel: HomeAgentKernel,
    log: Logger,
    private resyncIntervalMs: number,
  ) {
    this.index = new DesiredIndex(kernel.reconciler, kernel.planner);
    this.scheduler = new PassScheduler(kernel.reconciler, log);
    // Whoever starts a pass (a change, the resync timer, a retry), it first runs the queued
    // steps; passes run one at a time, so a step never overlaps a pass's reads and writes.
    const reconcile = kernel.reconciler.pass.bind(kernel.reconciler);
    kernel.reconciler.pass = async () => {
      for (const step of this.prePass.splice(0)) await step.run();
      return reconcile();
    };
    kernel.reconciler.watchObserved('tunnel', this.tunnelsByName);
    if (kernel.reconciler.has('shared-device')) kernel.reconciler.watchObserved('shared-device', this.devicesByName);
    kernel.reconciler.watchObserved('proxy', this.proxiesByEntry);
    // New proxy entries are announced with an unsolicited NA (RFC 6275 §10.4.1): the ones
    // that appeared during a pass, recorded as they appear (O(k) per pass, not O(N)).
    kernel.reconciler.watchObserved<ProxySeen>('proxy', {
      set: (key, after, before) => {
        if (before === undefined) this.proxiesAdded.set(key, after);
      },
      delete: (key) => this.proxiesAdded.delete(key),
    });
    this.scheduler.beforePass = () => this.proxiesAdded.clear();
    this.scheduler.afterPass = () => {
      for (const [key, p] of this.proxiesAdded) this.onProxyAdded?.(key.slice(0, key.indexOf('|')), p.dst);
      this.proxiesAdded.clear();
    };
  }

  get totals(): PassScheduler['totals'] {
    return this.scheduler.totals;
  }

  /** Starts the periodic resync and watches `monitor` (a socket joined to link, route, neigh groups). */
  start(monitor?: NetlinkSocket): void {
    this.scheduler.startResyncTimer(this.resyncIntervalMs);
    if (!monitor) return;
    monitor.on('resync', (reason) => this.resync(`monitor: ${reason}`, 'monitor'));
    monitor.on('notification', (m) => this.onNotification(m));
  }

  resync(why: string, cause: ResyncCause = 'request'): void {
    this.scheduler.resync(why, cause);
  }

  /** A reload's new resync period (kernel.resync_interval); the timer restarts with it. */
  setResyncInterval(ms: number): void {
    if (ms === this.resyncIntervalMs) return;
    this.resyncIntervalMs = ms;
    this.scheduler.startResyncTimer(ms);
  }

  schedule(): void {
    this.scheduler.schedule();
  }

  passNow(): Promise<void> {
    return this.scheduler.passNow();
  }

  /** Runs `step` at the start of the next pass (scheduled now), before it reads or writes. */
  beforeNextPass<T>(step: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.stopped) return reject(new Error('kernel sync stopped'));
      this.prePass.push({ run: () => Promise.resolve().then(step).then(resolve, reject), cancel: () => reject(new Error('kernel sync stopped')) });
      this.schedule();
    });
  }

  /** Someone deleted an object we still want: repair it without waiting for the timer. */
  private onNotification(m: NlMsg): void {
    const r = this.kernel.reconciler;
    let wanted = false;
    try {
      if (m.type === RTM_DELLINK) {
        const name = decodeLink(m).name;
        for (const key of this.tunnelsByName.lookup(name)) if (r.isDesired('tunnel', key)) wanted = true;
        // The shared device: its nexthops, routes and filters went with it.
        for (const key of this.devicesByName.lookup(name)) if (r.isDesired('shared-device', key)) wanted = true;
      } else if (m.type === RTM_DELROUTE) {
        const rt = decodeRoute(m);
        wanted = rt !== undefined && rt.protocol === this.kernel.marks.protocol && r.isDesired('route', `${rt.dst}/${rt.dstLen}`);
      } else if (m.type === RTM_DELNEIGH) {
        const p = decodeProxy(m);
        if (p) for (const key of this.proxiesByEntry.lookup(proxyEntry(p.ifindex, p.dst))) if (r.isDesired('proxy', key)) wanted = true;
      }
    } catch {
      return; // a notification we cannot parse changes nothing; the timer resync covers it
    }
    if (!wanted || this.repairTimer) return;
    this.repairTimer = setTimeout(() => {
      this.repairTimer = undefined;
      this.resync('an owned object was deleted behind our back', 'repair');
    }, REPAIR_DEBOUNCE_MS);
  }

  /** How many observed objects each notification index holds (for tests and stats). */
  get indexSizes(): { tunnels: number; proxies: number } {
    return { tunnels: this.tunnelsByName.size, proxies: this.proxiesByEntry.size };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.repairTimer) clearTimeout(this.repairTimer);
    await this.scheduler.stop();
    for (const step of this.prePass.splice(0)) step.cancel();
  }
}

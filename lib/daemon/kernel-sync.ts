// Drives the reconciler for the daemon: coalesced passes after changes, a full resync on a
// timer, after a failed pass, after ENOBUFS on the monitor socket, and when someone deletes
// an object we still want; and tells the daemon when a proxy entry appears (unsolicited NA).
import type { Logger } from 'pino';
import type { NlMsg } from '../kernel/netlink/parse.js';
import type { NetlinkSocket } from '../kernel/netlink/socket.js';
import { RTM_DELLINK, RTM_DELNEIGH, RTM_DELROUTE } from '../kernel/rtnl/constants.js';
import { decodeLink } from '../kernel/rtnl/link.js';
import { decodeProxy } from '../kernel/rtnl/neigh.js';
import { decodeRoute } from '../kernel/rtnl/route.js';
import type { ProxySeen } from '../reconcile/drivers/proxy.js';
import type { TunnelSeen } from '../reconcile/drivers/tunnel.js';
import type { HomeAgentKernel } from '../reconcile/home-agent-kernel.js';
import { DesiredIndex } from './desired-index.js';

const RETRY_MS = [100, 500, 2000, 10000];
const REPAIR_DEBOUNCE_MS = 50;

export class KernelSync {
  readonly index: DesiredIndex;
  onProxyAdded: ((iface: string, addr: string) => void) | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private repairTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  readonly totals = { passes: 0, created: 0, updated: 0, removed: 0, failed: 0, resyncs: 0 };

  constructor(
    readonly kernel: HomeAgentKernel,
    private readonly log: Logger,
    private readonly resyncIntervalMs: number,
  ) {
    this.index = new DesiredIndex(kernel.reconciler);
  }

  /** Starts the periodic resync and watches `monitor` (a socket joined to link, route, neigh groups). */
  start(monitor?: NetlinkSocket): void {
    this.resyncTimer = setInterval(() => this.resync('timer'), this.resyncIntervalMs);
    this.resyncTimer.unref();
    if (!monitor) return;
    monitor.on('resync', (reason) => this.resync(`monitor: ${reason}`));
    monitor.on('notification', (m) => this.onNotification(m));
  }

  resync(why: string): void {
    this.totals.resyncs++;
    this.log.info({ why }, 'kernel resync');
    this.kernel.reconciler.requestResync();
    this.schedule();
  }

  /** A pass soon; changes made before it starts ride along (one pass at a time). */
  schedule(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.runPass());
  }

  /** Runs a pass now (or waits for the running one and runs another). */
  async passNow(): Promise<void> {
    while (this.running) await this.running;
    this.running = this.runPass();
    await this.running;
  }

  private async runPass(): Promise<void> {
    try {
      this.again = false;
      const before = new Set(this.kernel.reconciler.observedAll<ProxySeen>('proxy').keys());
      const rep = await this.kernel.pass();
      this.totals.passes++;
      this.totals.created += rep.created;
      this.totals.updated += rep.updated;
      this.totals.removed += rep.removed;
      this.totals.failed += rep.failed;
      if (rep.created + rep.updated + rep.removed > 0) {
        this.log.info({ created: rep.created, updated: rep.updated, removed: rep.removed, failed: rep.failed }, 'kernel changes applied');
      }
      for (const e of rep.errors.slice(0, 5)) this.log.warn({ kind: e.kind, key: e.key, op: e.op, err: String(e.error) }, 'kernel operation failed');
      for (const [key, p] of this.kernel.reconciler.observedAll<ProxySeen>('proxy')) {
        if (!before.has(key)) this.onProxyAdded?.(key.slice(0, key.indexOf('|')), p.dst);
      }
      if (rep.failed > 0) this.retryLater();
      else this.failures = 0;
    } catch (err) {
      this.log.error({ err: String(err) }, 'kernel pass failed');
      this.retryLater();
    } finally {
      this.running = undefined;
      if (this.again) this.schedule();
    }
  }

  private retryLater(): void {
    if (this.retryTimer || this.stopped) return;
    const ms = RETRY_MS[Math.min(this.failures++, RETRY_MS.length - 1)]!;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.schedule();
    }, ms);
  }

  /** Someone deleted an object we still want: repair it without waiting for the timer. */
  private onNotification(m: NlMsg): void {
    const r = this.kernel.reconciler;
    let wanted = false;
    try {
      if (m.type === RTM_DELLINK) {
        const name = decodeLink(m).name;
        for (const [key, t] of r.observedAll<TunnelSeen>('tunnel')) if (t.name === name && r.isDesired('tunnel', key)) wanted = true;
      } else if (m.type === RTM_DELROUTE) {
        const rt = decodeRoute(m);
        wanted = rt !== undefined && rt.protocol === this.kernel.marks.protocol && r.isDesired('route', `${rt.dst}/${rt.dstLen}`);
      } else if (m.type === RTM_DELNEIGH) {
        const p = decodeProxy(m);
        if (p) for (const [key, seen] of r.observedAll<ProxySeen>('proxy')) if (seen.dst === p.dst && seen.ifindex === p.ifindex && r.isDesired('proxy', key)) wanted = true;
      }
    } catch {
      return; // a notification we cannot parse changes nothing; the timer resync covers it
    }
    if (!wanted || this.repairTimer) return;
    this.repairTimer = setTimeout(() => {
      this.repairTimer = undefined;
      this.resync('an owned object was deleted behind our back');
    }, REPAIR_DEBOUNCE_MS);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of [this.retryTimer, this.resyncTimer, this.repairTimer]) if (t) clearTimeout(t);
    while (this.running) await this.running;
  }
}

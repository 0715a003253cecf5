// mcoad in the mobile node role: the kernel's interfaces and addresses -> care-of address
// events -> the mobile node core -> Binding Updates from each care-of address with a Home
// Address option; Binding Acknowledgements (delivered through the type 2 routing header)
// back into the core; the Binding Update List's accepted entries -> tunnels and routes.
// One timer, at the core's nextTickMs. Home link detection and correspondents (route
// optimisation) are not wired yet: interface actions and reverse-tunnelled sends are logged.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { MobileNodeDaemonConfig } from '../config/index.js';
import type { ControlServer } from '../control/server.js';
import { MobileNodeCore } from '../core/mn/index.js';
import type { MnAction, MnEvent, MnOutput, SendAction } from '../core/mn/index.js';
import { NetlinkSocket } from '../kernel/netlink/socket.js';
import { RTNLGRP_IPV6_IFADDR, RTNLGRP_LINK } from '../kernel/rtnl/constants.js';
import { MhSocket, type MhReceived } from '../net/mh-socket.js';
import { formatIp6, mustParseIp6 } from '../wire/ip6.js';
import { decodeMessage, encodeMessage } from '../wire/mh.js';
import { Counters, RateLimit } from './counters.js';
import { InterfaceWatcher, type CareOfChange } from './mn-interfaces.js';
import { MobileNodeKernel, type AcceptedCareOf } from './mn-kernel.js';

const NETLINK_ROUTE = 0;
const NETLINK_XFRM = 6;
const MAX_TIMER_MS = 0x7fffffff;

export class MobileNodeDaemon {
  readonly counters = new Counters();
  readonly core: MobileNodeCore;
  readonly startedAtMs = Date.now();
  control: ControlServer | undefined;
  private readonly sendBuf = new Uint8Array(4096);
  private readonly badInputLog = new RateLimit(10);
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  private constructor(
    readonly cfg: MobileNodeDaemonConfig,
    readonly log: Logger,
    readonly kernel: MobileNodeKernel,
    readonly interfaces: InterfaceWatcher,
    readonly mh: MhSocket,
    private readonly sockets: NetlinkSocket[],
  ) {
    const m = cfg.mobileNode;
    this.core = new MobileNodeCore(
      {
        homeAddress: mustParseIp6(m.homeAddress),
        homeAgent: mustParseIp6(m.homeAgent),
        status: m.profile.status,
        bulk: m.bulk,
        esp: m.ipsecRequired,
        homeLifetimeSeconds: m.lifetimeSeconds,
        multipleCoa: m.multipleCoa,
        bootstrapOverwrite: m.bootstrapOverwrite,
        bidConflict: m.bidConflict,
        homeLinkPolicy: m.homeLinkPolicy,
        preferredInterfaces: m.interfaces,
      },
      { randomBytes: (n) => new Uint8Array(randomBytes(n)) },
    );
  }

  /** Installs the home address and route2 objects, reads the interfaces, then starts registering. */
  static async start(cfg: MobileNodeDaemonConfig, log: Logger): Promise<MobileNodeDaemon> {
    for (const w of cfg.warnings) log.warn({ config: cfg.file }, w);
    const netns = cfg.netns === null ? {} : { netns: cfg.netns };
    const m = cfg.mobileNode;
    const sockets: NetlinkSocket[] = [];
    let mh: MhSocket | undefined;
    try {
      const rtnl = NetlinkSocket.open({ protocol: NETLINK_ROUTE, ...netns });
      sockets.push(rtnl);
      const xfrm = NetlinkSocket.open({ protocol: NETLINK_XFRM, ...netns });
      sockets.push(xfrm);
      const monitor = NetlinkSocket.open({ protocol: NETLINK_ROUTE, ...netns, groups: [RTNLGRP_LINK, RTNLGRP_IPV6_IFADDR] });
      sockets.push(monitor);
      const kernel = new MobileNodeKernel(rtnl, xfrm, cfg.marks, m.homeAddress, m.homeAgent, m.routes, log.child({ component: 'kernel' }));
      kernel.setAccepted([]);
      await kernel.passNow();
      mh = MhSocket.open({ ...netns, checksum: 'user' });
      const watcher = new InterfaceWatcher(rtnl, m.interfaces, m.homeAddress);
      const d = new MobileNodeDaemon(cfg, log, kernel, watcher, mh, sockets);
      mh.on('message', (msg) => d.onMessage(msg));
      mh.on('receiveError', (e) => d.counters.inc('mh', `receive-error-${e.reason}`));
      watcher.onChange = (changes) => d.careOfChanged(changes);
      watcher.onError = (err) => log.warn({ err: String(err) }, 'interface dump failed; retrying');
      const initial = await watcher.start(monitor);
      kernel.start(cfg.resyncIntervalSeconds * 1000);
      log.info({ careOf: Object.fromEntries(initial.map((c) => [c.iface, c.address])) }, 'interfaces read');
      d.feed([...initial.map((c) => careOfEvent(c)), { kind: 'start' }]);
      return d;
    } catch (err) {
      mh?.close();
      for (const s of sockets) s.close();
      throw err;
    }
  }

  private careOfChanged(changes: CareOfChange[]): void {
    for (const c of changes) this.log.info({ iface: c.iface, coa: c.address }, c.address ? 'care-of address' : 'care-of address gone');
    this.feed(changes.map(careOfEvent));
  }

  /** One received Mobility Header message. Never throws: bad input is counted. */
  private onMessage(m: MhReceived): void {
    const decoded = decodeMessage(m.data, this.cfg.mobileNode.profile);
    if (!decoded.ok) {
      this.counters.inc('mh', 'malformed');
      if (this.badInputLog.allow(Date.now())) this.log.debug({ src: m.src, code: decoded.error.code }, 'malformed mobility header');
      return;
    }
    const msg = decoded.value;
    this.counters.inc('received', msg.kind);
    const from = mustParseIp6(m.src);
    if (msg.kind === 'ba') this.feed([{ kind: 'bindingAck', from, message: msg, raw: m.data }]);
    else if (msg.kind === 'brr') this.feed([{ kind: 'bindingRefreshRequest', from, message: msg }]);
    else if (msg.kind === 'be') this.feed([{ kind: 'bindingError', from, message: msg }]);
  }

  /** Events at one instant into the core; its actions out; the timer re-armed. */
  private feed(events: MnEvent[]): void {
    if (this.stopped) return;
    this.perform(this.core.handleAll(events, Date.now()));
  }

  private perform(out: MnOutput): void {
    let bulChanged = false;
    for (const a of out.actions) {
      if (a.kind === 'bul') bulChanged = true;
      else this.act(a);
    }
    if (bulChanged) this.kernel.setAccepted(this.accepted());
    this.arm(out.nextTickMs);
  }

  private act(a: Exclude<MnAction, { kind: 'bul' }>): void {
    switch (a.kind) {
      case 'send':
        this.send(a);
        return;
      case 'interface':
        this.counters.inc('interface-action', a.op);
        this.log.warn({ iface: a.iface, op: a.op }, 'interface action not supported yet; ignored');
        return;
      case 'log':
        this.log[a.level](a.fields, a.event);
        return;
    }
  }

  private send(a: SendAction): void {
    const dst = formatIp6(a.destination);
    if (a.reverseTunnel || a.authorization !== null) {
      this.counters.inc('mh', 'send-unsupported');
      this.log.debug({ dst, kind: a.message.kind }, 'route optimisation signalling not wired yet; not sent');
      return;
    }
    const ifindex = a.iface === null ? undefined : this.interfaces.ifindexOf(a.iface);
    try {
      const data = encodeMessage(a.message, this.cfg.mobileNode.profile, this.sendBuf, 0);
      this.mh.send({
        data,
        src: formatIp6(a.source),
        dst,
        ...(ifindex !== undefined ? { ifindex } : {}),
        ...(a.homeAddressOption ? { homeAddressOption: this.cfg.mobileNode.homeAddress } : {}),
      });
      this.counters.inc('sent', a.message.kind);
      this.log.debug({ dst, src: formatIp6(a.source), iface: a.iface, kind: a.message.kind }, 'mobility header sent');
    } catch (err) {
      this.counters.inc('mh', 'send-error');
      this.log.warn({ dst, iface: a.iface, kind: a.message.kind, err: String(err) }, 'send failed');
    }
  }

  /** Care-of addresses the home agent accepted that the interface still holds. */
  private accepted(): AcceptedCareOf[] {
    const out: AcceptedCareOf[] = [];
    for (const e of this.core.bindingUpdateList()) {
      if (e.role !== 'ha' || e.state !== 'registered' || e.homeBinding || e.careOf === null || e.iface === null) continue;
      const ifindex = this.interfaces.ifindexOf(e.iface);
      if (ifindex === undefined || this.interfaces.careOf(e.iface) !== e.careOf) continue;
      out.push({ coa: e.careOf, ifindex });
    }
    return out;
  }

  private arm(nextTickMs: number | null): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (nextTickMs === null || this.stopped) return;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, nextTickMs - Date.now()));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.feed([{ kind: 'tick' }]);
    }, delay);
  }

  /** Stops; kernel objects and bindings stay (a restarted daemon adopts the objects). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.interfaces.stop();
    this.mh.close();
    await this.kernel.stop();
    for (const s of this.sockets) s.close();
    await this.control?.close();
  }
}

function careOfEvent(c: CareOfChange): MnEvent {
  return { kind: 'careOfAddress', iface: c.iface, address: c.address === null ? null : mustParseIp6(c.address) };
}

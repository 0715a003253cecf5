// Cluster mode: the static ESP SAs' output sequence numbers carried across a failover
// (`cluster.replication.esp_seq_margin`, lib/cluster/esp-seq.ts, docs/cluster.md).
//
// While active for a service address, this node listens on XFRMNLGRP_AEVENTS: the kernel
// reports each outbound SA's output sequence number (oseq) every net.core.xfrm_aevent_rseqth
// packets, or after net.core.xfrm_aevent_etime × 100 ms of quiet (XFRM_MSG_NEWAE; no polling).
// When half the margin above the stored mark is used up, it writes oseq + margin to etcd,
// fenced on the owner key. It leaves the group when it steps down: a standby sends nothing
// and needs no reports (and the kernel sends none while nobody listens).
//
// At a takeover, before the service address is added and proxying starts, the new active
// reads every mark, raises each of its outbound SAs' oseq to its mark (never lowers one),
//   equivalent: none in `ip`; XFRM_MSG_NEWAE | NLM_F_REPLACE with XFRMA_REPLAY_VAL,
// and writes oseq + margin for each before it sends anything from them, so the marks stay
// ahead of what it sends. Which SAs: ESP states from the service address in mcoad's reqid band.
import type { Logger } from 'pino';
import type { Ip6 } from '../../inet/ip6.js';
import { EspSeqMarks, EspSeqStore, espSaId, markAfter } from '../../cluster/esp-seq.js';
import type { Fence } from '../../cluster/replicated-store.js';
import type { NlMsg } from '../../platform/netlink/parse.js';
import type { NetlinkSocket } from '../../platform/netlink/socket.js';
import { decodeAevent, getAevent, setReplay, type XfrmAevent } from '../../platform/xfrm/aevent.js';
import { stateDump, type XfrmState } from '../../platform/xfrm/state.js';
import { IPPROTO_ESP, XFRMNLGRP_AEVENTS, XFRM_AE_ETHR, XFRM_AE_RTHR, XFRM_MSG_NEWAE } from '../../platform/xfrm/xfrm-constants.js';
import type { XfrmBands } from '../../plan/common/xfrm-objects.js';

/** NETLINK_XFRM (linux/netlink.h). */
const NETLINK_XFRM = 6;
import { RateLimit } from '../counters.js';

/** What the ESP sequence keeper needs from the daemon and the cluster. */
export interface EspSeqPorts {
  /** For dumps, GETAE and NEWAE. */
  xfrm: NetlinkSocket;
  /** Opens a socket joined to XFRMNLGRP_AEVENTS (it is closed at step-down). */
  openEvents(): NetlinkSocket;
  store: EspSeqStore;
  /** The owner key compare for writes by the active of `address`. */
  fence(address: Ip6): Fence;
  /** Whether a reqid is mcoad's (its static SAs; an IKE daemon's are left alone). */
  ours(reqid: number): boolean;
  /** The core's clock (ms), for the rate limit of warnings. */
  now(): number;
  /** Whether the configuration has static SAs now (none: a takeover has nothing to raise and waits for nothing). */
  hasStaticSas(): boolean;
}

/** How long a takeover waits for etcd's marks before it serves without raising. */
const READ_DEADLINE_MS = 1000;

export interface EspSeqStats {
  takeovers: number;
  raised: number;
  marksWritten: number;
  writeFailures: number;
  events: number;
}

export class HomeAgentEspSeq {
  private readonly marks: EspSeqMarks;
  /** Service addresses this node is active for, whose outbound SAs are tracked. */
  private readonly active = new Set<Ip6>();
  private events: NetlinkSocket | null = null;
  private readonly warnLimit = new RateLimit(1);
  readonly stats: EspSeqStats = { takeovers: 0, raised: 0, marksWritten: 0, writeFailures: 0, events: 0 };

  constructor(
    private readonly ports: EspSeqPorts,
    readonly margin: number,
    private readonly log: Logger,
  ) {
    this.marks = new EspSeqMarks(margin);
  }

  /**
   * This node won `address`: raise the outbound SAs' output sequence numbers to the stored
   * marks and store new marks above them, then track them. Never rejects: on failure the
   * address is served all the same (logged), as it would be without marks.
   */
  async takeover(address: Ip6): Promise<void> {
    if (!this.ports.hasStaticSas()) return;
    this.stats.takeovers++;
    const started = this.ports.now();
    this.listen();
    this.active.add(address);
    try {
      // etcd and the kernel at once; the GETAEs and NEWAEs go out together (one socket, in order).
      const [{ marks, bad }, states] = await Promise.all([this.ports.store.readAll(READ_DEADLINE_MS), stateDump(this.ports.xfrm)]);
      if (bad.length > 0) this.log.warn({ keys: bad }, 'cluster: ESP sequence marks that are not numbers ignored');
      const sas = states.filter((s) => this.outbound(s, address));
      const counters = await Promise.all(sas.map((sa) => getAevent(this.ports.xfrm, sa, XFRM_AE_RTHR | XFRM_AE_ETHR)));
      const next = new Map<string, number>();
      const raises: Promise<void>[] = [];
      let threshold = 0;
      for (const [i, sa] of sas.entries()) {
        const ae = counters[i];
        if (!ae) continue;
        const id = espSaId(sa);
        threshold = Math.max(threshold, ae.replayThresh ?? 0);
        const stored = marks.get(id);
        let oseq = ae.replay.oseq;
        if (stored !== undefined && stored > oseq && !ae.replay.esn) {
          raises.push(setReplay(this.ports.xfrm, sa, { oseq: stored, seq: ae.replay.seq, bitmap: ae.replay.bitmap ?? 0 }));
          oseq = stored;
        }
        next.set(id, markAfter(oseq, this.margin));
      }
      await Promise.all(raises);
      const raised = raises.length;
      const ok = next.size === 0 || (await this.ports.store.write(next, this.ports.fence(address)));
      if (ok) for (const [id, m] of next) this.marks.seed(id, m);
      this.stats.raised += raised;
      if (ok) this.stats.marksWritten += next.size;
      else this.stats.writeFailures++;
      if (threshold * 2 >= this.margin) {
        this.log.warn({ margin: this.margin, replayThreshold: threshold }, 'cluster: ESP sequence margin not above twice the kernel report threshold (net.core.xfrm_aevent_rseqth): the marks may fall behind');
      }
      this.log.info({ address, sas: sas.length, raised, stored: marks.size, written: ok ? next.size : 0, ms: Math.round(this.ports.now() - started) }, ok
        ? 'cluster: ESP output sequence numbers raised to the stored marks, new marks written'
        : 'cluster: ESP output sequence numbers raised; new marks not written (no longer the owner)');
    } catch (err) {
      this.stats.writeFailures++;
      this.log.warn({ address, err: String(err) }, 'cluster: ESP sequence marks not applied at the takeover; serving anyway');
    }
  }

  /** This node stopped serving `address`: its SAs are no longer tracked. */
  stepDown(address: Ip6): void {
    this.active.delete(address);
    if (this.active.size > 0) return;
    this.marks.clear();
    this.events?.close();
    this.events = null;
  }

  close(): void {
    this.active.clear();
    this.events?.close();
    this.events = null;
  }

  /** One of mcoad's ESP states sending from `address`. */
  private outbound(s: Pick<XfrmState, 'proto' | 'src' | 'reqid'>, address: Ip6): boolean {
    return s.proto === IPPROTO_ESP && s.src === address && this.ports.ours(s.reqid);
  }

  private listen(): void {
    if (this.events) return;
    const sock = this.ports.openEvents();
    sock.on('notification', (m: NlMsg) => this.onNotification(m));
    // Reports lost (ENOBUFS): read every tracked SA's counter instead.
    sock.on('resync', () => void this.rescan());
    this.events = sock;
  }

  private onNotification(m: NlMsg): void {
    if (m.type !== XFRM_MSG_NEWAE) return;
    let ev: XfrmAevent | undefined;
    try {
      ev = decodeAevent(m);
    } catch (err) {
      if (this.warnLimit.allow(this.ports.now())) this.log.warn({ err: String(err) }, 'cluster: malformed XFRM async event ignored');
      return;
    }
    if (!ev || !this.active.has(ev.sa.src) || !this.outbound(ev.sa, ev.sa.src)) return;
    this.stats.events++;
    this.observe(ev.sa.src, espSaId(ev.sa), ev.replay.oseq);
  }

  private observe(address: Ip6, id: string, oseq: number): void {
    const mark = this.marks.observe(id, oseq);
    if (mark !== null) this.writeMark(address, id, mark);
  }

  private writeMark(address: Ip6, id: string, mark: number): void {
    this.ports.store.write(new Map([[id, mark]]), this.ports.fence(address)).then(
      (ok) => {
        if (ok) this.stats.marksWritten++;
        else this.stats.writeFailures++;
        const again = this.marks.settled(id, mark, ok);
        if (again !== null && this.active.has(address)) this.writeMark(address, id, again);
      },
      (err: unknown) => {
        this.stats.writeFailures++;
        this.marks.settled(id, mark, false);
        if (this.warnLimit.allow(this.ports.now())) this.log.warn({ sa: id, mark, err: String(err) }, 'cluster: ESP sequence mark not written');
      },
    );
  }

  /** Every tracked SA's counter read again (after lost reports). */
  private async rescan(): Promise<void> {
    for (const address of [...this.active]) {
      try {
        for (const sa of (await stateDump(this.ports.xfrm)).filter((s) => this.outbound(s, address))) {
          const ae = await getAevent(this.ports.xfrm, sa);
          if (ae && this.active.has(address)) this.observe(address, espSaId(sa), ae.replay.oseq);
        }
      } catch (err) {
        if (this.warnLimit.allow(this.ports.now())) this.log.warn({ address, err: String(err) }, 'cluster: ESP sequence numbers not read again after lost reports');
      }
    }
  }
}

/**
 * Puts the takeover's raise between an election's "active" and the daemon's serving (the
 * address, proxying, NAs), keeping the order of the calls: a step-down applies at once, and a
 * takeover overtaken by one (or by a later takeover) does not serve when its raise ends. Before
 * `attach` (the election can win while the cluster is still being joined) takeovers wait.
 */
export class EspSeqServing {
  private keeper: HomeAgentEspSeq | null = null;
  private readonly turns = new Map<Ip6, number>();
  private open: () => void = () => undefined;
  private readonly ready = new Promise<void>((resolve) => (this.open = resolve));

  constructor(private readonly apply: (address: Ip6, on: boolean) => void) {}

  /** The keeper, once the cluster is joined (null: none; takeovers then serve at once). */
  attach(keeper: HomeAgentEspSeq | null): void {
    this.keeper = keeper;
    this.open();
  }

  serve(address: Ip6, on: boolean): void {
    const turn = (this.turns.get(address) ?? 0) + 1;
    this.turns.set(address, turn);
    if (!on) {
      this.keeper?.stepDown(address);
      this.apply(address, false);
      return;
    }
    void this.ready
      .then(() => this.keeper?.takeover(address))
      .then(() => {
        if (this.turns.get(address) === turn) this.apply(address, true);
      });
  }

  close(): void {
    this.keeper?.close();
  }
}

/** The keeper of a daemon in cluster mode: its XFRM socket, an event socket opened when active, the cluster's store and fence. */
export function openEspSeq(
  cluster: { espSeqAccess(): { store: EspSeqStore; fence(address: Ip6): Fence } },
  ctx: { cfg: { cluster?: { replication: { espSeqMargin: number } } | null }; sockets: { netlink(protocol: number, groups?: readonly number[]): NetlinkSocket }; log: Logger; clock: { now(): number } },
  xfrm: NetlinkSocket,
  bands: XfrmBands,
  hasStaticSas: () => boolean,
): HomeAgentEspSeq {
  const { store, fence } = cluster.espSeqAccess();
  return new HomeAgentEspSeq(
    {
      xfrm,
      openEvents: () => ctx.sockets.netlink(NETLINK_XFRM, [XFRMNLGRP_AEVENTS]),
      store,
      fence,
      ours: (reqid) => reqid >= bands.reqidBase && reqid < bands.reqidBase + bands.reqidCount,
      now: () => ctx.clock.now(),
      hasStaticSas,
    },
    ctx.cfg.cluster!.replication.espSeqMargin,
    ctx.log.child({ component: 'esp-seq' }),
  );
}

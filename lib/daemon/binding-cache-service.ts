// What the two binding-cache roles (home agent, correspondent) do alike around their
// protocol core: restore the cache from the journal at start; log a Binding Update's
// outcome; journal cache events, hand them to the role's kernel side and to monitor
// clients; send a Binding Acknowledgement only once the journal holds what it acknowledges
// (a failed write stops the daemon, nothing more is acknowledged); one timer for the next
// expiry and the role's other due work; the operator's removals (del binding, flush).
// The core runs on the monotonic clock; the journal on the wall clock's frame
// (store/wall-frame.ts), converted once at load and followed when the wall clock steps.
import type { Ip6 } from '../inet/ip6.js';
import type { AnyDaemonConfig } from '../config/index.js';
import type { BindingView, DelResult } from '../control/protocol.js';
import { ControlError, type ControlServer } from '../control/server.js';
import { bindingView } from '../control/views.js';
import type { BindingCache } from '../proto/common/cache.js';
import type { BuOutcome, CacheEvent } from '../proto/common/outcome.js';
import { putRecord, recordsForEvents, storedFromBinding, type LoadedState, type StoreRecord } from '../store/index.js';
import { checkFrame, loadFrame, WALL_STEP_MS } from '../store/wall-frame.js';
import { JournalBacklog } from '../store/backlog.js';
import { bidArg, hoaArg } from './service/control-commands.js';
import { RateLimit } from './counters.js';
import { DueTimer } from './service/due-timer.js';
import type { StorePort, TimerHandle } from './service/host.js';
import type { RoleContext, RoleStats } from './service/role.js';

/** What a binding-cache role supplies. */
export interface BindingCacheRole {
  /** The protocol core's cache (the home agent's core is replaced on reload). */
  cache(): BindingCache;
  /** Puts the journal's bindings into the core (journal time = core time + wallOffsetMs); returns how many it kept. */
  restore(loaded: LoadedState, nowMs: number, wallOffsetMs: number): number;
  /** The kernel side of a change to these home addresses; resolves per care-of move whether its SAs moved with it. */
  kernelChanged(hoas: ReadonlySet<Ip6>, events: readonly CacheEvent[], nowMs: number, keyManagement: boolean): Promise<boolean[]>;
  /** Removes the bindings expired by `nowMs`. */
  expire(nowMs: number): CacheEvent[];
  /** Does what is due at `nowMs` besides expiry (refresh requests); returns when anything is due next. */
  nextDueMs(nowMs: number): number | null;
  /** One binding, or every binding of a home address, removed by the operator. */
  removeByOperator(hoa: Ip6, bid?: number): CacheEvent[];
  statusName(status: number): string;
  /** Records of role state beside the bindings that changed with these events (the home agent's RFC 6089 flows). */
  journalExtra?(): StoreRecord[];
}

/** Log messages of a Binding Update's per-BID status (the roles word them differently). */
export interface OutcomeWords {
  accepted: string;
  refused: string;
}

/** How often the wall clock is compared with the journal's frame when nothing is written. */
const WALL_WATCH_MS = 60_000;

export class BindingCacheService {
  private readonly refusalLog = new RateLimit(10);
  /** BUs whose journal commit has not resolved (store/backlog.ts). */
  readonly backlog = new JournalBacklog();
  private readonly backlogLog = new RateLimit(1);
  private readonly timer: DueTimer;
  private stopped = false;
  /** Journal time minus the core's (monotonic) time. */
  private frameOffsetMs = 0;
  /** The backward step last logged, so one step is logged once. */
  private loggedBackStepMs = 0;
  private wallWatch: TimerHandle | undefined;

  constructor(
    private readonly ctx: RoleContext<AnyDaemonConfig>,
    readonly store: StorePort,
    private readonly role: BindingCacheRole,
    private readonly words: OutcomeWords,
  ) {
    this.timer = new DueTimer(ctx.clock, () => this.onTimer());
    ctx.counters.source('journal_backlog', () => [[{}, this.backlog.size]]);
  }

  /**
   * Restores the journal's bindings, its wall-clock times converted once to the monotonic
   * clock; those that expired while the daemon was down leave the journal.
   */
  async restore(): Promise<void> {
    const { clock, log } = this.ctx;
    const now = clock.now();
    const loaded = this.store.loadAll();
    const frame = loadFrame(loaded, clock.wallNow(), now);
    this.frameOffsetMs = frame.offsetMs;
    if (frame.wallBehindMs > 0) {
      log.warn(
        { behindSeconds: Math.round(frame.wallBehindMs / 1000) },
        "the wall clock is behind the binding journal's newest record (no RTC, clock not yet set?): lifetimes count from the journal's time",
      );
    }
    const restored = this.role.restore(loaded, now, frame.offsetMs);
    const expired = this.store.dropExpired(frame.frameNowMs).length;
    await this.store.commit();
    log.info({ restored, expired }, 'binding cache loaded');
    this.watchWallClock();
  }

  /** Counts and logs a refusal and each BID's status; returns the home address the outcome is about. */
  noteOutcome(o: BuOutcome, nowMs: number): Ip6 | undefined {
    const { counters, log } = this.ctx;
    const hoa = o.refusal?.hoa ?? o.events[0]?.binding.hoa ?? o.dad?.hoa;
    if (o.refusal) {
      counters.inc('bu_dropped', { reason: o.refusal.reason });
      if (this.refusalLog.allow(nowMs)) log.warn({ hoa: o.refusal.hoa, reason: o.refusal.reason, detail: o.refusal.detail }, 'binding update refused');
    }
    for (const s of o.statuses) {
      const accepted = s.status < 128;
      counters.inc('bu_status', { status: s.status, result: accepted ? 'accepted' : 'refused' });
      // The binding's change has its own info line (changed()); a refusal's is rate-limited.
      if (accepted ? !log.isLevelEnabled('debug') : !this.refusalLog.allow(nowMs)) continue;
      const b = o.events.find((e) => e.binding.bid === s.bid)?.binding;
      const fields = { hoa: b?.hoa ?? hoa ?? o.ba?.homeAddress ?? o.ba?.dst, bid: s.bid, coa: b?.coa ?? o.ba?.dst, status: s.status, statusName: this.role.statusName(s.status) };
      if (accepted) log.debug(fields, this.words.accepted);
      else log.info(fields, this.words.refused);
    }
    return hoa;
  }

  /**
   * Cache events (and the sequence number of `hoa`, the BU's home address): journal records,
   * the kernel side, monitor clients, the timer. Resolves per care-of move whether its SAs moved.
   */
  changed(events: readonly CacheEvent[], nowMs: number, hoa?: Ip6, keyManagement = false): Promise<boolean[]> {
    const touched = new Set<Ip6>(hoa === undefined ? [] : [hoa]);
    for (const e of events) touched.add(e.binding.hoa);
    if (touched.size === 0) return Promise.resolve([]);
    this.checkWallClock();
    for (const e of events) this.noteChange(e);
    this.store.append(recordsForEvents(events, this.role.cache(), this.frameOffsetMs, hoa));
    const extra = this.role.journalExtra?.() ?? [];
    if (extra.length > 0) this.store.append(extra);
    const moved = this.role.kernelChanged(touched, events, nowMs, keyManagement);
    this.ctx.monitor(events, nowMs);
    this.armTimer();
    return moved;
  }

  /** One info line per binding added, moved to another care-of address or removed; a refresh is counted and logged at debug. */
  private noteChange(e: CacheEvent): void {
    const { counters, log } = this.ctx;
    const b = e.binding;
    const change = e.type === 'updated' ? (e.previous.coa === b.coa ? 'refreshed' : 'moved') : e.type;
    counters.inc('binding_changes', { change });
    const fields = { hoa: b.hoa, bid: b.bid, coa: b.coa, reason: e.reason };
    if (change === 'refreshed') log.debug(fields, 'binding refreshed');
    else if (e.type === 'updated') log.info({ ...fields, from: e.previous.coa }, 'binding moved');
    else log.info(fields, e.reason === 'expired' ? 'binding expired' : `binding ${change}`);
  }

  /**
   * Whether a received Binding Update may be processed while `cap` BUs wait for the journal.
   * At the cap it is dropped, not answered: RFC 6275 §11.8 has the mobile node retransmit a
   * BU that got no BA (backing off to MAX_BINDACK_TIMEOUT), so it is taken again once the
   * disk caught up, whereas a 130 (insufficient resources) is a final answer that would
   * refuse refreshes of existing bindings, send the node looking for another home agent,
   * and answer every packet of a flood. Counted and logged at most once a second.
   */
  admitBu(cap: number, nowMs: number): boolean {
    if (this.backlog.hasRoom(cap)) return true;
    this.ctx.counters.inc('bu_dropped', { reason: 'journal-backlog' });
    if (this.backlogLog.allow(nowMs)) {
      const suppressed = this.backlogLog.suppressed;
      this.backlogLog.suppressed = 0;
      this.ctx.log.warn({ waiting: this.backlog.size, cap, suppressed }, 'binding update dropped: limit max_journal_backlog reached (the journal is slow)');
    }
    return false;
  }

  /** Journals a BU's outcome and, with a BA, sends it once committed; the BU counts in the backlog until then. */
  settle<T>(o: BuOutcome, also: Promise<T>, send: (value: T) => void): void {
    if (o.ba || o.events.length > 0) this.acknowledge(also, send);
  }

  /** Calls `send` once the journal holds everything queued so far and `also` resolved; a failed write stops the daemon. */
  acknowledge<T>(also: Promise<T>, send: (value: T) => void): void {
    Promise.all([this.backlog.track(this.store.commit()), also]).then(
      ([, value]) => send(value),
      (err: unknown) => this.ctx.fatal('binding store write failed', err),
    );
  }

  /** Applies removals made outside a Binding Update, journalled before it resolves. */
  async applyOperatorEvents(events: CacheEvent[]): Promise<number> {
    void this.changed(events, this.ctx.clock.now());
    await this.store.commit();
    return events.length;
  }

  bindings(only: Ip6 | undefined, nowMs: number): BindingView[] {
    const cache = this.role.cache();
    const list = only === undefined ? [...cache] : [...cache.bindingsOf(only)];
    return list.map((b) => bindingView(b, nowMs));
  }

  /** RoleStats with the cache's numbers. */
  stats(counters: RoleStats['counters']): RoleStats {
    const cache = this.role.cache();
    return { bindings: cache.size, homeAddresses: cache.homeAddressCount, counters };
  }

  /** `mcoactl del binding HOA [BID]` and `mcoactl flush`. */
  registerCommands(server: ControlServer): void {
    const { log } = this.ctx;
    server.register('del-binding', async (args): Promise<DelResult> => {
      const hoa = hoaArg(args['hoa']);
      const bid = bidArg(args['bid']);
      const events = this.role.removeByOperator(hoa, bid);
      if (events.length === 0) throw new ControlError('NOT_FOUND', `no binding for ${hoa}${bid === undefined ? '' : ` BID ${bid}`}`);
      log.info({ hoa, bid, removed: events.length }, 'bindings removed by the operator');
      return { removed: await this.applyOperatorEvents(events) };
    });
    server.register('flush', async (): Promise<DelResult> => {
      const events = [...this.role.cache().homeAddresses()].flatMap((hoa) => this.role.removeByOperator(hoa));
      log.info({ removed: events.length }, 'binding cache flushed by the operator');
      return { removed: await this.applyOperatorEvents(events) };
    });
  }

  /** Does what is due now and sets the one timer for what is due next. */
  armTimer(): void {
    if (this.stopped) return;
    this.timer.at(this.role.nextDueMs(this.ctx.clock.now()));
  }

  private onTimer(): void {
    const now = this.ctx.clock.now();
    const events = this.role.expire(now);
    if (events.length > 0) this.ctx.counters.inc('bindings_expired', events.length);
    void this.changed(events, now);
    this.armTimer();
  }

  /**
   * A forward wall-clock step moves the journal's frame and writes every binding again in
   * it (a restart reads the stepped wall clock); a backward one is logged and the frame
   * stays. The core's times do not move either way. True when the bindings were queued again.
   */
  private checkWallClock(): boolean {
    const { clock, log } = this.ctx;
    const c = checkFrame(this.frameOffsetMs, clock.wallNow(), clock.now());
    if (c.kind === 'back') {
      if (Math.abs(c.stepMs - this.loggedBackStepMs) > WALL_STEP_MS) {
        this.loggedBackStepMs = c.stepMs;
        log.warn({ stepSeconds: -Math.round(c.stepMs / 1000) }, 'the wall clock stepped back: binding lifetimes are unaffected; the journal keeps its time');
      }
      return false;
    }
    if (c.kind === 'same') return false;
    this.frameOffsetMs = c.offsetMs;
    this.loggedBackStepMs = 0;
    const cache = this.role.cache();
    this.store.append([...cache].map((b) => putRecord(storedFromBinding(b, c.offsetMs))));
    log.info({ stepSeconds: Math.round(c.stepMs / 1000), bindings: cache.size }, 'the wall clock stepped forward: binding lifetimes are unaffected; their journal times are written again');
    return true;
  }

  /** Checks the wall clock now and then, so a step is in the journal before a crash could need it. */
  private watchWallClock(): void {
    if (this.stopped) return;
    this.wallWatch = this.ctx.clock.setTimeout(() => {
      this.wallWatch = undefined;
      if (this.stopped) return;
      if (this.checkWallClock()) this.store.commit().catch((err: unknown) => this.ctx.fatal('binding store write failed', err));
      this.watchWallClock();
    }, WALL_WATCH_MS);
  }

  stop(): void {
    this.stopped = true;
    this.timer.stop();
    if (this.wallWatch !== undefined) this.ctx.clock.clearTimeout(this.wallWatch);
    this.wallWatch = undefined;
  }
}

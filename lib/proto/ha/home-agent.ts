// The home agent role of the protocol core: Binding Update processing (RFC 6275 §9.5.1,
// §10.3.1-2, RFC 3963 §6.2, draft-04 §6.3), DAD hand-off, expiry, refresh requests (§6.4)
// and the Home Address option check (§6.5). No I/O and no clock: the caller passes the
// time and sends what comes back.
import { BaStatus, type BidOption, type BindingAck, type BindingError, type BindingRefreshRequest, type BindingUpdate, type FlowIdentificationOption } from '../../wire/types.js';
import { formatIp6, type Ip6 } from '../../inet/ip6.js';
import { ip6Octets } from '../../inet/ip6-write.js';
import { isUnicastRoutable, linkLocalOf } from '../../inet/prefix.js';
import { bindingAck, uniformReply } from '../common/binding-ack.js';
import { bindingFlags, REGULAR_BID, type Binding } from '../common/binding.js';
import { bidOptions, alternateCoa } from '../common/bu-options.js';
import { BindingCache } from '../common/cache.js';
import { ChangeSet } from '../common/changes.js';
import { compileHomeAgentConfig, type CompiledHomeAgentConfig, type HomeAgentConfig } from '../common/core-config.js';
import { checkHomeRegistration } from './checks.js';
import { registerBids, registerRegular, type RegisterContext } from './register.js';
import { checkBidSubOptions, incompliantBu } from '../common/mcoa-checks.js';
import { emptyOutcome, type BuOutcome, type CacheEvent, type Outgoing, type ReceivedBu, type UndecodableBu } from '../common/outcome.js';
import { RefreshScheduler } from './refresh.js';
import { checkHomeAddressOption, type HomeAddressCheck } from '../common/hao-check.js';
import { limitHit, type LimitName } from './limits.js';
import { FlowBindingList } from './flow-bindings.js';

export type { HomeAddressCheck } from '../common/hao-check.js';

export class HomeAgent {
  readonly cache = new BindingCache();
  /** RFC 6089 flow bindings per home address (flow-bindings.ts). */
  readonly flows = new FlowBindingList();
  readonly config: CompiledHomeAgentConfig;
  private readonly refresh: RefreshScheduler;
  /** Successful BAs held while DAD runs for their home address (RFC 6275 §10.3.1). */
  private readonly heldAcks = new Map<Ip6, Outgoing<BindingAck>>();

  constructor(config: HomeAgentConfig) {
    this.config = compileHomeAgentConfig(config);
    this.refresh = new RefreshScheduler(this.cache, config.brrPolicy, (hoa) => this.serviceOf(hoa));
  }

  processBu(input: ReceivedBu): BuOutcome {
    const { bu, hoa } = input;
    // The home address's bits, for the prefix tests of §9.5.1 and §10.3.1.
    const hoaOctets = ip6Octets(hoa);
    const subs = bidOptions(bu.options);
    const cfg = this.config;
    const verdict = checkHomeRegistration(this.cache, cfg, input, hoaOctets);
    if (verdict.kind === 'drop') return { ...emptyOutcome(), refusal: { reason: verdict.reason, hoa } };
    const r = bu.flags.r && cfg.source.mobileRouterSupport; // RFC 3963 §4.2
    const reply = (status: number, sequence: number, lifetime: number, k: boolean, options: BindingAck['options']) =>
      this.ackTo(input, hoa, bindingAck(status, sequence, lifetime, { k, r }, options));
    const reject = (status: number, sequence: number): BuOutcome => {
      const u = uniformReply(subs, status);
      return { ...emptyOutcome(status), statuses: u.statuses, ba: reply(status, sequence, 0, false, u.options) };
    };
    if (verdict.kind === 'reject') return reject(verdict.status, verdict.sequence);
    const subStatus = checkBidSubOptions(subs, cfg.source.profile, {
      mcoaAllowed: cfg.source.mcoaAllowed && verdict.auth.mcoa,
      bulkAllowed: cfg.source.bulkAllowed,
      homeAgent: true,
    });
    if (subStatus !== null) return reject(subStatus, bu.sequence);
    const alternate = alternateCoa(bu);
    const defaultCoa = alternate ? formatIp6(alternate) : input.careOfSource;
    const limit = this.limitFor(bu, subs, hoa, defaultCoa);
    if (limit !== null) return { ...reject(BaStatus.INSUFFICIENT_RESOURCES, bu.sequence), limit };

    // RFC 6275 §10.3.1 K bit: set when asked and the key management can follow the node.
    const k = bu.flags.k && cfg.source.keyManagementMobility;
    const changes = new ChangeSet(this.cache);
    const ctx: RegisterContext = {
      cache: this.cache,
      cfg,
      changes,
      hoa,
      bu,
      defaultCoa,
      nowMs: input.nowMs,
      flags: bindingFlags(true, bu.flags.r, bu.flags.l, k),
      prefixes: verdict.prefixes,
    };
    const res = subs.length > 0 ? registerBids(ctx, subs) : registerRegular(ctx);
    if (res.accepted) {
      this.cache.setLastSequence(hoa, bu.sequence);
      this.cache.setServiceAddress(hoa, input.serviceAddress);
    }
    this.scheduleRefresh(changes.events);
    // RFC 6089: the flow options, after the BIDs they refer to; their statuses go in the BA.
    const flowAcks = res.accepted ? this.flowsAfterBu(hoa, bu) : [];
    const out: BuOutcome = {
      ...emptyOutcome(res.status),
      statuses: res.statuses,
      events: changes.events,
      ba: reply(res.status, bu.sequence, res.lifetimeSeconds, k && res.accepted, [...res.options, ...flowAcks]),
    };
    if (res.dad) {
      // First binding of this home address: DAD first, the BA waits for its result.
      this.cache.setDadPending(hoa, true);
      const addresses = [hoa, ...(bu.flags.l ? [linkLocalOf(hoaOctets)] : [])];
      out.dad = { hoa, addresses, interface: cfg.source.homeLinkInterface };
    }
    if (!this.cache.record(hoa)) this.heldAcks.delete(hoa);
    if (res.accepted && this.cache.isDadPending(hoa) && out.ba) {
      this.heldAcks.set(hoa, out.ba);
      out.ba = null;
      out.baDeferred = true;
    }
    return out;
  }

  /**
   * The cap (proto/ha/limits.ts) this BU would pass, or null. It counts what the BU would
   * leave: a regular binding replaces all; BID bindings join the others (or replace them,
   * with O); a de-registration frees. Over-counts a BID sub-option that will fail on its own.
   */
  private limitFor(bu: BindingUpdate, subs: readonly BidOption[], hoa: Ip6, defaultCoa: Ip6): LimitName | null {
    const existing = this.cache.bindingsOf(hoa);
    const dereg = bu.lifetimeSeconds === 0;
    let after: number;
    let foreign: boolean;
    if (subs.length === 0) {
      if (dereg || defaultCoa === hoa) return null;
      after = 1;
      foreign = true;
    } else {
      const bids = new Set(subs[0]!.o && !dereg ? [] : existing.filter((b) => b.bid !== REGULAR_BID).map((b) => b.bid));
      for (const s of subs) if (s.h || !dereg) bids.add(s.bid);
      after = bids.size;
      foreign = !dereg && subs.some((s) => !s.h);
    }
    const startsDad = this.cache.record(hoa) === undefined && foreign;
    const counts = { bindings: this.cache.size, bindingsOfHoa: existing.length, pendingDad: this.cache.dadPendingCount, heldAcks: this.heldAcks.size };
    const holdsAck = (startsDad || this.cache.isDadPending(hoa)) && !this.heldAcks.has(hoa);
    return limitHit(counts, { bindingsOfHoaAfter: after, startsDad, holdsAck }, this.config.limits);
  }

  /**
   * A BU that failed to decode. A bad BID sub-option (length, C without address, BID 0) is
   * answered with MCOA INCOMPLIANT using the fixed fields decoded before the failure
   * (§6.3 first two steps); anything else is dropped.
   */
  processDecodeError(input: UndecodableBu): BuOutcome {
    const { hoa } = input;
    const bu = incompliantBu(input.error);
    if (!bu) return { ...emptyOutcome(), refusal: { reason: 'malformed', hoa, detail: input.error.code } };
    if (this.config.source.ipsecRequired && !input.ipsecProtected) {
      return { ...emptyOutcome(), refusal: { reason: 'ipsec-required', hoa } };
    }
    if (!isUnicastRoutable(ip6Octets(hoa))) return { ...emptyOutcome(), refusal: { reason: 'home-address-not-routable', hoa } };
    const st = this.config.source.profile.status.incompliant;
    const r = bu.flags.r && this.config.source.mobileRouterSupport;
    const ba = this.ackTo(input, hoa, bindingAck(st, bu.sequence, 0, { k: false, r }));
    return { ...emptyOutcome(st), statuses: [{ bid: 0, status: st }], ba };
  }

  /** The DAD result for a home address (RFC 6275 §10.3.1): accept, or 134 and remove. */
  dadResult(hoa: Ip6, ok: boolean): BuOutcome {
    const held = this.heldAcks.get(hoa);
    this.heldAcks.delete(hoa);
    if (!this.cache.isDadPending(hoa)) return emptyOutcome();
    if (ok) {
      this.cache.setDadPending(hoa, false);
      const events: CacheEvent[] = this.cache
        .bindingsOf(hoa)
        .map((b) => ({ type: 'updated', binding: b, previous: b, reason: 'dad-succeeded' }));
      return { ...emptyOutcome(held?.message.status ?? 0), events, ba: held ?? null };
    }
    const changes = new ChangeSet(this.cache);
    changes.removeAll(hoa, 'dad-failed');
    this.flowsFollow(changes.events);
    const st = BaStatus.DAD_FAILED;
    const ba = held
      ? { ...held, message: { ...held.message, status: st, lifetimeSeconds: 0, flags: { ...held.message.flags, k: false }, options: held.message.options.map((o) => (o.kind === 'bid' ? { ...o, status: 0 } : o)) } }
      : null;
    return { ...emptyOutcome(st), statuses: [{ bid: 0, status: st }], events: changes.events, ba };
  }

  /**
   * Puts back bindings loaded from durable state after a restart, with the last accepted
   * sequence number per home address, so a replayed old BU is still refused (RFC 6275
   * §9.5.1). Bindings already expired at `nowMs` are left out.
   */
  restore(bindings: Iterable<Binding>, sequences: ReadonlyMap<Ip6, number>, nowMs: number): number {
    let n = 0;
    for (const b of bindings) {
      if (b.expiresAtMs <= nowMs) continue;
      this.cache.put(b);
      this.refresh.schedule(b);
      n++;
    }
    for (const [hoa, seq] of sequences) this.cache.setLastSequence(hoa, seq);
    return n;
  }

  /**
   * Cluster mode: `hoa` now holds exactly `bindings` with last sequence number `sequence`, as
   * another node (or this one before a restart) wrote them to the shared store. Bindings
   * already expired at `nowMs` are left out. A DAD in progress here is abandoned with its
   * held BA: the record is the newer decision. `serviceAddress` (shares): the address the home
   * address registers with; a change of it alone updates every binding (its tunnels move).
   */
  replaceHomeAddress(hoa: Ip6, bindings: readonly Binding[], sequence: number, nowMs: number, serviceAddress?: Ip6): CacheEvent[] {
    const changes = new ChangeSet(this.cache);
    const keep = bindings.filter((b) => b.hoa === hoa && b.expiresAtMs > nowMs);
    const wanted = new Set(keep.map((b) => b.bid));
    const moved = this.cache.record(hoa)?.serviceAddress !== serviceAddress;
    for (const b of this.cache.bindingsOf(hoa).slice()) if (!wanted.has(b.bid)) changes.remove(hoa, b.bid, 'replicated');
    for (const b of keep) {
      const now = this.cache.lookupExact(hoa, b.bid);
      if (now && sameBinding(now, b) && !moved) continue;
      changes.put(b, 'replicated', 'replicated');
      this.refresh.schedule(b);
    }
    if (this.cache.record(hoa)) {
      this.cache.setLastSequence(hoa, sequence);
      this.cache.setServiceAddress(hoa, serviceAddress);
      if (this.cache.isDadPending(hoa)) this.cache.setDadPending(hoa, false);
    }
    this.heldAcks.delete(hoa);
    this.flowsFollow(changes.events);
    return changes.events;
  }

  /** Operator removal (`mcoactl del binding HOA [BID]`): one binding, or all of a home address. */
  removeByOperator(hoa: Ip6, bid?: number): CacheEvent[] {
    const changes = new ChangeSet(this.cache);
    if (bid === undefined) changes.removeAll(hoa, 'administrative');
    else changes.remove(hoa, bid, 'administrative');
    if (!this.cache.record(hoa)) this.heldAcks.delete(hoa);
    this.flowsFollow(changes.events);
    return changes.events;
  }

  /** Operator flush (`mcoactl flush`): every binding of every home address. */
  flushByOperator(): CacheEvent[] {
    return [...this.cache.homeAddresses()].flatMap((hoa) => this.removeByOperator(hoa));
  }

  /** Removes expired bindings; arm one timer for nextExpiryMs. */
  expire(nowMs: number): { events: CacheEvent[]; nextExpiryMs: number | null } {
    const events: CacheEvent[] = this.cache.expire(nowMs).map((b) => ({ type: 'removed', binding: b, reason: 'expired' }));
    for (const e of events) if (!this.cache.record(e.binding.hoa)) this.heldAcks.delete(e.binding.hoa);
    this.flowsFollow(events);
    return { events, nextExpiryMs: this.cache.nextExpiryMs() };
  }

  nextExpiryMs(): number | null {
    return this.cache.nextExpiryMs();
  }

  /** Binding Refresh Requests due now (§6.4) and when to ask again. */
  pollRefreshRequests(nowMs: number, max?: number): { requests: Outgoing<BindingRefreshRequest>[]; nextPollMs: number | null } {
    return this.refresh.poll(nowMs, max);
  }

  /**
   * §6.5 (and RFC 6275 §9.3.1): a packet other than a BU with a Home Address option is
   * accepted only when its source is one of the care-of addresses bound to that home
   * address; otherwise it is dropped and a Binding Error (status 1) goes to the source.
   */
  checkHomeAddressOption(hoa: Ip6, coa: Ip6): HomeAddressCheck {
    return checkHomeAddressOption(this.cache, this.serviceOf(hoa), hoa, coa);
  }

  /** The home agent address `hoa` registers with: its service address (cluster shares), else the configured one. */
  serviceOf(hoa: Ip6): Ip6 {
    return this.cache.record(hoa)?.serviceAddress ?? this.config.haAddress;
  }

  /** The BIDs `hoa` holds in the binding cache (RFC 6089 flows refer to these). */
  registeredBids(hoa: Ip6): Set<number> {
    return new Set(this.cache.bindingsOf(hoa).map((b) => b.bid));
  }

  /** An accepted BU's flow options; a home address left without bindings loses its flows. */
  private flowsAfterBu(hoa: Ip6, bu: BindingUpdate): FlowIdentificationOption[] {
    const registered = this.registeredBids(hoa);
    if (registered.size === 0) {
      this.flows.removeAll(hoa, 'home-address-removed');
      return [];
    }
    return this.flows.processBu(hoa, bu.options, registered).ackOptions;
  }

  /** Flows follow bindings removed outside a BU: inactive without their BIDs, gone with the home address. */
  private flowsFollow(events: readonly CacheEvent[]): void {
    for (const hoa of new Set(events.map((e) => e.binding.hoa))) this.flows.bindingsChanged(hoa, this.registeredBids(hoa));
  }

  private scheduleRefresh(events: readonly CacheEvent[]): void {
    for (const e of events) if (e.type !== 'removed') this.refresh.schedule(e.binding);
  }

  /** RFC 6275 §9.5.4/§6.1.8: to the packet's source, with a type 2 routing header for the HoA. */
  private ackTo(input: Omit<ReceivedBu, 'bu'>, hoa: Ip6, message: BindingAck): Outgoing<BindingAck> {
    const dst = input.careOfSource;
    return { message, src: input.dst, dst, homeAddress: dst === hoa ? null : hoa };
  }
}

/** Same care-of address, flags, prefixes, lifetime and sequence number. */
function sameBinding(a: Binding, b: Binding): boolean {
  return (
    a.coa === b.coa &&
    a.expiresAtMs === b.expiresAtMs &&
    a.lifetimeSeconds === b.lifetimeSeconds &&
    a.lastSequence === b.lastSequence &&
    a.homeBinding === b.homeBinding &&
    a.flags.homeRegistration === b.flags.homeRegistration &&
    a.flags.r === b.flags.r &&
    a.flags.l === b.flags.l &&
    a.flags.k === b.flags.k &&
    a.mobileNetworkPrefixes.join(',') === b.mobileNetworkPrefixes.join(',')
  );
}

// The correspondent node role: return routability answers and Binding Update processing
// (RFC 6275 §9.5.1-9.5.4 with draft-04 §6.1-6.3). No bulk registration; the status always
// travels in the BA's own field with the BID sub-option copied at status 0.
import { BaStatus, type BindingAck, type CareOfTest, type CareOfTestInit, type HomeTest, type HomeTestInit } from '../../wire/types.js';
import { formatIp6, ip6Equal, type Ip6 } from '../../inet/ip6.js';
import { ip6Octets } from '../../inet/ip6-write.js';
import { isUnicastRoutable } from '../../inet/prefix.js';
import { bindingAck, correspondentSendsAck, isAccepted, uniformReply } from '../common/binding-ack.js';
import { bindingFlags, REGULAR_BID, NO_PREFIXES } from '../common/binding.js';
import { alternateCoa, bidOptions, hasAuthorizationData, nonceIndicesOf } from '../common/bu-options.js';
import { BindingCache } from '../common/cache.js';
import { ChangeSet } from '../common/changes.js';
import { MAX_WIRE_LIFETIME_SECONDS, type CorrespondentConfig } from '../common/core-config.js';
import { grantLifetime } from '../ha/register.js';
import { checkBidSubOptions, incompliantBu } from '../common/mcoa-checks.js';
import { NonceTable, type RandomBytes } from './nonce.js';
import { emptyOutcome, type BuOutcome, type CacheEvent, type Outgoing, type ReceivedBu, type UndecodableBu } from '../common/outcome.js';
import { answerCoti, answerHoti, type ReceivedTestInit } from './rr-exchange.js';
import {
  AUTHENTICATOR_LENGTH,
  bindingManagementKey,
  careOfKeygenToken,
  homeKeygenToken,
  MAX_NONCE_LIFETIME,
  MAX_RR_BINDING_LIFETIME,
  MAX_TOKEN_LIFETIME,
  verifyBindingAuthorization,
} from '../common/rr-crypto.js';
import { sequenceNewer } from '../common/sequence.js';
import { correspondentCapHit, DEFAULT_CN_LIMITS, type CorrespondentLimits } from './limits.js';

export interface ReceivedCnBu extends ReceivedBu {
  /** The Mobility Header exactly as received: the authenticator is checked over it. */
  rawMh: Uint8Array;
}

export class CorrespondentNode {
  readonly cache = new BindingCache();
  readonly nonces: NonceTable;
  /** Replaced by a reload; a lowered cap refuses only growth. */
  limits: CorrespondentLimits;
  private maxLifetime: number;
  private current: CorrespondentConfig;

  constructor(
    config: CorrespondentConfig,
    randomBytes: RandomBytes,
    nowMs: number,
  ) {
    this.current = config;
    const regen = config.nonceRegenerateSeconds;
    // A token the mobile node may still use (MAX_TOKEN_LIFETIME) must find its nonce valid
    // (MAX_NONCE_LIFETIME) even if it was handed out just before the next regeneration.
    if (!(regen > 0 && regen <= MAX_NONCE_LIFETIME - MAX_TOKEN_LIFETIME)) {
      throw new RangeError(`nonceRegenerateSeconds must be within 0..${MAX_NONCE_LIFETIME - MAX_TOKEN_LIFETIME}`);
    }
    if (config.kcnRotateSeconds !== null && !(config.kcnRotateSeconds > 0)) {
      throw new RangeError('kcnRotateSeconds must be positive or null');
    }
    const rotate = config.kcnRotateSeconds === null ? null : config.kcnRotateSeconds * 1000;
    this.nonces = new NonceTable({ randomBytes, regenerateMs: regen * 1000, kcnRotateMs: rotate }, nowMs);
    this.maxLifetime = grantableLifetime(config);
    this.limits = config.limits ?? DEFAULT_CN_LIMITS;
  }

  get config(): CorrespondentConfig {
    return this.current;
  }

  /**
   * A reload: the lifetime, MCoA and wire profile apply to the next message; bindings keep
   * what they were granted. The nonce schedule stays as started (the nonce table was built
   * on it, and tokens handed out must keep their nonces).
   */
  reconfigure(next: CorrespondentConfig): void {
    this.current = { ...next, nonceRegenerateSeconds: this.current.nonceRegenerateSeconds, kcnRotateSeconds: this.current.kcnRotateSeconds };
    this.maxLifetime = grantableLifetime(this.current);
    this.limits = next.limits ?? DEFAULT_CN_LIMITS;
  }

  processHoti(input: ReceivedTestInit<HomeTestInit>): Outgoing<HomeTest> {
    return answerHoti(this.nonces, input);
  }

  processCoti(input: ReceivedTestInit<CareOfTestInit>): Outgoing<CareOfTest> {
    return answerCoti(this.nonces, input, { allowed: this.config.mcoaAllowed, status: this.config.profile.status });
  }

  processBu(input: ReceivedCnBu): BuOutcome {
    const { bu, nowMs, hoa } = input;
    // The addresses' bits, for the prefix tests and the return routability hashes (§5.2.5).
    const hoaOctets = ip6Octets(hoa);
    const subs = bidOptions(bu.options);
    const st = this.config.profile.status;
    const src = input.dst;
    const baTo = (message: BindingAck, auth?: Outgoing<BindingAck>['authorization']): Outgoing<BindingAck> => {
      const dst = input.careOfSource;
      return { message, src, dst, homeAddress: dst === hoa ? null : hoa, ...(auth ? { authorization: auth } : {}) };
    };
    const answer = (status: number, sequence: number, lifetime: number, auth?: Outgoing<BindingAck>['authorization']): BuOutcome => {
      const u = uniformReply(subs, status);
      const options: BindingAck['options'] = auth ? [...u.options, { kind: 'bindingAuthData', authenticator: new Uint8Array(AUTHENTICATOR_LENGTH) }] : u.options;
      const ba = correspondentSendsAck(bu, status) ? baTo(bindingAck(status, sequence, lifetime, { k: false, r: false }, options), auth) : null;
      return { ...emptyOutcome(status), statuses: u.statuses, ba };
    };
    const drop = (reason: 'home-address-not-routable' | 'nonce-indices-missing' | 'authorization-data-missing' | 'authenticator-mismatch'): BuOutcome => ({
      ...emptyOutcome(),
      refusal: { reason, hoa },
    });

    // RFC 6275 §10.3.1: a node that is not a home agent answers a home registration with 131.
    if (bu.flags.h) return answer(BaStatus.HOME_REGISTRATION_NOT_SUPPORTED, bu.sequence, 0);
    if (!isUnicastRoutable(hoaOctets)) return drop('home-address-not-routable');
    // §9.5.1: without the H bit, Nonce Indices and Binding Authorization Data must be there.
    const ni = nonceIndicesOf(bu);
    if (!ni) return drop('nonce-indices-missing');
    if (!hasAuthorizationData(bu)) return drop('authorization-data-missing');
    const coaBytes = alternateCoa(bu) ?? ip6Octets(input.careOfSource);
    // §9.5.1: lifetime 0 or care-of = home address is a de-registration; the care-of nonce
    // index is then ignored and Kbm comes from the home keygen token alone.
    const dereg = bu.lifetimeSeconds === 0 || ip6Equal(coaBytes, hoaOctets);
    const home = this.nonces.lookup(ni.homeNonceIndex, nowMs);
    const careOf = dereg ? null : this.nonces.lookup(ni.careOfNonceIndex, nowMs);
    if (!home && !dereg && !careOf) return answer(BaStatus.EXPIRED_NONCES, bu.sequence, 0);
    if (!home) return answer(BaStatus.EXPIRED_HOME_NONCE_INDEX, bu.sequence, 0);
    if (!dereg && !careOf) return answer(BaStatus.EXPIRED_CARE_OF_NONCE_INDEX, bu.sequence, 0);
    const kbm = bindingManagementKey(
      homeKeygenToken(home.kcn, hoaOctets, home.nonce),
      careOf ? careOfKeygenToken(careOf.kcn, coaBytes, careOf.nonce) : null,
    );
    // The authenticator covers the BID sub-option too (draft-04 §3): it is in the MH data.
    const srcOctets = ip6Octets(src);
    if (!verifyBindingAuthorization(input.rawMh, kbm, coaBytes, srcOctets)) return drop('authenticator-mismatch');
    const auth = { kbm, coa: coaBytes, correspondent: srcOctets };

    const last = this.cache.lastSequence(hoa);
    if (last !== undefined && !sequenceNewer(bu.sequence, last)) return answer(BaStatus.SEQUENCE_OUT_OF_WINDOW, last, 0, auth);
    const rules = this.config.profile.rules;
    const subStatus = checkBidSubOptions(subs, this.config.profile, { mcoaAllowed: this.config.mcoaAllowed, bulkAllowed: false, homeAgent: false });
    if (subStatus !== null) return answer(subStatus, bu.sequence, 0, auth);
    // RFC 5648 §4.3: a care-of address in the option towards a correspondent is the one
    // return routability was run for (the authenticator covers it); any other is MALFORMED.
    if (subs.some((s) => s.coa !== undefined && !ip6Equal(s.coa, coaBytes))) return answer(st.incompliant, bu.sequence, 0, auth);
    if (!dereg && !isUnicastRoutable(coaBytes)) {
      // RFC 6275 §9.5.1 gives no status (128); RFC 5648 §6.2 answers MCOA MALFORMED for MCoA.
      const bad = rules.nonRoutableCoaAlwaysMalformed && subs.length > 0 ? st.incompliant : BaStatus.REASON_UNSPECIFIED;
      return answer(bad, bu.sequence, 0, auth);
    }

    const sub = subs[0];
    const bid = sub ? sub.bid : REGULAR_BID;
    // Checked after the authenticator, so only a node that passed return routability
    // learns that the cache is full; nothing is changed for a refused BU.
    if (!dereg && correspondentCapHit(this.cache.size, this.growth(hoa, bid, sub === undefined), this.limits)) {
      return { ...answer(BaStatus.INSUFFICIENT_RESOURCES, bu.sequence, 0, auth), limit: 'bindings' };
    }
    const changes = new ChangeSet(this.cache);
    let status: number = BaStatus.ACCEPTED;
    let lifetime = 0;
    if (dereg) {
      // §9.5.3: a regular de-registration deletes every binding of the home address; with a
      // BID only that binding, and an unknown BID is rejected (§6.3). RFC 6275 has no status
      // for a correspondent node that lacks the binding: 128.
      if (!sub) changes.removeAll(hoa, 'deregistered');
      else if (!changes.remove(hoa, bid, 'deregistered')) status = BaStatus.REASON_UNSPECIFIED;
    } else {
      if (!sub) {
        for (const b of [...this.cache.bindingsOf(hoa)]) if (b.bid !== REGULAR_BID) changes.remove(hoa, b.bid, 'replaced-by-regular');
      } else if (this.cache.lookupExact(hoa, REGULAR_BID) && rules.nonMcoaBindingRejects) {
        // RFC 5648 §6.2: a regular binding exists and O is not set (it cannot be at a
        // correspondent): the BU is not processed, MCOA NON-MCOA BINDING EXISTS.
        return answer(st.bidConflict, bu.sequence, 0, auth);
      } else if (changes.remove(hoa, REGULAR_BID, 'bid-conflict')) {
        status = st.bidConflict;
      }
      lifetime = grantLifetime(bu.lifetimeSeconds, this.maxLifetime);
      const coa = formatIp6(coaBytes);
      const previous = this.cache.lookupExact(hoa, bid);
      changes.put(
        {
          hoa: this.cache.record(hoa)?.hoa ?? hoa,
          bid,
          coa: previous?.coa === coa ? previous.coa : coa,
          registeredAtMs: nowMs,
          expiresAtMs: nowMs + lifetime * 1000,
          lifetimeSeconds: lifetime,
          lastSequence: bu.sequence,
          flags: bindingFlags(false, false, false, false),
          mobileNetworkPrefixes: NO_PREFIXES,
          homeBinding: false,
        },
        'registered',
      );
    }
    if (isAccepted(status) || status === st.bidConflict) this.cache.setLastSequence(hoa, bu.sequence);
    return { ...answer(status, bu.sequence, lifetime, auth), events: changes.events };
  }

  /** Bindings a registration of (hoa, bid) adds: a regular one replaces every binding of the home address, a BID one replaces its own or a regular binding. */
  private growth(hoa: Ip6, bid: number, regular: boolean): number {
    const held = this.cache.bindingsOf(hoa);
    if (held.length === 0) return 1;
    if (regular || this.cache.lookupExact(hoa, bid) || this.cache.lookupExact(hoa, REGULAR_BID)) return 0;
    return 1;
  }

  /**
   * A BU that failed to decode on its BID sub-option gets MCOA INCOMPLIANT when it asked for
   * an acknowledgement (§9.5.4); it cannot be authenticated, so the BA carries no
   * authorization data. Anything else is dropped.
   */
  processDecodeError(input: UndecodableBu): BuOutcome {
    const { hoa } = input;
    const bu = incompliantBu(input.error);
    if (!bu) return { ...emptyOutcome(), refusal: { reason: 'malformed', hoa, detail: input.error.code } };
    const st = this.config.profile.status.incompliant;
    const out: BuOutcome = { ...emptyOutcome(st), statuses: [{ bid: 0, status: st }] };
    if (!bu.flags.a) return out;
    const dst = input.careOfSource;
    const message = bindingAck(st, bu.sequence, 0, { k: false, r: false });
    return { ...out, ba: { message, src: input.dst, dst, homeAddress: dst === hoa ? null : hoa } };
  }

  expire(nowMs: number): { events: CacheEvent[]; nextExpiryMs: number | null } {
    const events: CacheEvent[] = this.cache.expire(nowMs).map((b) => ({ type: 'removed', binding: b, reason: 'expired' }));
    return { events, nextExpiryMs: this.cache.nextExpiryMs() };
  }

  nextExpiryMs(): number | null {
    return this.cache.nextExpiryMs();
  }

  /** §6.1: by (home address, BID) when the BID is known, else the first binding. */
  lookup(hoa: Ip6, bid?: number) {
    return this.cache.lookup(hoa, bid);
  }
}

/** RFC 6275 §5.2.6: bindings made with return routability live MAX_RR_BINDING_LIFETIME at most. */
function grantableLifetime(config: CorrespondentConfig): number {
  return Math.min(config.maxLifetimeSeconds, MAX_RR_BINDING_LIFETIME, MAX_WIRE_LIFETIME_SECONDS);
}

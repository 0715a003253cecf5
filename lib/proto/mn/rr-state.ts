// Return routability state the mobile node keeps per correspondent (RFC 6275 §5.2.5,
// draft-04 §5.2): one home keygen token per home address, one care-of keygen token per
// care-of address, and the HoTI/CoTI messages in flight with their retransmission timers.
import type { Ip6 } from '../../inet/ip6.js';
import type { CareOfTest, HomeTest, Ip6Bytes } from '../../wire/types.js';
import type { SendAction } from './types.js';
import { INITIAL_BINDACK_TIMEOUT_MS, MAX_BINDACK_TIMEOUT_MS, MAX_TOKEN_LIFETIME_MS } from './timing.js';

export interface KeygenToken {
  /** 8 octets. */
  token: Uint8Array;
  nonceIndex: number;
  receivedAtMs: number;
}

export interface TestInitInFlight {
  action: SendAction;
  cookie: Uint8Array;
  /** The CoTI carried a BID sub-option (so a CoT without one means "no MCoA", §5.2). */
  bidSent: boolean;
  retransmitAtMs: number;
  backoffMs: number;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function fresh(t: KeygenToken | undefined | null, nowMs: number): KeygenToken | null {
  return t && nowMs - t.receivedAtMs < MAX_TOKEN_LIFETIME_MS ? t : null;
}

export class CorrespondentRr {
  private home: KeygenToken | null = null;
  private homeInit: TestInitInFlight | null = null;
  private readonly careOf = new Map<Ip6, KeygenToken>();
  private readonly careOfInit = new Map<Ip6, TestInitInFlight>();

  homeToken(nowMs: number): KeygenToken | null {
    return fresh(this.home, nowMs);
  }

  careOfToken(coaKey: Ip6, nowMs: number): KeygenToken | null {
    return fresh(this.careOf.get(coaKey), nowMs);
  }

  homeInFlight(): boolean {
    return this.homeInit !== null;
  }

  careOfInFlight(coaKey: Ip6): boolean {
    return this.careOfInit.has(coaKey);
  }

  startHome(action: SendAction, cookie: Uint8Array, nowMs: number): void {
    this.homeInit = { action, cookie, bidSent: false, ...firstTimer(nowMs) };
  }

  startCareOf(coaKey: Ip6, action: SendAction, cookie: Uint8Array, bidSent: boolean, nowMs: number): void {
    this.careOfInit.set(coaKey, { action, cookie, bidSent, ...firstTimer(nowMs) });
  }

  /** Stores the token when the HoT answers our HoTI; false when it does not. */
  acceptHomeTest(hot: HomeTest, nowMs: number): boolean {
    if (!this.homeInit || !sameBytes(this.homeInit.cookie, hot.cookie)) return false;
    this.home = { token: hot.keygenToken, nonceIndex: hot.nonceIndex, receivedAtMs: nowMs };
    this.homeInit = null;
    return true;
  }

  /** Stores the token when the CoT answers one of our CoTIs; returns which one. */
  acceptCareOfTest(cot: CareOfTest, nowMs: number): { coaKey: Ip6; bidSent: boolean; source: Ip6Bytes } | null {
    for (const [coaKey, init] of this.careOfInit) {
      if (!sameBytes(init.cookie, cot.cookie)) continue;
      this.careOf.set(coaKey, { token: cot.keygenToken, nonceIndex: cot.nonceIndex, receivedAtMs: nowMs });
      this.careOfInit.delete(coaKey);
      return { coaKey, bidSent: init.bidSent, source: init.action.source };
    }
    return null;
  }

  dropHome(): void {
    this.home = null;
  }

  /** Forgets one care-of token, or all of them. */
  dropCareOf(coaKey?: Ip6): void {
    if (coaKey === undefined) this.careOf.clear();
    else this.careOf.delete(coaKey);
  }

  cancelAll(): void {
    this.homeInit = null;
    this.careOfInit.clear();
  }

  /** Drops CoTIs for care-of addresses the mobile node no longer has. */
  cancelCareOfExcept(keep: ReadonlySet<Ip6>): void {
    for (const k of [...this.careOfInit.keys()]) if (!keep.has(k)) this.careOfInit.delete(k);
  }

  /** The HoTI/CoTI messages whose timer ran out, re-armed with a doubled timeout. */
  dueRetransmits(nowMs: number): SendAction[] {
    const due: SendAction[] = [];
    for (const init of [this.homeInit, ...this.careOfInit.values()]) {
      if (!init || init.retransmitAtMs > nowMs) continue;
      init.backoffMs = Math.min(init.backoffMs * 2, MAX_BINDACK_TIMEOUT_MS);
      init.retransmitAtMs = nowMs + init.backoffMs;
      due.push(init.action);
    }
    return due;
  }

  nextDeadline(): number | null {
    let next: number | null = null;
    for (const init of [this.homeInit, ...this.careOfInit.values()]) {
      if (init && (next === null || init.retransmitAtMs < next)) next = init.retransmitAtMs;
    }
    return next;
  }
}

function firstTimer(nowMs: number): { retransmitAtMs: number; backoffMs: number } {
  return { retransmitAtMs: nowMs + INITIAL_BINDACK_TIMEOUT_MS, backoffMs: INITIAL_BINDACK_TIMEOUT_MS };
}

// Helpers for the mobile node core tests: fixed addresses, a seeded random source, a
// driver with a settable clock, and builders for the messages peers send back.
import { mustParseIp6, formatIp6 } from '../../../../lib/inet/ip6.js';
import {
  IPPROTO_NONE,
  type BidOption,
  type BindingAck,
  type BindingUpdate,
  type CareOfTest,
  type CareOfTestInit,
  type HomeTest,
  type HomeTestInit,
  type MobilityOption,
} from '../../../../lib/wire/types.js';
import { DRAFT04_STATUS } from '../../../../lib/wire/profiles.js';
import { MobileNodeCore } from '../../../../lib/proto/mn/index.js';
import type { MnAction, MnConfig, MnEvent, MnOutput, SendAction } from '../../../../lib/proto/mn/index.js';

export const HOA = mustParseIp6('2001:db8:1::100');
export const HA = mustParseIp6('2001:db8:1::1');
export const CN = mustParseIp6('2001:db8:9::1');
export const COA1 = mustParseIp6('2001:db8:a::1');
export const COA2 = mustParseIp6('2001:db8:b::1');
export const COA3 = mustParseIp6('2001:db8:c::1');
export const COA4 = mustParseIp6('2001:db8:d::1');
export const S = DRAFT04_STATUS;

/** Deterministic bytes (xorshift32), so sequence numbers and cookies repeat run to run. */
export function seededRandom(seed = 0x1234567): (n: number) => Uint8Array {
  let x = seed >>> 0 || 1;
  return (n: number) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      out[i] = x & 0xff;
    }
    return out;
  };
}

export type BuSend = SendAction & { message: BindingUpdate };

export function isBu(a: MnAction): a is BuSend {
  return a.kind === 'send' && a.message.kind === 'bu';
}

/** A test driver: one core, a clock, and every action it produced. */
export class Mn {
  readonly core: MobileNodeCore;
  now = 0;
  readonly all: MnAction[] = [];
  last: MnOutput = { actions: [], nextTickMs: null };

  constructor(cfg: Partial<MnConfig> = {}, randomBytes: (n: number) => Uint8Array = seededRandom()) {
    this.core = new MobileNodeCore({ homeAddress: HOA, homeAgent: HA, status: S, ...cfg }, { randomBytes });
  }

  send(...events: MnEvent[]): MnAction[] {
    this.last = this.core.handleAll(events, this.now);
    this.all.push(...this.last.actions);
    return this.last.actions;
  }

  at(ms: number, ...events: MnEvent[]): MnAction[] {
    this.now = ms;
    return this.send(...(events.length ? events : [{ kind: 'tick' } as MnEvent]));
  }

  /** Feeds care-of addresses (one event batch) and starts the core. */
  start(coas: [string, Uint8Array][]): MnAction[] {
    return this.send(...coas.map(([iface, address]): MnEvent => ({ kind: 'careOfAddress', iface, address })), { kind: 'start' });
  }

  bus(actions = this.last.actions): BuSend[] {
    return actions.filter(isBu);
  }

  /** The only BU among `actions`; fails loudly otherwise. */
  oneBu(actions = this.last.actions): BuSend {
    const b = this.bus(actions);
    if (b.length !== 1) throw new Error(`expected one BU, got ${b.length}: ${JSON.stringify(b.map(summary))}`);
    return b[0]!;
  }

  /** Answers `bu` from the home agent (or another peer) with a BA built by ackFor. */
  ack(bu: BuSend, opts: AckOptions = {}): MnAction[] {
    return this.send({ kind: 'bindingAck', from: bu.destination, message: ackFor(bu.message, opts) });
  }

  /** Runs ticks until `untilMs`, each at the time the core asked for. */
  runUntil(untilMs: number): MnAction[] {
    const out: MnAction[] = [];
    for (;;) {
      const next = this.last.nextTickMs;
      if (next === null || next > untilMs) break;
      out.push(...this.at(next));
    }
    this.now = untilMs;
    return out;
  }
}

export interface AckOptions {
  status?: number;
  /** Per-BID status in the copied sub-options. */
  perBid?: Record<number, number>;
  lifetime?: number;
  /** Copy the BID sub-options (default true). */
  withBids?: boolean;
  sequence?: number;
  refreshAdvice?: number;
  options?: MobilityOption[];
}

/** A BA the way a draft-04 home agent answers: the BID sub-options copied back without CoA. */
export function ackFor(bu: BindingUpdate, o: AckOptions = {}): BindingAck {
  const options: MobilityOption[] = [];
  if (o.withBids ?? true) {
    for (const s of bu.options) {
      if (s.kind !== 'bid') continue;
      options.push({ kind: 'bid', bid: s.bid, status: o.perBid?.[s.bid] ?? 0, c: false, o: s.o, h: s.h });
    }
  }
  if (o.refreshAdvice !== undefined) options.push({ kind: 'bindingRefreshAdvice', intervalSeconds: o.refreshAdvice });
  options.push(...(o.options ?? []));
  return {
    kind: 'ba',
    payloadProto: IPPROTO_NONE,
    checksum: 0,
    status: o.status ?? 0,
    flags: { k: false, r: false, p: false },
    sequence: o.sequence ?? bu.sequence,
    lifetimeSeconds: o.lifetime ?? (bu.lifetimeSeconds === 0 ? 0 : Math.min(bu.lifetimeSeconds, 3600)),
    options,
  };
}

export function bidsOf(bu: BindingUpdate): BidOption[] {
  return bu.options.filter((o): o is BidOption => o.kind === 'bid');
}

/** A compact, comparable description of a BU send. */
export function summary(a: BuSend) {
  const bu = a.message;
  return {
    to: formatIp6(a.destination),
    from: formatIp6(a.source),
    iface: a.iface,
    hao: a.homeAddressOption,
    seq: bu.sequence,
    lifetime: bu.lifetimeSeconds,
    a: bu.flags.a,
    h: bu.flags.h,
    bids: bidsOf(bu).map((b) => ({ bid: b.bid, c: b.c, o: b.o, h: b.h, coa: b.coa ? formatIp6(b.coa) : null })),
    altCoa: bu.options.filter((o) => o.kind === 'alternateCoa').map((o) => formatIp6(o.address)),
  };
}

export function hot(init: HomeTestInit, token: Uint8Array, nonceIndex = 1): HomeTest {
  return { kind: 'hot', payloadProto: IPPROTO_NONE, checksum: 0, nonceIndex, cookie: init.cookie, keygenToken: token, options: [] };
}

export function cot(init: CareOfTestInit, token: Uint8Array, nonceIndex = 2, echoBid = true): CareOfTest {
  const options: MobilityOption[] = echoBid ? init.options.filter((o) => o.kind === 'bid') : [];
  return { kind: 'cot', payloadProto: IPPROTO_NONE, checksum: 0, nonceIndex, cookie: init.cookie, keygenToken: token, options };
}

export function sends(actions: MnAction[], kind: 'hoti' | 'coti'): (SendAction & { message: HomeTestInit | CareOfTestInit })[] {
  return actions.filter((a): a is SendAction & { message: HomeTestInit | CareOfTestInit } => a.kind === 'send' && a.message.kind === kind);
}

/** Three interfaces registered with the home agent in one accepted bulk BU. */
export function registeredThree(cfg: Partial<MnConfig> = {}): Mn {
  const mn = new Mn(cfg);
  mn.start([['eth0', COA1], ['eth1', COA2], ['eth2', COA3]]);
  mn.ack(mn.oneBu());
  return mn;
}

/** The list as sorted [role, bid, care-of, state] rows, easy to compare. */
export function bulState(mn: Mn): [string, number | null, string | null, string][] {
  return mn.core
    .bindingUpdateList()
    .map((e): [string, number | null, string | null, string] => [e.role, e.bid, e.careOf, e.state])
    .sort((a, b) => (a[0] + String(a[1] ?? 0)).localeCompare(b[0] + String(b[1] ?? 0)));
}

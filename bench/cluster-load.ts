// bench:cluster, load phases through the real MH socket: M first registrations (a new home
// address each, two care-of addresses in its BID options) with a window of BUs outstanding,
// then refreshes of those home addresses in turn for a fixed time. Sequence numbers count per
// home address, as a mobile node's do (RFC 6275 §11.8), and a BA is matched to its BU by the
// home address it is sent to and its sequence number: a refresh carries the next number of
// its own home address, so a cluster node sees each home address's number grow by one per
// refresh, not by the whole population.
import type { Ip6 } from '../lib/inet/ip6.js';
import type { MhReceived } from '../lib/net/receive.js';
import { decodeMessage, encodeMessage } from '../lib/wire/mh.js';
import { DRAFT04_PROFILE } from '../lib/wire/profiles.js';
import { COA, HA, bu, coaBid, type MobileNodeSide } from '../test/kernel/fixtures/index.js';
import { sh, type Netns } from '../test/kernel/netns.js';
import { ip6 } from '../test/ip6.js';
import { writeFileSync } from 'node:fs';

/** RFC 6275 §11.8 InitialBindackTimeoutFirstReg; the wait doubles per retry up to MAX_RETRY_MS. */
const RETRY_MS = 1500;
const MAX_RETRY_MS = 32_000;
const BOUND_MS = 600_000;
const LIFETIME = 400;

export const loadHoa = (i: number): Ip6 => ip6(`2001:db8:aa::2:${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}`);
const loadCoa = (i: number, b: number): Ip6 => ip6(`2001:db8:${(0x200 + b).toString(16)}::${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}`);

export interface LoadResult {
  perS: number;
  /** BAs with a status ≥ 128. */
  refused: number;
  sent: number;
  ms: number;
}

/** The mobile node's side holds every home address (flag `home`: the BA's type 2 routing header is accepted for it). */
export async function addHomeAddresses(mn: Netns, m: number): Promise<void> {
  const lines: string[] = [];
  for (let i = 0; i < m; i++) lines.push(`addr add ${loadHoa(i)}/128 dev lo home nodad`);
  const file = `/tmp/cluster-bench-${mn.name}.batch`;
  writeFileSync(file, lines.join('\n') + '\n');
  await sh('ip', ['-n', mn.name, '-6', '-batch', file], { timeoutMs: 600_000 });
}

/** Sequence numbers per home address, the last one sent. */
export class Sequences {
  private readonly last = new Map<number, number>();
  next(i: number): number {
    const s = ((this.last.get(i) ?? 0) + 1) & 0xffff;
    this.last.set(i, s);
    return s;
  }
}

function sendBu(mn: MobileNodeSide, i: number, seq: number): boolean {
  const data = encodeMessage(bu(seq, LIFETIME, [coaBid(1, loadCoa(i, 0)), coaBid(2, loadCoa(i, 1))]), DRAFT04_PROFILE);
  try {
    mn.sock.send({ data, src: COA, dst: HA, homeAddressOption: loadHoa(i) });
    return true;
  } catch {
    return false; // a full send buffer: sent again by the caller's retry
  }
}

/** The BAs of the MH socket as (home address index, sequence, status); `index` maps a home address to its number. */
function onBas(mn: MobileNodeSide, index: Map<Ip6, number>, fn: (i: number, seq: number, status: number) => void): () => void {
  const on = (msg: MhReceived): void => {
    const r = decodeMessage(msg.data, DRAFT04_PROFILE);
    if (!r.ok || r.value.kind !== 'ba') return;
    const i = index.get(msg.dst);
    if (i !== undefined) fn(i, r.value.sequence, r.value.status);
  };
  mn.sock.on('message', on);
  return () => mn.sock.off('message', on);
}

export const hoaIndex = (m: number): Map<Ip6, number> => new Map(Array.from({ length: m }, (_, i) => [loadHoa(i), i]));

/** M first registrations with `window` outstanding; resolves when every home address has its BA. */
export async function registrations(mn: MobileNodeSide, m: number, window: number, seqs: Sequences): Promise<LoadResult> {
  const index = hoaIndex(m);
  /** Per home address waiting for its BA: the sequence number sent last, when it is due again, the next wait. */
  const waiting = new Map<number, { seq: number; due: number; wait: number }>();
  let next = 0;
  let done = 0;
  let refused = 0;
  let sent = 0;
  const send = (i: number): void => {
    const w = waiting.get(i);
    const seq = seqs.next(i);
    if (sendBu(mn, i, seq)) sent++;
    const wait = w?.wait ?? RETRY_MS;
    waiting.set(i, { seq, due: Date.now() + wait, wait: Math.min(2 * wait, MAX_RETRY_MS) });
  };
  const fill = (): void => {
    while (waiting.size < window && next < m) send(next++);
  };
  let finish: () => void = () => {};
  const finished = new Promise<void>((r) => (finish = r));
  const stop = onBas(mn, index, (i, seq, status) => {
    if (waiting.get(i)?.seq !== seq) return;
    waiting.delete(i);
    done++;
    if (status >= 128) refused++;
    if (done === m) finish();
    else fill();
  });
  const t0 = Date.now();
  fill();
  const retry = setInterval(() => {
    const now = Date.now();
    for (const [i, w] of waiting) if (now >= w.due) send(i);
  }, 250);
  const bound = setTimeout(finish, BOUND_MS);
  await finished;
  clearInterval(retry);
  clearTimeout(bound);
  stop();
  const ms = Date.now() - t0;
  if (done < m) throw new Error(`registrations: ${done} of ${m} BAs within ${BOUND_MS} ms`);
  return { perS: ((m - refused) * 1000) / ms, refused, sent, ms };
}

/**
 * Refreshes of the M registered home addresses in turn for `durationMs`, `window` outstanding
 * (a lost BU frees its slot after RETRY_MS); BAs per second, and how many refreshes each home
 * address got at most (what a cluster node's sequence bound sees).
 */
export async function refreshes(mn: MobileNodeSide, m: number, window: number, durationMs: number, seqs: Sequences): Promise<LoadResult & { perHoa: number }> {
  const index = hoaIndex(m);
  const outstanding = new Map<number, { seq: number; due: number }>();
  const count = new Map<number, number>();
  let cursor = 0;
  let acked = 0;
  let refused = 0;
  let sent = 0;
  const end = Date.now() + durationMs;
  const fill = (): void => {
    for (let tries = 0; outstanding.size < window && tries < m && Date.now() < end; tries++) {
      const i = cursor;
      cursor = (cursor + 1) % m;
      if (outstanding.has(i)) continue;
      const seq = seqs.next(i);
      if (sendBu(mn, i, seq)) sent++;
      count.set(i, (count.get(i) ?? 0) + 1);
      outstanding.set(i, { seq, due: Date.now() + RETRY_MS });
    }
  };
  const stop = onBas(mn, index, (i, seq, status) => {
    if (outstanding.get(i)?.seq !== seq) return;
    outstanding.delete(i);
    acked++;
    if (status >= 128) refused++;
    fill();
  });
  const t0 = Date.now();
  fill();
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    const now = Date.now();
    for (const [i, o] of outstanding) if (now >= o.due) outstanding.delete(i);
    fill();
  }
  await new Promise((r) => setTimeout(r, 500));
  stop();
  const ms = Date.now() - t0;
  return { perS: (acked * 1000) / ms, refused, sent, ms, perHoa: Math.max(0, ...count.values()) };
}

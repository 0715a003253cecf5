// Proxy Neighbour Discovery answered by the home agent itself (home_agent.proxy_nd: daemon),
// instead of one kernel proxy entry per home address (the kernel's proxy table has 16 hash
// buckets, so N entries cost O(N²) to install; docs/dataplane-findings.md). Pure: the
// defended addresses as a hash set, and the answer to one received Neighbour Solicitation.
//
// RFC 6275 §10.4.1: while a home address has bindings away from home, the home agent answers
// NS for it with its own link-layer address and defends it against DAD. The advertisements
// carry Override: the home agent must replace the mobile node's own link-layer address in
// its neighbours' caches (RFC 4861 §7.2.8's generic proxy clears it, which would leave a
// stale entry pointing at the absent node). Router is clear: the target is the mobile node.
import { formatIp6, type Ip6 } from '../../inet/ip6.js';
import { ip6Octets } from '../../inet/ip6-write.js';

/** The addresses the home agent defends, per home address (its own and, with L, its link-local). */
export class DefendedAddresses {
  /** home address -> the `iface|address` keys it defends. */
  private readonly byHoa = new Map<Ip6, readonly string[]>();
  /** `iface|address` -> how many home addresses defend it. */
  private readonly users = new Map<string, number>();

  /**
   * Replaces what `hoa` defends; returns the (interface, address) pairs that became defended
   * (to announce with an unsolicited NA) and those no longer defended. O(k) for its k addresses.
   */
  update(hoa: Ip6, wanted: Iterable<{ interface: string; address: Ip6 }>): { added: DefendedAddress[]; removed: DefendedAddress[] } {
    const next = [...new Set([...wanted].map((w) => defendedKey(w.interface, w.address)))];
    const prev = this.byHoa.get(hoa) ?? [];
    const added: DefendedAddress[] = [];
    const removed: DefendedAddress[] = [];
    for (const k of next) {
      if (prev.includes(k)) continue;
      const n = this.users.get(k) ?? 0;
      this.users.set(k, n + 1);
      if (n === 0) added.push(splitKey(k));
    }
    for (const k of prev) {
      if (next.includes(k)) continue;
      const n = (this.users.get(k) ?? 1) - 1;
      if (n > 0) this.users.set(k, n);
      else {
        this.users.delete(k);
        removed.push(splitKey(k));
      }
    }
    if (next.length === 0) this.byHoa.delete(hoa);
    else this.byHoa.set(hoa, next);
    return { added, removed };
  }

  has(iface: string, address: Ip6): boolean {
    return this.users.has(defendedKey(iface, address));
  }

  get size(): number {
    return this.users.size;
  }

  /** Every defended (interface, address) pair. */
  all(): DefendedAddress[] {
    return [...this.users.keys()].map(splitKey);
  }
}

export interface DefendedAddress {
  interface: string;
  address: Ip6;
}

const defendedKey = (iface: string, address: Ip6): string => `${iface}|${address}`;

function splitKey(k: string): DefendedAddress {
  const bar = k.indexOf('|');
  return { interface: k.slice(0, bar), address: k.slice(bar + 1) as Ip6 };
}

/** A token bucket: `perSecond` tokens a second, at most `burst` saved. The clock is handed in. */
export class TokenBucket {
  private tokens: number;
  private lastMs: number | undefined;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  take(nowMs: number): boolean {
    if (this.lastMs !== undefined && nowMs > this.lastMs) {
      this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.lastMs) * this.perSecond) / 1000);
    }
    if (this.lastMs === undefined || nowMs > this.lastMs) this.lastMs = nowMs;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** A Neighbour Solicitation as received on the home link (decoded and checksummed by the net layer). */
export interface ReceivedSolicitation {
  iface: string;
  src: Ip6;
  dst: Ip6;
  hopLimit: number;
  target: Ip6;
  /** The NS carried a Source Link-Layer Address option. */
  hasSourceLinkLayer: boolean;
}

/** The Neighbour Advertisement to send: destination, flags, and the target it is for. */
export interface ProxyAdvertisement {
  dst: Ip6;
  target: Ip6;
  router: false;
  solicited: boolean;
  override: true;
}

export type ProxyIgnoreReason = 'hop-limit' | 'destination' | 'dad-with-source-link-layer' | 'not-defended' | 'rate-limited';

export type ProxyAnswer = { answer: true; na: ProxyAdvertisement; dad: boolean } | { answer: false; reason: ProxyIgnoreReason };

const UNSPECIFIED = '::' as Ip6;
const ALL_NODES = 'ff02::1' as Ip6;

/** ff02::1:ffXX:XXXX for `target` (RFC 4291 §2.7.1). */
export function solicitedNodeGroup(target: Ip6): Ip6 {
  const t = ip6Octets(target);
  const g = new Uint8Array(16);
  g.set([0xff, 0x02], 0);
  g.set([0x01, 0xff, t[13]!, t[14]!, t[15]!], 11);
  return formatIp6(g);
}

/**
 * The answer to one NS (RFC 4861 §7.1.1 validity, §7.2.3-§7.2.4 reply; RFC 6275 §10.4.1):
 * - hop limit must be 255;
 * - the destination must be the target's solicited-node group or the target itself;
 * - from the unspecified address (a DAD probe) it must go to the solicited-node group and
 *   carry no Source Link-Layer Address option; the answer defends: to all-nodes, Solicited clear;
 * - otherwise the answer goes to the solicitor, Solicited set;
 * - only for a defended address, and only while `bucket` has a token (no queue: an NS over
 *   the rate is dropped and counted; the solicitor retransmits).
 */
export function answerSolicitation(
  ns: ReceivedSolicitation,
  defended: Pick<DefendedAddresses, 'has'>,
  bucket: TokenBucket,
  nowMs: number,
): ProxyAnswer {
  if (ns.hopLimit !== 255) return { answer: false, reason: 'hop-limit' };
  const dad = ns.src === UNSPECIFIED;
  if (ns.dst !== solicitedNodeGroup(ns.target) && (dad || ns.dst !== ns.target)) return { answer: false, reason: 'destination' };
  if (dad && ns.hasSourceLinkLayer) return { answer: false, reason: 'dad-with-source-link-layer' };
  if (!defended.has(ns.iface, ns.target)) return { answer: false, reason: 'not-defended' };
  if (!bucket.take(nowMs)) return { answer: false, reason: 'rate-limited' };
  return { answer: true, dad, na: { dst: dad ? ALL_NODES : ns.src, target: ns.target, router: false, solicited: !dad, override: true } };
}

// The mobile node's DHAAD exchange (RFC 6275 §11.4.1): a Request from a care-of address to
// the Home-Agents anycast address of the home prefix, retransmitted with a doubling timeout
// (INITIAL_DHAAD_TIMEOUT 3 s, §12) until a Reply with the same Identifier and at least one
// address arrives. One exchange at a time per socket.
import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import { formatIp6, type Ip6 } from '../../inet/ip6.js';
import { decodeDhaad, encodeDhaad, ICMP6_DHAAD_REPLY } from '../../net/dhaad/dhaad-codec.js';
import type { Icmp6Received } from '../../net/icmp6-socket.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Clock, Icmp6Port, TimerHandle } from '../service/host.js';
import { MAX_BINDACK_TIMEOUT_MS } from '../../proto/mn/timing.js';

/** RFC 6275 §12. */
export const INITIAL_DHAAD_TIMEOUT_MS = 3000;

export interface DhaadSource {
  coa: Ip6;
  ifindex: number;
}

export class DhaadRequester {
  private pending: { identifier: number; resolve(list: Ip6[]): void; timer: TimerHandle | undefined } | null = null;

  constructor(
    private readonly port: Icmp6Port,
    private readonly anycast: Ip6,
    private readonly clock: Clock,
    private readonly counters: Metrics,
    private readonly log: Logger,
  ) {
    port.on('message', (m) => this.onMessage(m));
  }

  /** The home agents of the Reply, most preferred first; retries until one comes. */
  request(from: () => DhaadSource | undefined): Promise<Ip6[]> {
    this.cancel();
    const identifier = randomInt(0x10000);
    return new Promise((resolve) => {
      this.pending = { identifier, resolve, timer: undefined };
      this.send(from, INITIAL_DHAAD_TIMEOUT_MS);
    });
  }

  /** Drops a pending exchange (its promise never settles). */
  cancel(): void {
    if (this.pending?.timer !== undefined) this.clock.clearTimeout(this.pending.timer);
    this.pending = null;
  }

  private send(from: () => DhaadSource | undefined, timeoutMs: number): void {
    const p = this.pending;
    if (!p) return;
    const src = from();
    if (src) {
      try {
        this.port.send({ dst: this.anycast, src: src.coa, ifindex: src.ifindex, data: encodeDhaad({ kind: 'dhaadRequest', identifier: p.identifier, mobileRouter: false }) });
        this.counters.inc('dhaad', { event: 'request' });
        this.log.info({ from: src.coa, to: this.anycast, identifier: p.identifier }, 'DHAAD request');
      } catch (err) {
        this.log.warn({ from: src.coa, err: String(err) }, 'DHAAD request not sent');
      }
    } else {
      this.log.info('DHAAD request waits for a care-of address');
    }
    p.timer = this.clock.setTimeout(() => this.send(from, Math.min(timeoutMs * 2, MAX_BINDACK_TIMEOUT_MS)), timeoutMs);
  }

  private onMessage(m: Icmp6Received): void {
    const p = this.pending;
    if (m.data[0] !== ICMP6_DHAAD_REPLY || !p) return;
    const r = decodeDhaad(m.data);
    if (!r.ok || r.value.kind !== 'dhaadReply' || r.value.identifier !== p.identifier) {
      this.counters.inc('dhaad', { event: 'dropped' });
      return;
    }
    this.counters.inc('dhaad', { event: 'reply' });
    const list = r.value.homeAgents.map((a) => formatIp6(a));
    this.log.info({ from: m.src, homeAgents: list }, 'DHAAD reply');
    if (list.length === 0) return; // keep asking: an empty list names no home agent yet
    this.cancel();
    p.resolve(list);
  }
}

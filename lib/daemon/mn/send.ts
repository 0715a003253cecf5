// The mobile node's outgoing Mobility Header messages, as the core asks: encoded, sealed
// with the return routability key for a correspondent, with the Home Address option from a
// care-of address, or (HoTI) reverse-tunnelled through the home agent. Never throws: a
// failed send is counted and logged, and the core retransmits.
//
// A message to a correspondent from a care-of address (CoTI, Binding Update; RFC 6275
// §5.2.5, §11.7.2) must leave that care-of address's interface directly, also before the
// route-optimised binding and its host route exist and when `mobile_node.routes` sends the
// correspondent's prefix through the home agent: it goes on a short-lived Mobility Header
// socket bound to the interface (SO_BINDTODEVICE), whose strict route lookup skips the
// tunnel routes and takes the interface's own. Such messages are few (per correspondent and
// movement), so the socket is opened per message and closed at once.
import type { Logger } from 'pino';
import type { MobileNodeSettings } from '../../config/index.js';
import { sealBindingUpdate, type SendAction } from '../../proto/mn/index.js';
import { sendReverseTunnelled } from '../../net/reverse-tunnel.js';
import { formatIp6, type Ip6 } from '../../inet/ip6.js';
import { encodeMessage } from '../../wire/mh.js';
import type { Metrics } from '../metrics/metrics.js';
import type { MhPort } from '../service/host.js';
import type { AcceptedCareOf } from './kernel.js';

export class MobileNodeSender {
  private readonly buf = new Uint8Array(4096);

  constructor(
    private readonly mh: MhPort,
    private readonly settings: () => MobileNodeSettings,
    private readonly netns: string | null,
    private readonly ifindexOf: (iface: string) => number | undefined,
    /** Care-of addresses the home agent accepted: the first carries reverse-tunnelled messages. */
    private readonly accepted: () => AcceptedCareOf[],
    private readonly counters: Metrics,
    private readonly log: Logger,
    /** A Mobility Header socket bound to an interface, for direct sends to correspondents; absent: the shared socket. */
    private readonly boundMh?: (iface: string) => MhPort,
  ) {}

  send(a: SendAction): void {
    const dst = formatIp6(a.destination);
    if (a.reverseTunnel) return this.sendReverseTunnelled(a, dst);
    const m = this.settings();
    const ifindex = a.iface === null ? undefined : this.ifindexOf(a.iface);
    let bound: MhPort | undefined;
    try {
      const encoded = encodeMessage(a.message, m.profile, this.buf, 0);
      // A BU to a correspondent: the authenticator covers the encoded bytes (checksum still zero).
      const data = a.authorization === null ? encoded : sealBindingUpdate(encoded, a.authorization);
      if (this.boundMh && a.iface !== null && directToCorrespondent(a, dst, m)) bound = this.boundMh(a.iface);
      (bound ?? this.mh).send({
        data,
        src: formatIp6(a.source),
        dst,
        ...(ifindex !== undefined ? { ifindex } : {}),
        ...(a.homeAddressOption ? { homeAddressOption: m.homeAddress } : {}),
      });
      this.counters.inc('sent', { type: a.message.kind });
      this.log.debug({ dst, src: formatIp6(a.source), iface: a.iface, kind: a.message.kind, boundToInterface: bound !== undefined }, 'mobility header sent');
    } catch (err) {
      this.counters.inc('mh_send_errors');
      this.log.warn({ dst, iface: a.iface, kind: a.message.kind, err: String(err) }, 'send failed');
    } finally {
      bound?.close();
    }
  }

  /**
   * HoTI (RFC 6275 §11.6.1): from the home address, inside a packet from a care-of address
   * the home agent accepted to the home agent, which forwards it. The first accepted
   * care-of address carries it; none means the home registration is not in force yet.
   */
  private sendReverseTunnelled(a: SendAction, dst: Ip6): void {
    const via = this.accepted()[0];
    if (!via) {
      this.counters.inc('mh_reverse_tunnel_unavailable');
      this.log.debug({ dst, kind: a.message.kind }, 'no accepted care-of address to reverse-tunnel from; the core retransmits');
      return;
    }
    const m = this.settings();
    try {
      const mh = encodeMessage(a.message, m.profile, this.buf, 0);
      sendReverseTunnelled({ mh, innerSrc: formatIp6(a.source), innerDst: dst, outerSrc: via.coa, outerDst: m.homeAgent, ifindex: via.ifindex, ...(this.netns === null ? {} : { netns: this.netns }) });
      this.counters.inc('sent', { type: a.message.kind });
      this.log.debug({ dst, via: via.coa, kind: a.message.kind }, 'mobility header sent through the home agent');
    } catch (err) {
      this.counters.inc('mh_send_errors');
      this.log.warn({ dst, via: via.coa, kind: a.message.kind, err: String(err) }, 'reverse-tunnelled send failed');
    }
  }
}

/** To a correspondent (not the home agent) from a care-of address (not the home address). */
export function directToCorrespondent(a: Pick<SendAction, 'source' | 'reverseTunnel'>, dst: Ip6, m: Pick<MobileNodeSettings, 'homeAgent' | 'homeAddress'>): boolean {
  return !a.reverseTunnel && dst !== m.homeAgent && formatIp6(a.source) !== m.homeAddress;
}

// An in-memory DHAAD socket for host tests: records what is sent and anycast joins, and lets
// a test deliver received ICMPv6 messages.
import { EventEmitter } from 'node:events';
import type { Ip6 } from '../../../lib/inet/ip6.js';
import type { Icmp6Received, Icmp6ReceiveError, Icmp6Send } from '../../../lib/net/icmp6-socket.js';
import type { Icmp6Port } from '../../../lib/daemon/service/host.js';

export class FakeIcmp6Socket extends EventEmitter<{ message: [Icmp6Received]; receiveError: [Icmp6ReceiveError] }> implements Icmp6Port {
  readonly sent: Icmp6Send[] = [];
  readonly anycast: string[] = [];
  readonly stats = { received: 0, sent: 0, receiveErrors: 0 };
  closed = false;

  constructor(
    private readonly ifindexes: Readonly<Record<string, number>> = { home0: 2 },
    private readonly onClose: () => void = () => undefined,
  ) {
    super();
  }
  interfaceIndex(ifname: string): number {
    const i = this.ifindexes[ifname];
    if (i === undefined) throw new Error(`fake: no interface ${ifname}`);
    return i;
  }
  joinAnycast(ifindex: number, address: Ip6): void {
    this.anycast.push(`${ifindex} ${address}`);
  }
  send(req: Icmp6Send): number {
    this.sent.push(req);
    this.stats.sent++;
    return req.data.length;
  }
  deliver(m: Icmp6Received): void {
    this.stats.received++;
    this.emit('message', m);
  }
  close(): void {
    if (!this.closed) this.onClose();
    this.closed = true;
  }
}

// Socket options with structure values, as additions to lib/platform/sys/socket.ts.
//
//   struct ipv6_mreq (20 octets): ipv6mr_multiaddr (16) | ipv6mr_ifindex (int32, host order)
//   struct icmp6_filter (32 octets): 8 u32 words, host order; bit (type & 31) of word
//     (type >> 5) set means the type is blocked (linux/icmpv6.h)
import { check, sys } from '../platform/sys/libc.js';
import { IPPROTO_ICMPV6, IPPROTO_IPV6 } from '../platform/sys/socket.js';
import { formatIp6 } from '../inet/ip6.js';
import { ICMPV6_FILTER, IPV6_ADD_MEMBERSHIP, IPV6_DROP_MEMBERSHIP } from './socket-constants.js';

/** setsockopt with a byte value; throws SyscallError naming `what`. */
export function setsockoptBytes(fd: number, level: number, name: number, value: Uint8Array, what: string): void {
  check(sys.setsockopt(fd, level, name, value), 'setsockopt', what);
}

/**
 * IPV6_JOIN_GROUP / IPV6_LEAVE_GROUP of `group` on interface `ifindex`. Throws SyscallError
 * when `mustSucceed` (the default); otherwise returns the negative errno or 0.
 */
export function setMulticastMembership(
  fd: number,
  action: 'join' | 'leave',
  group: Uint8Array,
  ifindex: number,
  mustSucceed = true,
): number {
  if (group.length !== 16) throw new RangeError('multicast group: expected 16 octets');
  const mreq = new Uint8Array(20);
  mreq.set(group, 0);
  new DataView(mreq.buffer).setInt32(16, ifindex, true);
  const opt = action === 'join' ? IPV6_ADD_MEMBERSHIP : IPV6_DROP_MEMBERSHIP;
  const r = sys.setsockopt(fd, IPPROTO_IPV6, opt, mreq);
  return mustSucceed ? check(r, 'setsockopt', `IPV6_${action === 'join' ? 'JOIN' : 'LEAVE'}_GROUP ifindex ${ifindex}`) : r;
}

/** ICMPV6_FILTER on a raw ICMPv6 socket: only the listed ICMPv6 types are delivered. */
export function setIcmp6FilterPassOnly(fd: number, types: readonly number[]): void {
  const words = new Uint32Array(8).fill(0xffffffff);
  for (const t of types) words[t >> 5]! &= ~(1 << (t & 31));
  setsockoptBytes(fd, IPPROTO_ICMPV6, ICMPV6_FILTER, new Uint8Array(words.buffer), 'ICMPV6_FILTER');
}

/** Multicast groups one socket joined, counted per user, so concurrent users share a join. */
export class GroupMemberships {
  private readonly users = new Map<string, number>();

  constructor(private readonly fd: number) {}

  /** Joins on the first user; throws SyscallError when the kernel refuses. */
  join(ifindex: number, group: Uint8Array): void {
    const key = `${ifindex}/${formatIp6(group)}`;
    const n = this.users.get(key) ?? 0;
    if (n === 0) setMulticastMembership(this.fd, 'join', group, ifindex);
    this.users.set(key, n + 1);
  }

  /** Leaves with the last user. A failed leave only keeps the group until the socket closes. */
  leave(ifindex: number, group: Uint8Array): void {
    const key = `${ifindex}/${formatIp6(group)}`;
    const n = (this.users.get(key) ?? 1) - 1;
    if (n > 0) {
      this.users.set(key, n);
      return;
    }
    this.users.delete(key);
    setMulticastMembership(this.fd, 'leave', group, ifindex, false);
  }

  /** Forgets every group (the socket is closing, which leaves them all). */
  clear(): void {
    this.users.clear();
  }
}

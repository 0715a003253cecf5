// Socket options with structure values, as additions to lib/platform/sys/socket.ts.
//
//   struct ipv6_mreq (20 octets): ipv6mr_multiaddr (16) | ipv6mr_ifindex (int32, host order)
//   struct icmp6_filter (32 octets): 8 u32 words, host order; bit (type & 31) of word
//     (type >> 5) set means the type is blocked (linux/icmpv6.h)
import { check, sys } from '../platform/sys/libc.js';
import { Errno, SyscallError } from '../platform/sys/errno.js';
import { closeFd, IPPROTO_ICMPV6, IPPROTO_IPV6 } from '../platform/sys/socket.js';
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

/** A socket holding memberships, and how many. */
interface Holder {
  fd: number;
  groups: number;
  /** The kernel refused it one more (its option memory is spent). */
  full: boolean;
}

/**
 * Multicast groups joined, counted per user so concurrent users share a join. The kernel
 * charges each membership to its socket's option memory (net.core.optmem_max, 20 KiB in
 * Linux 6.1: a few hundred groups), and a home agent running thousands of DADs at once
 * joins thousands of solicited-node groups. When a socket is full (ENOMEM, ENOBUFS),
 * another is opened with `more` and joins there: a group joined by any socket of the
 * namespace is received on the interface, and a raw socket gets its packets whichever
 * socket joined it (IPV6_MULTICAST_ALL, on by default).
 */
export class GroupMemberships {
  private readonly users = new Map<string, { holder: Holder; n: number }>();
  private readonly holders: Holder[];

  /** `fd` stays the caller's; sockets from `more` are this object's, closed by clear(). */
  constructor(
    fd: number,
    private readonly more?: () => number,
  ) {
    this.holders = [{ fd, groups: 0, full: false }];
  }

  /** Joins on the first user; throws SyscallError when the kernel refuses. */
  join(ifindex: number, group: Uint8Array): void {
    const key = `${ifindex}/${formatIp6(group)}`;
    const u = this.users.get(key);
    if (u) {
      u.n++;
      return;
    }
    const holder = this.joinSomewhere(ifindex, group);
    holder.groups++;
    this.users.set(key, { holder, n: 1 });
  }

  private joinSomewhere(ifindex: number, group: Uint8Array): Holder {
    for (const h of this.holders) {
      if (h.full) continue;
      const r = setMulticastMembership(h.fd, 'join', group, ifindex, false);
      if (r === 0) return h;
      if (r !== -Errno.ENOMEM && r !== -Errno.ENOBUFS) throw new SyscallError('setsockopt', -r, `IPV6_JOIN_GROUP ifindex ${ifindex}`);
      h.full = true;
    }
    if (!this.more) throw new SyscallError('setsockopt', Errno.ENOBUFS, `IPV6_JOIN_GROUP ifindex ${ifindex}`);
    const h: Holder = { fd: this.more(), groups: 0, full: false };
    this.holders.push(h);
    setMulticastMembership(h.fd, 'join', group, ifindex);
    return h;
  }

  /** Leaves with the last user. A failed leave only keeps the group until the socket closes. */
  leave(ifindex: number, group: Uint8Array): void {
    const key = `${ifindex}/${formatIp6(group)}`;
    const u = this.users.get(key);
    if (!u) return;
    if (--u.n > 0) return;
    this.users.delete(key);
    u.holder.groups--;
    u.holder.full = false;
    setMulticastMembership(u.holder.fd, 'leave', group, ifindex, false);
  }

  /** Sockets holding memberships (the caller's included), for tests and stats. */
  get sockets(): number {
    return this.holders.length;
  }

  /** Forgets every group and closes the sockets opened for them (the caller's socket is closing). */
  clear(): void {
    this.users.clear();
    for (const h of this.holders.splice(1)) closeFd(h.fd);
    this.holders[0]!.groups = 0;
    this.holders[0]!.full = false;
  }
}

// Non-blocking sockets, socket options and socket addresses (Linux x86_64 ABI).
import { check, sys } from './libc.js';
import { inNetns } from './netns.js';

export const AF_INET6 = 10;
export const AF_NETLINK = 16;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;

export const SOL_SOCKET = 1;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const SO_SNDBUFFORCE = 32;
export const SO_RCVBUFFORCE = 33;
/** <asm-generic/socket.h>. */
export const SO_BINDTODEVICE = 25;

export const MSG_CTRUNC = 0x08;
export const MSG_TRUNC = 0x20;
export const MSG_DONTWAIT = 0x40;

export const IPPROTO_IPV6 = 41;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;
export const IPV6_CHECKSUM = 7;
export const IPV6_RECVPKTINFO = 49;
export const IPV6_PKTINFO = 50;
export const IPV6_RECVHOPLIMIT = 51;
export const IPV6_HOPLIMIT = 52;
export const IPV6_RECVRTHDR = 56;
export const IPV6_RTHDR = 57;
export const IPV6_RECVDSTOPTS = 58;
export const IPV6_DSTOPTS = 59;

export interface OpenSocketOptions {
  /** Network namespace name (`ip netns` name) or path; the socket lives there for good. */
  netns?: string;
}

/** socket(2) with SOCK_NONBLOCK|SOCK_CLOEXEC added; throws SyscallError. */
export function openSocket(domain: number, type: number, protocol: number, opts: OpenSocketOptions = {}): number {
  return inNetns(opts.netns, () =>
    check(sys.socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol), 'socket', `(${domain}, ${type}, ${protocol})`),
  );
}

export function closeFd(fd: number): void {
  check(sys.close(fd), 'close');
}

function int32(value: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, value, true);
  return b;
}

/** setsockopt with an int value; returns 0 or -errno (callers decide whether to throw). */
export function trySetsockoptInt(fd: number, level: number, name: number, value: number): number {
  return sys.setsockopt(fd, level, name, int32(value));
}

export function setsockoptInt(fd: number, level: number, name: number, value: number): void {
  check(trySetsockoptInt(fd, level, name, value), 'setsockopt', `(${level}, ${name})`);
}

export function getsockoptInt(fd: number, level: number, name: number): number {
  const b = new Uint8Array(4);
  check(sys.getsockopt(fd, level, name, b), 'getsockopt', `(${level}, ${name})`);
  return new DataView(b.buffer).getInt32(0, true);
}

/**
 * Sets a buffer size, trying the privileged *FORCE option first (it ignores
 * net.core.[rw]mem_max), then the ordinary one. Returns the size the kernel reports.
 */
export function setBufferSize(fd: number, which: 'rcv' | 'snd', bytes: number): number {
  const [force, plain] = which === 'rcv' ? [SO_RCVBUFFORCE, SO_RCVBUF] : [SO_SNDBUFFORCE, SO_SNDBUF];
  if (trySetsockoptInt(fd, SOL_SOCKET, force, bytes) < 0) setsockoptInt(fd, SOL_SOCKET, plain, bytes);
  return getsockoptInt(fd, SOL_SOCKET, plain);
}

/* struct sockaddr_in6 (28 octets): family u16 host order @0, port be16 @2,
   flowinfo be32 @4, address 16 octets @8, scope_id u32 host order @24. */
export const SOCKADDR_IN6_SIZE = 28;

export interface SockaddrIn6 {
  address: Uint8Array; // 16 octets
  port: number;
  flowinfo?: number;
  scopeId?: number;
}

export function encodeSockaddrIn6(a: SockaddrIn6): Uint8Array {
  if (a.address.length !== 16) throw new TypeError('sockaddr_in6: address must be 16 octets');
  const b = new Uint8Array(SOCKADDR_IN6_SIZE);
  const v = new DataView(b.buffer);
  v.setUint16(0, AF_INET6, true);
  v.setUint16(2, a.port, false);
  v.setUint32(4, a.flowinfo ?? 0, false);
  b.set(a.address, 8);
  v.setUint32(24, a.scopeId ?? 0, true);
  return b;
}

/** Decodes a sockaddr_in6 of `len` octets; null when it is not one. */
export function decodeSockaddrIn6(b: Uint8Array, len = b.length): SockaddrIn6 | null {
  if (len < SOCKADDR_IN6_SIZE || b.length < SOCKADDR_IN6_SIZE) return null;
  const v = new DataView(b.buffer, b.byteOffset, SOCKADDR_IN6_SIZE);
  if (v.getUint16(0, true) !== AF_INET6) return null;
  return {
    address: b.slice(8, 24),
    port: v.getUint16(2, false),
    flowinfo: v.getUint32(4, false),
    scopeId: v.getUint32(24, true),
  };
}

/* struct sockaddr_nl (12 octets): family u16 @0, pad u16 @2, pid u32 @4, groups u32 @8. */
export const SOCKADDR_NL_SIZE = 12;

export function encodeSockaddrNl(pid: number, groups: number): Uint8Array {
  const b = new Uint8Array(SOCKADDR_NL_SIZE);
  const v = new DataView(b.buffer);
  v.setUint16(0, AF_NETLINK, true);
  v.setUint32(4, pid >>> 0, true);
  v.setUint32(8, groups >>> 0, true);
  return b;
}

// Interface index and hardware address by name, through ioctl(2) on a socket: the kernel
// answers for the network namespace the socket lives in, so a socket opened inside a
// namespace resolves that namespace's names without moving the thread.
//
//   struct ifreq (40 octets, x86_64): ifr_name char[16] @0 | union @16:
//     ifr_ifindex int32 host order (SIOCGIFINDEX)
//     ifr_flags int16 host order (SIOCGIFFLAGS)
//     ifr_hwaddr struct sockaddr: sa_family u16 host order @16, sa_data @18 (SIOCGIFHWADDR)
import koffi from 'koffi';
import { SyscallError } from '../platform/sys/errno.js';
import { SIOCGIFFLAGS, SIOCGIFHWADDR, SIOCGIFINDEX } from './socket-constants.js';

const IFREQ_SIZE = 40;
const IFNAMSIZ = 16;
/** ARPHRD_ETHER (linux/if_arp.h): veth, Ethernet, bridges. */
export const ARPHRD_ETHER = 1;

const libc = koffi.load('libc.so.6');
// ioctl is variadic in C; koffi passes the trailing argument with its declared type.
const ioctlFn = libc.func('int ioctl(int fd, unsigned long request, ...)') as (
  fd: number,
  request: number,
  type: string,
  arg: Uint8Array,
) => number;

function ifreq(ifname: string): Uint8Array {
  const name = Buffer.from(ifname, 'utf8');
  if (name.length === 0 || name.length >= IFNAMSIZ || name.includes(0)) {
    throw new TypeError(`interface name ${JSON.stringify(ifname)} is not 1..15 octets`);
  }
  const b = new Uint8Array(IFREQ_SIZE);
  b.set(name, 0);
  return b;
}

function ioctl(fd: number, request: number, req: Uint8Array, what: string): void {
  if (ioctlFn(fd, request, 'void *', req) < 0) throw new SyscallError('ioctl', koffi.errno(), what);
}

/** if_nametoindex in the socket's namespace; throws SyscallError (ENODEV for an unknown name). */
export function interfaceIndex(fd: number, ifname: string): number {
  const req = ifreq(ifname);
  ioctl(fd, SIOCGIFINDEX, req, `SIOCGIFINDEX ${ifname}`);
  return new DataView(req.buffer).getInt32(16, true);
}

/** IFF_UP and IFF_RUNNING (linux/if.h): administratively up, and operationally up (carrier). */
export const IFF_UP = 0x1;
export const IFF_RUNNING = 0x40;

/** The interface's IFF_* flags (the 16 bits SIOCGIFFLAGS reports). */
export function interfaceFlags(fd: number, ifname: string): number {
  const req = ifreq(ifname);
  ioctl(fd, SIOCGIFFLAGS, req, `SIOCGIFFLAGS ${ifname}`);
  return new DataView(req.buffer).getUint16(16, true);
}

export interface HardwareAddress {
  /** ARPHRD_* type of the interface. */
  family: number;
  /** The first 6 octets of sa_data: the MAC address for ARPHRD_ETHER. */
  address: Uint8Array;
}

export function hardwareAddress(fd: number, ifname: string): HardwareAddress {
  const req = ifreq(ifname);
  ioctl(fd, SIOCGIFHWADDR, req, `SIOCGIFHWADDR ${ifname}`);
  return { family: new DataView(req.buffer).getUint16(16, true), address: req.slice(18, 24) };
}

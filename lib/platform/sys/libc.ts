// libc bindings through koffi. Every wrapper returns the call's result, or -errno
// when the call failed, so hot paths (send/recv until EAGAIN) never pay for a
// throw; `check` turns a negative result into a SyscallError where that is wanted.
// Pointer arguments are Uint8Arrays: koffi passes their memory in place.
import koffi from 'koffi';
import { SyscallError } from './errno.js';

const libc = koffi.load('libc.so.6');

type Fn = (...args: unknown[]) => number | bigint;
const f = (decl: string): Fn => libc.func(decl) as Fn;

const c = {
  socket: f('int socket(int domain, int type, int protocol)'),
  close: f('int close(int fd)'),
  bind: f('int bind(int fd, void *addr, uint32_t addrlen)'),
  connect: f('int connect(int fd, void *addr, uint32_t addrlen)'),
  getsockname: f('int getsockname(int fd, void *addr, void *addrlen)'),
  setsockopt: f('int setsockopt(int fd, int level, int name, void *val, uint32_t len)'),
  getsockopt: f('int getsockopt(int fd, int level, int name, void *val, void *len)'),
  send: f('intptr_t send(int fd, void *buf, size_t len, int flags)'),
  recv: f('intptr_t recv(int fd, void *buf, size_t len, int flags)'),
  sendmsg: f('intptr_t sendmsg(int fd, void *msg, int flags)'),
  recvmsg: f('intptr_t recvmsg(int fd, void *msg, int flags)'),
  recvmmsg: f('int recvmmsg(int fd, void *msgvec, unsigned int vlen, int flags, void *timeout)'),
  sendmmsg: f('int sendmmsg(int fd, void *msgvec, unsigned int vlen, int flags)'),
  setns: f('int setns(int fd, int nstype)'),
  flock: f('int flock(int fd, int operation)'),
};

function ret(r: number | bigint): number {
  const n = Number(r);
  return n < 0 ? -koffi.errno() : n;
}

/** The address of a typed array's first byte, for pointers stored inside structs. */
export function addressOf(b: Uint8Array): bigint {
  return koffi.address(b);
}

export const sys = {
  socket: (domain: number, type: number, protocol: number): number => ret(c.socket(domain, type, protocol)),
  close: (fd: number): number => ret(c.close(fd)),
  bind: (fd: number, addr: Uint8Array): number => ret(c.bind(fd, addr, addr.length)),
  connect: (fd: number, addr: Uint8Array): number => ret(c.connect(fd, addr, addr.length)),
  /** Fills `addr`; returns the address length the kernel reported, or -errno. */
  getsockname(fd: number, addr: Uint8Array): number {
    const len = new Uint32Array([addr.length]);
    const r = ret(c.getsockname(fd, addr, len));
    return r < 0 ? r : len[0]!;
  },
  setsockopt: (fd: number, level: number, name: number, val: Uint8Array): number =>
    ret(c.setsockopt(fd, level, name, val, val.length)),
  /** Fills `val`; returns the option length, or -errno. */
  getsockopt(fd: number, level: number, name: number, val: Uint8Array): number {
    const len = new Uint32Array([val.length]);
    const r = ret(c.getsockopt(fd, level, name, val, len));
    return r < 0 ? r : len[0]!;
  },
  send: (fd: number, buf: Uint8Array, len: number, flags: number): number => ret(c.send(fd, buf, len, flags)),
  recv: (fd: number, buf: Uint8Array, len: number, flags: number): number => ret(c.recv(fd, buf, len, flags)),
  /** `msghdr` is a struct msghdr whose pointers refer to memory kept alive by the caller. */
  sendmsg: (fd: number, msghdr: Uint8Array, flags: number): number => ret(c.sendmsg(fd, msghdr, flags)),
  recvmsg: (fd: number, msghdr: Uint8Array, flags: number): number => ret(c.recvmsg(fd, msghdr, flags)),
  /** `msgvec` holds `vlen` struct mmsghdr; no timeout (the sockets are non-blocking). */
  recvmmsg: (fd: number, msgvec: Uint8Array, vlen: number, flags: number): number => ret(c.recvmmsg(fd, msgvec, vlen, flags, null)),
  /** `msgvec` holds `vlen` struct mmsghdr; returns how many were sent (msg_len filled in each), or -errno. */
  sendmmsg: (fd: number, msgvec: Uint8Array, vlen: number, flags: number): number => ret(c.sendmmsg(fd, msgvec, vlen, flags)),
  setns: (fd: number, nstype: number): number => ret(c.setns(fd, nstype)),
  /** `operation`: LOCK_SH/LOCK_EX/LOCK_UN, optionally | LOCK_NB (see flock.ts). */
  flock: (fd: number, operation: number): number => ret(c.flock(fd, operation)),
};

/** Returns `r` when it is not negative, else throws SyscallError(-r). */
export function check(r: number, syscall: string, detail?: string): number {
  if (r < 0) throw new SyscallError(syscall, -r, detail);
  return r;
}

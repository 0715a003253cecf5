// errno numbers and names, and the error thrown by a failing system call.
// Numbers come from Node's own table (os.constants.errno), names from libuv
// (util.getSystemErrorName), so nothing here is a hand-kept copy of <errno.h>.
import os from 'node:os';
import util from 'node:util';

const E = os.constants.errno;

/** The errno values this project reacts to by name (Linux numbers). */
export const Errno = {
  EPERM: E.EPERM,
  ENOENT: E.ENOENT,
  ESRCH: E.ESRCH,
  EINTR: E.EINTR,
  EBADF: E.EBADF,
  EAGAIN: E.EAGAIN,
  ENOMEM: E.ENOMEM,
  EBUSY: E.EBUSY,
  EEXIST: E.EEXIST,
  ENODEV: E.ENODEV,
  EINVAL: E.EINVAL,
  ENOSYS: E.ENOSYS,
  EMSGSIZE: E.EMSGSIZE,
  EPROTONOSUPPORT: E.EPROTONOSUPPORT,
  EOPNOTSUPP: E.EOPNOTSUPP,
  EAFNOSUPPORT: E.EAFNOSUPPORT,
  ENETUNREACH: E.ENETUNREACH,
  ENOBUFS: E.ENOBUFS,
  ECANCELED: E.ECANCELED,
} as const;

/** Linux errno numbers end at 133 (EHWPOISON); libuv gives its own codes beyond. */
const LAST_LINUX_ERRNO = 133;

/** 'EEXIST' for 17; 'E<n>' for a number that is not a Linux errno. Takes a positive errno. */
export function errnoName(errno: number): string {
  const n = Math.abs(errno);
  if (n < 1 || n > LAST_LINUX_ERRNO) return `E${n}`;
  const name = util.getSystemErrorName(-n);
  return name.startsWith('Unknown') ? `E${n}` : name;
}

/** A failed system call: `errno` positive, `code` its name, `syscall` what was called. */
export class SyscallError extends Error {
  readonly errno: number;
  readonly code: string;
  readonly syscall: string;

  constructor(syscall: string, errno: number, detail?: string) {
    const code = errnoName(errno);
    super(`${syscall}${detail ? ` ${detail}` : ''}: ${code}`);
    this.name = 'SyscallError';
    this.errno = errno;
    this.code = code;
    this.syscall = syscall;
  }
}

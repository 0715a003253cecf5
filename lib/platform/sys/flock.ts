// flock(2): advisory whole-file locks. The kernel drops the lock when the last descriptor
// of the open file description closes, so a killed holder never leaves a stale lock.
import { Errno } from './errno.js';
import { check, sys } from './libc.js';

// <sys/file.h>
export const LOCK_SH = 1;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;

/**
 * `flock(fd, LOCK_EX | LOCK_NB)`: true when this descriptor now holds the exclusive lock,
 * false when another open file description holds it; other errors throw SyscallError.
 */
export function tryLockExclusive(fd: number): boolean {
  for (;;) {
    const r = sys.flock(fd, LOCK_EX | LOCK_NB);
    if (r === -Errno.EAGAIN) return false; // EWOULDBLOCK is EAGAIN on Linux
    if (r === -Errno.EINTR) continue;
    check(r, 'flock', `(${fd}, LOCK_EX|LOCK_NB)`);
    return true;
  }
}

// One daemon per state directory: an exclusive flock on DIR/mcoad.lock, taken before the
// journal, sysctls or the kernel are touched. The file holds the holder's pid so the
// refusal can name it. The lock is never unlinked: removing a lock file that another
// process may already have open lets two processes "hold" two different files.
import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { tryLockExclusive } from '../../platform/sys/flock.js';
import { SyscallError } from '../../platform/sys/errno.js';
import type { StartGuard } from './shell.js';

export const LOCK_FILE_NAME = 'mcoad.lock';

/** Another process holds the directory's lock. */
export class StateDirectoryLocked extends Error {
  override name = 'StateDirectoryLocked';
  constructor(
    readonly directory: string,
    /** The holder's pid as written in the lock file; null while it has not written it yet. */
    readonly pid: number | null,
  ) {
    super(`another mcoad (pid ${pid ?? '?'}) holds ${directory}`);
  }
}

/** The state directory cannot be used (missing, not writable, read-only, full). */
export class StateDirectoryError extends Error {
  override name = 'StateDirectoryError';
  constructor(
    readonly directory: string,
    /** errno name, e.g. 'EROFS'. */
    readonly code: string,
    doing: string,
  ) {
    super(`${doing} in ${directory}: ${code}: ${advice(code)} (configuration key state_directory)`);
  }
}

function advice(code: string): string {
  switch (code) {
    case 'EROFS':
      return 'the file system is read-only; choose a writable directory';
    case 'EACCES':
    case 'EPERM':
      return 'not writable by this user; run as root or via systemd/mcoad.service (StateDirectory=mcoad)';
    case 'ENOSPC':
    case 'EDQUOT':
      return 'no space left to write state; free some or choose another directory';
    case 'ENOTDIR':
      return 'a path component is not a directory';
    default:
      return 'check that the directory exists and is writable';
  }
}

function codeOf(err: unknown): string {
  if (err instanceof SyscallError) return err.code;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : 'EIO';
}

/** The pid a holder wrote, or null when the file is empty, torn or unreadable. */
function readHolderPid(path: string): number | null {
  try {
    const text = readFileSync(path, 'utf8').trim();
    return /^[1-9][0-9]*$/.test(text) ? Number(text) : null;
  } catch {
    return null;
  }
}

export class StateLock {
  private fd: number | null;

  private constructor(
    readonly directory: string,
    readonly path: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  /**
   * Creates the directory when missing (mode 0700, as the store does), takes the lock
   * without waiting and writes `pid` into the lock file. Throws StateDirectoryLocked when
   * another process holds it, StateDirectoryError when the directory cannot be used.
   */
  static acquire(directory: string, pid = process.pid): StateLock {
    const path = join(directory, LOCK_FILE_NAME);
    let fd: number;
    try {
      mkdirSync(directory, { recursive: true, mode: 0o700 });
      fd = openSync(path, 'a+', 0o600); // O_APPEND|O_CREAT|O_RDWR (O_CLOEXEC: libuv adds it)
    } catch (err) {
      throw new StateDirectoryError(directory, codeOf(err), `opening the lock file ${LOCK_FILE_NAME}`);
    }
    let locked: boolean;
    try {
      locked = tryLockExclusive(fd);
    } catch (err) {
      closeSync(fd);
      throw new StateDirectoryError(directory, codeOf(err), `locking ${LOCK_FILE_NAME}`);
    }
    if (!locked) {
      closeSync(fd);
      throw new StateDirectoryLocked(directory, readHolderPid(path));
    }
    try {
      ftruncateSync(fd, 0);
      writeSync(fd, `${pid}\n`);
    } catch (err) {
      closeSync(fd); // drops the lock
      throw new StateDirectoryError(directory, codeOf(err), `writing the pid to ${LOCK_FILE_NAME}`);
    }
    return new StateLock(directory, path, fd);
  }

  get held(): boolean {
    return this.fd !== null;
  }

  /** Empties the file (no stale pid) and closes it, which drops the lock. Idempotent. */
  release(): void {
    const fd = this.fd;
    if (fd === null) return;
    this.fd = null;
    try {
      ftruncateSync(fd, 0);
    } finally {
      closeSync(fd);
    }
  }
}

/** The lock as the first start guard: held while the daemon runs, released last at stop. */
export function stateLockGuard(pid = process.pid): StartGuard {
  return {
    name: 'state directory lock',
    acquire(cfg) {
      const lock = StateLock.acquire(cfg.stateDirectory, pid);
      return Promise.resolve(() => lock.release());
    },
  };
}

// The control socket's file: refusing to start over a live daemon, removing a stale file
// left by a crash, and creating the socket with its owner group and mode without a window
// in which anyone else could connect.
import { connect, type Server } from 'node:net';
import { chmod, chown, lstat, mkdir, mkdtemp, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** sun_path holds 108 octets including the terminating NUL. */
const SUN_PATH_MAX = 107;

export class SocketInUseError extends Error {
  readonly code = 'EADDRINUSE';
  override name = 'SocketInUseError';
}

/** Whether something accepts connections at `path` (a live daemon). */
function answers(path: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    const done = (v: boolean | Error) => {
      clearTimeout(timer);
      s.destroy();
      if (v instanceof Error) reject(v);
      else resolve(v);
    };
    // A daemon that accepts but is too busy to answer still owns the socket.
    const timer = setTimeout(() => done(true), timeoutMs);
    s.once('connect', () => done(true));
    s.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNREFUSED' || e.code === 'ENOENT') done(false);
      else done(e);
    });
  });
}

/** Removes a socket file nobody answers on; refuses a live socket or a non-socket file. */
export async function clearStaleSocket(path: string): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (!st.isSocket()) throw new SocketInUseError(`${path} exists and is not a socket; not removing it`);
  if (await answers(path, 1000)) throw new SocketInUseError(`another mcoad is answering on ${path}`);
  await unlink(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
}

/** A bound socket not yet at its path: publish() puts it there, discard() removes it. */
export interface BoundSocket {
  /** Renames the socket to its path, where it appears complete; returns its inode. */
  publish(): Promise<number>;
  /** Removes the private copy (a start that failed before publishing). */
  discard(): Promise<void>;
}

/**
 * Binds `server` inside a fresh 0700 directory beside `path`, where nobody else can connect
 * to it or swap the file under chown/chmod, and gives it `gid` and `mode`. Nothing appears
 * at `path` until publish(): a daemon binds first, so a group or permission problem stops it
 * before it changes anything, and publishes once it serves. The rename also keeps libuv,
 * which unlinks a pipe's bound name when the server closes, away from `path`: a newer
 * daemon's socket there survives this one's close.
 */
export async function bindPrivately(server: Server, path: string, mode: number, gid: number | null): Promise<BoundSocket> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const privateDir = await mkdtemp(join(dir, '.mcoad-'));
  const removeDir = () => rm(privateDir, { recursive: true, force: true });
  try {
    const temp = join(privateDir, 's');
    // A path too long for sun_path with the detour: bind in place, 0600 from the start.
    const bindAt = Buffer.byteLength(temp) <= SUN_PATH_MAX ? temp : path;
    await bind(server, bindAt, bindAt === path ? 0o177 : null);
    if (gid !== null) await chown(bindAt, -1, gid);
    await chmod(bindAt, mode);
    if (bindAt === path) await removeDir();
    return {
      publish: async () => {
        if (bindAt !== path) await rename(bindAt, path).finally(removeDir);
        return (await stat(path)).ino;
      },
      discard: removeDir,
    };
  } catch (err) {
    await removeDir();
    throw err;
  }
}

/** bindPrivately and publish at once. Returns the socket file's inode. */
export async function listenOnFile(server: Server, path: string, mode: number, gid: number | null): Promise<number> {
  return (await bindPrivately(server, path, mode, gid)).publish();
}

/** server.listen(path); bind(2) runs inside the call, so a umask set around it applies. */
function bind(server: Server, path: string, umask: number | null): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    server.once('error', onError);
    const old = umask === null ? null : process.umask(umask);
    try {
      server.listen(path, () => {
        server.off('error', onError);
        resolve();
      });
    } finally {
      if (old !== null) process.umask(old);
    }
  });
}

/** Unlinks `path` if it is still the socket file with inode `ino`. */
export async function removeSocketFile(path: string, ino: number): Promise<void> {
  try {
    if ((await lstat(path)).ino === ino) await unlink(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

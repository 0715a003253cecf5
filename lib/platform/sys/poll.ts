// Readiness of a file descriptor on Node's own event loop.
// koffi 3 ships a libuv poll handle (koffi.node.poll): the callback runs on the
// main thread, and close() stops the handle and frees it from uv_close's close
// callback, so no memory is released while libuv still uses it. We keep the
// handle object referenced until close(), which keeps the GC from finalising it.
import koffi from 'koffi';

interface PollEvents {
  readable: boolean;
  writable: boolean;
  disconnect: boolean;
}
interface PollHandle {
  start(opts: { readable: boolean }, cb: NativePollCallback): void;
  close(): void;
  ref(): void;
  unref(): void;
}
// koffi's typings say the callback gets (events); its native code calls it with
// (status, events), status being 0 or a negative libuv error.
type NativePollCallback = (status: number, events: PollEvents) => void;
type PollFn = (fd: number, opts: { readable: boolean }, cb: NativePollCallback) => PollHandle | null;

export interface FdWatchHandlers {
  /** The descriptor is readable (or has a pending error): drain it until EAGAIN. */
  readable(): void;
  /** The watch could not be restarted after an error and has stopped (status: negative errno). */
  error?(status: number): void;
}

/** Watches one descriptor for readability until close(). */
export class FdWatch {
  private handle: PollHandle | null;
  private referenced = true;

  constructor(
    readonly fd: number,
    handlers: FdWatchHandlers,
  ) {
    const poll = koffi.node.poll as unknown as PollFn;
    const cb: NativePollCallback = (status, events) => {
      // An exception escaping here would surface as an uncaught exception from
      // native code; handlers are required not to throw, and we make sure.
      try {
        if (status < 0) {
          // A pending socket error (e.g. ENOBUFS after a netlink overrun) shows as
          // POLLERR, and libuv then stops the handle and reports UV_EBADF. Start it
          // again and drain: the next recv returns (and clears) the error.
          try {
            this.handle?.start({ readable: true }, cb);
          } catch {
            this.close();
            handlers.error?.(status);
          }
          handlers.readable();
        } else if (events.readable || events.disconnect) {
          handlers.readable();
        }
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    };
    const h = poll(fd, { readable: true }, cb);
    if (!h) throw new Error(`uv_poll could not watch fd ${fd}`);
    this.handle = h;
  }

  get closed(): boolean {
    return this.handle === null;
  }

  /** Lets the process exit while only this watch is active (uv_unref). */
  unref(): void {
    if (this.handle && this.referenced) {
      this.handle.unref();
      this.referenced = false;
    }
  }

  /** Keeps the process alive while this watch is active (uv_ref). */
  ref(): void {
    if (this.handle && !this.referenced) {
      this.handle.ref();
      this.referenced = true;
    }
  }

  /** Stops watching; the descriptor itself is not closed (close it after this). */
  close(): void {
    const h = this.handle;
    this.handle = null;
    h?.close();
  }
}

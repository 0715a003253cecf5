// systemd's readiness protocol (sd_notify(3)): newline-separated KEY=VALUE assignments in
// one datagram to the AF_UNIX socket named by $NOTIFY_SOCKET, sent over the project's own
// socket layer (no native addon). Each message opens, sends and closes its own socket, as
// libsystemd does, so a restarted manager (daemon-reexec) is reached at its new socket.
import { Errno, SyscallError } from '../../platform/sys/errno.js';
import { sys } from '../../platform/sys/libc.js';
import { AF_UNIX, encodeSockaddrUn } from '../../platform/sys/sockaddr-un.js';
import { closeFd, openSocket, SOCK_DGRAM } from '../../platform/sys/socket.js';

export type NotifyFields = Readonly<Record<string, string | number>>;

/** "KEY=VALUE\n..." with newlines inside values flattened (a STATUS= must stay one line). */
export function formatNotify(fields: NotifyFields): string {
  return Object.entries(fields)
    .map(([k, v]) => {
      if (!/^[A-Z][A-Z0-9_]*$/.test(k)) throw new TypeError(`sd_notify: bad key ${JSON.stringify(k)}`);
      return `${k}=${String(v).replace(/[\r\n]+/g, ' ')}`;
    })
    .join('\n');
}

/** CLOCK_MONOTONIC in microseconds (libuv's hrtime reads that clock), for RELOADING=1. */
function monotonicUsec(): bigint {
  return process.hrtime.bigint() / 1000n;
}

export class SdNotifier {
  private readonly address: Uint8Array;

  /** `socketName`: a path, or '@name' for an abstract socket. */
  constructor(readonly socketName: string) {
    this.address = encodeSockaddrUn(socketName);
  }

  /**
   * The notifier for $NOTIFY_SOCKET, or null when it is unset (not started by systemd with
   * Type=notify). Throws for addresses this implementation cannot reach (vsock:).
   */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): SdNotifier | null {
    const name = env.NOTIFY_SOCKET;
    if (name === undefined || name === '') return null;
    if (!name.startsWith('/') && !name.startsWith('@')) {
      throw new TypeError(`NOTIFY_SOCKET=${name}: only a path or an @abstract name is supported`);
    }
    return new SdNotifier(name);
  }

  /**
   * Sends one message; returns null, or the error (ECONNREFUSED: nobody listens, EAGAIN:
   * the manager's queue is full). Never throws for a failed send: readiness is advisory,
   * and the caller decides whether to log it.
   */
  send(fields: NotifyFields): SyscallError | null {
    const payload = new TextEncoder().encode(formatNotify(fields));
    let fd: number;
    try {
      fd = openSocket(AF_UNIX, SOCK_DGRAM, 0);
    } catch (err) {
      return err as SyscallError;
    }
    try {
      const c = sys.connect(fd, this.address);
      if (c < 0) return new SyscallError('connect', -c, this.socketName);
      const r = sys.send(fd, payload, payload.length, 0);
      if (r < 0) return new SyscallError('send', -r, this.socketName);
      if (r !== payload.length) return new SyscallError('send', Errno.EMSGSIZE, this.socketName);
      return null;
    } finally {
      closeFd(fd);
    }
  }

  /** READY=1 (with a STATUS= line when given): the control socket listens, the first pass is done. */
  ready(status?: string): SyscallError | null {
    return this.send(status === undefined ? { READY: 1 } : { READY: 1, STATUS: status });
  }

  /** RELOADING=1 before a reload; send ready() when it is done. */
  reloading(status?: string): SyscallError | null {
    const fields = { RELOADING: 1, MONOTONIC_USEC: monotonicUsec().toString() };
    return this.send(status === undefined ? fields : { ...fields, STATUS: status });
  }

  stopping(status?: string): SyscallError | null {
    return this.send(status === undefined ? { STOPPING: 1 } : { STOPPING: 1, STATUS: status });
  }

  status(text: string): SyscallError | null {
    return this.send({ STATUS: text });
  }

  watchdog(): SyscallError | null {
    return this.send({ WATCHDOG: 1 });
  }

  /** EXTEND_TIMEOUT_USEC: the start may take `usec` more microseconds (until the next one). */
  extendTimeout(usec: number): SyscallError | null {
    return this.send({ EXTEND_TIMEOUT_USEC: Math.max(1, Math.round(usec)) });
  }
}

/**
 * The watchdog ping interval in milliseconds, half of $WATCHDOG_USEC as sd_watchdog_enabled(3)
 * advises; null when the watchdog is off or meant for another process ($WATCHDOG_PID).
 */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv = process.env, pid = process.pid): number | null {
  const usec = env.WATCHDOG_USEC;
  if (usec === undefined || !/^[1-9][0-9]*$/.test(usec)) return null;
  const forPid = env.WATCHDOG_PID;
  if (forPid !== undefined && forPid !== '' && forPid !== String(pid)) return null;
  return Math.max(1, Math.floor(Number(usec) / 2000));
}

export interface Watchdog {
  stop(): void;
}

/**
 * Pings WATCHDOG=1 every `intervalMs` from a timer on the event loop: a loop blocked for
 * longer than WatchdogSec= stops the pings and systemd restarts the daemon. The timer is
 * unref'd (it never keeps a stopping process alive). `onError` sees failed sends.
 */
export function startWatchdog(notifier: SdNotifier, intervalMs: number, onError?: (err: SyscallError) => void): Watchdog {
  return every(intervalMs, () => notifier.watchdog(), onError);
}

/** How often a start in progress asks for more time, and how much each time asks for. */
export const START_EXTEND_INTERVAL_MS = 10_000;
export const START_EXTEND_USEC = 30_000_000;

/**
 * While the daemon starts: EXTEND_TIMEOUT_USEC every `intervalMs` from the event loop, so
 * adopting a large journal and kernel state (minutes at 100,000 bindings) is not killed by
 * TimeoutStartSec= while it makes progress, and a start stuck in a blocked loop still is
 * (the extension runs out `extendUsec` after the last ping). Stop it at READY=1.
 */
export function extendStart(notifier: SdNotifier, intervalMs = START_EXTEND_INTERVAL_MS, extendUsec = START_EXTEND_USEC, onError?: (err: SyscallError) => void): Watchdog {
  return every(intervalMs, () => notifier.extendTimeout(extendUsec), onError);
}

/** Sends at once, then every `intervalMs` from an unref'd timer (it never keeps a stopping process alive). */
function every(intervalMs: number, send: () => SyscallError | null, onError?: (err: SyscallError) => void): Watchdog {
  const ping = (): void => {
    const err = send();
    if (err && onError) onError(err);
  };
  ping();
  const timer = setInterval(ping, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** What the notify listeners need from the rest of the daemon. */
export interface NotifySources {
  /** The shell's status line (bindings). */
  status(): Promise<string>;
  /** The last error the daemon logged, if any. */
  lastError(): string | undefined;
  /** Told about a failed send (logged once by the caller). */
  onSendError?(err: SyscallError): void;
}

/** STATUS= refreshed this often while serving (bindings change; systemctl status shows it). */
export const STATUS_INTERVAL_MS = 30_000;

/**
 * The shell's listeners speaking sd_notify: READY=1 once serving (the control socket
 * listens and the first kernel pass is done), RELOADING=1 and READY=1 around a reload,
 * STOPPING=1, and a STATUS= line with the bindings and the last error at each of them and
 * every STATUS_INTERVAL_MS in between.
 */
export function notifyListeners(notifier: SdNotifier, src: NotifySources): {
  serving(): void;
  reloading(): void;
  reloaded(): void;
  stopping(): void;
} {
  let timer: NodeJS.Timeout | undefined;
  // One queue: READY=1 (which waits for the status) goes out before a RELOADING=1 that follows it.
  let queue: Promise<void> = Promise.resolve();
  const enqueue = (send: () => Promise<SyscallError | null> | SyscallError | null): void => {
    queue = queue
      .then(send)
      .then((err) => (err ? src.onSendError?.(err) : undefined))
      .catch(() => undefined);
  };
  const statusText = async (): Promise<string> => {
    const last = src.lastError();
    const status = await src.status().catch(() => 'serving');
    return `${status}${last === undefined ? '' : `; last error: ${last}`}`;
  };
  return {
    serving() {
      enqueue(async () => notifier.ready(await statusText()));
      timer = setInterval(() => enqueue(async () => notifier.status(await statusText())), STATUS_INTERVAL_MS);
      timer.unref();
    },
    reloading: () => enqueue(() => notifier.reloading('reloading the configuration')),
    reloaded: () => enqueue(async () => notifier.ready(await statusText())),
    stopping() {
      if (timer) clearInterval(timer);
      enqueue(() => notifier.stopping('stopping'));
    },
  };
}

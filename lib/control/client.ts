// mcoactl's end of the control socket: one connection, requests matched to responses by
// id, and a monitor mode that hands each event to a callback.
import { connect, type Socket } from 'node:net';
import { LineSplitter } from './lines.js';
import type { CommandName, Commands, ErrorBody, MonitorEvent, Response } from './protocol.js';

/** Responses can be large (every binding); this only stops a runaway peer. */
const MAX_RESPONSE_BYTES = 256 << 20;

/** The daemon is not there (ENOENT, ECONNREFUSED), not ours to use (EACCES), or silent. */
export class DaemonUnreachableError extends Error {
  constructor(
    readonly path: string,
    readonly code: string,
  ) {
    super(`cannot reach mcoad at ${path}: ${UNREACHABLE_TEXT[code] ?? code}`);
    this.name = 'DaemonUnreachableError';
  }
}

const UNREACHABLE_TEXT: Record<string, string> = {
  ENOENT: 'no such socket (is mcoad running?)',
  ECONNREFUSED: 'connection refused (is mcoad running?)',
  EACCES: 'permission denied (run as root or as a member of the socket\'s group)',
  ENOTSOCK: 'not a socket',
  ETIMEDOUT: 'no answer (is mcoad stuck?)',
};

/** The connection ended before the answer came (the daemon stopped or crashed). */
export class ConnectionLostError extends Error {
  constructor(
    readonly path: string,
    readonly code: string,
  ) {
    super(`lost the connection to mcoad at ${path}${code === 'EOF' ? '' : ` (${code})`}`);
    this.name = 'ConnectionLostError';
  }
}

/** The daemon answered with an error response. */
export class ControlRequestError extends Error {
  readonly code: string;
  constructor(body: ErrorBody) {
    super(body.message);
    this.code = body.code;
    this.name = 'ControlRequestError';
  }
}

/** Any line the daemon sends, before it is known to be a response or an event. */
interface WireMessage {
  id?: Response['id'];
  ok?: boolean;
  result?: unknown;
  error?: ErrorBody;
  event?: MonitorEvent;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

export class ControlClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private onEvent: ((e: MonitorEvent) => void) | null = null;
  private closedError: Error | null = null;
  private readonly ended: Promise<void>;

  private constructor(
    private readonly socket: Socket,
    readonly path: string,
    private readonly timeoutMs: number,
  ) {
    const splitter = new LineSplitter(MAX_RESPONSE_BYTES);
    socket.on('data', (chunk: Buffer) => {
      const lines = splitter.push(chunk);
      if (lines === 'overflow') return this.fail(new Error('response too large'));
      for (const l of lines) this.receive(l);
    });
    this.ended = new Promise((resolve) => {
      socket.on('close', () => {
        this.fail(new ConnectionLostError(path, 'EOF'));
        resolve();
      });
    });
    socket.on('error', (e: NodeJS.ErrnoException) => this.fail(new ConnectionLostError(path, e.code ?? e.message)));
  }

  static connect(path: string, opts: { timeoutMs?: number } = {}): Promise<ControlClient> {
    const timeoutMs = opts.timeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const s = connect(path);
      const timer = setTimeout(() => {
        s.destroy();
        reject(new DaemonUnreachableError(path, 'ETIMEDOUT'));
      }, timeoutMs);
      s.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new DaemonUnreachableError(path, e.code ?? e.message));
      });
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(new ControlClient(s, path, timeoutMs));
      });
    });
  }

  /** Sends one command; resolves with its result or rejects with ControlRequestError. */
  request<C extends CommandName>(cmd: C, args?: Commands[C]['args']): Promise<Commands[C]['result']>;
  request(cmd: string, args?: Record<string, unknown>): Promise<unknown>;
  request(cmd: string, args: Record<string, unknown> = {}): Promise<unknown> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new DaemonUnreachableError(this.path, 'ETIMEDOUT'));
      }, this.timeoutMs);
      const done = <T>(f: (v: T) => void) => (v: T) => {
        clearTimeout(timer);
        f(v);
      };
      this.pending.set(id, { resolve: done(resolve), reject: done(reject) });
      this.socket.write(JSON.stringify({ id, cmd, args }) + '\n');
    });
  }

  /** Turns the connection into an event stream; resolves when the connection ends. `subscribed` runs once the daemon confirmed. */
  async monitor(onEvent: (e: MonitorEvent) => void, subscribed?: () => void): Promise<void> {
    this.onEvent = onEvent;
    await this.request('monitor');
    // From here on no event is missed: a caller may now cause the events it wants to see.
    subscribed?.();
    await this.ended;
    // The daemon ending the stream with an error (MONITOR_TOO_SLOW) is worth telling.
    if (this.closedError instanceof ControlRequestError) throw this.closedError;
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }

  private receive(line: string): void {
    let msg: WireMessage;
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      return this.fail(new Error('mcoad sent a line that is not JSON'));
    }
    if (msg.event !== undefined) {
      this.onEvent?.(msg.event);
      return;
    }
    const waiter = typeof msg.id === 'number' ? this.pending.get(msg.id) : undefined;
    if (!waiter) {
      // id null: the daemon refused the connection or the stream (TOO_MANY_CLIENTS, MONITOR_TOO_SLOW).
      if (msg.ok === false && msg.error) this.fail(new ControlRequestError(msg.error));
      return;
    }
    this.pending.delete(msg.id as number);
    if (msg.ok === true) waiter.resolve(msg.result);
    else waiter.reject(new ControlRequestError(msg.error ?? { code: 'BAD_RESPONSE', message: 'malformed response' }));
  }

  private fail(e: Error): void {
    this.closedError ??= e;
    for (const p of this.pending.values()) p.reject(this.closedError);
    this.pending.clear();
    if (!this.socket.destroyed) this.socket.destroy();
  }
}

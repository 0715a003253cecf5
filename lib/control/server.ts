// mcoad's end of the control socket. Requests on one connection run one after another
// and are answered in order; garbage gets an error response and the connection stays
// usable, except for a line over the size limit, after which it is closed. Nothing a
// client sends can throw out of here. A monitor connection also receives every broadcast
// event; one that stops reading is dropped rather than buffered without bound.
import { createServer, type Server, type Socket } from 'node:net';
import { LineSplitter } from './lines.js';
import { resolveGroup } from './group.js';
import { bindPrivately, clearStaleSocket, removeSocketFile, type BoundSocket } from './socket-file.js';
import { ErrorCode, MAX_REQUEST_BYTES, type ErrorBody, type RequestId, type Response } from './protocol.js';

const MAX_QUEUED_PER_CLIENT = 64;
const SLOW_MONITOR_GRACE_MS = 5000;

export type Handler = (args: Record<string, unknown>) => Promise<unknown> | unknown;

/** Thrown by handlers for an error response with a stable code. */
export class ControlError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ControlError';
  }
}

export interface ListenOptions {
  /** Permission bits of the socket file (default 0660). */
  mode?: number;
  /** Group owning the socket file: name or gid; the owner stays the daemon's user. */
  group?: string | number | null;
}

export interface ControlServerOptions {
  maxRequestBytes?: number;
  /** Output a monitor client may leave unread before it is dropped (default 1 MiB). */
  maxMonitorBacklogBytes?: number;
  maxClients?: number;
  /** Told about a handler's unexpected error (the client gets INTERNAL). */
  onHandlerError?: (cmd: string, e: unknown) => void;
}

export class ControlServer {
  private readonly handlers = new Map<string, Handler>();
  private readonly clients = new Set<Socket>();
  private readonly monitors = new Set<Socket>();
  private readonly server: Server;
  private socketFile: { path: string; ino: number } | null = null;
  private bound: { path: string; socket: BoundSocket } | null = null;

  constructor(private readonly options: ControlServerOptions = {}) {
    this.server = createServer((s) => this.accept(s));
  }

  register(cmd: string, handler: Handler): void {
    if (cmd === 'monitor') throw new Error('monitor is built into the control server');
    this.handlers.set(cmd, handler);
  }

  get clientCount(): number {
    return this.clients.size;
  }

  get monitorCount(): number {
    return this.monitors.size;
  }

  /** Creates the socket file; refuses if a daemon answers on `path`, removes it if stale. */
  async listen(path: string, opts: ListenOptions = {}): Promise<void> {
    await this.bind(path, opts);
    await this.publish();
  }

  /**
   * The first half of listen(): refuses if a daemon answers on `path`, removes a stale file,
   * and binds with the group and mode; nothing appears at `path` until publish().
   */
  async bind(path: string, opts: ListenOptions = {}): Promise<void> {
    await clearStaleSocket(path);
    const gid = opts.group === undefined || opts.group === null ? null : await resolveGroup(opts.group);
    this.bound = { path, socket: await bindPrivately(this.server, path, opts.mode ?? 0o660, gid) };
  }

  /** Puts the socket bound by bind() at its path: clients can connect from now on. */
  async publish(): Promise<void> {
    if (!this.bound) throw new Error('control socket: publish() before bind()');
    const { path, socket } = this.bound;
    this.bound = null;
    this.socketFile = { path, ino: await socket.publish() };
  }

  /** Sends `{"event": event}` to every monitor client. */
  broadcast(event: unknown): void {
    if (this.monitors.size === 0) return;
    const line = JSON.stringify({ event }) + '\n';
    const limit = this.options.maxMonitorBacklogBytes ?? 1 << 20;
    for (const s of this.monitors) {
      if (s.writableLength > limit) {
        // The reason goes after the backlog; the connection ends once the client reads
        // it, or after a grace period if it never does.
        this.monitors.delete(s);
        this.send(s, { id: null, ok: false, error: { code: ErrorCode.MONITOR_TOO_SLOW, message: 'events were not read fast enough' } });
        s.end();
        setTimeout(() => s.destroy(), SLOW_MONITOR_GRACE_MS).unref();
      } else {
        s.write(line);
      }
    }
  }

  /** Stops listening, closes every connection, removes the socket file it created. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.clients) s.destroy();
    await closed;
    await this.bound?.socket.discard();
    this.bound = null;
    if (this.socketFile) await removeSocketFile(this.socketFile.path, this.socketFile.ino);
    this.socketFile = null;
  }

  private accept(s: Socket): void {
    s.on('error', () => this.drop(s)); // EPIPE, ECONNRESET: the client went away
    s.on('close', () => this.drop(s));
    if (this.clients.size >= (this.options.maxClients ?? 128)) {
      this.send(s, { id: null, ok: false, error: { code: ErrorCode.TOO_MANY_CLIENTS, message: 'too many control connections' } });
      s.end();
      return;
    }
    this.clients.add(s);
    const max = this.options.maxRequestBytes ?? MAX_REQUEST_BYTES;
    const splitter = new LineSplitter(max);
    let chain = Promise.resolve();
    let queued = 0;
    const run = (line: string) => async () => {
      try {
        await this.handleLine(s, line);
      } catch (e) {
        this.options.onHandlerError?.('(connection)', e); // never expected; never fatal
      } finally {
        // A client that pipelines faster than handlers answer is read no further meanwhile.
        if (--queued < MAX_QUEUED_PER_CLIENT && s.isPaused()) s.resume();
      }
    };
    s.on('data', (chunk: Buffer) => {
      const lines = splitter.push(chunk);
      if (lines === 'overflow') {
        const message = `request line longer than ${max} bytes; closing the connection`;
        this.send(s, { id: null, ok: false, error: { code: ErrorCode.LINE_TOO_LONG, message } });
        s.end();
        s.removeAllListeners('data');
        return;
      }
      for (const line of lines) {
        queued++;
        chain = chain.then(run(line));
      }
      if (queued >= MAX_QUEUED_PER_CLIENT) s.pause();
    });
  }

  private drop(s: Socket): void {
    this.clients.delete(s);
    this.monitors.delete(s);
    s.destroy();
  }

  private async handleLine(s: Socket, line: string): Promise<void> {
    if (line.trim() === '') return;
    const parsed = parseRequest(line);
    if ('error' in parsed) return this.send(s, { id: parsed.id, ok: false, error: parsed.error });
    const { id, cmd, args } = parsed;
    if (cmd === 'monitor') {
      this.monitors.add(s);
      return this.send(s, { id, ok: true, result: { monitoring: true } });
    }
    const handler = this.handlers.get(cmd);
    if (!handler) {
      return this.send(s, { id, ok: false, error: { code: ErrorCode.UNKNOWN_COMMAND, message: `unknown command ${JSON.stringify(cmd)}` } });
    }
    try {
      const result = await handler(args);
      this.send(s, { id, ok: true, result: result ?? null });
    } catch (e) {
      if (e instanceof ControlError) return this.send(s, { id, ok: false, error: { code: e.code, message: e.message } });
      this.options.onHandlerError?.(cmd, e);
      const message = e instanceof Error ? e.message : String(e);
      this.send(s, { id, ok: false, error: { code: ErrorCode.INTERNAL, message: `${cmd} failed: ${message}` } });
    }
  }

  private send(s: Socket, r: Response): void {
    if (s.destroyed || !s.writable) return;
    let text: string;
    try {
      text = JSON.stringify(r);
    } catch (e) {
      // A handler result that cannot be serialised (a cycle, a BigInt) is the daemon's bug.
      text = JSON.stringify({ id: r.id, ok: false, error: { code: ErrorCode.INTERNAL, message: `unserialisable result: ${(e as Error).message}` } });
    }
    s.write(text + '\n');
  }
}

type Parsed = { id: RequestId; cmd: string; args: Record<string, unknown> } | { id: RequestId | null; error: ErrorBody };

function parseRequest(line: string): Parsed {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return { id: null, error: { code: ErrorCode.BAD_JSON, message: 'request is not valid JSON' } };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    return { id: null, error: { code: ErrorCode.BAD_REQUEST, message: 'request must be a JSON object' } };
  }
  const o = v as Record<string, unknown>;
  const id = typeof o.id === 'number' || typeof o.id === 'string' ? o.id : null;
  if (id === null) return { id: null, error: { code: ErrorCode.BAD_REQUEST, message: 'request needs an "id" (number or string)' } };
  if (typeof o.cmd !== 'string') return { id, error: { code: ErrorCode.BAD_REQUEST, message: 'request needs a "cmd" string' } };
  const args = o.args ?? {};
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    return { id, error: { code: ErrorCode.BAD_REQUEST, message: '"args" must be an object' } };
  }
  return { id, cmd: o.cmd, args: args as Record<string, unknown> };
}

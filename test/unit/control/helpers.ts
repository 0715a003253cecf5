// Temporary socket paths, raw clients and a stale socket maker for the control tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempSocket(): { dir: string; path: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'mcoa-ctl-'));
  return { dir, path: join(dir, 'mcoad.sock'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A socket file nobody listens on: a child binds it and dies by SIGKILL, leaving it. */
export function makeStaleSocket(path: string): void {
  const script = `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`;
  spawnSync(process.execPath, ['-e', script]);
}

/** A client that reads whole lines, for poking the server with raw bytes. */
export class RawClient {
  private buffer = '';
  private waiters: ((line: string | null) => void)[] = [];
  private lines: string[] = [];
  private closed = false;

  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.buffer += d;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        this.deliver(this.buffer.slice(0, nl));
        this.buffer = this.buffer.slice(nl + 1);
      }
    });
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w(null);
    });
    socket.on('error', () => undefined);
  }

  static connect(path: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect(path);
      s.once('connect', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** The next line as parsed JSON; null when the server closed the connection. */
  async next(): Promise<Record<string, unknown> | null> {
    const line = this.lines.shift() ?? (this.closed ? null : await new Promise<string | null>((r) => this.waiters.push(r)));
    return line === null ? null : (JSON.parse(line) as Record<string, unknown>);
  }

  async request(cmd: string, args: Record<string, unknown> = {}, id: number | string = 1): Promise<Record<string, unknown> | null> {
    this.write(JSON.stringify({ id, cmd, args }) + '\n');
    return this.next();
  }

  close(): void {
    this.socket.destroy();
  }

  private deliver(line: string): void {
    const w = this.waiters.shift();
    if (w) w(line);
    else this.lines.push(line);
  }
}

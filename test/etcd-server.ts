// A real single-member etcd on loopback for host tests and benches: a temporary data
// directory, free ports, stopped by its pid. Restart keeps the data directory and ports, so
// a client sees the same cluster come back (what a watch resuming from a revision needs).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ETCD_BINARY = process.env['MCOA_ETCD'] ?? 'etcd';

/** Why etcd tests cannot run here, or null when they can. Root (CI) installs etcd: missing there is a failure, not a skip. */
export function etcdMissing(): string | null {
  const r = spawnSync(ETCD_BINARY, ['--version'], { encoding: 'utf8' });
  if (!r.error && r.status === 0) return null;
  const why = `${ETCD_BINARY} not runnable (${r.error?.message ?? `exit ${r.status}`}); install Debian's etcd-server (.ci/uml-deps.sh does)`;
  if (process.getuid?.() === 0) throw new Error(why);
  return why;
}

/**
 * Where a test etcd keeps its data: a memory filesystem when one has room. etcd fdatasyncs
 * its WAL on every write, and on a shared CI machine's disk one sync can stall for more than
 * a lease's TTL - margin: the tests would measure the disk, not the home agent. Benches
 * ask for the disk (`onDisk`), whose cost an operator pays.
 */
function dataRoot(onDisk: boolean): string {
  const TMPFS_MAGIC = 0x01021994;
  /** A writable tmpfs with at least `room` bytes free. */
  const memory = (dir: string, room: number): boolean => {
    try {
      accessSync(dir, constants.W_OK);
      const fs = statfsSync(dir);
      return fs.type === TMPFS_MAGIC && fs.bavail * fs.bsize >= room;
    } catch {
      return false;
    }
  };
  if (onDisk || memory(tmpdir(), 0)) return tmpdir();
  // Each member preallocates a 64 MiB WAL segment: room for several members and more.
  return memory('/dev/shm', 512 * 1024 * 1024) ? '/dev/shm' : tmpdir();
}

/** A TCP port nobody listens on right now (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Where etcd runs: loopback on free ports by default; a kernel test names its namespace's address. */
export interface EtcdServerOptions {
  /** Address to listen on (an IPv6 literal without brackets, or 127.0.0.1). */
  host?: string;
  clientPort?: number;
  peerPort?: number;
  /** A command etcd runs under (`ip netns exec NS`); it must exec etcd, so the pid is etcd's. */
  wrap?: readonly string[];
  /** Member name (default m1) and the whole initial cluster (`m1=http://...,m2=...`; default this member alone). */
  name?: string;
  initialCluster?: string;
  /** Raft timers (etcd's defaults: heartbeat 100 ms, election timeout 1,000 ms). */
  raft?: { heartbeatMs: number; electionMs: number };
  /** Data directory on the disk under TMPDIR rather than in memory (benches: the real fsync cost). */
  onDisk?: boolean;
}

export class EtcdServer {
  private child: ChildProcess | null = null;
  private log = '';

  private constructor(
    readonly dataDir: string,
    readonly clientPort: number,
    readonly peerPort: number,
    readonly host = '127.0.0.1',
    private readonly wrap: readonly string[] = [],
    private readonly name = 'm1',
    private readonly initialCluster?: string,
    private readonly raft?: { heartbeatMs: number; electionMs: number },
  ) {}

  private url(port: number): string {
    return `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${port}`;
  }

  /** The peer URL (for another member's initial cluster). */
  get peerEndpoint(): string {
    return this.url(this.peerPort);
  }

  /** The client URL, for etcd3's `hosts`. */
  get endpoint(): string {
    return this.url(this.clientPort);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  static async start(o: EtcdServerOptions = {}): Promise<EtcdServer> {
    const base = mkdtempSync(join(dataRoot(o.onDisk ?? false), 'mcoa-etcd-'));
    const s = new EtcdServer(join(base, 'data'), o.clientPort ?? (await freePort()), o.peerPort ?? (await freePort()), o.host, o.wrap, o.name, o.initialCluster, o.raft);
    await s.run();
    return s;
  }

  /** Starts (again) on the same data directory and ports; resolves when it serves clients. */
  async run(): Promise<void> {
    if (this.child) throw new Error('etcd already running');
    const peer = this.url(this.peerPort);
    const args = [
      '--name', this.name, '--data-dir', this.dataDir, '--logger', 'zap', '--log-outputs', 'stderr',
      '--listen-client-urls', this.endpoint, '--advertise-client-urls', this.endpoint,
      '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', this.initialCluster ?? `${this.name}=${peer}`,
      ...(this.raft ? ['--heartbeat-interval', String(this.raft.heartbeatMs), '--election-timeout', String(this.raft.electionMs)] : []),
    ];
    const [program, ...before] = [...this.wrap, ETCD_BINARY];
    const child = spawn(program!, [...before, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    this.log = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`etcd not serving after 60 s:\n${this.log.slice(-2000)}`)), 60_000);
      child.stderr!.on('data', (b: Buffer) => {
        this.log += b.toString('utf8');
        if (this.log.length > 200_000) this.log = this.log.slice(-100_000);
        if (/serving client traffic|ready to serve client requests/.test(this.log)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        this.child = null;
        reject(new Error(`etcd exited (${code ?? signal}) before serving:\n${this.log.slice(-2000)}`));
      });
    });
  }

  /** The log's warnings and leader changes (slow disk, late heartbeats, elections): for a failing test's message. */
  notices(max = 20): string[] {
    const lines = this.log.split('\n').filter((l) => /"level":"(warn|error)"|elected leader|lost leader|became candidate/.test(l));
    return lines.slice(-max).map((l) => `${this.name}: ${l.slice(0, 300)}`);
  }

  /** SIGTERM by pid, then waits for the exit (SIGKILL after 10 s). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  /** SIGKILL (a crashed member), and waits for the exit; its data directory stays. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  /** SIGSTOP: the process holds its sockets but answers nothing (a hung member). */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  /** Stops it and removes its data directory. */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(join(this.dataDir, '..'), { recursive: true, force: true });
  }
}

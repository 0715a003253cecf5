// What the demo prints: headed sections, aligned tables, and the home agent's tunnel
// counters sampled once a second while a flow runs.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { table } from '../lib/cli/commands/format.js';
import { perCareOfCounters, type TunnelCounters } from '../test/kernel/fixtures/index.js';
import type { Netns } from '../test/kernel/netns.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const started = Date.now();

export const say = (line = ''): void => void process.stdout.write(`${line}\n`);

export function section(title: string): void {
  const t = ((Date.now() - started) / 1000).toFixed(1).padStart(5);
  say();
  say(`== ${title} ${'='.repeat(Math.max(3, 70 - title.length))} [${t} s]`);
}

export const indent = (lines: string | string[]): void =>
  (typeof lines === 'string' ? lines.trimEnd().split('\n') : lines).forEach((l) => say(`  ${l}`));

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One row per sample, one `tx/rx` column per tunnel (cumulative packets, `-` once gone). */
export class CounterTable {
  private readonly columns: TunnelCounters[] = [];
  private readonly rows: Map<string, string>[] = [];
  private readonly times: string[] = [];

  add(at: string, sample: TunnelCounters[]): void {
    for (const t of sample) if (!this.columns.some((c) => c.name === t.name)) this.columns.push(t);
    this.times.push(at);
    this.rows.push(new Map(sample.map((t) => [t.name, `${t.txPackets}/${t.rxPackets}`])));
  }

  lines(): string[] {
    const cols = [...this.columns].sort((a, b) => a.name.localeCompare(b.name));
    const headers = ['TIME', ...cols.map((c) => `${c.name} ${c.remote}`)];
    const rows = this.rows.map((r, i) => [this.times[i]!, ...cols.map((c) => r.get(c.name) ?? '-')]);
    return [...table(headers, rows, new Set(cols.map((_, i) => i + 1))), '(packets per care-of address, cumulative: tx = home agent to the mobile node, rx = replies; with the shared data plane read at the mobile node\'s tunnel)'];
  }
}

/** Samples the packets per care-of address every second, `seconds` times, then prints the table. */
export async function sampleCounters(ns: { ha: Netns; mn: Netns }, seconds: number, label: (i: number) => string = (i) => `+${i}s`): Promise<void> {
  const t = new CounterTable();
  for (let i = 0; i <= seconds; i++) {
    t.add(label(i), await perCareOfCounters(ns));
    if (i < seconds) await sleep(1000);
  }
  indent(t.lines());
}

/** `mcoactl monitor --socket S` in the background; `take()` returns the lines not shown yet. */
export class Monitor {
  private readonly proc: ChildProcess;
  private readonly lines: string[] = [];
  private shown = 0;

  constructor(socket: string) {
    this.proc = spawn(process.execPath, [join(ROOT, 'bin', 'mcoactl'), 'monitor', '--socket', socket], { stdio: ['ignore', 'pipe', 'pipe'] });
    let partial = '';
    const collect = (b: Buffer): void => {
      const parts = (partial + b.toString()).split('\n');
      partial = parts.pop() ?? '';
      this.lines.push(...parts.filter((l) => l.trim() !== ''));
    };
    this.proc.stdout!.on('data', collect);
    this.proc.stderr!.on('data', collect);
  }

  count(): number {
    return this.lines.length;
  }

  take(): string[] {
    const out = this.lines.slice(this.shown);
    this.shown = this.lines.length;
    return out;
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const done = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 2000);
    await done;
    clearTimeout(timer);
  }
}

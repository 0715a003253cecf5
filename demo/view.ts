// What the demo prints: headed sections, aligned tables, and the home agent's tunnel
// counters sampled once a second while a flow runs.
import { table } from '../lib/cli/commands/format.js';
import { eventLine } from '../lib/cli/commands/render.js';
import { ControlClient } from '../lib/control/client.js';
import { perCareOfCounters, type TunnelCounters } from '../test/kernel/fixtures/index.js';
import type { Netns } from '../test/kernel/netns.js';

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

/**
 * Binding events in the background, each line as `mcoactl monitor` prints it; `take()` returns
 * the lines not shown yet. In-process (the control client mcoactl uses) so that `start`
 * resolves only once mcoad confirmed the subscription: the events of what the demo does next
 * are never missed, however slowly a spawned mcoactl would have started.
 */
export class Monitor {
  private readonly lines: string[] = [];
  private shown = 0;

  private constructor(private readonly client: ControlClient) {}

  static async start(socket: string): Promise<Monitor> {
    const client = await ControlClient.connect(socket);
    const m = new Monitor(client);
    await new Promise<void>((resolve, reject) => {
      client.monitor((e) => m.lines.push(eventLine(e)), resolve).then(
        () => reject(new Error('mcoad ended the monitor stream before confirming it')),
        (err: unknown) => reject(err instanceof Error ? err : new Error(String(err))),
      );
    });
    return m;
  }

  count(): number {
    return this.lines.length;
  }

  take(): string[] {
    const out = this.lines.slice(this.shown);
    this.shown = this.lines.length;
    return out;
  }

  stop(): void {
    this.client.close();
  }
}

// One daemon's metrics: the catalog's entries for its role in a prom-client registry of
// its own (never the global default, so two daemons in one process, as the host tests
// run them, never share a counter), plus the plain numbers `mcoactl show stats` prints.
// Counters go to both on each increment; gauges and the kernel's XFRM counters are read
// when scraped, from sources the role registers.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Role } from '../../config/daemon-config.js';
import { VERSION } from '../../version.js';
import {
  COLLECTED_SPECS,
  COUNTER_SPECS,
  HISTOGRAM_SPECS,
  type CollectedId,
  type CollectedLabels,
  type CounterId,
  type CounterLabels,
  type HistogramId,
  type ShowAt,
} from './catalog.js';

/** A scrape-time reading: one value per label set. */
export type Reading<K extends CollectedId> = readonly (readonly [CollectedLabels<K>, number])[];
type Source<K extends CollectedId> = () => Reading<K> | Promise<Reading<K>>;

type IncArgs<K extends CounterId> = CounterLabels<K> extends undefined ? [n?: number] : [labels: CounterLabels<K>, n?: number];

export class Metrics {
  readonly registry = new Registry();
  private readonly counters = new Map<CounterId, Counter>();
  private readonly histograms = new Map<HistogramId, { prom: Histogram; count: number; sum: number }>();
  private readonly sources = new Map<CollectedId, Source<CollectedId>>();
  /** `show stats` numbers: group -> key -> value, in catalog order. */
  private readonly shown = new Map<string, Map<string, number>>();

  constructor(readonly role: Role) {
    for (const [id, spec] of Object.entries(COUNTER_SPECS) as [CounterId, (typeof COUNTER_SPECS)[CounterId]][]) {
      if (!spec.roles.includes(role)) continue;
      const prom = new Counter({ name: spec.name, help: spec.help, labelNames: [...spec.labels], registers: [this.registry] });
      this.counters.set(id, prom);
      if (spec.labels.length === 0) {
        prom.inc(0);
        this.add(spec.show, {}, 0);
      } else if (spec.values) {
        // Known values start at 0 in both views (the other labels, if any, have none yet).
        for (const v of spec.values) {
          prom.inc({ [spec.labels[0]!]: v }, 0);
          this.add(spec.show, { [spec.labels[0]!]: v }, 0);
        }
      }
    }
    for (const [id, spec] of Object.entries(HISTOGRAM_SPECS) as [HistogramId, (typeof HISTOGRAM_SPECS)[HistogramId]][]) {
      if (!spec.roles.includes(role)) continue;
      const prom = new Histogram({ name: spec.name, help: spec.help, buckets: [...spec.buckets], registers: [this.registry] });
      this.histograms.set(id, { prom, count: 0, sum: 0 });
    }
    for (const [id, spec] of Object.entries(COLLECTED_SPECS) as [CollectedId, (typeof COLLECTED_SPECS)[CollectedId]][]) {
      if (!spec.roles.includes(role)) continue;
      const read = async (): Promise<Reading<CollectedId>> => (await this.sources.get(id)?.()) ?? [];
      const labelNames = [...spec.labels];
      if (spec.type === 'gauge') {
        new Gauge({
          name: spec.name, help: spec.help, labelNames, registers: [this.registry],
          async collect() {
            this.reset();
            for (const [labels, v] of await read()) this.set(labels, v);
          },
        });
      } else {
        new Counter({
          name: spec.name, help: spec.help, labelNames, registers: [this.registry],
          async collect() {
            // The kernel keeps the count; each scrape copies it.
            this.reset();
            for (const [labels, v] of await read()) this.inc(labels, v);
          },
        });
      }
    }
    this.source('info', () => [[{ version: VERSION, role }, 1]]);
    // process_* and nodejs_* (CPU, memory, event loop lag), the names every Node exporter uses.
    collectDefaultMetrics({ register: this.registry });
  }

  /** Adds n (default 1) to a counter of the catalog. */
  inc<K extends CounterId>(id: K, ...args: IncArgs<K>): void {
    const spec = COUNTER_SPECS[id];
    const [labels, n] = spec.labels.length === 0 ? [{}, (args[0] as number | undefined) ?? 1] : [args[0] as Record<string, string | number>, (args[1] as number | undefined) ?? 1];
    let prom = this.counters.get(id);
    if (!prom) {
      // Declared for other roles only: counted all the same rather than lost.
      prom = new Counter({ name: spec.name, help: spec.help, labelNames: [...spec.labels], registers: [this.registry] });
      this.counters.set(id, prom);
    }
    if (spec.labels.length === 0) prom.inc(n);
    else prom.inc(labels, n);
    this.add(spec.show, labels, n);
  }

  /** One observation, in seconds. */
  observe(id: HistogramId, seconds: number): void {
    const h = this.histograms.get(id);
    if (!h) return;
    h.prom.observe(seconds);
    h.count++;
    h.sum += seconds;
  }

  /** Where a gauge (or a kernel-kept counter) is read from at each scrape; a later call replaces it. */
  source<K extends CollectedId>(id: K, read: Source<K>): void {
    this.sources.set(id, read as unknown as Source<CollectedId>);
  }

  /** The value `show stats` shows for a counter (0 when never incremented). */
  get<K extends CounterId>(id: K, ...args: CounterLabels<K> extends undefined ? [] : [labels: CounterLabels<K>]): number {
    const spec = COUNTER_SPECS[id];
    const labels = (args[0] ?? {}) as Record<string, string | number>;
    return this.shown.get(spec.show.group)?.get(showKey(spec.show, labels)) ?? 0;
  }

  /** `show stats`: counters by group, then each histogram's count and sum. */
  snapshot(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [g, m] of this.shown) out[g] = Object.fromEntries(m);
    for (const [id, h] of this.histograms) {
      const at = HISTOGRAM_SPECS[id].show;
      const g = (out[at.group] ??= {});
      g[`${at.key}-count`] = h.count;
      g[`${at.key}-seconds`] = Math.round(h.sum * 1e6) / 1e6;
    }
    return out;
  }

  /** The Prometheus text exposition of every metric of this daemon. */
  exposition(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private add(at: ShowAt, labels: Record<string, string | number>, n: number): void {
    let g = this.shown.get(at.group);
    if (!g) this.shown.set(at.group, (g = new Map()));
    const key = showKey(at, labels);
    g.set(key, (g.get(key) ?? 0) + n);
  }
}

/** The `show stats` key of a counter: the catalog's template with the label values put in. */
export function showKey(at: ShowAt, labels: Record<string, string | number>): string {
  return at.key.replace(/\{(\w+)\}/g, (_, name: string) => String(labels[name] ?? ''));
}

/**
 * Metrics kept in plain numbers on the hot path and handed to prom-client at scrape time.
 * prom-client validates and hashes the label values on every `observe`/`inc`, even through a
 * `labels(...)` handle: measured at 2-3 % of a warm gRPC Login. Here a label set is resolved once
 * into a handle, an observation is array arithmetic, and the registry reads the arrays when scraped.
 */
import { Counter, Metric, Registry } from 'prom-client';

type Labels = Record<string, string>;

/** One label set of an array histogram: per-bucket counts (the last is +Inf), then sum and count. */
export class HistogramCells {
  readonly cells: Float64Array;

  constructor(
    readonly labels: Labels,
    private readonly bounds: readonly number[],
  ) {
    this.cells = new Float64Array(bounds.length + 3);
  }

  observe(value: number): void {
    const { bounds, cells } = this;
    const n = bounds.length;
    let i = 0;
    // Prometheus buckets are `le`: a value on a bound counts in that bound's bucket.
    while (i < n && value > bounds[i]) i++;
    cells[i]++;
    cells[n + 1] += value;
    cells[n + 2]++;
  }
}

export interface ArrayHistogram {
  /** A handle for one label set; make it once (per method, per route), not per observation. */
  cells(labels: Labels): HistogramCells;
}

interface Sample {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

/**
 * A histogram registered in `registry` that answers exactly as prom-client's Histogram does (the
 * same samples in the same order: cumulative `_bucket` per `le`, `+Inf`, `_sum`, `_count`, label sets
 * in the order of their first observation, none before it), for /metrics and for the cluster
 * aggregation alike (test/unit/ops/array-metrics.test.ts compares both with prom-client's own).
 */
export function arrayHistogram(registry: Registry, config: { name: string; help: string; buckets: readonly number[] }): ArrayHistogram {
  const { name, help, buckets } = config;
  const all: HistogramCells[] = [];
  const metric = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    get() {
      const values: Sample[] = [];
      const n = buckets.length;
      for (const h of all) {
        const c = h.cells;
        if (c[n + 2] === 0) continue;
        let cumulative = 0;
        for (let i = 0; i < n; i++) {
          cumulative += c[i];
          values.push({ labels: { le: buckets[i], ...h.labels }, value: cumulative, metricName: `${name}_bucket` });
        }
        values.push(
          { labels: { le: '+Inf', ...h.labels }, value: c[n + 2], metricName: `${name}_bucket` },
          { labels: { ...h.labels }, value: c[n + 1], metricName: `${name}_sum` },
          { labels: { ...h.labels }, value: c[n + 2], metricName: `${name}_count` },
        );
      }
      return Promise.resolve({ name, help, type: 'histogram', aggregator: 'sum', values });
    },
    /** Registry.resetMetrics() resets every metric it holds. */
    reset() {
      for (const h of all) h.cells.fill(0);
    },
  };
  // The registry reads any object with a name and get() (prom-client's own metrics are no more).
  registry.registerMetric(metric as unknown as Metric);
  return {
    cells(labels) {
      const h = new HistogramCells(labels, buckets);
      all.push(h);
      return h;
    },
  };
}

/** A counter whose totals live elsewhere (arrays, plain fields): rebuilt from `rows()` at each scrape. */
export function scrapedCounter(registry: Registry, name: string, help: string, labelNames: string[], rows: () => Iterable<readonly [Labels, number]>): void {
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, value] of rows()) if (value > 0) this.inc(labels, value);
    },
  });
}

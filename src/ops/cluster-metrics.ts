/**
 * `serve --workers N`: the primary serves the one operations listener and asks every worker for its
 * metrics at each scrape (prom-client's AggregatorRegistry sums counters and histograms over workers);
 * a worker keeps its registry for those requests and opens no listener of its own (node:cluster would
 * share one port between the workers and a scrape would see one worker at random).
 */
import cluster from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import { GatewayMetrics } from './gateway-metrics';
import { MetricsSource } from './ops-server';

/** In a worker: its metrics answer the primary's requests. */
export function shareWithPrimary(metrics: GatewayMetrics): void {
  // prom-client answers the primary's requests from listeners its constructor installs (once per process).
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([metrics.registry]);
}

/** In the primary: a registry whose metrics() gathers every live worker's. */
export function clusterRegistry(): MetricsSource {
  const aggregator = new AggregatorRegistry();
  return { metrics: () => aggregator.clusterMetrics(), contentType: aggregator.contentType };
}

/**
 * In the primary: ready while at least one worker serves and no drain has begun. A worker's own
 * readiness (its store, its certificates) shows in its gRPC health service; the primary only knows
 * which workers told it they serve.
 */
export function primaryReadiness(servingMessage: string): { reasons(): string[] } {
  const serving = new Set<number>();
  let draining = false;
  cluster.on('message', (worker, message) => {
    if (message === servingMessage) serving.add(worker.id);
  });
  cluster.on('exit', (worker) => serving.delete(worker.id));
  process.once('SIGTERM', () => (draining = true));
  process.once('SIGINT', () => (draining = true));
  return {
    reasons() {
      const out: string[] = [];
      if (serving.size === 0) out.push('no worker serving');
      if (draining) out.push('draining');
      return out;
    },
  };
}

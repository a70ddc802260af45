import { AggregatorRegistry, Histogram, Registry } from 'prom-client';
import { arrayHistogram } from '../../../src/ops/array-metrics';

const BUCKETS = [0.001, 0.01, 0.1, 1];
// On a bound, between bounds, past the last one, zero: every branch of the bucket search.
const OBSERVED: [string, number][] = [
  ['Login.Login', 0.001],
  ['Login.Login', 0.0004],
  ['Gateway.GetList', 0.05],
  ['Login.Login', 3],
  ['Gateway.GetList', 0],
  ['Login.Login', 0.1],
  ['Login.Login', 0.0100001],
];

function both() {
  const ours = new Registry();
  const theirs = new Registry();
  const histogram = arrayHistogram(ours, { name: 'x_seconds', help: 'Latency.', buckets: BUCKETS });
  const reference = new Histogram({ name: 'x_seconds', help: 'Latency.', labelNames: ['method'], buckets: BUCKETS, registers: [theirs] });
  const cells = new Map<string, ReturnType<typeof histogram.cells>>();
  // A label set made before any observation (and one never observed) shows nothing, as prom-client's.
  histogram.cells({ method: 'Never.Called' });
  for (const [method, value] of OBSERVED) {
    if (!cells.has(method)) cells.set(method, histogram.cells({ method }));
    cells.get(method)!.observe(value);
    reference.labels(method).observe(value);
  }
  return { ours, theirs };
}

it('answers /metrics exactly as prom-client\'s Histogram does: cumulative le buckets, +Inf, _sum, _count', async () => {
  const { ours, theirs } = both();
  const text = await ours.metrics();
  expect(text).toBe(await theirs.metrics());
  expect(text).toContain('x_seconds_bucket{le="0.001",method="Login.Login"} 2');
  expect(text).toContain('x_seconds_bucket{le="0.1",method="Login.Login"} 4');
  expect(text).toContain('x_seconds_bucket{le="+Inf",method="Login.Login"} 5');
  expect(text).toContain('x_seconds_count{method="Gateway.GetList"} 2');
  expect(text).not.toContain('Never.Called');
});

it('aggregates over cluster workers as prom-client\'s Histogram does (summed per series)', async () => {
  const a = both();
  const b = both();
  const ours = AggregatorRegistry.aggregate([await a.ours.getMetricsAsJSON(), await b.ours.getMetricsAsJSON()]);
  const theirs = AggregatorRegistry.aggregate([await a.theirs.getMetricsAsJSON(), await b.theirs.getMetricsAsJSON()]);
  expect(await ours.metrics()).toBe(await theirs.metrics());
  expect(await ours.metrics()).toContain('x_seconds_count{method="Login.Login"} 10');
});

it('is emptied by Registry.resetMetrics() like every prom-client metric', async () => {
  const { ours } = both();
  ours.resetMetrics();
  expect(await ours.metrics()).not.toContain('x_seconds_bucket');
});

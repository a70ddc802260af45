/** What a Prometheus scraper does with /metrics of the operations listener: fetch it, parse it, check it. */
import { get } from 'node:http';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** `name{label="value",…} number` lines; `#` lines are HELP/TYPE. */
export function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(' ');
      types.set(name, type);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not exposition format: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key] = value;
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return { samples, types };
}

export function fetchOps(port: number, path: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, headers: { 'user-agent': 'kube-probe/1.29' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    }).on('error', reject);
  });
}

/** The sum of the samples of `name` whose labels include `labels`. */
export const valueOf = (samples: Sample[], name: string, labels: Record<string, string>) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);

/**
 * Every histogram series as Prometheus needs it: `_bucket` counts cumulative (never falling as `le`
 * grows), the `+Inf` bucket equal to `_count`, a `_sum` present and not negative. Returns the problems.
 */
export function histogramProblems(samples: Sample[], types: Map<string, string>): string[] {
  const problems: string[] = [];
  for (const [family, type] of types) {
    if (type !== 'histogram') continue;
    const series = new Map<string, { buckets: [number, number][]; sum?: number; count?: number }>();
    const keyOf = (labels: Record<string, string>) => JSON.stringify(Object.entries(labels).filter(([k]) => k !== 'le').sort());
    for (const s of samples) {
      if (!s.name.startsWith(family + '_')) continue;
      const entry = series.get(keyOf(s.labels)) ?? { buckets: [] };
      series.set(keyOf(s.labels), entry);
      if (s.name === `${family}_bucket`) entry.buckets.push([s.labels.le === '+Inf' ? Infinity : Number(s.labels.le), s.value]);
      else if (s.name === `${family}_sum`) entry.sum = s.value;
      else if (s.name === `${family}_count`) entry.count = s.value;
    }
    for (const [key, { buckets, sum, count }] of series) {
      const where = `${family}${key}`;
      const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < sorted.length; i++) if (sorted[i][1] < sorted[i - 1][1]) problems.push(`${where}: bucket le=${sorted[i][0]} below le=${sorted[i - 1][0]}`);
      const inf = sorted.at(-1);
      if (!inf || inf[0] !== Infinity) problems.push(`${where}: no +Inf bucket`);
      else if (inf[1] !== count) problems.push(`${where}: +Inf bucket ${inf[1]} is not _count ${count}`);
      if (sum === undefined || sum < 0) problems.push(`${where}: _sum ${sum}`);
    }
  }
  return problems;
}

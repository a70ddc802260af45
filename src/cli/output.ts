/** CLI output: a table for people, JSON for scripts. */
export function printTable(rows: Record<string, string>[], columns: string[]): void {
  if (rows.length === 0) {
    process.stdout.write('(none)\n');
    return;
  }
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd();
  process.stdout.write(`${line(columns.map((c) => c.toUpperCase()))}\n`);
  for (const row of rows) process.stdout.write(`${line(columns.map((c) => row[c] ?? ''))}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
}

/**
 * `--json` times are ISO 8601 strings, whatever unit the store keeps (Unix seconds for certificates and
 * keys, milliseconds for users and roles); the tables may show them shorter.
 */
export const isoFromSeconds = (unixSeconds: number): string => new Date(unixSeconds * 1000).toISOString();
export const isoFromMillis = (unixMillis: number): string => new Date(unixMillis).toISOString();

/** Commander collector for repeatable options. */
export const collect = (value: string, previous: string[] = []) => [...previous, value];

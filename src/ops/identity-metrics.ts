/**
 * Audited identity events as metrics: every event by kind, outcome and dialect, and from the same
 * cells the logins, lockouts, refresh-token reuse and revocations. An event costs a map lookup; the
 * counters are rebuilt from the cells at each scrape.
 */
import { Registry } from 'prom-client';
import { CoreMetrics } from '../core/metrics';
import { scrapedCounter } from './array-metrics';

/** Audit 'dialects' that are not REST dialects: the gRPC door and the CLI. */
const NOT_HTTP = new Set(['grpc', 'cli']);

interface Cell {
  event: string;
  outcome: string;
  dialect: string;
  n: number;
}

/** `grpcLogins`: gRPC Login/LoginAdmin answers, from the door's call counts (their audit is not counted again). */
export function identityMetrics(registry: Registry, grpcLogins: () => { ok: number; refused: number }): CoreMetrics['identityEvent'] {
  const cells = new Map<string, Cell>();
  const rows = (event: string, labels: (cell: Cell) => Record<string, string> | undefined) => {
    const out: [Record<string, string>, number][] = [];
    for (const cell of cells.values()) {
      const row = cell.event === event ? labels(cell) : undefined;
      if (row) out.push([row, cell.n]);
    }
    return out;
  };

  scrapedCounter(
    registry,
    'gateway_identity_events_total',
    'Audited events (login, refresh, logout, lockout, revocation, password_change, refresh_reuse, …) by outcome and dialect (or door).',
    ['event', 'outcome', 'dialect'],
    () => [...cells.values()].map((c) => [{ event: c.event, outcome: c.outcome, dialect: c.dialect }, c.n] as const),
  );
  scrapedCounter(registry, 'gateway_logins_total', 'Logins by door (grpc, http), dialect (gsdk for gRPC) and outcome.', ['door', 'dialect', 'outcome'], () => {
    const { ok, refused } = grpcLogins();
    return [
      [{ door: 'grpc', dialect: 'gsdk', outcome: 'success' }, ok] as const,
      [{ door: 'grpc', dialect: 'gsdk', outcome: 'failure' }, refused] as const,
      ...rows('login', (c) => (NOT_HTTP.has(c.dialect) ? undefined : { door: 'http', dialect: c.dialect, outcome: c.outcome })),
    ];
  });
  scrapedCounter(registry, 'gateway_lockouts_total', 'Accounts or addresses locked out after failed logins, by dialect.', ['dialect'], () => rows('lockout', (c) => ({ dialect: c.dialect })));
  scrapedCounter(registry, 'gateway_refresh_token_reuse_total', 'Spent refresh tokens presented again (the family is revoked), by dialect.', ['dialect'], () =>
    rows('refresh_reuse', (c) => ({ dialect: c.dialect })),
  );
  scrapedCounter(registry, 'gateway_revocations_total', 'Token revocations, by dialect and outcome.', ['dialect', 'outcome'], () =>
    rows('revocation', (c) => ({ dialect: c.dialect, outcome: c.outcome })),
  );

  return (event, outcome, dialect) => {
    const key = `${event}\u0000${outcome}\u0000${dialect}`;
    const cell = cells.get(key);
    if (cell) cell.n++;
    else cells.set(key, { event, outcome, dialect, n: 1 });
  };
}

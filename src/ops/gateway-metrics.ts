/**
 * The gateway's Prometheus metrics, one registry per running gateway (tests run several in one
 * process). Label values come from closed sets only: method names, status codes, route patterns,
 * dialect names, event kinds, refusal reasons, store areas, error codes. Never a user name, tenant ID
 * or token.
 * Hot paths get handles resolved once (per gRPC method, per HTTP route, per store method) and
 * count in plain arrays that the registry reads at scrape time (src/ops/array-metrics.ts): a gRPC
 * call costs a clock read (its start is read by call.ts) and a few array writes, no label validation
 * or hashing.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { CoreMetrics } from '../core/metrics';
import { VERSION } from '../version';
import { arrayHistogram, HistogramCells, scrapedCounter } from './array-metrics';
import { StoreCallMetrics, StoreOperation } from './instrument-store';

/** Seconds; from 1 ms (a warm token check) to 10 s (a slow store). */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];
/** Seconds; an embedded SQLite call takes tens of microseconds, a PostgreSQL round trip a millisecond or more. */
const STORE_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5];
/** gRPC status codes 0..16. */
const GRPC_CODES = 17;
const GRPC_LOGIN_METHODS = new Set(['Login.Login', 'Login.LoginAdmin']);
/** HTTP status codes are 100..599 (fastify refuses others). */
const HTTP_STATUSES = 600;

/** One gRPC method's handle, made once when its handler is made. */
export interface GrpcMethodMetrics {
  /** `startMs` from performance.now() at the call's start. */
  done(code: number, startMs: number): void;
}

/** One streaming method's handle: a stream opened, and the same stream ended (once). */
export interface StreamMetrics {
  opened(): void;
  closed(): void;
}

/** One HTTP route's handle (route pattern, its dialect), made once when the route is known. */
export interface HttpRouteMetrics {
  done(status: number, seconds: number): void;
}

/** Numbers read at scrape time. */
export interface GatewayGauges {
  grpcConnections?: () => number;
  deviceGateways?: () => number;
  httpConnections?: () => Promise<number | undefined>;
  /** name ('server', 'ca') → notAfter in Unix ms. */
  certificates?: () => readonly { name: string; notAfter: number }[];
}

export interface GatewayMetrics {
  readonly registry: Registry;
  readonly core: CoreMetrics;
  /** For instrumentStore (src/ops/instrument-store.ts). */
  readonly store: StoreCallMetrics;
  /** `method`: 'Service.Method' as call.ts names it (e.g. 'Login.Login'). */
  grpcMethod(method: string): GrpcMethodMetrics;
  /** `method`: 'Service.Method' of a streaming method (e.g. 'Gateway.SubscribeStatus'). */
  grpcStream(method: string): StreamMetrics;
  /** `route` is the route pattern (never the raw URL); `dialect` a dialect name, 'bridge' or 'none' (no route). */
  httpRoute(dialect: string, route: string): HttpRouteMetrics;
  tlsRefused(reason: string): void;
  gauges(sources: GatewayGauges): void;
}

/** Audit 'dialects' that are not REST dialects: the gRPC door and the CLI. */
const NOT_HTTP = new Set(['grpc', 'cli']);

/** Made once per key; later asks get the same handle (a method or route named twice counts in one series). */
function memo<T>(make: (key: string) => T): (key: string) => T {
  const made = new Map<string, T>();
  return (key) => {
    let found = made.get(key);
    if (found === undefined) {
      found = make(key);
      made.set(key, found);
    }
    return found;
  };
}

export function createGatewayMetrics(clock: () => number = Date.now): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  new Gauge({ name: 'build_info', help: 'The running version (always 1).', labelNames: ['version'], registers: [registry], aggregator: 'first' }).set({ version: VERSION }, 1);

  // ---- gRPC unary calls: counts per status code, latency.
  const grpcCalls: { method: string; counts: Float64Array }[] = [];
  scrapedCounter(registry, 'gateway_grpc_calls_total', 'gRPC unary calls answered, by method and status code.', ['method', 'code'], function* () {
    for (const { method, counts } of grpcCalls) for (let code = 0; code < GRPC_CODES; code++) yield [{ method, code: String(code) }, counts[code]] as const;
  });
  const grpcSeconds = arrayHistogram(registry, { name: 'gateway_grpc_call_duration_seconds', help: 'gRPC unary call latency, by method.', buckets: LATENCY_BUCKETS });

  // ---- gRPC streams: started and still open.
  const streams: { method: string; opened: number; closed: number }[] = [];
  scrapedCounter(registry, 'gateway_grpc_streams_total', 'gRPC streaming calls started (status streams, device gateway channels, health watches), by method.', ['method'], () =>
    streams.map((s) => [{ method: s.method }, s.opened] as const),
  );
  new Gauge({
    name: 'gateway_grpc_open_streams',
    help: 'gRPC streaming calls open now, by method.',
    labelNames: ['method'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of streams) this.set({ method: s.method }, s.opened - s.closed);
    },
  });

  // ---- Audited identity events (HTTP bridge, CLI, gRPC logout): one cell per event/outcome/dialect.
  const events = new Map<string, { event: string; outcome: string; dialect: string; n: number }>();
  const eventRows = (event: string, labels: (cell: { outcome: string; dialect: string }) => Record<string, string> | undefined) => {
    const rows: [Record<string, string>, number][] = [];
    for (const cell of events.values()) {
      const row = cell.event === event ? labels(cell) : undefined;
      if (row) rows.push([row, cell.n]);
    }
    return rows;
  };
  scrapedCounter(
    registry,
    'gateway_identity_events_total',
    'Audited events (login, refresh, logout, lockout, revocation, password_change, refresh_reuse, …) by outcome and dialect (or door).',
    ['event', 'outcome', 'dialect'],
    () => [...events.values()].map((c) => [{ event: c.event, outcome: c.outcome, dialect: c.dialect }, c.n] as const),
  );
  scrapedCounter(registry, 'gateway_logins_total', 'Logins by door (grpc, http), dialect (gsdk for gRPC) and outcome.', ['door', 'dialect', 'outcome'], () => {
    // gRPC logins come from the call counts (their audit is not counted again); HTTP ones from the audit.
    let ok = 0;
    let refused = 0;
    for (const { method, counts } of grpcCalls) {
      if (!GRPC_LOGIN_METHODS.has(method)) continue;
      ok += counts[0];
      for (let code = 1; code < GRPC_CODES; code++) refused += counts[code];
    }
    return [
      [{ door: 'grpc', dialect: 'gsdk', outcome: 'success' }, ok] as const,
      [{ door: 'grpc', dialect: 'gsdk', outcome: 'failure' }, refused] as const,
      ...eventRows('login', (c) => (NOT_HTTP.has(c.dialect) ? undefined : { door: 'http', dialect: c.dialect, outcome: c.outcome })),
    ];
  });
  scrapedCounter(registry, 'gateway_lockouts_total', 'Accounts or addresses locked out after failed logins, by dialect.', ['dialect'], () => eventRows('lockout', (c) => ({ dialect: c.dialect })));
  scrapedCounter(registry, 'gateway_refresh_token_reuse_total', 'Spent refresh tokens presented again (the family is revoked), by dialect.', ['dialect'], () =>
    eventRows('refresh_reuse', (c) => ({ dialect: c.dialect })),
  );
  scrapedCounter(registry, 'gateway_revocations_total', 'Token revocations, by dialect and outcome.', ['dialect', 'outcome'], () =>
    eventRows('revocation', (c) => ({ dialect: c.dialect, outcome: c.outcome })),
  );

  // ---- Token checks of gRPC calls.
  const tokenChecks = { memory: 0, store: 0 };
  scrapedCounter(registry, 'gateway_token_checks_total', 'Token checks of gRPC calls, by where the answer came from: memory (nothing changed since the last check) or store (asked again).', ['source'], () => [
    [{ source: 'memory' }, tokenChecks.memory],
    [{ source: 'store' }, tokenChecks.store],
  ]);

  // ---- HTTP bridge: per route, counts per status and latency.
  const httpRoutes: { dialect: string; route: string; statuses: Float64Array }[] = [];
  scrapedCounter(registry, 'gateway_http_requests_total', 'HTTP bridge requests by dialect, route pattern and status.', ['dialect', 'route', 'status'], function* () {
    for (const { dialect, route, statuses } of httpRoutes) {
      for (let status = 0; status < HTTP_STATUSES; status++) if (statuses[status] > 0) yield [{ dialect, route, status: String(status) }, statuses[status]] as const;
    }
  });
  const httpSeconds = arrayHistogram(registry, { name: 'gateway_http_request_duration_seconds', help: 'HTTP bridge request latency, by dialect and route pattern.', buckets: LATENCY_BUCKETS });

  const httpRouteOf = memo((key): HttpRouteMetrics => {
    const [dialect, route] = key.split('\u0000');
    const statuses = new Float64Array(HTTP_STATUSES);
    httpRoutes.push({ dialect, route, statuses });
    const seconds = httpSeconds.cells({ dialect, route });
    return {
      done(status, secs) {
        statuses[status >= 0 && status < HTTP_STATUSES ? status : 0]++;
        seconds.observe(secs);
      },
    };
  });

  // ---- Store: latency by operation, failures by area and code.
  const storeSeconds = arrayHistogram(registry, { name: 'gateway_store_call_duration_seconds', help: 'Store call latency (as the caller waits for it), by operation (read, write).', buckets: STORE_BUCKETS });
  const storeOperations = memo((operation) => storeSeconds.cells({ operation }));
  const storeErrors = new Map<string, { area: string; code: string; n: number }>();
  scrapedCounter(registry, 'gateway_store_errors_total', 'Store calls that failed, by area and error code (ERR_STORE_UNAVAILABLE: the database did not answer).', ['area', 'code'], () =>
    [...storeErrors.values()].map((e) => [{ area: e.area, code: e.code }, e.n] as const),
  );

  const tlsRefused = new Counter({
    name: 'gateway_tls_handshakes_refused_total',
    help: 'gRPC connections refused at or around the TLS handshake, by reason.',
    labelNames: ['reason'],
    registers: [registry],
  });

  let sources: GatewayGauges = {};
  const gauge = (name: string, help: string, read: () => number | undefined | Promise<number | undefined>) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        const value = await read();
        if (value !== undefined) this.set(value);
      },
    });
  gauge('gateway_grpc_open_connections', 'Open gRPC connections (admitted or handshaking).', () => sources.grpcConnections?.());
  gauge('gateway_device_gateways_connected', 'Device gateways with a live session on this process.', () => sources.deviceGateways?.());
  gauge('gateway_http_open_connections', 'Open HTTP bridge connections.', () => sources.httpConnections?.());
  new Gauge({
    name: 'gateway_certificate_expiry_seconds',
    help: 'Seconds until the certificate expires (negative: expired), by certificate (server, ca).',
    labelNames: ['certificate'],
    registers: [registry],
    aggregator: 'min',
    collect() {
      const now = clock();
      // During a CA rollover ca.crt holds several CAs: the one that expires first is the one to watch.
      const soonest = new Map<string, number>();
      for (const cert of sources.certificates?.() ?? []) soonest.set(cert.name, Math.min(soonest.get(cert.name) ?? Infinity, cert.notAfter));
      for (const [name, notAfter] of soonest) this.set({ certificate: name }, Math.round((notAfter - now) / 1000));
    },
  });

  return {
    registry,
    core: {
      tokenChecks,
      identityEvent(event, outcome, dialect) {
        const key = `${event}\u0000${outcome}\u0000${dialect}`;
        const cell = events.get(key);
        if (cell) cell.n++;
        else events.set(key, { event, outcome, dialect, n: 1 });
      },
    },
    store: {
      method(area: string, operation: StoreOperation) {
        const seconds = storeOperations(operation);
        return {
          done: (startMs) => seconds.observe((performance.now() - startMs) / 1000),
          failed(code) {
            const key = `${area}\u0000${code}`;
            const found = storeErrors.get(key);
            if (found) found.n++;
            else storeErrors.set(key, { area, code, n: 1 });
          },
        };
      },
    },
    grpcMethod: memo((method) => {
      const counts = new Float64Array(GRPC_CODES);
      grpcCalls.push({ method, counts });
      const seconds: HistogramCells = grpcSeconds.cells({ method });
      return {
        done(code, startMs) {
          counts[code >= 0 && code < GRPC_CODES ? code : 2]++;
          seconds.observe((performance.now() - startMs) / 1000);
        },
      };
    }),
    grpcStream: memo((method) => {
      const s = { method, opened: 0, closed: 0 };
      streams.push(s);
      return { opened: () => void s.opened++, closed: () => void s.closed++ };
    }),
    httpRoute: (dialect, route) => httpRouteOf(`${dialect}\u0000${route}`),
    tlsRefused: (reason) => tlsRefused.inc({ reason }),
    gauges(next) {
      sources = { ...sources, ...next };
    },
  };
}

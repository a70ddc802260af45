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
import { identityMetrics } from './identity-metrics';
import { StoreCallMetrics, storeMetrics } from './instrument-store';

/** Seconds; from 1 ms (a warm token check) to 10 s (a slow store). */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];
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
  // The event loop lag is sampled every 100 ms, not prom-client's default 10: at 10 the sampling timer
  // alone took ~9 ms of CPU a second (36 against 8 clock ticks in 30 s, idle gateway, metrics on against
  // off; 8 at 100), close to 1 % of a core under full load, a third of issue 12's 3 % budget. A stall
  // still shows: it delays the next sample by its length.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });

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

  // ---- Audited identity events, and logins of both doors (gRPC ones from the call counts).
  const identityEvent = identityMetrics(registry, () => {
    let ok = 0;
    let refused = 0;
    for (const { method, counts } of grpcCalls) {
      if (!GRPC_LOGIN_METHODS.has(method)) continue;
      ok += counts[0];
      for (let code = 1; code < GRPC_CODES; code++) refused += counts[code];
    }
    return { ok, refused };
  });

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

  const store = storeMetrics(registry);

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
    core: { tokenChecks, identityEvent },
    store,
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

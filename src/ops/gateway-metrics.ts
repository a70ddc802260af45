/**
 * The gateway's Prometheus metrics, one registry per running gateway (tests run several in one
 * process). Label values come from closed sets only: method names, status codes, route patterns,
 * dialect names, event kinds, refusal reasons. Never a user name, tenant ID or token.
 * Hot paths get pre-resolved handles: a gRPC call costs two array increments and one histogram observe.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CoreMetrics } from '../core/metrics';
import { VERSION } from '../version';

/** Seconds; from 1 ms (a warm token check) to 10 s (a slow store). */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];
/** gRPC status codes 0..16. */
const GRPC_CODES = 17;
const GRPC_LOGIN_METHODS = new Set(['Login.Login', 'Login.LoginAdmin']);

/** One gRPC method's handle, made once when its handler is made. */
export interface GrpcMethodMetrics {
  /** `startMs` from performance.now() at the call's start. */
  done(code: number, startMs: number): void;
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
  /** `method`: 'Service.Method' as call.ts names it (e.g. 'Login.Login'). */
  grpcMethod(method: string): GrpcMethodMetrics;
  httpRequest(dialect: string, route: string, status: number, seconds: number): void;
  tlsRefused(reason: string): void;
  gauges(sources: GatewayGauges): void;
}

const LOGIN_EVENTS = new Set(['login']);
/** Audit 'dialects' that are not REST dialects: the gRPC door and the CLI. */
const NOT_HTTP = new Set(['grpc', 'cli']);

export function createGatewayMetrics(clock: () => number = Date.now): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  new Gauge({ name: 'build_info', help: 'The running version (always 1).', labelNames: ['version'], registers: [registry], aggregator: 'first' }).set({ version: VERSION }, 1);

  // gRPC: counts in plain arrays, read into the counter at scrape time (no label hashing per call).
  const grpcCounts: { method: string; counts: Float64Array }[] = [];
  new Counter({
    name: 'gateway_grpc_calls_total',
    help: 'gRPC unary calls answered, by method and status code.',
    labelNames: ['method', 'code'],
    registers: [registry],
    collect() {
      // The arrays hold the totals: the counter is rebuilt from them at each scrape.
      this.reset();
      for (const { method, counts } of grpcCounts) {
        for (let code = 0; code < GRPC_CODES; code++) if (counts[code] > 0) this.labels(method, String(code)).inc(counts[code]);
      }
    },
  });
  const grpcSeconds = new Histogram({
    name: 'gateway_grpc_call_duration_seconds',
    help: 'gRPC unary call latency, by method.',
    labelNames: ['method'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });

  const logins = new Counter({
    name: 'gateway_logins_total',
    help: 'Logins by door (grpc, http), dialect (gsdk for gRPC) and outcome.',
    labelNames: ['door', 'dialect', 'outcome'],
    registers: [registry],
  });
  const grpcLogin = { ok: logins.labels('grpc', 'gsdk', 'success'), refused: logins.labels('grpc', 'gsdk', 'failure') };
  const identityEvents = new Counter({
    name: 'gateway_identity_events_total',
    help: 'Audited events (login, refresh, logout, lockout, revocation, password_change, refresh_reuse, …) by outcome and dialect (or door).',
    labelNames: ['event', 'outcome', 'dialect'],
    registers: [registry],
  });
  const lockouts = new Counter({ name: 'gateway_lockouts_total', help: 'Accounts or addresses locked out after failed logins, by dialect.', labelNames: ['dialect'], registers: [registry] });
  const reuse = new Counter({
    name: 'gateway_refresh_token_reuse_total',
    help: 'Spent refresh tokens presented again (the family is revoked), by dialect.',
    labelNames: ['dialect'],
    registers: [registry],
  });
  const revocations = new Counter({ name: 'gateway_revocations_total', help: 'Token revocations, by dialect and outcome.', labelNames: ['dialect', 'outcome'], registers: [registry] });

  const httpRequests = new Counter({
    name: 'gateway_http_requests_total',
    help: 'HTTP bridge requests by dialect, route pattern and status.',
    labelNames: ['dialect', 'route', 'status'],
    registers: [registry],
  });
  const httpSeconds = new Histogram({
    name: 'gateway_http_request_duration_seconds',
    help: 'HTTP bridge request latency, by dialect and route pattern.',
    labelNames: ['dialect', 'route'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
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
      identityEvent(event, outcome, dialect) {
        identityEvents.inc({ event, outcome, dialect });
        // gRPC logins are counted by the door's call metric (above); an audit of theirs must not count twice.
        if (LOGIN_EVENTS.has(event)) {
          if (!NOT_HTTP.has(dialect)) logins.inc({ door: 'http', dialect, outcome });
        }
        else if (event === 'lockout') lockouts.inc({ dialect });
        else if (event === 'refresh_reuse') reuse.inc({ dialect });
        else if (event === 'revocation') revocations.inc({ dialect, outcome });
      },
    },
    grpcMethod(method) {
      const counts = new Float64Array(GRPC_CODES);
      grpcCounts.push({ method, counts });
      const seconds = grpcSeconds.labels(method);
      const login = GRPC_LOGIN_METHODS.has(method) ? grpcLogin : undefined;
      return {
        done(code, startMs) {
          counts[code < GRPC_CODES ? code : 2]++;
          seconds.observe((performance.now() - startMs) / 1000);
          if (login) (code === 0 ? login.ok : login.refused).inc();
        },
      };
    },
    httpRequest(dialect, route, status, secs) {
      httpRequests.inc({ dialect, route, status: String(status) });
      httpSeconds.observe({ dialect, route }, secs);
    },
    tlsRefused: (reason) => tlsRefused.inc({ reason }),
    gauges(next) {
      sources = { ...sources, ...next };
    },
  };
}

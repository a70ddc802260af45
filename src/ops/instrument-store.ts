/**
 * The store as /metrics sees it: every async method timed (read or write) and its failures counted
 * by area and error code. Wrapped once, outside the backends: each method gets its handle when the
 * store is wrapped, so a call costs two clock reads and a side `then`; the caller gets the
 * method's own promise back, settled exactly as before.
 */
import { Registry } from 'prom-client';
import { GatewayError } from '../errors';
import { Store } from '../store/store';
import { arrayHistogram, scrapedCounter } from './array-metrics';

export type StoreOperation = 'read' | 'write';

/** What a wrapped method reports to (storeMetrics, below). */
export interface StoreCallMetrics {
  /** Made once per method. `area` is from STORE_AREAS; `failed` takes an ERR_ code (ERR_INTERNAL for anything else). */
  method(area: string, operation: StoreOperation): { done(startMs: number): void; failed(code: string): void };
}

/** Seconds; an embedded SQLite call takes tens of microseconds, a PostgreSQL round trip a millisecond or more. */
const STORE_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5];

/** Methods that only read, by name (countAttempt counts a failure: a write). */
const READS = /^(list|get|has|find|is|query|ping|tenantGeneration$|countLive)/;

/**
 * The area of every store method (its part, src/store/parts/). A method missing here counts under
 * 'other'; test/unit/ops/instrument-store.test.ts fails until it is added.
 */
export const STORE_AREAS: Readonly<Record<string, string>> = {
  ...area('tenants', 'listTenants hasTenant tenantGeneration getTenants addTenants deleteTenants listGateways findGateway addGateways deleteGateways'),
  ...area('certificates', 'recordCertificate listCertificates findCertificate listBlacklist addBlacklist removeBlacklist'),
  ...area('revocations', 'revokeToken isTokenRevoked purgeRevokedTokens listRevokedTokens'),
  ...area('signing_keys', 'listSigningKeys addSigningKey replaceSigningKey retireSigningKey'),
  ...area('users', 'addUser findUserByName findUser listUsers updateUser deleteUser putRole listRoles findRole deleteRole'),
  ...area('refresh_tokens', 'addRefreshToken findRefreshToken spendRefreshToken rotateRefreshToken revokeRefreshFamily revokeUserRefreshTokens countLiveRefreshTokens'),
  ...area('lockout', 'recordFailures countAttempt lockFailures forgiveFailures attemptSucceeded getFailures clearFailures'),
  ...area('identity_purge', 'purgeIdentityRows'),
  ...area('challenges', 'spendChallenge'),
  ...area('audit', 'recordAudit recordAudits listAudit queryAudit purgeAudit'),
  ...area('presence', 'putPresence removePresence heartbeat listPresence retireInstance'),
  ...area('health', 'ping'),
};

function area(name: string, methods: string): Record<string, string> {
  return Object.fromEntries(methods.split(' ').map((m) => [m, name]));
}

/** Not timed: the change feed's subscription and closing. */
const UNTIMED = new Set(['onChange', 'close']);

export const codeOf = (err: unknown): string => (err instanceof GatewayError ? err.code : 'ERR_INTERNAL');

/** Every method name of `store`, its own and its prototypes' (a backend may be a class). */
function methodNames(store: object): string[] {
  const names = new Set<string>();
  for (let o: object | null = store; o && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const name of Object.getOwnPropertyNames(o)) if (name !== 'constructor') names.add(name);
  }
  return [...names];
}

export function instrumentStore<S extends Store>(store: S, metrics: StoreCallMetrics): S {
  const wrapped: Record<string, unknown> = {};
  for (const name of methodNames(store)) {
    const value = (store as unknown as Record<string, unknown>)[name];
    if (typeof value !== 'function') {
      wrapped[name] = value;
      continue;
    }
    const fn = value as (...args: unknown[]) => unknown;
    if (UNTIMED.has(name)) {
      wrapped[name] = fn.bind(store);
      continue;
    }
    const m = metrics.method(STORE_AREAS[name] ?? 'other', READS.test(name) ? 'read' : 'write');
    wrapped[name] = (...args: unknown[]) => {
      const start = performance.now();
      let result: unknown;
      try {
        result = fn.apply(store, args);
      } catch (err) {
        m.done(start);
        m.failed(codeOf(err));
        throw err;
      }
      if (result instanceof Promise) {
        result.then(
          () => m.done(start),
          (err: unknown) => {
            m.done(start);
            m.failed(codeOf(err));
          },
        );
      }
      return result;
    };
  }
  return wrapped as unknown as S;
}

/** The store's metrics in `registry`: latency by operation, failures by area and code. */
export function storeMetrics(registry: Registry): StoreCallMetrics {
  const seconds = arrayHistogram(registry, { name: 'gateway_store_call_duration_seconds', help: 'Store call latency (as the caller waits for it), by operation (read, write).', buckets: STORE_BUCKETS });
  const byOperation = { read: seconds.cells({ operation: 'read' }), write: seconds.cells({ operation: 'write' }) };
  const errors = new Map<string, { area: string; code: string; n: number }>();
  scrapedCounter(registry, 'gateway_store_errors_total', 'Store calls that failed, by area and error code (ERR_STORE_UNAVAILABLE: the database did not answer).', ['area', 'code'], () =>
    [...errors.values()].map((e) => [{ area: e.area, code: e.code }, e.n] as const),
  );
  return {
    method(area, operation) {
      const cells = byOperation[operation];
      return {
        done: (startMs) => cells.observe((performance.now() - startMs) / 1000),
        failed(code) {
          const key = `${area}\u0000${code}`;
          const found = errors.get(key);
          if (found) found.n++;
          else errors.set(key, { area, code, n: 1 });
        },
      };
    },
  };
}

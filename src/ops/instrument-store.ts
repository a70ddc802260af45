/**
 * The store as /metrics sees it: every async method timed (read or write) and its failures counted
 * by area and error code. Wrapped once, outside the backends: each method gets its handle when the
 * store is wrapped, so a call costs two clock reads and a side `then`; the caller gets the
 * method's own promise back, settled exactly as before.
 */
import { GatewayError } from '../errors';
import { Store } from '../store/store';

export type StoreOperation = 'read' | 'write';

/** What a wrapped method reports to (src/ops/gateway-metrics.ts). */
export interface StoreCallMetrics {
  /** Made once per method. `area` is from STORE_AREAS; `failed` takes an ERR_ code (ERR_INTERNAL for anything else). */
  method(area: string, operation: StoreOperation): { done(startMs: number): void; failed(code: string): void };
}

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
  ...area('refresh_tokens', 'addRefreshToken findRefreshToken spendRefreshToken revokeRefreshFamily revokeUserRefreshTokens countLiveRefreshTokens'),
  ...area('lockout', 'recordFailures countAttempt lockFailures forgiveFailures getFailures clearFailures'),
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

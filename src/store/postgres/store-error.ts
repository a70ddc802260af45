/**
 * Turns what pg throws into the gateway's errors. Messages name the server (host:port/database),
 * never the connection string, the user or a password; the original error is kept as `cause`.
 */
import { AlreadyExists, GatewayError, StoreUnavailable } from '../../errors';

/** SQLSTATE classes and codes that mean "the database cannot serve now", not "the request is wrong". */
const UNAVAILABLE_CLASSES = ['08', '53', '57', '58', 'XX'];
const UNAVAILABLE_CODES = new Set(['40001', '40P01', '3D000', '28000', '28P01', '55P03']);
const NODE_NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

interface PgLikeError {
  code?: string;
  message?: string;
}

/** The server a URL points at, without credentials: "host:port/database". */
export function describeTarget(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || 'localhost'}:${u.port || '5432'}${u.pathname || '/'}`;
  } catch {
    return 'the configured server';
  }
}

function reason(err: PgLikeError, timeoutMs: number): string | undefined {
  const code = err.code ?? '';
  const message = err.message ?? '';
  if (code === '57014') return `a statement ran longer than ${timeoutMs} ms and was cancelled`;
  if (message === 'Query read timeout') return `no answer within ${timeoutMs} ms`;
  if (/timeout exceeded when trying to connect|Connection terminated due to connection timeout/.test(message)) return 'no connection within the connect timeout';
  if (/Connection terminated|Client was closed|Client has encountered a connection error|not queryable/i.test(message)) return 'the connection was lost';
  if (NODE_NET_CODES.has(code)) return `it is unreachable (${code})`;
  if (code === '28P01' || code === '28000') return `it refused the login (${code})`;
  if (code === '3D000') return 'the database does not exist';
  if (code === '40001' || code === '40P01') return `a transaction conflicted with another (${code}); try again`;
  if (UNAVAILABLE_CODES.has(code) || UNAVAILABLE_CLASSES.includes(code.slice(0, 2))) return `it is not serving (${code})`;
  return undefined;
}

/** The gateway error for `err`; errors that are neither availability nor uniqueness problems pass through. */
export function toStoreError(err: unknown, target: string, timeoutMs: number): unknown {
  if (err instanceof GatewayError) return err;
  const e = (err ?? {}) as PgLikeError;
  const why = reason(e, timeoutMs);
  // Clients read this message: it says what is wrong, not where the database lives (the cause keeps that for the log).
  if (why) return new StoreUnavailable(`the database is unavailable: ${why}`, { cause: Object.assign(new Error(`PostgreSQL at ${target}`), { cause: err }) });
  if (e.code === '23505') return new AlreadyExists('the record already exists', { cause: err });
  return err;
}

/** True when the connection that raised `err` must not go back to the pool. */
export function breaksConnection(err: unknown): boolean {
  const e = (err ?? {}) as PgLikeError;
  return !(err instanceof GatewayError) && (e.code === undefined || !/^[0-9A-Z]{5}$/.test(e.code) || e.code.startsWith('08') || e.code.startsWith('57P'));
}

/** A `.catch` handler turning a violation of the named constraints into the given errors. */
export function onViolation(byConstraint: Record<string, () => GatewayError>) {
  return (err: unknown): never => {
    // A unique violation arrives already wrapped as AlreadyExists; its cause is pg's error.
    const e = (err instanceof GatewayError ? err.cause : err) as { code?: string; constraint?: string } | undefined;
    const make = e && (e.code === '23503' || e.code === '23505') && e.constraint ? byConstraint[e.constraint] : undefined;
    throw make ? Object.assign(make(), { cause: err }) : err;
  };
}

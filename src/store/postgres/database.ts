/**
 * The connection pool of the PostgreSQL store: single statements, transactions that publish their
 * change topics with NOTIFY before COMMIT (so other instances hear only of committed writes), and
 * one error mapping for all of it.
 */
import { ClientConfig, Pool, PoolClient, QueryResult, QueryResultRow, types } from 'pg';
import { breaksConnection, describeTarget, toStoreError } from './store-error';

export interface PostgresStoreOptions {
  /** Longest a statement may run, in ms (default 5000; a `statement_timeout` in the URL wins). */
  statementTimeoutMs?: number;
  /** Longest wait for a connection, in ms (default 5000). */
  connectTimeoutMs?: number;
  /** Connections in the pool (default 10). */
  poolSize?: number;
}

/**
 * SQL text, or a named statement: parsed and planned once per connection, then only bound and run
 * (the hot paths' point lookups and inserts). A name stands for one text only; named statements list
 * their columns (no `*`), so a column added by a later migration does not break their cached plan.
 */
export type Sql = string | NamedStatement;

export interface NamedStatement {
  readonly name: string;
  readonly text: string;
}

export type Query = <R extends QueryResultRow = QueryResultRow>(sql: Sql, values?: unknown[]) => Promise<QueryResult<R>>;

// A fresh config each call: pg writes the values into the object it is given.
const queryConfig = (sql: Sql, values?: unknown[]) => (typeof sql === 'string' ? { text: sql, values } : { name: sql.name, text: sql.text, values });

const INT8_OID = 20;
// BIGINT columns hold Unix seconds/ms and counts, all far below 2^53; serials are NUMERIC and stay strings.
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (v: string) => Number(v) : types.getTypeParser(oid, format as 'text')) as typeof types.getTypeParser,
};

export interface Database {
  readonly target: string;
  readonly timeoutMs: number;
  /** Settings for a client outside the pool (the listener). */
  readonly clientConfig: ClientConfig;
  query: Query;
  /** Runs `fn` in one transaction; `notify` payloads go out on `channel` in the same transaction. */
  tx<T>(fn: (q: Query) => Promise<T>, notify?: { channel: string; payloads: string[] }): Promise<T>;
  /** A client of its own, for work that manages its own transaction (migrations). */
  withClient<T>(fn: (client: PoolClient) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export function createDatabase(url: string, options: PostgresStoreOptions = {}): Database {
  const fromUrl = Number(new URL(url).searchParams.get('statement_timeout') ?? NaN);
  const timeoutMs = Number.isInteger(fromUrl) && fromUrl > 0 ? fromUrl : options.statementTimeoutMs ?? 5000;
  const clientConfig: ClientConfig = {
    connectionString: url,
    statement_timeout: timeoutMs,
    // The server cancels slow statements itself; this catches a server that stopped answering at all.
    query_timeout: timeoutMs + 1000,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    keepAlive: true,
    types: TYPES,
  };
  const pool = new Pool({ ...clientConfig, max: options.poolSize ?? 10 });
  // An idle connection that breaks (server restart) is dropped by the pool; the next query opens another.
  pool.on('error', () => undefined);
  const target = describeTarget(url);
  const wrap = (err: unknown) => toStoreError(err, target, timeoutMs);

  /** Runs `fn` on a pooled connection; in a transaction, a failure rolls it back first. */
  const use = async <T>(fn: (client: PoolClient) => Promise<T>, transaction: boolean): Promise<T> => {
    let client: PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      throw wrap(err);
    }
    let broken = false;
    // pg-pool removes its error listener from a checked-out client: without ours, a connection that
    // dies mid-use (network cut, server restart) would emit an unhandled 'error' and end the process.
    const onLost = () => {
      broken = true;
    };
    client.on('error', onLost);
    try {
      if (transaction) await client.query('BEGIN');
      return await fn(client);
    } catch (err) {
      broken = broken || breaksConnection(err);
      // A connection that cannot even roll back is thrown away rather than reused.
      if (transaction && !broken) await client.query('ROLLBACK').catch(() => (broken = true));
      throw wrap(err);
    } finally {
      client.removeListener('error', onLost);
      client.release(broken);
    }
  };

  return {
    target,
    timeoutMs,
    clientConfig,
    async query(sql, values) {
      try {
        return await pool.query(queryConfig(sql, values));
      } catch (err) {
        throw wrap(err);
      }
    },
    tx: (fn, notify) =>
      use(async (client) => {
        const result = await fn((sql, values) => client.query(queryConfig(sql, values)));
        for (const payload of notify?.payloads ?? []) await client.query('SELECT pg_notify($1, $2)', [notify?.channel, payload]);
        await client.query('COMMIT');
        return result;
      }, true),
    withClient: (fn) => use(fn, false),
    async close() {
      if (pool.ending) return;
      await pool.end();
    },
  };
}

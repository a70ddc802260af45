/** Failure counters in PostgreSQL, shared by every instance: row and advisory locks order concurrent attempts. */
import { CounterRow, toCounter } from '../rows';
import { FailureCounter, LockFor, LockoutStore, LoginWrites } from '../store';
import { AUDIT_COLUMNS, auditValues } from './audit-tables';
import { Query } from './database';
import { PostgresContext } from './postgres-context';
import { addValues, REFRESH_TOKEN_COLUMNS, userMissing } from './refresh-token-tables';

/** Any fixed number: the first half of countAttempt's advisory lock keys (migrations use another). */
const ATTEMPT_LOCK_CLASS = 0x6d677732;

/** Counts one failure on each key inside the caller's transaction; keys in sorted order so calls cannot deadlock. */
async function countKeys(q: Query, keys: string[], at: number, windowStart: number, lockFor: LockFor): Promise<FailureCounter[]> {
  const order = keys.map((key, i) => ({ key, i })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.i - b.i));
  const out: FailureCounter[] = new Array(keys.length);
  for (const { key, i } of order) {
    // The upsert holds the row lock until COMMIT: a concurrent call counts on top of this one.
    const { rows } = await q<{ failures: number }>(
      `INSERT INTO failure_counters AS f (key, failures, locked_until, last_failure_at) VALUES ($1, 1, 0, $2)
       ON CONFLICT (key) DO UPDATE SET failures = CASE WHEN f.last_failure_at >= $3 THEN f.failures + 1 ELSE 1 END, last_failure_at = $2
       RETURNING failures`,
      [key, at, windowStart],
    );
    const failures = rows[0].failures;
    const lock = lockFor(failures, key);
    const lockedUntil = lock > 0 ? at + lock : 0;
    await q('UPDATE failure_counters SET locked_until = $1 WHERE key = $2', [lockedUntil, key]);
    out[i] = { key, failures, lockedUntil, lastFailureAt: at };
  }
  return out;
}

const params = (from: number, n: number) => Array.from({ length: n }, (_v, i) => `$${from + i}`).join(', ');

/**
 * attemptSucceeded as one statement (one round trip, atomic), named per shape (prepared once per
 * connection): the `clear` keys deleted ($1), one failure taken back from the `forgive` ones ($2)
 * but those cleared (a key in both lists is cleared: the UPDATE leaves it to the DELETE), and a
 * login's token and audit row inserted when it has them (their values after $2, in that order).
 */
function succeeded(token: boolean, audit: boolean) {
  const inserts: string[] = [];
  let next = 3;
  if (token) {
    inserts.push(`added AS (INSERT INTO refresh_tokens (${REFRESH_TOKEN_COLUMNS}) VALUES (${params(next, 9)}))`);
    next += 9;
  }
  if (audit) inserts.push(`recorded AS (INSERT INTO audit_events (${AUDIT_COLUMNS}) VALUES (${params(next, 9)}))`);
  return {
    name: `mgw_attempt_succeeded${token ? '_token' : ''}${audit ? '_audit' : ''}`,
    text: `WITH ${['cleared AS (DELETE FROM failure_counters WHERE key = ANY($1::text[]))', ...inserts].join(', ')}
           UPDATE failure_counters SET failures = GREATEST(failures - 1, 0) WHERE key = ANY($2::text[]) AND NOT (key = ANY($1::text[]))`,
  };
}
const SUCCEEDED = [succeeded(false, false), succeeded(false, true), succeeded(true, false), succeeded(true, true)];

export function lockoutTables({ db, write }: PostgresContext): LockoutStore {
  return {
    async recordFailures(keys: string[], at: number, windowStart: number, lockFor: LockFor) {
      return write([], (q) => countKeys(q, keys, at, windowStart, lockFor));
    },

    async countAttempt(keys: string[], at: number, windowStart: number, lockFor: LockFor) {
      return write([], async (q) => {
        // Row locks cannot cover a key that has no row yet (a first attempt), so each key takes an
        // advisory lock, in sorted order (no deadlocks): concurrent attempts queue here and each one
        // decides on the counts the one before it left.
        for (const key of [...new Set(keys)].sort()) await q('SELECT pg_advisory_xact_lock($1, hashtext($2))', [ATTEMPT_LOCK_CLASS, key]);
        const { rows } = await q<CounterRow>(
          'SELECT key, failures, locked_until, last_failure_at FROM failure_counters WHERE key = ANY($1::text[]) ORDER BY key FOR UPDATE',
          [keys],
        );
        const lockedUntil = Math.max(0, ...rows.map((r) => Number(r.locked_until)));
        if (lockedUntil > at) {
          const byKey = new Map(rows.map((r) => [r.key, toCounter(r)]));
          return { lockedUntil, counters: keys.flatMap((k) => (byKey.has(k) ? [byKey.get(k)!] : [])) };
        }
        return { lockedUntil: 0, counters: await countKeys(q, keys, at, windowStart, lockFor) };
      });
    },

    async lockFailures(keys: string[], at: number, lockFor: LockFor) {
      return write([], async (q) => {
        // Rows locked in key order, as countAttempt locks them: no deadlock between the two.
        const { rows } = await q<CounterRow>(
          'SELECT key, failures, locked_until, last_failure_at FROM failure_counters WHERE key = ANY($1::text[]) ORDER BY key FOR UPDATE',
          [keys],
        );
        const byKey = new Map<string, FailureCounter>();
        for (const r of rows) {
          const counter = toCounter(r);
          const lock = lockFor(counter.failures, r.key);
          const lockedUntil = Math.max(counter.lockedUntil, lock > 0 ? at + lock : 0);
          if (lockedUntil !== counter.lockedUntil) await q('UPDATE failure_counters SET locked_until = $1 WHERE key = $2', [lockedUntil, r.key]);
          byKey.set(r.key, { ...counter, lockedUntil });
        }
        return keys.flatMap((k) => (byKey.has(k) ? [byKey.get(k)!] : []));
      });
    },

    async forgiveFailures(keys: string[]) {
      await db.query('UPDATE failure_counters SET failures = GREATEST(failures - 1, 0) WHERE key = ANY($1::text[])', [keys]);
    },

    async attemptSucceeded(clear: string[], forgive: string[], login?: LoginWrites) {
      const token = login?.token;
      const audit = login?.audit;
      const statement = SUCCEEDED[(token ? 2 : 0) + (audit ? 1 : 0)];
      const values = [clear, forgive, ...(token ? addValues(token) : []), ...(audit ? auditValues(audit) : [])];
      await (token ? db.query(statement, values).catch(userMissing(token)) : db.query(statement, values));
    },

    async getFailures(keys: string[]) {
      const { rows } = await db.query<CounterRow>('SELECT key, failures, locked_until, last_failure_at FROM failure_counters WHERE key = ANY($1::text[])', [keys]);
      const byKey = new Map(rows.map((r) => [r.key, toCounter(r)]));
      return keys.flatMap((key) => {
        const c = byKey.get(key);
        return c ? [c] : [];
      });
    },

    async clearFailures(keys: string[]) {
      await db.query('DELETE FROM failure_counters WHERE key = ANY($1::text[])', [keys]);
    },
  };
}

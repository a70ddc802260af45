/**
 * Failure counters in the embedded database. Every change is one IMMEDIATE transaction (write), so
 * processes on one file count one after the other.
 */
import { CounterRow, toCounter } from '../rows';
import { FailureCounter, LockFor, LockoutStore, LoginWrites } from '../store';
import { insertAudit } from './audit-tables';
import { insertRefreshToken } from './refresh-token-tables';
import { SqliteContext } from './sqlite-context';

export function lockoutTables({ sql, write }: SqliteContext): LockoutStore {
  const failure = sql('SELECT key, failures, locked_until, last_failure_at FROM failure_counters WHERE key = ?');

  /** Inside the caller's transaction, as the two below. */
  function clearKeys(keys: string[]): void {
    const del = sql('DELETE FROM failure_counters WHERE key = ?');
    for (const key of keys) del.run(key);
  }

  function forgiveKeys(keys: string[]): void {
    const forgive = sql('UPDATE failure_counters SET failures = MAX(failures - 1, 0) WHERE key = ?');
    for (const key of keys) forgive.run(key);
  }

  function countOne(key: string, at: number, windowStart: number, lockFor: LockFor): FailureCounter {
    const prev = failure.get(key) as { failures: number; last_failure_at: number } | undefined;
    const failures = (prev && prev.last_failure_at >= windowStart ? prev.failures : 0) + 1;
    const lock = lockFor(failures, key);
    const lockedUntil = lock > 0 ? at + lock : 0;
    sql(
      `INSERT INTO failure_counters (key, failures, locked_until, last_failure_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until, last_failure_at = excluded.last_failure_at`,
    ).run(key, failures, lockedUntil, at);
    return { key, failures, lockedUntil, lastFailureAt: at };
  }

  return {
    async recordFailures(keys: string[], at: number, windowStart: number, lockFor: LockFor) {
      return write([], () => keys.map((key) => countOne(key, at, windowStart, lockFor)));
    },

    async countAttempt(keys: string[], at: number, windowStart: number, lockFor: LockFor) {
      return write([], () => {
        const current = keys.flatMap((key) => {
          const r = failure.get(key) as CounterRow | undefined;
          return r ? [toCounter(r)] : [];
        });
        const lockedUntil = Math.max(0, ...current.map((c) => c.lockedUntil));
        if (lockedUntil > at) return { lockedUntil, counters: current };
        return { lockedUntil: 0, counters: keys.map((key) => countOne(key, at, windowStart, lockFor)) };
      });
    },

    async lockFailures(keys: string[], at: number, lockFor: LockFor) {
      return write([], () => {
        const update = sql('UPDATE failure_counters SET locked_until = ? WHERE key = ?');
        return keys.flatMap((key) => {
          const r = failure.get(key) as CounterRow | undefined;
          if (!r) return [];
          const lock = lockFor(r.failures, key);
          const lockedUntil = Math.max(r.locked_until, lock > 0 ? at + lock : 0);
          if (lockedUntil !== r.locked_until) update.run(lockedUntil, key);
          return [toCounter({ ...r, locked_until: lockedUntil })];
        });
      });
    },

    async forgiveFailures(keys: string[]) {
      await write([], () => forgiveKeys(keys));
    },

    // One savepoint of this turn's transaction (group-commit.ts): a login's writes after its password
    // check commit together, and a token refused (its user gone) undoes the counters too.
    async attemptSucceeded(clear: string[], forgive: string[], login?: LoginWrites) {
      await write([], () => {
        clearKeys(clear);
        forgiveKeys(forgive);
        if (login?.token) insertRefreshToken(sql, login.token);
        if (login?.audit) insertAudit(sql, login.audit);
      });
    },

    async getFailures(keys: string[]) {
      return keys.flatMap((key) => {
        const r = failure.get(key) as CounterRow | undefined;
        return r ? [toCounter(r)] : [];
      });
    },

    async clearFailures(keys: string[]) {
      await write([], () => clearKeys(keys));
    },
  };
}

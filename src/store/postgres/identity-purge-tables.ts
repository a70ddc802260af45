/** Dropping identity rows nothing will read again, in PostgreSQL. */
import { IdentityPurge, IdentityPurgeStore, PurgedIdentityRows } from '../store';
import { PostgresContext } from './postgres-context';

export function identityPurgeTables({ write }: PostgresContext): IdentityPurgeStore {
  return {
    async purgeIdentityRows(p: IdentityPurge): Promise<PurgedIdentityRows> {
      // Each DELETE picks at most `limit` rows through an index: counters by last failure; tokens by
      // expiry, each asking the (family, expiry) index for its family's newest expiry. Revoked
      // families are scanned, one index probe each, but only those whose tokens are still kept remain.
      // The probes are scalar subqueries and the keys an ARRAY, so the planner cannot turn either
      // into a hash join over the whole table. SKIP LOCKED: the purge never waits for a login or a
      // refresh holding a row, so it cannot deadlock with them; what it skips goes next time.
      return write([], async (q) => {
        const counters = await q(
          `DELETE FROM failure_counters WHERE key = ANY (ARRAY(
             SELECT key FROM failure_counters WHERE last_failure_at < $1 AND locked_until <= $2 LIMIT $3 FOR UPDATE SKIP LOCKED))`,
          [p.failuresBefore, p.at, p.limit],
        );
        const tokens = await q(
          `DELETE FROM refresh_tokens WHERE token_hash = ANY (ARRAY(
             SELECT t.token_hash FROM refresh_tokens t WHERE t.expires_at < $1
             AND (SELECT max(l.expires_at) FROM refresh_tokens l WHERE l.family_id = t.family_id) < $1
             LIMIT $2 FOR UPDATE SKIP LOCKED))`,
          [p.expiredBefore, p.limit],
        );
        const families = await q(
          `DELETE FROM revoked_refresh_families WHERE family_id = ANY (ARRAY(
             SELECT f.family_id FROM revoked_refresh_families f
             WHERE (SELECT 1 FROM refresh_tokens t WHERE t.family_id = f.family_id LIMIT 1) IS NULL LIMIT $1 FOR UPDATE SKIP LOCKED))`,
          [p.limit],
        );
        return { failureCounters: counters.rowCount ?? 0, refreshTokens: tokens.rowCount ?? 0, refreshFamilies: families.rowCount ?? 0 };
      });
    },
  };
}

/** Dropping identity rows nothing will read again, in the embedded database. */
import { IdentityPurge, IdentityPurgeStore, PurgedIdentityRows } from '../store';
import { SqliteContext } from './sqlite-context';

export function identityPurgeTables({ sql, write }: SqliteContext): IdentityPurgeStore {
  return {
    async purgeIdentityRows(p: IdentityPurge): Promise<PurgedIdentityRows> {
      // Each DELETE picks at most `limit` rows through an index: counters by last failure; tokens by
      // expiry, each asking the (family, expiry) index whether its family has a later token. Revoked
      // families are scanned, one index probe each, but only those whose tokens are still kept remain.
      return write([], () => {
        const failureCounters = sql(
          'DELETE FROM failure_counters WHERE key IN (SELECT key FROM failure_counters WHERE last_failure_at < ? AND locked_until <= ? LIMIT ?)',
        ).run(p.failuresBefore, p.at, p.limit).changes;
        const refreshTokens = sql(
          `DELETE FROM refresh_tokens WHERE token_hash IN (
             SELECT t.token_hash FROM refresh_tokens t WHERE t.expires_at < ?
             AND NOT EXISTS (SELECT 1 FROM refresh_tokens l WHERE l.family_id = t.family_id AND l.expires_at >= ?) LIMIT ?)`,
        ).run(p.expiredBefore, p.expiredBefore, p.limit).changes;
        const refreshFamilies = sql(
          `DELETE FROM revoked_refresh_families WHERE family_id IN (
             SELECT f.family_id FROM revoked_refresh_families f
             WHERE NOT EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.family_id = f.family_id) LIMIT ?)`,
        ).run(p.limit).changes;
        return { failureCounters, refreshTokens, refreshFamilies };
      });
    },
  };
}

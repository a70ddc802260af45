/** Refresh tokens and revoked token families in PostgreSQL. */
import { UserNotFound } from '../../errors';
import { RefreshTokenRow, toRefreshToken } from '../rows';
import { AuditEvent, RefreshTokenRecord, RefreshTokenStore } from '../store';
import { AUDIT_COLUMNS, auditValues } from './audit-tables';
import { PostgresContext } from './postgres-context';
import { onViolation } from './store-error';

/** A token's columns and values, in order (exported for a part that adds a token in its own statement: lockout-tables.ts). */
export const REFRESH_TOKEN_COLUMNS = 'token_hash, family_id, user_id, dialect, rotating, issued_at, expires_at, used_at, revoked_at';

/** The refresh path's statements, named: prepared once per connection. */
const ADD = {
  name: 'mgw_refresh_token_add',
  text: `INSERT INTO refresh_tokens (${REFRESH_TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
};
const FIND = {
  name: 'mgw_refresh_token_find',
  text: `SELECT t.token_hash, t.family_id, t.user_id, t.dialect, t.rotating, t.issued_at, t.expires_at, t.used_at,
                COALESCE(t.revoked_at, f.revoked_at) AS revoked_at
         FROM refresh_tokens t LEFT JOIN revoked_refresh_families f ON f.family_id = t.family_id WHERE t.token_hash = $1`,
};
// A concurrent spend waits for this row's lock, then finds used_at set and matches nothing.
const SPEND = {
  name: 'mgw_refresh_token_spend',
  text: `UPDATE refresh_tokens t SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND revoked_at IS NULL
         AND NOT EXISTS (SELECT 1 FROM revoked_refresh_families f WHERE f.family_id = t.family_id)`,
};

/**
 * A rotation as one statement (one round trip, atomic): SPEND's update; the next token and the
 * audit row are inserted once per row it spent, so none when it spent nothing. A concurrent
 * rotation or spend of the same token waits for the row lock, then matches nothing.
 */
const ROTATE = {
  name: 'mgw_refresh_token_rotate',
  text: `WITH spent AS (
           UPDATE refresh_tokens t SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND revoked_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM revoked_refresh_families f WHERE f.family_id = t.family_id)
           RETURNING 1
         ), added AS (
           INSERT INTO refresh_tokens (token_hash, family_id, user_id, dialect, rotating, issued_at, expires_at, used_at, revoked_at)
           SELECT $3::TEXT, $4::TEXT, $5::TEXT, $6::TEXT, $7::BOOLEAN, $8::BIGINT, $9::BIGINT, $10::BIGINT, $11::BIGINT FROM spent
         ), recorded AS (
           INSERT INTO audit_events (${AUDIT_COLUMNS})
           SELECT $12::BIGINT, $13::TEXT, $14::TEXT, $15::TEXT, $16::TEXT, $17::TEXT, $18::TEXT, $19::TEXT, $20::TEXT FROM spent
         )
         SELECT count(*)::INTEGER AS n FROM spent`,
};

export const addValues = (t: RefreshTokenRecord) => [t.tokenHash, t.familyId, t.userId, t.dialect, t.rotating, t.issuedAt, t.expiresAt, t.usedAt, t.revokedAt];
/** The typed error of a token whose user is gone (the foreign key refused it). */
export const userMissing = (t: RefreshTokenRecord) => onViolation({ refresh_tokens_user_id_fkey: () => new UserNotFound(`user ${t.userId} does not exist`) });

export function refreshTokenTables({ db, write }: PostgresContext): RefreshTokenStore {
  return {
    async addRefreshToken(t: RefreshTokenRecord) {
      await db.query(ADD, addValues(t)).catch(userMissing(t));
    },

    async findRefreshToken(tokenHash: string) {
      const { rows } = await db.query<RefreshTokenRow>(FIND, [tokenHash]);
      return rows[0] && toRefreshToken(rows[0]);
    },

    async spendRefreshToken(tokenHash: string, at: number) {
      const r = await db.query(SPEND, [at, tokenHash]);
      return r.rowCount === 1;
    },

    async rotateRefreshToken(spentHash: string, at: number, next: RefreshTokenRecord, audit: AuditEvent) {
      const { rows } = await db.query<{ n: number }>(ROTATE, [at, spentHash, ...addValues(next), ...auditValues(audit)]).catch(userMissing(next));
      return rows[0].n === 1;
    },

    async revokeRefreshFamily(familyId: string, at: number) {
      return write(['users'], async (q) => {
        await q('INSERT INTO revoked_refresh_families (family_id, revoked_at) VALUES ($1, $2) ON CONFLICT DO NOTHING', [familyId, at]);
        return (await q('UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL', [at, familyId])).rowCount ?? 0;
      });
    },

    async revokeUserRefreshTokens(userId: string, at: number) {
      return write(['users'], async (q) => {
        await q(
          `INSERT INTO revoked_refresh_families (family_id, revoked_at)
           SELECT DISTINCT family_id, $1::BIGINT FROM refresh_tokens WHERE user_id = $2 ORDER BY family_id ON CONFLICT DO NOTHING`,
          [at, userId],
        );
        return (await q('UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL', [at, userId])).rowCount ?? 0;
      });
    },

    async countLiveRefreshTokens(now: number) {
      const { rows } = await db.query<{ n: number }>(
        `SELECT COUNT(*) AS n FROM refresh_tokens t WHERE revoked_at IS NULL AND expires_at > $1
         AND NOT EXISTS (SELECT 1 FROM revoked_refresh_families f WHERE f.family_id = t.family_id)`,
        [now],
      );
      return rows[0].n;
    },
  };
}

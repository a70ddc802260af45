/** Revoked access tokens in PostgreSQL. */
import { RevokedTokenRow, toRevokedToken } from '../rows';
import { RevokedToken, RevocationStore } from '../store';
import { PostgresContext } from './postgres-context';

/** Asked for every token an instance has not checked yet: a named statement, prepared once per connection. */
const IS_REVOKED = { name: 'mgw_token_revoked', text: 'SELECT 1 FROM revoked_tokens WHERE jti = $1' };

export function revocationTables({ db, write }: PostgresContext): RevocationStore {
  return {
    async revokeToken(token: RevokedToken): Promise<void> {
      await write(['tokens'], (q) =>
        q('INSERT INTO revoked_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING', [token.jti, token.expiresAt]),
      );
    },

    async isTokenRevoked(jti: string): Promise<boolean> {
      const { rows } = await db.query(IS_REVOKED, [jti]);
      return rows.length > 0;
    },

    async purgeRevokedTokens(now: number): Promise<number> {
      const { rowCount } = await db.query('DELETE FROM revoked_tokens WHERE expires_at < $1', [now]);
      return rowCount ?? 0;
    },

    async listRevokedTokens(now: number): Promise<RevokedToken[]> {
      // The purge and the read see one snapshot, so the read filters the purged rows itself.
      const { rows } = await db.query<RevokedTokenRow>(
        `WITH purged AS (DELETE FROM revoked_tokens WHERE expires_at < $1)
         SELECT jti, expires_at FROM revoked_tokens WHERE expires_at >= $1`,
        [now],
      );
      return rows.map(toRevokedToken);
    },
  };
}

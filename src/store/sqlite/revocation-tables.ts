/** Revoked access tokens in the embedded database. */
import { RevokedTokenRow, toRevokedToken } from '../rows';
import { RevocationStore } from '../store';
import { SqliteContext } from './sqlite-context';

export function revocationTables({ sql, write }: SqliteContext): RevocationStore {
  const purge = (now: number) => write([], () => sql('DELETE FROM revoked_tokens WHERE expires_at < ?').run(now).changes);
  return {
    async revokeToken(token) {
      await write(['tokens'], () => {
        sql('INSERT INTO revoked_tokens (jti, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING').run(token.jti, token.expiresAt);
      });
    },

    async isTokenRevoked(jti) {
      return sql('SELECT 1 FROM revoked_tokens WHERE jti = ?').get(jti) !== undefined;
    },

    purgeRevokedTokens: purge,

    async listRevokedTokens(now) {
      await purge(now);
      const rows = sql('SELECT jti, expires_at FROM revoked_tokens').all() as RevokedTokenRow[];
      return rows.map(toRevokedToken);
    },
  };
}

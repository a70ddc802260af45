/** Revoked access tokens in the embedded database. */
import { RevokedTokenRow, toRevokedToken } from '../rows';
import { RevocationStore } from '../store';
import { SqliteContext } from './sqlite-context';

export function revocationTables({ db, write }: SqliteContext): RevocationStore {
  const purge = (now: number) => write([], () => db.prepare('DELETE FROM revoked_tokens WHERE expires_at < ?').run(now).changes);
  return {
    async revokeToken(token) {
      await write(['tokens'], () => {
        db.prepare('INSERT INTO revoked_tokens (jti, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING').run(token.jti, token.expiresAt);
      });
    },

    async isTokenRevoked(jti) {
      return db.prepare('SELECT 1 FROM revoked_tokens WHERE jti = ?').get(jti) !== undefined;
    },

    purgeRevokedTokens: purge,

    async listRevokedTokens(now) {
      await purge(now);
      const rows = db.prepare('SELECT jti, expires_at FROM revoked_tokens').all() as RevokedTokenRow[];
      return rows.map(toRevokedToken);
    },
  };
}

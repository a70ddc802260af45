/** Refresh tokens and revoked token families in the embedded database. */
import { UserNotFound } from '../../errors';
import { AuditEvent, RefreshTokenRecord, RefreshTokenStore } from '../store';
import { insertAudit } from './audit-tables';
import { SqliteContext, sqlValue } from './sqlite-context';
import { Statements } from './statements';

const ADD = `INSERT INTO refresh_tokens (token_hash, family_id, user_id, dialect, rotating, issued_at, expires_at, used_at, revoked_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const SPEND = `UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND revoked_at IS NULL
               AND family_id NOT IN (SELECT family_id FROM revoked_refresh_families)`;
/** The lookup's columns in order: family, user, dialect, rotating (0/1), issued, expires, used, revoked (the token's or its family's). */
type RawTokenRow = [string, string, string, number, number, number, number | null, number | null];
const addValues = (t: RefreshTokenRecord) => [t.tokenHash, t.familyId, t.userId, t.dialect, sqlValue(t.rotating), t.issuedAt, t.expiresAt, t.usedAt, t.revokedAt];

/**
 * Adds a token inside the caller's write (exported for a part that adds one in a write of its own:
 * lockout-tables.ts). A user gone meanwhile throws the same typed error as PostgreSQL's.
 */
export function insertRefreshToken(sql: Statements['sql'], t: RefreshTokenRecord): void {
  try {
    sql(ADD).run(...addValues(t));
  } catch (err) {
    if ((err as { code?: unknown }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY') throw new UserNotFound(`user ${t.userId} does not exist`);
    throw err;
  }
}

export function refreshTokenTables({ db, pluck, sql, write }: SqliteContext): RefreshTokenStore {
  // Raw (an array per row): better-sqlite3 builds a row object property by property, a fifth of this
  // call's instructions (bench/README.md, issue 13, "schema"). The hash is not read back: it is the one asked for.
  const token = db.prepare(
    `SELECT t.family_id, t.user_id, t.dialect, t.rotating, t.issued_at, t.expires_at, t.used_at, COALESCE(t.revoked_at, f.revoked_at)
     FROM refresh_tokens t LEFT JOIN revoked_refresh_families f ON f.family_id = t.family_id WHERE t.token_hash = ?`,
  ).raw();
  return {
    async addRefreshToken(t: RefreshTokenRecord) {
      await write([], () => insertRefreshToken(sql, t));
    },

    async findRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | undefined> {
      const r = token.get(tokenHash) as RawTokenRow | undefined;
      if (r === undefined) return undefined;
      return { tokenHash, familyId: r[0], userId: r[1], dialect: r[2], rotating: Boolean(r[3]), issuedAt: r[4], expiresAt: r[5], usedAt: r[6], revokedAt: r[7] };
    },

    async spendRefreshToken(tokenHash: string, at: number) {
      return write([], () => sql(SPEND).run(at, tokenHash).changes === 1);
    },

    // One savepoint of this turn's transaction (group-commit.ts): the spend, the next token and the
    // audit row commit together or not at all.
    async rotateRefreshToken(spentHash: string, at: number, next: RefreshTokenRecord, audit: AuditEvent) {
      return write([], () => {
        if (sql(SPEND).run(at, spentHash).changes !== 1) return false;
        // A user gone meanwhile throws, and the savepoint undoes the spend.
        insertRefreshToken(sql, next);
        insertAudit(sql, audit);
        return true;
      });
    },

    async revokeRefreshFamily(familyId: string, at: number) {
      return write(['users'], () => {
        sql('INSERT INTO revoked_refresh_families (family_id, revoked_at) VALUES (?, ?) ON CONFLICT DO NOTHING').run(familyId, at);
        return sql('UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL').run(at, familyId).changes;
      });
    },

    async revokeUserRefreshTokens(userId: string, at: number) {
      return write(['users'], () => {
        sql(
          'INSERT INTO revoked_refresh_families (family_id, revoked_at) SELECT DISTINCT family_id, ? FROM refresh_tokens WHERE user_id = ? ON CONFLICT DO NOTHING',
        ).run(at, userId);
        return sql('UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL').run(at, userId).changes;
      });
    },

    async countLiveRefreshTokens(now: number) {
      return pluck(
        'SELECT COUNT(*) FROM refresh_tokens WHERE revoked_at IS NULL AND expires_at > ? AND family_id NOT IN (SELECT family_id FROM revoked_refresh_families)',
      ).get(now) as number;
    },
  };
}

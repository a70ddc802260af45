/** The identity tables of the embedded store (users, roles, refresh tokens, failure counters, audit). */
import { StoreTopic } from '../store';
import { SqliteContext } from './sqlite-context';
import { AlreadyExists, FailedPrecondition, RoleNotFound, TenantNotFound, UserNotFound } from '../../errors';
import { AuditRow, CounterRow, RefreshTokenRow, RoleRow, toAuditEvent, toCounter, toRefreshToken, toRole, toUser, USER_PATCH_COLUMNS, UserRow } from '../rows';
import { AuditEvent, FailureCounter, IdentityPurge, PurgedIdentityRows, RefreshTokenRecord, RoleRecord, UserPatch, UserRecord } from '../store';

const sqlValue = (v: unknown) => (typeof v === 'boolean' ? (v ? 1 : 0) : v);

export type IdentityTables = ReturnType<typeof identityTables>;

export function identityTables({ db, write }: SqliteContext) {
  const users: StoreTopic[] = ['users'];
  const q = {
    userByName: db.prepare('SELECT * FROM users WHERE username = ?'),
    userById: db.prepare('SELECT * FROM users WHERE user_id = ?'),
    token: db.prepare(
      `SELECT t.token_hash, t.family_id, t.user_id, t.dialect, t.rotating, t.issued_at, t.expires_at, t.used_at,
              COALESCE(t.revoked_at, f.revoked_at) AS revoked_at
       FROM refresh_tokens t LEFT JOIN revoked_refresh_families f ON f.family_id = t.family_id WHERE t.token_hash = ?`,
    ),
    failure: db.prepare('SELECT key, failures, locked_until, last_failure_at FROM failure_counters WHERE key = ?'),
  };

  function countOne(key: string, at: number, windowStart: number, lockFor: (failures: number, key: string) => number): FailureCounter {
    const prev = q.failure.get(key) as { failures: number; last_failure_at: number } | undefined;
    const failures = (prev && prev.last_failure_at >= windowStart ? prev.failures : 0) + 1;
    const lock = lockFor(failures, key);
    const lockedUntil = lock > 0 ? at + lock : 0;
    db.prepare(
      `INSERT INTO failure_counters (key, failures, locked_until, last_failure_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until, last_failure_at = excluded.last_failure_at`,
    ).run(key, failures, lockedUntil, at);
    return { key, failures, lockedUntil, lastFailureAt: at };
  }

  return {
    async addUser(u: UserRecord) {
      await write(users, () => {
        if (!db.prepare('SELECT 1 FROM tenants WHERE tenant_id = ?').get(u.tenantId)) throw new TenantNotFound(`tenant ${u.tenantId} does not exist`);
        if (!db.prepare('SELECT 1 FROM roles WHERE name = ?').get(u.role)) throw new RoleNotFound(`role ${u.role} does not exist`);
        const r = db
          .prepare(
            `INSERT INTO users (user_id, username, tenant_id, role, password_hash, email, first_name, last_name, disabled, must_change_password, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
          )
          .run(u.userId, u.username, u.tenantId, u.role, u.passwordHash, u.email, u.firstName, u.lastName, sqlValue(u.disabled), sqlValue(u.mustChangePassword), u.createdAt, u.updatedAt);
        if (r.changes === 0) throw new AlreadyExists(`user ${u.username} already exists`);
      });
    },
    async findUserByName(username: string) {
      const row = q.userByName.get(username) as UserRow | undefined;
      return row && toUser(row);
    },
    async findUser(userId: string) {
      const row = q.userById.get(userId) as UserRow | undefined;
      return row && toUser(row);
    },
    async listUsers(tenantId?: string) {
      const rows = (tenantId === undefined
        ? db.prepare('SELECT * FROM users ORDER BY username').all()
        : db.prepare('SELECT * FROM users WHERE tenant_id = ? ORDER BY username').all(tenantId)) as UserRow[];
      return rows.map(toUser);
    },
    async updateUser(userId: string, patch: UserPatch, updatedAt: number) {
      await write(users, () => {
        const keys = Object.keys(patch).filter((k) => patch[k as keyof UserPatch] !== undefined) as (keyof UserPatch)[];
        if (patch.role !== undefined && !db.prepare('SELECT 1 FROM roles WHERE name = ?').get(patch.role)) throw new RoleNotFound(`role ${patch.role} does not exist`);
        const sets = [...keys.map((k) => `${USER_PATCH_COLUMNS[k]} = ?`), 'updated_at = ?'].join(', ');
        const r = db.prepare(`UPDATE users SET ${sets} WHERE user_id = ?`).run(...keys.map((k) => sqlValue(patch[k])), updatedAt, userId);
        if (r.changes === 0) throw new UserNotFound(`user ${userId} does not exist`);
      });
    },
    async deleteUser(userId: string) {
      await write(users, () => {
        if (db.prepare('DELETE FROM users WHERE user_id = ?').run(userId).changes === 0) throw new UserNotFound(`user ${userId} does not exist`);
      });
    },

    async putRole(role: RoleRecord) {
      await write(users, () => {
        db.prepare(
          `INSERT INTO roles (name, permissions, created_at, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET permissions = excluded.permissions, updated_at = excluded.updated_at`,
        ).run(role.name, JSON.stringify(role.permissions), role.createdAt, role.updatedAt);
      });
    },
    async listRoles() {
      return (db.prepare('SELECT * FROM roles ORDER BY name').all() as RoleRow[]).map(toRole);
    },
    async findRole(name: string) {
      const r = db.prepare('SELECT * FROM roles WHERE name = ?').get(name) as RoleRow | undefined;
      return r && toRole(r);
    },
    async deleteRole(name: string) {
      await write(users, () => {
        if (db.prepare('SELECT 1 FROM users WHERE role = ? LIMIT 1').get(name)) throw new FailedPrecondition(`role ${name} is still assigned to users`);
        if (db.prepare('DELETE FROM roles WHERE name = ?').run(name).changes === 0) throw new RoleNotFound(`role ${name} does not exist`);
      });
    },

    async addRefreshToken(t: RefreshTokenRecord) {
      await write([], () => {
        db.prepare(
          `INSERT INTO refresh_tokens (token_hash, family_id, user_id, dialect, rotating, issued_at, expires_at, used_at, revoked_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(t.tokenHash, t.familyId, t.userId, t.dialect, sqlValue(t.rotating), t.issuedAt, t.expiresAt, t.usedAt, t.revokedAt);
      });
    },
    async findRefreshToken(tokenHash: string) {
      const row = q.token.get(tokenHash) as RefreshTokenRow | undefined;
      return row && toRefreshToken(row);
    },
    async spendRefreshToken(tokenHash: string, at: number) {
      return write([], () =>
          db
            .prepare(
              `UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND revoked_at IS NULL
               AND family_id NOT IN (SELECT family_id FROM revoked_refresh_families)`,
            )
            .run(at, tokenHash).changes === 1,
      );
    },
    async revokeRefreshFamily(familyId: string, at: number) {
      return write(users, () => {
        db.prepare('INSERT INTO revoked_refresh_families (family_id, revoked_at) VALUES (?, ?) ON CONFLICT DO NOTHING').run(familyId, at);
        return db.prepare('UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL').run(at, familyId).changes;
      });
    },
    async revokeUserRefreshTokens(userId: string, at: number) {
      return write(users, () => {
        db.prepare(
          'INSERT INTO revoked_refresh_families (family_id, revoked_at) SELECT DISTINCT family_id, ? FROM refresh_tokens WHERE user_id = ? ON CONFLICT DO NOTHING',
        ).run(at, userId);
        return db.prepare('UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL').run(at, userId).changes;
      });
    },
    async countLiveRefreshTokens(now: number) {
      return db
        .prepare('SELECT COUNT(*) FROM refresh_tokens WHERE revoked_at IS NULL AND expires_at > ? AND family_id NOT IN (SELECT family_id FROM revoked_refresh_families)')
        .pluck()
        .get(now) as number;
    },

    async recordFailures(keys: string[], at: number, windowStart: number, lockFor: (failures: number, key: string) => number) {
      return write([], () => keys.map((key) => countOne(key, at, windowStart, lockFor)));
    },
    async countAttempt(keys: string[], at: number, windowStart: number, lockFor: (failures: number, key: string) => number) {
      return write([], () => {
        const current = keys.flatMap((key) => {
          const r = q.failure.get(key) as CounterRow | undefined;
          return r ? [toCounter(r)] : [];
        });
        const lockedUntil = Math.max(0, ...current.map((c) => c.lockedUntil));
        if (lockedUntil > at) return { lockedUntil, counters: current };
        return { lockedUntil: 0, counters: keys.map((key) => countOne(key, at, windowStart, lockFor)) };
      });
    },
    async lockFailures(keys: string[], at: number, lockFor: (failures: number, key: string) => number) {
      return write([], () => {
        const update = db.prepare('UPDATE failure_counters SET locked_until = ? WHERE key = ?');
        return keys.flatMap((key) => {
          const r = q.failure.get(key) as CounterRow | undefined;
          if (!r) return [];
          const lock = lockFor(r.failures, key);
          const lockedUntil = Math.max(r.locked_until, lock > 0 ? at + lock : 0);
          if (lockedUntil !== r.locked_until) update.run(lockedUntil, key);
          return [toCounter({ ...r, locked_until: lockedUntil })];
        });
      });
    },
    async forgiveFailures(keys: string[]) {
      await write([], () => {
        const forgive = db.prepare('UPDATE failure_counters SET failures = MAX(failures - 1, 0) WHERE key = ?');
        for (const key of keys) forgive.run(key);
      });
    },
    async getFailures(keys: string[]) {
      return keys.flatMap((key) => {
        const r = q.failure.get(key) as CounterRow | undefined;
        return r ? [toCounter(r)] : [];
      });
    },
    async clearFailures(keys: string[]) {
      await write([], () => {
        const del = db.prepare('DELETE FROM failure_counters WHERE key = ?');
        for (const key of keys) del.run(key);
      });
    },
    async purgeIdentityRows(p: IdentityPurge): Promise<PurgedIdentityRows> {
      // Each DELETE picks at most `limit` rows through an index: counters by last failure; tokens by
      // expiry, each asking the (family, expiry) index whether its family has a later token. Revoked
      // families are scanned, one index probe each, but only those whose tokens are still kept remain.
      return write([], () => {
        const failureCounters = db
          .prepare('DELETE FROM failure_counters WHERE key IN (SELECT key FROM failure_counters WHERE last_failure_at < ? AND locked_until <= ? LIMIT ?)')
          .run(p.failuresBefore, p.at, p.limit).changes;
        const refreshTokens = db
          .prepare(
            `DELETE FROM refresh_tokens WHERE token_hash IN (
               SELECT t.token_hash FROM refresh_tokens t WHERE t.expires_at < ?
               AND NOT EXISTS (SELECT 1 FROM refresh_tokens l WHERE l.family_id = t.family_id AND l.expires_at >= ?) LIMIT ?)`,
          )
          .run(p.expiredBefore, p.expiredBefore, p.limit).changes;
        const refreshFamilies = db
          .prepare(
            `DELETE FROM revoked_refresh_families WHERE family_id IN (
               SELECT f.family_id FROM revoked_refresh_families f
               WHERE NOT EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.family_id = f.family_id) LIMIT ?)`,
          )
          .run(p.limit).changes;
        return { failureCounters, refreshTokens, refreshFamilies };
      });
    },

    async recordAudit(e: AuditEvent) {
      // Through tx like every write, so a write into deleted database files is noticed.
      await write([], () => {
        db.prepare('INSERT INTO audit_events (at, event, outcome, dialect, username, tenant_id, address, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
          e.at,
          e.event,
          e.outcome,
          e.dialect,
          e.username,
          e.tenantId,
          e.address,
          e.detail,
        );
      });
    },
    async purgeAudit(before: number, limit: number) {
      return write([], () =>
          db
            .prepare(
              `DELETE FROM audit_events WHERE id IN (
                 SELECT id FROM audit_events
                 WHERE id < coalesce((SELECT id FROM audit_events WHERE at >= ? ORDER BY id LIMIT 1), 9223372036854775807) AND at < ?
                 ORDER BY id LIMIT ?)`,
            )
            .run(before, before, limit).changes,
      );
    },
    async listAudit(limit: number) {
      return (db.prepare('SELECT * FROM audit_events ORDER BY id DESC LIMIT ?').all(limit) as AuditRow[]).map(toAuditEvent);
    },
  };
}

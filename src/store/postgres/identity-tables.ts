/**
 * The identity tables of the PostgreSQL store (users, roles, refresh tokens, failure counters,
 * audit). Races that the embedded store cannot have (a row removed between check and write) end in
 * a constraint violation, which becomes the same error the check gives.
 */
import { AlreadyExists, FailedPrecondition, GatewayError, RoleNotFound, TenantNotFound, UserNotFound } from '../../errors';
import { AuditRow, CounterRow, RefreshTokenRow, RoleRow, toAuditEvent, toCounter, toRefreshToken, toRole, toUser, USER_PATCH_COLUMNS, UserRow } from '../rows';
import { AuditEvent, FailureCounter, IdentityPurge, PurgedIdentityRows, RefreshTokenRecord, RoleRecord, UserPatch, UserRecord } from '../store';
import { StoreTopic } from '../store';
import { Query } from './database';
import { PostgresContext } from './postgres-context';


/** Any fixed number: the first half of countAttempt's advisory lock keys (migrations use another). */
const ATTEMPT_LOCK_CLASS = 0x6d677732;

/** A `.catch` handler turning a violation of the named constraints into the given errors. */
export function onViolation(byConstraint: Record<string, () => GatewayError>) {
  return (err: unknown): never => {
    // A unique violation arrives already wrapped as AlreadyExists; its cause is pg's error.
    const e = (err instanceof GatewayError ? err.cause : err) as { code?: string; constraint?: string } | undefined;
    const make = e && (e.code === '23503' || e.code === '23505') && e.constraint ? byConstraint[e.constraint] : undefined;
    throw make ? Object.assign(make(), { cause: err }) : err;
  };
}

export type IdentityTables = ReturnType<typeof identityTables>;

export function identityTables({ db, write }: PostgresContext) {
  const users: StoreTopic[] = ['users'];
  const roleMissing = (role: string) => () => new RoleNotFound(`role ${role} does not exist`);

  /** Counts one failure on each key inside the caller's transaction; keys in sorted order so calls cannot deadlock. */
  async function countKeys(q: Query, keys: string[], at: number, windowStart: number, lockFor: (failures: number, key: string) => number): Promise<FailureCounter[]> {
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

  return {
    async addUser(u: UserRecord) {
      const tenantMissing = () => new TenantNotFound(`tenant ${u.tenantId} does not exist`);
      const taken = () => new AlreadyExists(`user ${u.username} already exists`);
      await write(users, async (q) => {
        if ((await q('SELECT 1 FROM tenants WHERE tenant_id = $1', [u.tenantId])).rowCount === 0) throw tenantMissing();
        if ((await q('SELECT 1 FROM roles WHERE name = $1', [u.role])).rowCount === 0) throw roleMissing(u.role)();
        const r = await q(
          `INSERT INTO users (user_id, username, tenant_id, role, password_hash, email, first_name, last_name, disabled, must_change_password, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING`,
          [u.userId, u.username, u.tenantId, u.role, u.passwordHash, u.email, u.firstName, u.lastName, u.disabled, u.mustChangePassword, u.createdAt, u.updatedAt],
        );
        if (r.rowCount === 0) throw taken();
      }).catch(onViolation({ users_tenant_id_fkey: tenantMissing, users_role_fkey: roleMissing(u.role), users_username_key: taken, users_pkey: taken }));
    },
    async findUserByName(username: string) {
      const { rows } = await db.query<UserRow>('SELECT * FROM users WHERE username = $1', [username]);
      return rows[0] && toUser(rows[0]);
    },
    async findUser(userId: string) {
      const { rows } = await db.query<UserRow>('SELECT * FROM users WHERE user_id = $1', [userId]);
      return rows[0] && toUser(rows[0]);
    },
    async listUsers(tenantId?: string) {
      const { rows } =
        tenantId === undefined
          ? await db.query<UserRow>('SELECT * FROM users ORDER BY username')
          : await db.query<UserRow>('SELECT * FROM users WHERE tenant_id = $1 ORDER BY username', [tenantId]);
      return rows.map(toUser);
    },
    async updateUser(userId: string, patch: UserPatch, updatedAt: number) {
      const keys = (Object.keys(patch) as (keyof UserPatch)[]).filter((k) => patch[k] !== undefined && Object.hasOwn(USER_PATCH_COLUMNS, k));
      const role = patch.role;
      await write(users, async (q) => {
        if (role !== undefined && (await q('SELECT 1 FROM roles WHERE name = $1', [role])).rowCount === 0) throw roleMissing(role)();
        const sets = [...keys.map((k, i) => `${USER_PATCH_COLUMNS[k]} = $${i + 1}`), `updated_at = $${keys.length + 1}`].join(', ');
        const r = await q(`UPDATE users SET ${sets} WHERE user_id = $${keys.length + 2}`, [...keys.map((k) => patch[k]), updatedAt, userId]);
        if (r.rowCount === 0) throw new UserNotFound(`user ${userId} does not exist`);
      }).catch(onViolation({ users_role_fkey: roleMissing(role ?? '') }));
    },
    async deleteUser(userId: string) {
      await write(users, async (q) => {
        if ((await q('DELETE FROM users WHERE user_id = $1', [userId])).rowCount === 0) throw new UserNotFound(`user ${userId} does not exist`);
      });
    },

    async putRole(role: RoleRecord) {
      await write(users, (q) =>
        q(
          `INSERT INTO roles (name, permissions, created_at, updated_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (name) DO UPDATE SET permissions = excluded.permissions, updated_at = excluded.updated_at`,
          [role.name, JSON.stringify(role.permissions), role.createdAt, role.updatedAt],
        ),
      );
    },
    async listRoles() {
      return (await db.query<RoleRow>('SELECT * FROM roles ORDER BY name')).rows.map(toRole);
    },
    async findRole(name: string) {
      const { rows } = await db.query<RoleRow>('SELECT * FROM roles WHERE name = $1', [name]);
      return rows[0] && toRole(rows[0]);
    },
    async deleteRole(name: string) {
      const held = () => new FailedPrecondition(`role ${name} is still assigned to users`);
      await write(users, async (q) => {
        if ((await q('SELECT 1 FROM users WHERE role = $1 LIMIT 1', [name])).rowCount !== 0) throw held();
        if ((await q('DELETE FROM roles WHERE name = $1', [name])).rowCount === 0) throw roleMissing(name)();
      }).catch(onViolation({ users_role_fkey: held }));
    },

    async addRefreshToken(t: RefreshTokenRecord) {
      await db
        .query(
          `INSERT INTO refresh_tokens (token_hash, family_id, user_id, dialect, rotating, issued_at, expires_at, used_at, revoked_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [t.tokenHash, t.familyId, t.userId, t.dialect, t.rotating, t.issuedAt, t.expiresAt, t.usedAt, t.revokedAt],
        )
        .catch(onViolation({ refresh_tokens_user_id_fkey: () => new UserNotFound(`user ${t.userId} does not exist`) }));
    },
    async findRefreshToken(tokenHash: string) {
      const { rows } = await db.query<RefreshTokenRow>(
        `SELECT t.token_hash, t.family_id, t.user_id, t.dialect, t.rotating, t.issued_at, t.expires_at, t.used_at,
                COALESCE(t.revoked_at, f.revoked_at) AS revoked_at
         FROM refresh_tokens t LEFT JOIN revoked_refresh_families f ON f.family_id = t.family_id WHERE t.token_hash = $1`,
        [tokenHash],
      );
      return rows[0] && toRefreshToken(rows[0]);
    },
    async spendRefreshToken(tokenHash: string, at: number) {
      // A concurrent spend waits for this row's lock, then finds used_at set and matches nothing.
      const r = await db.query(
        `UPDATE refresh_tokens t SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND revoked_at IS NULL
         AND NOT EXISTS (SELECT 1 FROM revoked_refresh_families f WHERE f.family_id = t.family_id)`,
        [at, tokenHash],
      );
      return r.rowCount === 1;
    },
    async revokeRefreshFamily(familyId: string, at: number) {
      return write(users, async (q) => {
        await q('INSERT INTO revoked_refresh_families (family_id, revoked_at) VALUES ($1, $2) ON CONFLICT DO NOTHING', [familyId, at]);
        return (await q('UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL', [at, familyId])).rowCount ?? 0;
      });
    },
    async revokeUserRefreshTokens(userId: string, at: number) {
      return write(users, async (q) => {
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

    async recordFailures(keys: string[], at: number, windowStart: number, lockFor: (failures: number, key: string) => number) {
      return write([], (q) => countKeys(q, keys, at, windowStart, lockFor));
    },
    async countAttempt(keys: string[], at: number, windowStart: number, lockFor: (failures: number, key: string) => number) {
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
    async lockFailures(keys: string[], at: number, lockFor: (failures: number, key: string) => number) {
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

    async recordAudit(e: AuditEvent) {
      await db.query('INSERT INTO audit_events (at, event, outcome, dialect, username, tenant_id, address, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
        e.at,
        e.event,
        e.outcome,
        e.dialect,
        e.username,
        e.tenantId,
        e.address,
        e.detail,
      ]);
    },
    async purgeAudit(before: number, limit: number) {
      const { rowCount } = await db.query(
        `DELETE FROM audit_events WHERE id IN (
           SELECT id FROM audit_events
           WHERE id < coalesce((SELECT id FROM audit_events WHERE at >= $1 ORDER BY id LIMIT 1), 9223372036854775807) AND at < $1
           ORDER BY id LIMIT $2)`,
        [before, limit],
      );
      return rowCount ?? 0;
    },
    async listAudit(limit: number) {
      const { rows } = await db.query<AuditRow>('SELECT at, event, outcome, dialect, username, tenant_id, address, detail FROM audit_events ORDER BY id DESC LIMIT $1', [limit]);
      return rows.map(toAuditEvent);
    },
  };
}

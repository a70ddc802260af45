/**
 * Users and roles in PostgreSQL. Races that the embedded store cannot have (a row removed between
 * check and write) end in a constraint violation, which becomes the same error the check gives.
 */
import { AlreadyExists, FailedPrecondition, RoleNotFound, TenantNotFound, UserNotFound } from '../../errors';
import { RoleRow, toRole, toUser, USER_PATCH_COLUMNS, UserRow } from '../rows';
import { RoleRecord, UserPatch, UserRecord, UserStore } from '../store';
import { PostgresContext } from './postgres-context';
import { onViolation } from './store-error';

const roleMissing = (role: string) => () => new RoleNotFound(`role ${role} does not exist`);

const USER_COLUMNS = 'user_id, username, tenant_id, role, password_hash, email, first_name, last_name, disabled, must_change_password, created_at, updated_at';
/** Every refresh and login reads a user: named statements, prepared once per connection. */
const USER_BY_ID = { name: 'mgw_user_by_id', text: `SELECT ${USER_COLUMNS} FROM users WHERE user_id = $1` };
const USER_BY_NAME = { name: 'mgw_user_by_name', text: `SELECT ${USER_COLUMNS} FROM users WHERE username = $1` };

export function userTables({ db, write }: PostgresContext): UserStore {
  return {
    async addUser(u: UserRecord) {
      const tenantMissing = () => new TenantNotFound(`tenant ${u.tenantId} does not exist`);
      const taken = () => new AlreadyExists(`user ${u.username} already exists`);
      await write(['users'], async (q) => {
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
      const { rows } = await db.query<UserRow>(USER_BY_NAME, [username]);
      return rows[0] && toUser(rows[0]);
    },

    async findUser(userId: string) {
      const { rows } = await db.query<UserRow>(USER_BY_ID, [userId]);
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
      await write(['users'], async (q) => {
        if (role !== undefined && (await q('SELECT 1 FROM roles WHERE name = $1', [role])).rowCount === 0) throw roleMissing(role)();
        const sets = [...keys.map((k, i) => `${USER_PATCH_COLUMNS[k]} = $${i + 1}`), `updated_at = $${keys.length + 1}`].join(', ');
        const r = await q(`UPDATE users SET ${sets} WHERE user_id = $${keys.length + 2}`, [...keys.map((k) => patch[k]), updatedAt, userId]);
        if (r.rowCount === 0) throw new UserNotFound(`user ${userId} does not exist`);
      }).catch(onViolation({ users_role_fkey: roleMissing(role ?? '') }));
    },

    async deleteUser(userId: string) {
      await write(['users'], async (q) => {
        if ((await q('DELETE FROM users WHERE user_id = $1', [userId])).rowCount === 0) throw new UserNotFound(`user ${userId} does not exist`);
      });
    },

    async putRole(role: RoleRecord) {
      await write(['users'], (q) =>
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
      await write(['users'], async (q) => {
        if ((await q('SELECT 1 FROM users WHERE role = $1 LIMIT 1', [name])).rowCount !== 0) throw held();
        if ((await q('DELETE FROM roles WHERE name = $1', [name])).rowCount === 0) throw roleMissing(name)();
      }).catch(onViolation({ users_role_fkey: held }));
    },
  };
}

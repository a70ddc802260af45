/** Users and roles in the embedded database. */
import { AlreadyExists, FailedPrecondition, RoleNotFound, TenantNotFound, UserNotFound } from '../../errors';
import { RoleRow, toRole, toUser, USER_PATCH_COLUMNS, UserRow } from '../rows';
import { RoleRecord, UserPatch, UserRecord, UserStore } from '../store';
import { SqliteContext, sqlValue } from './sqlite-context';

export function userTables({ sql, write }: SqliteContext): UserStore {
  const userByName = sql('SELECT * FROM users WHERE username = ?');
  const userById = sql('SELECT * FROM users WHERE user_id = ?');
  return {
    async addUser(u: UserRecord) {
      await write(['users'], () => {
        if (!sql('SELECT 1 FROM tenants WHERE tenant_id = ?').get(u.tenantId)) throw new TenantNotFound(`tenant ${u.tenantId} does not exist`);
        if (!sql('SELECT 1 FROM roles WHERE name = ?').get(u.role)) throw new RoleNotFound(`role ${u.role} does not exist`);
        const r = sql(
          `INSERT INTO users (user_id, username, tenant_id, role, password_hash, email, first_name, last_name, disabled, must_change_password, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
        ).run(u.userId, u.username, u.tenantId, u.role, u.passwordHash, u.email, u.firstName, u.lastName, sqlValue(u.disabled), sqlValue(u.mustChangePassword), u.createdAt, u.updatedAt);
        if (r.changes === 0) throw new AlreadyExists(`user ${u.username} already exists`);
      });
    },

    async findUserByName(username: string) {
      const row = userByName.get(username) as UserRow | undefined;
      return row && toUser(row);
    },

    async findUser(userId: string) {
      const row = userById.get(userId) as UserRow | undefined;
      return row && toUser(row);
    },

    async listUsers(tenantId?: string) {
      const rows = (tenantId === undefined
        ? sql('SELECT * FROM users ORDER BY username').all()
        : sql('SELECT * FROM users WHERE tenant_id = ? ORDER BY username').all(tenantId)) as UserRow[];
      return rows.map(toUser);
    },

    async updateUser(userId: string, patch: UserPatch, updatedAt: number) {
      await write(['users'], () => {
        const keys = Object.keys(patch).filter((k) => patch[k as keyof UserPatch] !== undefined) as (keyof UserPatch)[];
        if (patch.role !== undefined && !sql('SELECT 1 FROM roles WHERE name = ?').get(patch.role)) throw new RoleNotFound(`role ${patch.role} does not exist`);
        const sets = [...keys.map((k) => `${USER_PATCH_COLUMNS[k]} = ?`), 'updated_at = ?'].join(', ');
        const r = sql(`UPDATE users SET ${sets} WHERE user_id = ?`).run(...keys.map((k) => sqlValue(patch[k])), updatedAt, userId);
        if (r.changes === 0) throw new UserNotFound(`user ${userId} does not exist`);
      });
    },

    async deleteUser(userId: string) {
      await write(['users'], () => {
        if (sql('DELETE FROM users WHERE user_id = ?').run(userId).changes === 0) throw new UserNotFound(`user ${userId} does not exist`);
      });
    },

    async putRole(role: RoleRecord) {
      await write(['users'], () => {
        sql(
          `INSERT INTO roles (name, permissions, created_at, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET permissions = excluded.permissions, updated_at = excluded.updated_at`,
        ).run(role.name, JSON.stringify(role.permissions), role.createdAt, role.updatedAt);
      });
    },

    async listRoles() {
      return (sql('SELECT * FROM roles ORDER BY name').all() as RoleRow[]).map(toRole);
    },

    async findRole(name: string) {
      const r = sql('SELECT * FROM roles WHERE name = ?').get(name) as RoleRow | undefined;
      return r && toRole(r);
    },

    async deleteRole(name: string) {
      await write(['users'], () => {
        if (sql('SELECT 1 FROM users WHERE role = ? LIMIT 1').get(name)) throw new FailedPrecondition(`role ${name} is still assigned to users`);
        if (sql('DELETE FROM roles WHERE name = ?').run(name).changes === 0) throw new RoleNotFound(`role ${name} does not exist`);
      });
    },
  };
}

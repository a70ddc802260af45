import { UserRecord } from './identity-records';

/** A users row as both backends return it (SQLite gives flags as 0/1, PostgreSQL as booleans). */
export interface UserRow {
  user_id: string;
  username: string;
  tenant_id: string;
  role: string;
  password_hash: string;
  email: string;
  first_name: string;
  last_name: string;
  disabled: boolean | number;
  must_change_password: boolean | number;
  created_at: number | string;
  updated_at: number | string;
}

export const toUser = (r: UserRow): UserRecord => ({
  userId: r.user_id,
  username: r.username,
  tenantId: r.tenant_id,
  role: r.role,
  passwordHash: r.password_hash,
  email: r.email,
  firstName: r.first_name,
  lastName: r.last_name,
  disabled: Boolean(r.disabled),
  mustChangePassword: Boolean(r.must_change_password),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

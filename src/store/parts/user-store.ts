/** The identity core's users (who log in through the HTTP dialects) and their roles. */

export interface UserRecord {
  userId: string;
  /** Unique across the gateway (three of the four dialects log in by username alone). */
  username: string;
  tenantId: string;
  role: string;
  /** PHC string (argon2id); never leaves the core. */
  passwordHash: string;
  email: string;
  firstName: string;
  lastName: string;
  disabled: boolean;
  mustChangePassword: boolean;
  /** Unix milliseconds. */
  createdAt: number;
  updatedAt: number;
}

export type UserPatch = Partial<Pick<UserRecord, 'role' | 'passwordHash' | 'email' | 'firstName' | 'lastName' | 'disabled' | 'mustChangePassword'>>;

export interface RoleRecord {
  name: string;
  /** Resource → verbs, as in the Monogoto profile. */
  permissions: Record<string, string[]>;
  createdAt: number;
  updatedAt: number;
}

export interface UserStore {
  /** Throws AlreadyExists (username taken) or TenantNotFound. */
  addUser(user: UserRecord): Promise<void>;
  findUserByName(username: string): Promise<UserRecord | undefined>;
  findUser(userId: string): Promise<UserRecord | undefined>;
  listUsers(tenantId?: string): Promise<UserRecord[]>;
  /** Throws UserNotFound. */
  updateUser(userId: string, patch: UserPatch, updatedAt: number): Promise<void>;
  /** Also revokes the user's refresh tokens. Throws UserNotFound. */
  deleteUser(userId: string): Promise<void>;

  putRole(role: RoleRecord): Promise<void>;
  listRoles(): Promise<RoleRecord[]>;
  findRole(name: string): Promise<RoleRecord | undefined>;
  /** Throws FailedPrecondition while users hold the role, RoleNotFound if there is none. */
  deleteRole(name: string): Promise<void>;
}

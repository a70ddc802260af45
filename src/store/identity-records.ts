/** Records of the identity core behind the HTTP login dialects: users, roles, refresh tokens, lockout, audit. */

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

export interface RefreshTokenRecord {
  /** SHA-256 of the token, hex; the token itself is never stored. */
  tokenHash: string;
  familyId: string;
  userId: string;
  dialect: string;
  /** Single-use tokens (a refresh returns a new one) versus reusable ones. */
  rotating: boolean;
  /** Unix seconds. */
  issuedAt: number;
  expiresAt: number;
  usedAt: number | null;
  revokedAt: number | null;
}

export interface AuditEvent {
  /** Unix milliseconds. */
  at: number;
  event: 'login' | 'refresh' | 'logout' | 'lockout' | 'revocation' | 'password_change' | 'refresh_reuse';
  outcome: 'success' | 'failure' | 'locked' | 'incident';
  dialect: string;
  username: string | null;
  tenantId: string | null;
  address: string | null;
  detail: string | null;
}

export interface FailureCounter {
  key: string;
  failures: number;
  /** Unix milliseconds; 0 when not locked. */
  lockedUntil: number;
  lastFailureAt: number;
}

/** What purgeIdentityRows may drop. Each cutoff is in the unit of the column it is compared with. */
export interface IdentityPurge {
  /** Unix milliseconds, now: a failure counter locked until later is kept. */
  at: number;
  /** Unix milliseconds, the start of the failure-counting window: a counter with no failure since is forgotten anyway. */
  failuresBefore: number;
  /** Unix seconds: a refresh token family whose every token expired before this goes, all its tokens with it. */
  expiredBefore: number;
  /** Most rows dropped from each table in one call. */
  limit: number;
}

export interface PurgedIdentityRows {
  failureCounters: number;
  refreshTokens: number;
  refreshFamilies: number;
}

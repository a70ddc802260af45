/** Refresh tokens of the HTTP dialects, by hash, in families (a login and the tokens rotated from it). */
import { AuditEvent } from './audit-store';

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

export interface RefreshTokenStore {
  addRefreshToken(token: RefreshTokenRecord): Promise<void>;
  findRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | undefined>;
  /** Marks a rotating token spent; true only for the one call that spent it (atomic). */
  spendRefreshToken(tokenHash: string, at: number): Promise<boolean>;
  /**
   * A rotation in one transaction: spends `spentHash` as spendRefreshToken does (unused, not revoked,
   * family not revoked) and, only if it spent it, adds `next` and records `audit`. True only for the
   * one call that rotated; false with nothing written otherwise. The audit event is committed with
   * the rotation, so an acknowledged one is never lost.
   */
  rotateRefreshToken(spentHash: string, at: number, next: RefreshTokenRecord, audit: AuditEvent): Promise<boolean>;
  /**
   * Revokes a family (a reuse incident, or logout) for good: its tokens, and any token added to it
   * later, are revoked (findRefreshToken reports revokedAt). Returns how many tokens were live.
   */
  revokeRefreshFamily(familyId: string, at: number): Promise<number>;
  revokeUserRefreshTokens(userId: string, at: number): Promise<number>;
  /** Live (unexpired, unrevoked) refresh tokens, for metrics and tests. */
  countLiveRefreshTokens(now: number): Promise<number>;
}

/** Revoked access tokens (JWT IDs), kept until the token would have run out anyway. */

export interface RevokedToken {
  jti: string;
  /** Unix seconds; the entry may be dropped after this. */
  expiresAt: number;
}

export interface RevocationStore {
  revokeToken(token: RevokedToken): Promise<void>;
  /** One indexed lookup: whether this token ID was revoked (and the revocation not yet purged). */
  isTokenRevoked(jti: string): Promise<boolean>;
  /** Drops the revocations that ran out before `now` (Unix seconds); returns how many. */
  purgeRevokedTokens(now: number): Promise<number>;
  /** Revocations still in force at `now` (Unix seconds), for tests and diagnostics; older ones may be purged. */
  listRevokedTokens(now: number): Promise<RevokedToken[]>;
}

/** Dropping identity rows nothing will read again: failure counters and refresh token families. */

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

export interface IdentityPurgeStore {
  /**
   * Drops identity rows nothing will read again, at most `limit` per table, in one transaction, and
   * says how many went: failure counters not locked at `at` with no failure since `failuresBefore`;
   * the refresh tokens (spent and revoked ones too) of families with no token expiring at or after
   * `expiredBefore`; then the revocations of families with no token left. Audit events go by purgeAudit.
   */
  purgeIdentityRows(cutoffs: IdentityPurge): Promise<PurgedIdentityRows>;
}

/** Single-use challenge sessions (Cognito-style NEW_PASSWORD_REQUIRED), spent once across every process. */

export interface ChallengeStore {
  /**
   * Spends a single-use challenge session: true only for the one call, in any process on this
   * store, that spent it (atomic). `expiresAt` is when the session runs out (Unix ms); spent
   * sessions that ran out before `forgetBefore` (Unix ms) are dropped first.
   */
  spendChallenge(sessionId: string, expiresAt: number, forgetBefore: number): Promise<boolean>;
}
